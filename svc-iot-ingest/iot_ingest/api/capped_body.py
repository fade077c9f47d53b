"""The one capped body reader of the raw-bytes routes (telemetry fast path, device events,
bed rules): refuses a body over the cap (413) before and while reading it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Receive

from iot_ingest.telemetry.lane import LaneRefusal


def _too_large(cap: int) -> LaneRefusal:
    return LaneRefusal(413, "Payload too large", f"The body may be at most {cap} bytes.")


async def read_capped_body(receive: Receive, declared: int, cap: int) -> bytes:
    """The whole body from ASGI `receive`; `declared` is the Content-Length (-1: none)."""
    if declared > cap:
        raise _too_large(cap)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise LaneRefusal(400, "Bad request", "The client went away.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise _too_large(cap)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def request_body(request: Request, cap: int) -> bytes:
    """`read_capped_body` for a FastAPI route."""
    declared = request.headers.get("content-length")
    length = int(declared) if declared is not None and declared.isdigit() else -1
    return await read_capped_body(request.receive, length, cap)
