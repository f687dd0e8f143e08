"""Security headers on every response, error responses and the 500s included.

A pure ASGI middleware that adds the headers to `http.response.start`; a header the route
already set wins (the documentation pages send their own Content-Security-Policy). It wraps
the whole application, outside Starlette's ServerErrorMiddleware (see `LyceumAPI` in
`web/app.py`), because that middleware answers unhandled errors by itself, past every
middleware added with `add_middleware`.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Same-origin pages may load same-origin scripts and styles; nothing may frame us, and no
# plugin content runs. JSON responses are unaffected by it; it is what a future page inherits.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
# Two years and subdomains: the values hstspreload.org asks for.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"

BASE_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # URLs can carry ids and query parameters: send none of it to other sites.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds BASE_HEADERS; HSTS on HTTPS requests (or all, with `https_only`); `no-store` on
    responses to requests that carried credentials, unless the route chose a Cache-Control."""

    def __init__(self, app: ASGIApp, *, https_only: bool = False) -> None:
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self.https_only or scope.get("scheme") == "https"
        request_headers = Headers(scope=scope)
        # A bearer token, or a browser session cookie (the pages and what they fetch).
        authenticated = "authorization" in request_headers or (
            "lyceum_session=" in request_headers.get("cookie", "")
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    headers.setdefault(name, value)
                if secure:
                    # Over plain HTTP the header is ignored by browsers (RFC 6797 §8.1).
                    headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
                if authenticated:
                    # What one operator's token may read must not sit in a shared cache.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = [
    "BASE_HEADERS",
    "CONTENT_SECURITY_POLICY",
    "STRICT_TRANSPORT_SECURITY",
    "SecurityHeadersMiddleware",
]
