"""The sandbox pages' stylesheets and script, served as files, and the policy every page carries.

Every HTML answer of the sandbox (hosted Checkout, invoices, 3D Secure, the portal, the
dashboard) gets a Content-Security-Policy that runs no inline script and loads nothing from
another origin: a value that slipped into a page as markup could not run. Forms may post to the
sandbox itself and be redirected on to the http(s) pages the merchant named (`success_url`).
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/_sandbox/static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'"
)
_TYPES = {"page.css": "text/css", "dashboard.css": "text/css", "page.js": "text/javascript"}


def url(name: str) -> str:
    assert name in _TYPES, name
    return f"{PREFIX}/{name}"


def routes() -> list[Route]:
    static = resources.files("stripe_power.sandbox") / "static"  # sandbox/static/, beside the groups
    files = {name: (static / name).read_bytes() for name in _TYPES}

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return Response(b"Not found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return Response(files[name], media_type=_TYPES[name], headers=headers)

    return [Route(f"{PREFIX}/{{name}}", serve, methods=["GET"])]


class ContentSecurityPolicy:
    """Adds the policy (and `nosniff`) to every text/html answer; the API's JSON is left as is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Any scope: only an HTTP answer's start message is touched (lifespan messages pass).
        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(b"text/html") and b"content-security-policy" not in names:
                    headers += [
                        (b"content-security-policy", CSP.encode()),
                        (b"x-content-type-options", b"nosniff"),
                    ]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_policy)
