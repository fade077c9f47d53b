"""The outermost ASGI layers: dispatch (/v1 to the proxy, the rest to the ops app), request ids,
security headers. CORS wraps them (Starlette's middleware) in bootstrap."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.observability.context import correlation_id_var, request_id_var
from gateway.edge.request_id import request_id_from
from gateway.proxy.asgi import header, send_problem
from gateway.proxy.pipeline import EdgeProxy

PROXIED_PREFIX = "/v1/"
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


class GatewayApp:
    """Requests under /v1/ go through the edge pipeline; health, metrics and docs to `ops_app`."""

    def __init__(self, ops_app: ASGIApp, proxy: Callable[[], EdgeProxy | None]) -> None:
        self._ops_app = ops_app
        self._proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROXIED_PREFIX):
            await self._ops_app(scope, receive, send)
            return
        request_id = request_id_from(_header_text(scope, b"x-request-id"))
        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(request_id)
        try:
            proxy = self._proxy()
            if proxy is None:
                await send_problem(
                    send, 503, "Service unavailable", instance=scope["path"], request_id=request_id
                )
                return
            await proxy(scope, receive, send, request_id)
        finally:
            request_id_var.reset(request_token)
            correlation_id_var.reset(correlation_token)


def _header_text(scope: Scope, name: bytes) -> str | None:
    value = header(scope["headers"], name)
    return value.decode("latin-1") if value is not None else None


class SecurityHeaders:
    """Headers that cost nothing and close whole classes of browser attacks."""

    API_HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    )

    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0) -> None:
        self.app = app
        self._hsts = (
            (b"strict-transport-security", f"max-age={hsts_seconds}; includeSubDomains".encode())
            if hsts_seconds
            else None
        )
        hsts = (self._hsts,) if self._hsts is not None else ()
        self._api_headers = (*self.API_HEADERS, *hsts)
        self._docs_headers = (
            *(h for h in self.API_HEADERS if h[0] != b"content-security-policy"),
            *hsts,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Swagger UI needs scripts: no strict CSP there.
        added = self._docs_headers if scope["path"] in DOCS_PATHS else self._api_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in added if h[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
