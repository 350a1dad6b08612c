"""Nothing the service serves points a browser or a reader anywhere but the service itself.

Agency networks are often offline, and a page that loads from a CDN tells the CDN who reads
it. So every page, script, style sheet and document the app serves is fetched over HTTP from
the running app: /docs and everything it references (followed like a browser would), the
OpenAPI document, every GET route outside /api/v1 that takes no parameter, and every file of
any static mount. In what they contain:

- HTML, CSS, JSON and any other text: every http(s) URL is the service's own, save XML
  namespace names in an `xmlns` attribute (SVG inside a style sheet's `data:` image), which an
  XML parser compares as names and never fetches;
- JavaScript (Swagger UI's bundle, third-party code served as its package ships it): a URL may
  name only a host of `REFERENCE_HOSTS`, each listed with why the bundle names it and why no
  browser fetches it unasked; a new host fails the test until someone has looked at it. No
  URL anywhere may name a CDN.

No allowance is needed for the OpenAPI document: it holds no external URL at all.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
from fastapi.routing import APIRoute
from harness import Gateway
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from frsgate.api.app import create_app

URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.\-]+(?::\d+)?[^\s\"'<>()\\`]*")
ABSOLUTE_URL = re.compile(r"https?://[^\s\"'<>()\\`]*")
# A resource a page or style sheet makes the browser load.
HTML_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
CSS_REFERENCE = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])([^"')]+)""", re.IGNORECASE)
XMLNS_BEFORE = re.compile(r"""xmlns(?::\w+)?=\\?["']?$""")

# XML namespace names: identifiers, never fetched.
XML_NAMESPACES = frozenset(
    {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xhtml",
        "http://www.w3.org/1999/xlink",
        "http://www.w3.org/1998/Math/MathML",
        "http://www.w3.org/XML/1998/namespace",
    }
)

# Hosts Swagger UI's bundle names, and why that is not a request leaving the service.
REFERENCE_HOSTS = {
    "www.w3.org": "XML namespace names (SVG, XHTML, XLink, MathML), compared, never fetched",
    "json-schema.org": "JSON Schema dialect ids ($schema values) compared with the document's",
    "spec.openapis.org": "OpenAPI dialect and schema ids, compared with the document's",
    "datatracker.ietf.org": "RFC references in the URI, cookie and header libraries' messages",
    "www.rfc-editor.org": "RFC and errata references in the URI-template library's comments",
    "github.com": "license and issue links in third-party comments",
    "reactjs.org": "the link in React's minified error messages",
    "redux.js.org": "the link in Redux's minified error messages",
    "fb.me": "the link in React's prop-types warning",
    "spdx.org": "a link built for a license id the document declares: followed only if clicked",
    "validator.swagger.io": "the default validator, switched off on /docs (validatorUrl null)",
    "swagger.io": "a placeholder base for resolving relative references, stripped off again",
    "vladimirgorej.com": "a placeholder base for checking that a server URL parses",
    "example.com": "example values the bundle generates for string formats",
    "실례.com": "example values the bundle generates for IRI formats",
    "twitter.com": "links the Markdown autolinker builds for @mentions: followed only if clicked",
    "www.facebook.com": "links the Markdown autolinker builds for #hashtags",
    "instagram.com": "links the Markdown autolinker builds for @mentions and #hashtags",
    "soundcloud.com": "links the Markdown autolinker builds for @mentions",
    "www.tiktok.com": "links the Markdown autolinker builds for @mentions and #hashtags",
}
# Bare schemes, and a placeholder base the bundle assembles at run time from a random number
# to parse a URL against (`https://base${...}`): no host a browser would ask.
INCOMPLETE = re.compile(r"^https?://(?:base\$\{.*)?$")


def _host(url: str) -> str:
    return (urlparse(url if "://" in url else "http:" + url).hostname or "").lower()


def _is_cdn(host: str) -> bool:
    return "cdn" in host or host.endswith(("jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com"))


def _external(text: str, own: set[str]) -> list[tuple[str, str]]:
    """Every absolute URL of `text` not on the service itself, with the text just before it."""
    found = []
    for match in ABSOLUTE_URL.finditer(text):
        url = match.group(0)
        if urlparse(url).netloc.lower() in own:
            continue
        found.append((url, text[max(0, match.start() - 12) : match.start()]))
    return found


def _served(gateway: Gateway) -> set[str]:
    """The paths to fetch: the docs, the document, every parameterless GET route outside
    /api/v1, and every file of a static mount."""
    app = create_app(gateway.runtime)
    paths = {"/docs", "/openapi.json"}
    for route in app.routes:
        if isinstance(route, APIRoute) and "GET" in route.methods:
            if not route.path.startswith("/api/") and "{" not in route.path:
                paths.add(route.path)
        elif isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            for directory in route.app.all_directories:
                for file in Path(directory).rglob("*"):
                    if file.is_file():
                        paths.add(f"{route.path}/{file.relative_to(directory).as_posix()}")
    return paths


def _parameter_routes(gateway: Gateway) -> set[str]:
    app = create_app(gateway.runtime)
    return {
        r.path
        for r in app.routes
        if isinstance(r, APIRoute) and "GET" in r.methods and "{" in r.path
        if not r.path.startswith("/api/")
    }


def _crawl(client: httpx.Client, seeds: set[str], own: set[str]) -> dict[str, httpx.Response]:
    """Fetch the seeds and, like a browser, everything an HTML page or a style sheet loads."""
    fetched: dict[str, httpx.Response] = {}
    queue = sorted(seeds)
    while queue:
        path = queue.pop()
        if path in fetched:
            continue
        response = client.get(path, follow_redirects=True)  # "/" sends a browser to the console
        fetched[path] = response
        kind = response.headers.get("content-type", "")
        if "html" in kind:
            references = HTML_REFERENCE.findall(response.text)
        elif "css" in kind:
            references = CSS_REFERENCE.findall(response.text)
        else:
            continue
        for reference in references:
            if reference.startswith(("data:", "#")):
                continue
            absolute = urljoin(str(client.base_url).rstrip("/") + path, reference)
            assert urlparse(absolute).netloc.lower() in own, f"{path} loads {reference}"
            queue.append(urlparse(absolute).path)
    return fetched


def test_nothing_served_points_to_another_host(gateway: Gateway) -> None:
    own = {urlparse(gateway.url).netloc.lower(), urlparse(gateway.settings.public_base_url).netloc}
    seeds = _served(gateway)
    with gateway.client("mona") as client:  # a monitoring token, for /metrics
        fetched = _crawl(client, seeds, own)

    kinds = {path: r.headers.get("content-type", "") for path, r in fetched.items()}
    for path, response in fetched.items():
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
    # The crawl reached Swagger UI's script and style sheet, and the parameter routes outside
    # /api/v1 (the docs' assets) were all reached through it.
    assert any("javascript" in k for k in kinds.values()), kinds
    assert any("css" in k for k in kinds.values()), kinds
    for template in _parameter_routes(gateway):
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        assert any(pattern.match(p) for p in fetched), f"nothing fetched for {template}"

    problems = []
    for path, response in sorted(fetched.items()):
        kind = kinds[path]
        if not (kind.startswith("text/") or "json" in kind or "javascript" in kind):
            continue  # an image: no references in it
        text = response.text
        for url in URL.findall(text):
            if _is_cdn(_host(url)):
                problems.append(f"{path} names a CDN: {url}")
        for url, before in _external(text, own):
            if "javascript" in kind:
                if INCOMPLETE.match(url) or _host(url) in REFERENCE_HOSTS:
                    continue
                problems.append(f"{path} names {url} (host not in REFERENCE_HOSTS)")
            elif url not in XML_NAMESPACES or not XMLNS_BEFORE.search(before):
                problems.append(f"{path} ({kind}) points to {url}")
    assert not problems, "\n".join(problems)

    # Allowed above only because /docs switches it off.
    assert '"validatorUrl": null' in fetched["/docs"].text
    assert ABSOLUTE_URL.findall(fetched["/openapi.json"].text) == []


def test_the_docs_assets_route_serves_only_what_docs_uses(gateway: Gateway) -> None:
    with gateway.anonymous() as client:
        page = client.get("/docs").text
        used = {urlparse(u).path for u in HTML_REFERENCE.findall(page)}
        # ReDoc ships in the same package, names a CDN, and is not offered: not served.
        unused = client.get("/docs/assets/redoc.standalone.js")
        traversal = client.get("/docs/assets/..%2F__init__.py")
    assert "/docs/assets/swagger-ui-bundle.js" in used
    assert unused.status_code == 404
    assert unused.json()["error"] == "NotFound"
    assert traversal.status_code == 404
