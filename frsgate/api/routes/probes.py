"""Probe intake and probe images (multipart in, JSON out)."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import TEXT_MAX_LENGTH, WORD_MAX_LENGTH, FormText, Id
from frsgate.api.forms import Utf8FormRoute
from frsgate.api.idempotency import IdempotencyKey, answer_once
from frsgate.api.schemas import ProbeOut, error_responses, image_response, json_response
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller, Gate
from frsgate.services.intake import ProbeRequest, ProbeResult, create_probe
from frsgate.services.json_views import approver_role
from frsgate.services.reads import probe_image
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["probes"], route_class=Utf8FormRoute)

POST_PROBES = "POST /api/v1/probes"  # the scope of its idempotency keys
_SHA256_HEADER = {
    "X-Content-SHA256": {"description": "The probe's sha256", "schema": {"type": "string"}}
}


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    # One byte past the limit is enough for intake to refuse (and record) an oversized image
    # without holding all of it.
    return upload.file.read(limit + 1)


@router.post(
    "/probes",
    status_code=201,
    summary="Take in one probe photo for a case",
    responses={
        201: json_response(ProbeOut, "Stored; waiting for `approvals` if there are any"),
        **error_responses(404, 409, 413),
    },
)
def post_probe(
    caller: Annotated[Caller, requires(Action.probe_create)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    image: Annotated[UploadFile, File(description="JPEG or PNG, one face, a still image")],
    case: Annotated[
        FormText | None,
        Form(
            description="Case id or number; leave out only for the own use of a program whose "
            "assessment covers FRS use without a case (memo 4.A.1; give program_code)",
            max_length=WORD_MAX_LENGTH,
        ),
    ] = None,
    subject_role: Annotated[
        FormText,
        Form(
            description="suspect, victim or witness (memo 4.B.1-4.B.2)", max_length=WORD_MAX_LENGTH
        ),
    ] = "",
    capture_source: Annotated[
        FormText,
        Form(
            description=(
                "booking_photo, recorded_video_still, social_media, identity_document or other "
                "(never live or real-time: memo 4.B.4)"
            ),
            max_length=WORD_MAX_LENGTH,
        ),
    ] = "",
    # The memo governs these statements: left out, the policy refuses the probe with the
    # section that requires them (and the refusal is on the ledger), not a bare 422.
    lawful_basis: Annotated[
        FormText,
        Form(
            description="How the image was lawfully obtained (memo 2)", max_length=TEXT_MAX_LENGTH
        ),
    ] = "",
    traditional_means: Annotated[
        FormText,
        Form(description="Traditional means tried first (4.A.2)", max_length=TEXT_MAX_LENGTH),
    ] = "",
    attestation: Annotated[
        bool, Form(description="Not collected solely on a prohibited basis (memo 4.B.3)")
    ] = False,
    justification: Annotated[
        FormText,
        Form(
            description="Why this probe is relevant and necessary (4.B.3)",
            max_length=TEXT_MAX_LENGTH,
        ),
    ] = "",
    image_edit: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "none",
    other_methods_exhausted: Annotated[FormText | None, Form(max_length=TEXT_MAX_LENGTH)] = None,
    program_code: Annotated[
        FormText | None,
        Form(description="A program or task force (memo 4.A.1)", max_length=WORD_MAX_LENGTH),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    data = _read_limited(image, runtime.settings.max_probe_bytes)
    request = ProbeRequest(
        case=case,
        subject_role=subject_role,
        capture_source=capture_source,
        lawful_basis=lawful_basis,
        traditional_means=traditional_means,
        attestation=attestation,
        justification=justification,
        image_edit=image_edit,
        other_methods_exhausted=other_methods_exhausted,
        program_code=program_code,
    )

    def act() -> tuple[int, dict[str, Any]]:
        result = create_probe(
            gate=runtime.gate,
            kek=runtime.kek,
            limits=runtime.image_limits,
            caller=caller,
            request=request,
            image=data,
        )
        return 201, _probe_json(result, runtime.gate)

    # The same request: the same form fields and the same image bytes (by their hash).
    fields = dataclasses.asdict(request) | {"image_sha256": hashlib.sha256(data).hexdigest()}
    return answer_once(
        runtime, caller, route=POST_PROBES, key=idempotency_key, request=fields, act=act
    )


def _probe_json(result: ProbeResult, gate: Gate) -> dict[str, Any]:
    p = result.probe
    return {
        "id": p.id,
        "case_id": p.case_id,
        "program_code": p.program_code,
        "status": p.status.value,
        "subject_role": p.subject_role.value,
        "sha256": p.sha256,
        "original_sha256": p.original_sha256,
        "media_type": p.media_type,
        "width": p.width,
        "height": p.height,
        "decision": result.decision.to_dict(),
        "approvals": [
            {"id": a.id, "kind": a.kind.value, "approver_role": approver_role(a, gate)}
            for a in result.approvals
        ],
    }


@router.get(
    "/probes/{probe_id}/image",
    summary="The probe's re-encoded image (a logged read)",
    response_class=Response,
    responses={
        200: image_response("The re-encoded image, without metadata", _SHA256_HEADER),
        **error_responses(404),
    },
)
def get_probe_image(
    probe_id: Id,
    caller: Annotated[Caller, requires(Action.probe_image_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Response:
    probe, data = probe_image(gate=runtime.gate, kek=runtime.kek, caller=caller, probe_id=probe_id)
    return Response(
        content=data,
        media_type=probe.media_type,
        headers={"Cache-Control": "no-store", "X-Content-SHA256": probe.sha256},
    )
