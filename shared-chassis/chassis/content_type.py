"""Request bodies are JSON: anything else answers 415 before a route tries to parse it."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from chassis.problems import problem_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(value: str) -> bool:
    """`application/json` or a `+json` type (`application/merge-patch+json`), any parameters."""
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return b"transfer-encoding" in headers


class JsonBodiesOnly:
    """415 `application/problem+json` for a request body that is not declared as JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in BODY_METHODS:
            headers = dict(scope["headers"])
            if _has_body(headers):
                declared = headers.get(b"content-type", b"").decode("latin-1")
                if not is_json_media_type(declared):
                    shown = declared or "none"
                    response = problem_response(
                        415,
                        "Unsupported media type",
                        f"The body must be sent as application/json (Content-Type was {shown}).",
                        instance=scope["path"],
                        headers={"Accept": "application/json"},
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
