"""Request bodies over the configured size get 413 before they are read whole.

A pure ASGI middleware; it never buffers a body:
- a declared `Content-Length` over the limit is refused at once, before the application
  runs and before the client is asked for the body (`Expect: 100-continue` clients never
  send it);
- a body without a length (chunked) is counted as its chunks arrive; at the first chunk past
  the limit the 413 is sent and the application is told the client has gone
  (`http.disconnect`), so it stops reading; whatever it answers after that is dropped.

The limit is `MAX_REQUEST_BODY_BYTES`, except under the path prefixes given in
`prefix_limits` (the longest matching prefix wins), so an app that takes uploads can raise
it for its upload routes alone (`AppSpec.body_limits`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lyceum.web.errors import error_response

logger = logging.getLogger("lyceum.web.limits")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def _declared_length(scope: Scope) -> int | None:
    raw = Headers(scope=scope).get("content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None  # the server rejects a malformed length itself


def _matches(path: str, prefix: str) -> bool:
    # On segment boundaries: "/api/files" covers "/api/files/x", not "/api/filesystem".
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        prefix_limits: Mapping[str, int] | None = None,
    ) -> None:
        limits = dict(prefix_limits or {})
        for prefix, limit in [("(default)", max_body_bytes), *limits.items()]:
            if limit < 0:
                raise ValueError(f"body limit for {prefix} must not be negative, got {limit}")
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Longest first, so the most specific prefix is found first.
        self.prefix_limits = sorted(limits.items(), key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.prefix_limits:
            if _matches(path, prefix):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return

        received = 0
        refused = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not response_started:
                        await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the 413 has been sent; the application's own answer is moot
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The application failed on the body it was cut off from; the client has its 413.
            logger.debug("error after refusing an oversized body", exc_info=True)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            413,
            "content_too_large",
            f"the request body is larger than the {limit:,}-byte limit for {scope['path']}",
            {"limit_bytes": limit},
            # The rest of the body will not be read: the connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


__all__ = ["DEFAULT_MAX_BODY_BYTES", "BodyLimitMiddleware"]
