"""The witness over HTTP: `POST /add-checkpoint` (c2sp.org/tlog-witness) and, for auditors,
`GET /latest?origin=…` (the latest cosigned checkpoint; the protocol leaves monitor retrieval
open, so this is FRS Gate's). Plain Starlette: the witness shares no code path with the gateway
it watches beyond the ledger's pure checkpoint and proof functions."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from frsgate.witness.core import MAX_REQUEST_BYTES, Answer, Witness


def _respond(answer: Answer) -> Response:
    return PlainTextResponse(answer.body, answer.status, media_type=answer.content_type)


def create_witness_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES):
            return _respond(Answer(413, f"the request is larger than {MAX_REQUEST_BYTES} bytes\n"))
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_REQUEST_BYTES:
                return _respond(
                    Answer(413, f"the request is larger than {MAX_REQUEST_BYTES} bytes\n")
                )
        return _respond(witness.add_checkpoint(raw))

    async def latest(request: Request) -> Response:
        origin = request.query_params.get("origin", "")
        if not origin:
            return _respond(Answer(400, "name the log: ?origin=<its origin line>\n"))
        return _respond(witness.latest(origin))

    async def health(request: Request) -> Response:
        return PlainTextResponse(f"{witness.cosigner.verifier.verifier_string}\n")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/latest", latest, methods=["GET"]),
            Route("/", health, methods=["GET"]),
        ]
    )
