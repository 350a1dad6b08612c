"""Request body limits, enforced while the body arrives: limits before work.

FastAPI reads and parses a whole body before any dependency runs, the bearer-token check
included, so without a cap one anonymous POST could make the service hold hundreds of
megabytes before it answers 401. `BodyLimit` is a pure ASGI middleware: it counts the bytes
of the `receive` channel as they come, refuses a `Content-Length` above the route's limit
before reading anything, and answers 413 the moment a body (chunked or with a false length)
crosses it, without reading the rest.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024

# The only bodies of more than a few fields: the probe uploads (multipart).
PROBE_UPLOAD = ("POST", "/api/v1/probes")
# The console's intake form takes the same photo, with the submission's fields beside it.
CONSOLE_PROBE_UPLOAD = ("POST", "/console/probes/new")
# The probe's text fields beside the image: four of at most 4000 characters and a few short
# ones, up to 4 bytes a character in UTF-8, plus the multipart headers and boundaries. The
# image itself is `max_probe_bytes`; the route refuses (and records) an image over it.
FORM_OVERHEAD_BYTES = 128 * KIB
# Every other body is a small JSON object. The largest, a submission, has three free-text
# fields of at most 4000 characters; JSON that escapes every one as a surrogate pair
# (\uXXXX\uXXXX, 12 bytes) is 144 000 bytes. Anything much larger is not a request we take.
JSON_LIMIT_BYTES = 256 * KIB


def body_limit(method: str, path: str, max_probe_bytes: int) -> int:
    """The most bytes the body of `method path` may have."""
    if (method, path) in (PROBE_UPLOAD, CONSOLE_PROBE_UPLOAD):
        return max_probe_bytes + FORM_OVERHEAD_BYTES
    return JSON_LIMIT_BYTES


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _payload_too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": "PayloadTooLarge",
            "message": f"the request body is over this route's limit of {limit} bytes",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


class BodyLimit:
    """Answer 413 to a request whose body is over its route's limit (see `body_limit`)."""

    def __init__(self, app: ASGIApp, *, max_probe_bytes: int) -> None:
        self.app = app
        self.max_probe_bytes = max_probe_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["method"], scope["path"], self.max_probe_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _payload_too_large(send, limit)
            return

        received = 0
        started = False  # the app has begun its own answer
        cut_off = False  # the body crossed the limit; the app gets no more of it

        async def limited_receive() -> Message:
            nonlocal received, cut_off
            if cut_off:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    if not started:
                        await _payload_too_large(send, limit)
                    # To the app the client has gone: it stops reading and parses nothing.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if cut_off:
                return  # the 413 is the answer; what the app says about a cut body is not
            started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)
