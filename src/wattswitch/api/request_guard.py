"""What is refused before a request body is read: too large (413), not JSON on the API (415), and on
the API no key or an unknown one (401) — an attacker's 30 MB body is never parsed. OPTIONS answers
with every method the path allows.

A pure ASGI middleware: the body is counted as it streams in, so a body that lies about (or omits)
its Content-Length is cut off at the limit too.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from wattswitch.api.auth import HEADER, principal_for
from wattswitch.api.errors import allowed_methods
from wattswitch.store.db import Store

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
Message = MutableMapping[str, Any]


class _TooLarge(Exception):  # noqa: N818 - a signal raised from inside receive
    """The body grew past the limit while the app read it."""


class RequestGuard:
    """Size, content-type and key checks ahead of the app (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, store: Store, api_prefix: str, max_body_bytes: int) -> None:
        self.app = app
        self.store = store
        self.api_prefix = api_prefix
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        on_api = str(scope["path"]).startswith(self.api_prefix)
        if method == "OPTIONS" and on_api:
            await self._options(scope, send)
            return
        if method not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = await self._refusal(headers, on_api)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        state = {"started": False, "exceeded": False}

        async def send_tracking(message: Message) -> None:
            if state["exceeded"]:  # the app answered a body cut off at the limit (e.g. a 400): 413 instead
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    await _answer(send, *self._too_large())
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._counting(receive, state), send_tracking)
        except _TooLarge:
            if not state["started"]:
                await _answer(send, *self._too_large())

    async def _refusal(self, headers: dict[str, str], on_api: bool) -> tuple[int, str, dict[str, str]] | None:
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return 400, "Content-Length is not a number", {}
            if int(length) > self.max_body_bytes:
                return self._too_large()
        if not on_api:
            return None
        if await anyio.to_thread.run_sync(principal_for, self.store, headers.get(HEADER.lower())) is None:
            detail = f"missing or unknown API key (send it in the {HEADER} header)"
            return 401, detail, {"WWW-Authenticate": HEADER}
        has_body = (length is not None and int(length) > 0) or "transfer-encoding" in headers
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if has_body and not (media == "application/json" or media.endswith("+json")):
            detail = f"the body must be JSON (Content-Type: application/json), not {media or 'unnamed'}"
            return 415, detail, {}
        return None

    def _too_large(self) -> tuple[int, str, dict[str, str]]:
        return 413, f"the body is larger than {self.max_body_bytes:,} bytes (WATTSWITCH_MAX_BODY_BYTES)", {}

    def _counting(self, receive: Receive, state: dict[str, bool]) -> Callable[[], Awaitable[Message]]:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    state["exceeded"] = True
                    raise _TooLarge
            return message

        return counted

    async def _options(self, scope: Scope, send: Send) -> None:
        allowed = allowed_methods(scope)
        if allowed == ["OPTIONS"]:
            await _answer(send, 404, "Not Found", {})
            return
        headers = [(b"allow", ", ".join(allowed).encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


async def _answer(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail, "errors": []}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
