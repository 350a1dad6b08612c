"""The console's response headers: a strict Content-Security-Policy and its companions.

The policy allows scripts, styles, images and requests from this origin only, and no inline
script or style at all (the pages have none; HTMX is told not to add its indicator style and
never to evaluate strings, `templates/base.html`). Forms may post only here, no page may be
framed (click-jacking), and no `<base>` can redirect relative URLs. Pages are never cached:
they show case data. W3C CSP Level 3; OWASP Secure Headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

CONSOLE_PREFIX = "/console"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))  # fmt: skip

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": under it a browser sends `Origin: null` with every form post, even to
    # the console itself, and the same-origin check (context.check_csrf) refuses them all.
    # "same-origin" still sends nothing to another site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


async def console_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Add the console's headers to every answer under /console (and the root redirect)."""
    response = await call_next(request)
    path = request.url.path
    if path == "/" or path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/"):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not path.startswith(CONSOLE_PREFIX + "/static/"):
            response.headers["Cache-Control"] = "no-store"
    return response
