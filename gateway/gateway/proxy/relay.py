"""Relaying an upstream response to the client: buffered, or streamed without buffering."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import Receive, Send

from gateway.proxy.asgi import RawHeaders
from gateway.proxy.forwarding import UpstreamResponse, response_headers_for_client
from gateway.proxy.h1client import UpstreamBroken, UpstreamTimeout

logger = logging.getLogger(__name__)


class UpstreamBrokeOff(Exception):
    """The upstream failed while sending its body, before anything reached the client."""


def is_event_stream(response: UpstreamResponse) -> bool:
    return response.content_type().startswith(b"text/event-stream")


async def relay_buffered(
    response: UpstreamResponse,
    send: Send,
    extra_headers: RawHeaders,
    *,
    head: bool,
) -> None:
    """Read the whole (raw, still encoded) body, then answer in one go."""
    try:
        body = await response.read()
    except (UpstreamBroken, UpstreamTimeout) as exc:
        raise UpstreamBrokeOff from exc
    finally:
        await response.aclose()
    headers = response_headers_for_client(response.headers, keep_length=head)
    if not head:
        headers.append((b"content-length", str(len(body)).encode()))
    headers.extend(extra_headers)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def relay_streaming(
    response: UpstreamResponse, send: Send, receive: Receive, extra_headers: RawHeaders
) -> None:
    """Pass each chunk on as it arrives (SSE); a client disconnect closes the upstream stream."""
    response.stream_without_deadline()
    headers = response_headers_for_client(response.headers, keep_length=True)
    headers.extend(extra_headers)
    if is_event_stream(response):
        # Tell any buffering proxy in front of us (nginx) to let events through at once.
        headers.append((b"x-accel-buffering", b"no"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})

    async def pump() -> None:
        async for chunk in response.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def wait_for_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pumping = asyncio.create_task(pump())
    watching = asyncio.create_task(wait_for_disconnect())
    try:
        await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pumping, watching):
            task.cancel()
        for task in (pumping, watching):
            with contextlib.suppress(asyncio.CancelledError, UpstreamBroken, OSError):
                await task
        # Closing the streamed response drops its connection: the upstream sees the disconnect.
        await response.aclose()
    if pumping.done() and not pumping.cancelled() and pumping.exception() is None:
        return
    if watching.done() and not watching.cancelled():
        logger.info("client went away during a stream; upstream stream closed")
