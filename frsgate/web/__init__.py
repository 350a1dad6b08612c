"""The web console: server-rendered pages (Jinja2, HTMX for partial updates) for every role.

Every page calls the same services as the API and passes the same decision point: a page
declares the policy action it performs, as a route does (`web.context.page`), and the console
adds no rule of its own. What it adds is what a person in a browser needs: a server-side
session (`services.web_sessions`), sign-in with the OIDC issuer (authorization code with PKCE)
or, on the embedded default only, the demo users' local sign-in; a CSRF token on every form;
a strict Content-Security-Policy (`web.security`); and refusals shown as the memo section
and what to do next, in plain words. Its script (HTMX) and style sheet are served from the
package: no page makes an external request.
"""

from __future__ import annotations

from frsgate.web.app import install_console

__all__ = ["install_console"]
