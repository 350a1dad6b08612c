"""The sandbox FRS: the connector protocol served over a synthetic gallery, for development
and tests only.

FRS Gate never searches a gallery itself; this app stands in for a provider so the gateway can
be developed, demonstrated and benchmarked without one. It says so on every answer: bodies
carry `"sandbox": true` and `SANDBOX_NOTICE`, and every response has the header
`FRS-Sandbox: synthetic`. Answers are deterministic (see `gallery`), and an `Idempotency-Key`
replays the stored answer (draft-ietf-httpapi-idempotency-key-header §2.6).

Faults can be injected for tests and demos (off by default) through `SandboxFaults`, set when
the app is created or later on `app.state.sandbox.faults`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, fields, replace
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from frsgate.connectors.gallery import SyntheticGallery
from frsgate.connectors.protocol import MatchType, check_match_type_name
from frsgate.connectors.wire import (
    IDEMPOTENCY_HEADER,
    PROTOCOL,
    PROTOCOL_VERSION_HEADER,
    CompareBody,
    CompareResponse,
    ErrorDetail,
    ErrorResponse,
    HealthResponse,
    SearchBody,
    SearchResponse,
    WireCandidate,
    WireImage,
    decode_image,
    encode_image,
)
from frsgate.errors import ValidationFailed

SANDBOX_NOTICE: Final = "SANDBOX DATA — synthetic gallery, not real people"
SANDBOX_DATABASE: Final = "frsgate-sandbox-synthetic"
SANDBOX_PROVIDER: Final = "frsgate-sandbox"
DEFAULT_GALLERY_SIZE: Final = 500
_STORED_RESPONSES: Final = 10_000  # idempotency replays kept (oldest dropped first)
_MAX_PROBE_BYTES: Final = 20 * 1024 * 1024
_BEARER: Final = "Optional: a provider may require `Authorization: Bearer <api key>`."
_KEY_PATTERN: Final = r"^[A-Za-z0-9_\-]{16,128}$"


@dataclass(frozen=True)
class SandboxFaults:
    """Faults the sandbox injects into `/v1/search` and `/v1/compare` answers.

    `fail_times` limits `status` to the first N requests (None: every request), which is how a
    test sees "503, then success". Faulty answers are never stored for idempotent replay.
    """

    delay_ms: int = 0  # wait before answering
    status: int | None = None  # answer with this error status instead
    fail_times: int | None = None
    malformed: bool = False  # answer 200 with a body that is not JSON
    wrong_schema: bool = False  # answer 200 with JSON that breaks the schema
    extra_candidates: int = 0  # return this many candidates beyond max_candidates
    trickle_ms: int = 0  # send the body in pieces, pausing this long between them

    @classmethod
    def parse(cls, spec: str) -> SandboxFaults:
        """Parse `"delay_ms=500,status=503,fail_times=2,malformed"` (flags without a value)."""
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, _, raw = item.partition("=")
            if name not in known:
                raise ValidationFailed(
                    f"unknown sandbox fault {name!r}; known: {', '.join(sorted(known))}"
                )
            if name in ("malformed", "wrong_schema"):
                values[name] = raw.lower() in ("", "1", "true", "yes")
                continue
            try:
                values[name] = int(raw)
            except ValueError:
                raise ValidationFailed(f"sandbox fault {name} needs a whole number") from None
        return cls(**values)  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        return self != SandboxFaults()


@dataclass
class SandboxState:
    """What one sandbox app holds: its gallery, faults, replay store and a request log."""

    gallery: SyntheticGallery
    faults: SandboxFaults = field(default_factory=SandboxFaults)
    api_key: str | None = None
    match_types: frozenset[str] = frozenset({MatchType.one_to_one, MatchType.one_to_many})
    stored: OrderedDict[str, tuple[str, bytes]] = field(default_factory=OrderedDict)
    failures: int = 0
    # (path, idempotency key, SHA-256 of the body): lets tests see what retries sent.
    seen: deque[tuple[str, str | None, str]] = field(default_factory=lambda: deque(maxlen=1000))


def _json(status: int, model: BaseModel) -> Response:
    return Response(
        content=model.model_dump_json(exclude_none=True).encode(),
        status_code=status,
        media_type="application/json",
    )


def _error(status: int, code: str, message: str) -> Response:
    body = ErrorResponse(
        error=ErrorDetail(code=code, message=message), sandbox=True, notice=SANDBOX_NOTICE
    )
    return _json(status, body)


def create_sandbox_app(
    *,
    seed: int = 0,
    gallery_size: int = DEFAULT_GALLERY_SIZE,
    faults: SandboxFaults | None = None,
    api_key: str | None = None,
    extra_match_types: frozenset[str] = frozenset(),
    warm: bool = False,
) -> FastAPI:
    """The sandbox FRS as an ASGI app. `api_key` set: requests need `Authorization: Bearer`.
    `warm`: draw every avatar now (about 0.3 ms each) rather than on first use, so the first
    searches are as fast as the rest (benchmarks)."""
    for name in extra_match_types:
        check_match_type_name(name)
    state = SandboxState(
        gallery=SyntheticGallery(seed=seed, size=gallery_size),
        faults=faults or SandboxFaults(),
        api_key=api_key,
        match_types=frozenset({MatchType.one_to_one, MatchType.one_to_many}) | extra_match_types,
    )
    if warm:
        for index in range(gallery_size):
            state.gallery.avatar(index)
    app = FastAPI(
        title="FRS connector protocol",
        version="1",
        summary=f"The JSON protocol an FRS implements for FRS Gate ({PROTOCOL}).",
        description=(
            "Implemented by an FRS, or an adapter in front of one, for FRS Gate; see "
            "docs/connector-protocol.md. This document is generated from the sandbox FRS, "
            "which implements the protocol over a synthetic gallery. Every POST needs an "
            "`Idempotency-Key` header: the same key with the same body replays the stored "
            "answer, the same key with another body is refused with 422."
        ),
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(HTTPBearer(auto_error=False, description=_BEARER))],
    )
    app.state.sandbox = state

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # Every error body of the protocol has the same shape (ErrorResponse).
        errors = exc.errors()
        if any(tuple(e["loc"]) == ("header", IDEMPOTENCY_HEADER) for e in errors):
            return _error(
                400,
                "idempotency_key_invalid",
                f"{IDEMPOTENCY_HEADER} header is required: 16-128 characters A-Z a-z 0-9 - _",
            )
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"])
        return _error(422, "invalid_request", f"{where}: {first['msg']}"[:1000])

    @app.middleware("http")
    async def label_and_authenticate(request: Request, call_next):  # type: ignore[no-untyped-def]
        if state.api_key is not None and not _authorized(request, state.api_key):
            response: Response = _error(401, "unauthorized", "missing or wrong bearer token")
        else:
            response = await call_next(request)
        response.headers["FRS-Sandbox"] = "synthetic"
        response.headers[PROTOCOL_VERSION_HEADER] = PROTOCOL
        return response

    error_responses: dict[int | str, dict[str, object]] = {
        status: {"model": ErrorResponse, "description": text}
        for status, text in (
            (400, "missing or malformed Idempotency-Key, or an image that is not base64"),
            (401, "missing or wrong credentials"),
            (404, "unknown subject_ref"),
            (422, "Idempotency-Key reused with a different body, or invalid body"),
            (503, "temporarily unavailable: retry with the same Idempotency-Key"),
        )
    }

    @app.get("/v1/health", response_model=HealthResponse, tags=["protocol"])
    async def health() -> Response:
        """Whether the provider is up, which gallery it searches and which match types."""
        return _json(
            200,
            HealthResponse(
                protocol=PROTOCOL,
                provider=SANDBOX_PROVIDER,
                status="ok",
                sandbox=True,
                database=SANDBOX_DATABASE,
                match_types=sorted(state.match_types | {MatchType.two_photo}),
            ),
        )

    @app.post(
        "/v1/search", response_model=SearchResponse, responses=error_responses, tags=["protocol"]
    )
    async def search(
        body: SearchBody,
        idempotency_key: Annotated[str, Header(alias=IDEMPOTENCY_HEADER, pattern=_KEY_PATTERN)],
    ) -> Response:
        """Search the gallery: one_to_one (with subject_ref) or one_to_many."""
        return await _serve(state, "/v1/search", body, idempotency_key)

    @app.post(
        "/v1/compare", response_model=CompareResponse, responses=error_responses, tags=["protocol"]
    )
    async def compare(
        body: CompareBody,
        idempotency_key: Annotated[str, Header(alias=IDEMPOTENCY_HEADER, pattern=_KEY_PATTERN)],
    ) -> Response:
        """Score the likeness of two submitted images (2-photo submission)."""
        return await _serve(state, "/v1/compare", body, idempotency_key)

    return app


def _authorized(request: Request, api_key: str) -> bool:
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode())


async def _serve(
    state: SandboxState, path: str, body: SearchBody | CompareBody, key: str
) -> Response:
    fingerprint = hashlib.sha256(path.encode() + body.model_dump_json().encode()).hexdigest()
    state.seen.append((path, key, fingerprint))
    faults = state.faults
    if faults.delay_ms:
        await asyncio.sleep(faults.delay_ms / 1000)
    if faults.status is not None and (
        faults.fail_times is None or state.failures < faults.fail_times
    ):
        state.failures += 1
        return _error(faults.status, "injected_fault", f"sandbox fault: status {faults.status}")
    if faults.malformed:
        return Response(b'{"protocol": "frsgate-conn', 200, media_type="application/json")
    if faults.wrong_schema:
        return _json_bytes(b'{"protocol": "frsgate-connector/1", "candidates": "none"}')
    stored = state.stored.get(key)
    if stored is not None:
        # draft-ietf-httpapi-idempotency-key-header §2.6: same key, same body -> same answer;
        # same key, different body -> 422.
        if stored[0] != fingerprint:
            return _error(
                422, "idempotency_key_reused", "this Idempotency-Key was used with another body"
            )
        return _deliver(stored[1], faults)
    try:
        answer: BaseModel = _search(state, body) if isinstance(body, SearchBody) else _compare(body)
    except _Refused as refusal:
        return _error(refusal.status, refusal.code, refusal.message)
    content = answer.model_dump_json(exclude_none=True).encode()
    if not faults.active:
        state.stored[key] = (fingerprint, content)
        while len(state.stored) > _STORED_RESPONSES:
            state.stored.popitem(last=False)
    return _deliver(content, faults)


def _json_bytes(content: bytes) -> Response:
    return Response(content, 200, media_type="application/json")


def _deliver(content: bytes, faults: SandboxFaults) -> Response:
    if not faults.trickle_ms:
        return _json_bytes(content)

    async def pieces() -> AsyncIterator[bytes]:
        step = max(1, len(content) // 8)
        for start in range(0, len(content), step):
            yield content[start : start + step]
            await asyncio.sleep(faults.trickle_ms / 1000)

    return StreamingResponse(pieces(), 200, media_type="application/json")


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _image(wire: WireImage) -> bytes:
    try:
        data = decode_image(wire.data)
    except ValueError as exc:
        raise _Refused(400, "bad_image", str(exc)) from None
    if len(data) > _MAX_PROBE_BYTES:
        raise _Refused(400, "bad_image", "image larger than 20 MiB")
    return data


def _search(state: SandboxState, body: SearchBody) -> SearchResponse:
    gallery, faults = state.gallery, state.faults
    if body.match_type not in state.match_types:
        raise _Refused(
            422,
            "match_type_unsupported",
            f"match type {body.match_type!r} is not offered here "
            f"(offered: {', '.join(sorted(state.match_types))}; two_photo is /v1/compare)",
        )
    probe = _image(body.probe)
    if body.match_type == MatchType.one_to_one:
        index = gallery.index_of(body.subject_ref or "")
        if index is None:
            raise _Refused(404, "unknown_subject", "subject_ref names no gallery identity")
        hits = gallery.verify(probe, index)
    elif body.subject_ref is not None:
        raise _Refused(400, "unexpected_subject", "subject_ref is for one_to_one only")
    else:
        hits = gallery.search(probe, match_type=body.match_type, max_candidates=body.max_candidates)
    if faults.extra_candidates:
        hits = hits + gallery.extra_hits(probe, faults.extra_candidates, after=hits)
    candidates = [
        WireCandidate(
            rank=rank,
            score=hit.score,
            gallery_ref=gallery.ref(hit.index),
            source_database=SANDBOX_DATABASE,
            photo_taken_on=gallery.photo_taken_on(hit.index),
            image=WireImage(media_type="image/png", data=encode_image(gallery.avatar(hit.index)))
            if body.include_images
            else None,
        )
        for rank, hit in enumerate(hits, start=1)
    ]
    return SearchResponse(
        protocol=PROTOCOL,
        provider=SANDBOX_PROVIDER,
        database=SANDBOX_DATABASE,
        match_type=body.match_type,
        sandbox=True,
        notice=SANDBOX_NOTICE,
        candidates=candidates,
    )


def _compare(body: CompareBody) -> CompareResponse:
    score = SyntheticGallery.compare(_image(body.image_a), _image(body.image_b))
    return CompareResponse(
        protocol=PROTOCOL,
        provider=SANDBOX_PROVIDER,
        score=score,
        sandbox=True,
        notice=SANDBOX_NOTICE,
    )


def with_faults(app: FastAPI, faults: SandboxFaults) -> None:
    """Replace the faults of a running sandbox app (and restart the `fail_times` count)."""
    state: SandboxState = app.state.sandbox
    state.faults = replace(faults)
    state.failures = 0
