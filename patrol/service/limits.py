"""Request bodies of ``patrol serve`` are bounded: :data:`MAX_BODY` bytes, 413 beyond.

A pure ASGI middleware, so the limit holds before any route reads the body: a declared
``Content-Length`` over the limit is answered at once, without reading; a body streamed without
one (chunked) is counted as it arrives and cut off at the limit (whatever the route would have
answered is replaced by the 413). The answer is the API's usual
JSON ``{"detail": "..."}``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY", "BodyLimit", "BodyTooLarge"]

MAX_BODY = 1024 * 1024


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit."""


def _declared(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Answer 413 to any HTTP request whose body is longer than ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(send)
            return
        started, exceeded, seen = False, False, 0

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                exceeded = True
                raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:  # once over the limit, the app's own answer is dropped
            nonlocal started
            if not exceeded:
                started = started or message["type"] == "http.response.start"
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted, tracked)
        if exceeded and not started:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body: dict[str, Any] = {"detail": f"request body too large: at most {self.limit} bytes"}
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                (b"connection", b"close")]})  # fmt: skip
        await send({"type": "http.response.body", "body": data})
