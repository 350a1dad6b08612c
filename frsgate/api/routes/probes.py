"""Probe intake and probe images (multipart in, JSON out)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response

from frsgate.api.deps import get_runtime, requires
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller
from frsgate.services.intake import ProbeRequest, create_probe
from frsgate.services.reads import probe_image
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["probes"])


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(f"image is larger than the limit of {limit} bytes")
    if not data:
        raise ValidationFailed("image is empty")
    return data


@router.post("/probes", status_code=201, summary="Take in one probe photo for a case")
def post_probe(
    caller: Annotated[Caller, requires(Action.probe_create)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    image: Annotated[UploadFile, File(description="JPEG or PNG, one face, a still image")],
    case: Annotated[str, Form(description="Case id or number")],
    subject_role: Annotated[str, Form(description="suspect, victim or witness")],
    capture_source: Annotated[
        str,
        Form(
            description=(
                "booking_photo, recorded_video_still, social_media, identity_document or other "
                "(never live or real-time: memo 4.B.4)"
            )
        ),
    ],
    lawful_basis: Annotated[str, Form(description="How the image was lawfully obtained")],
    traditional_means: Annotated[str, Form(description="Traditional means tried first (4.A.2)")],
    attestation: Annotated[
        bool, Form(description="Not collected solely on a prohibited basis (memo 4.B.3)")
    ],
    justification: Annotated[str, Form(description="Why this probe is relevant and necessary")],
    image_edit: Annotated[str, Form()] = "none",
    other_methods_exhausted: Annotated[str | None, Form()] = None,
    program_code: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    data = _read_limited(image, runtime.settings.max_probe_bytes)
    result = create_probe(
        runtime,
        caller,
        ProbeRequest(
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
        ),
        data,
    )
    p = result.probe
    return {
        "id": p.id,
        "case_id": p.case_id,
        "status": p.status.value,
        "subject_role": p.subject_role.value,
        "sha256": p.sha256,
        "original_sha256": p.original_sha256,
        "media_type": p.media_type,
        "width": p.width,
        "height": p.height,
        "decision": result.decision.to_dict(),
        "approvals": [
            {"id": a.id, "kind": a.kind.value, "approver_role": a.approver_role.value}
            for a in result.approvals
        ],
    }


@router.get("/probes/{probe_id}/image", summary="The probe's re-encoded image (a logged read)")
def get_probe_image(
    probe_id: str,
    caller: Annotated[Caller, requires(Action.probe_image_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Response:
    probe, data = probe_image(runtime, caller, probe_id)
    return Response(
        content=data,
        media_type=probe.media_type,
        headers={"Cache-Control": "no-store", "X-Content-SHA256": probe.sha256},
    )
