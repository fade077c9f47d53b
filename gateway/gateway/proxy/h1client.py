"""A lean HTTP/1.1 client connection for upstream calls: an asyncio protocol on httptools.

The gateway forwards requests it already holds as raw header lists to services inside the
cluster over HTTP/1.1 keep-alive (plain, or TLS when an upstream URL says https). httpcore + h11 validated and re-modelled every header
and event in Python, and wrapped every read in cancel scopes; in the gateway bench that was
half of the gateway's time per request. Here the request is written in one `write`, the
response is parsed by llhttp (C, through httptools, which uvicorn uses too), and a connection
knows it is dead the moment the peer closes it (`connection_lost`), so taking a pooled one
needs no poll.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import AsyncIterator

import httptools

RawHeaders = list[tuple[bytes, bytes]]
# Stop reading from the upstream while this much body waits for a slow client (SSE, downloads).
HIGH_WATER_BYTES = 256 * 1024


class UpstreamConnectError(Exception):
    """The TCP connection could not be made (refused, unreachable, timed out)."""


class UpstreamTimeout(Exception):
    """The upstream did not answer (or finish its body) before the deadline."""


class UpstreamBroken(Exception):
    """The connection broke or the upstream sent something that is not HTTP/1.1."""


class H1Connection(asyncio.Protocol):
    """One keep-alive connection to an upstream; one exchange at a time."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._exchange: Exchange | None = None
        self.closed = False
        self.idle_since = 0.0

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        timeout: float,  # noqa: ASYNC109
        tls: ssl.SSLContext | None = None,
    ) -> H1Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, protocol = await loop.create_connection(
                    cls, host, port, ssl=tls, server_hostname=host if tls else None
                )
        except TimeoutError as exc:
            raise UpstreamConnectError("connect timeout") from exc
        except OSError as exc:
            raise UpstreamConnectError(str(exc)) from exc
        return protocol

    # ------------------------------------------------------------------ the exchange
    def send(self, request: bytes, *, head: bool) -> Exchange:
        """Write the whole request; the answer arrives on the returned exchange."""
        if self.closed or self._transport is None or self._exchange is not None:
            raise UpstreamBroken("connection not usable")
        self._exchange = Exchange(self, head=head)
        self._transport.write(request)
        return self._exchange

    def reusable(self) -> bool:
        return not self.closed and self._exchange is None

    def finish(self, exchange: Exchange) -> None:
        """The exchange is over: keep the connection only if the message ended cleanly."""
        if self._exchange is exchange:
            self._exchange = None
        if not (exchange.complete and exchange.keep_alive) or exchange.failure is not None:
            self.close()
        elif self._transport is not None:
            self._transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def pause_reading(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._transport is not None and not self.closed:
            self._transport.resume_reading()

    # ------------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        exchange = self._exchange
        if exchange is None or exchange.complete:
            self.close()  # bytes nobody asked for: the connection is out of step
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            exchange.fail(UpstreamBroken(f"malformed response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        exchange = self._exchange
        if exchange is not None and not exchange.complete:
            exchange.eof()

    # ------------------------------------------------------------------ httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if self._exchange is not None:
            self._exchange.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        exchange = self._exchange
        if exchange is None:
            return
        exchange.status = self._parser.get_status_code()
        exchange.keep_alive = self._parser.should_keep_alive()
        exchange.headers_done()

    def on_body(self, body: bytes) -> None:
        if self._exchange is not None:
            self._exchange.body(body)

    def on_message_complete(self) -> None:
        if self._exchange is not None:
            self._exchange.keep_alive = self._parser.should_keep_alive()
            self._exchange.message_complete()


class Exchange:
    """One request's response: status and headers first, then the body as it arrives."""

    def __init__(self, connection: H1Connection, *, head: bool) -> None:
        self.connection = connection
        self._head = head
        self.status = 0
        self.headers: RawHeaders = []
        self.keep_alive = False
        self.complete = False
        self.failure: Exception | None = None
        self._has_headers = False
        self._informational = False
        self._close_delimited = False
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ reader side
    def set_deadline(self, when: float | None) -> None:
        """Fail the exchange with UpstreamTimeout at loop time `when` (None: no deadline).

        One timer per exchange instead of a timeout scope per wait: the hot path stays a
        heap push and a cancel."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if when is not None and not self.complete:
            self._timer = asyncio.get_running_loop().call_at(when, self._expire)

    async def response_head(self) -> None:
        """Wait for the status line and headers (until the deadline, if one is set)."""
        while not self._has_headers and self.failure is None:
            await self._wait()
        if not self._has_headers:
            assert self.failure is not None
            raise self.failure

    async def chunks(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive, until the message ends."""
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._buffered < HIGH_WATER_BYTES:
                    self.connection.resume_reading()
                yield chunk
            if self.complete:
                return
            if self.failure is not None:
                raise self.failure
            await self._wait()

    async def read(self) -> bytes:
        """The whole body (until the deadline, if one is set)."""
        while not self.complete and self.failure is None:
            await self._wait()
        if not self.complete:
            assert self.failure is not None
            raise self.failure
        chunks, self._chunks = self._chunks, collections.deque()
        self._buffered = 0
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def close(self) -> None:
        """Done with the response: its connection goes back only if the message ended."""
        self.set_deadline(None)
        self.connection.finish(self)

    def _expire(self) -> None:
        self._timer = None
        if not self.complete:
            self.fail(UpstreamTimeout("no complete answer before the deadline"))

    async def _wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # ------------------------------------------------------------------ protocol side
    def headers_done(self) -> None:
        if 100 <= self.status < 200:
            # Informational (103 Early Hints...): the final answer follows on the same stream.
            self._informational = True
            self.headers = []
            return
        self._has_headers = True
        if self._head or self.status in (204, 304):
            # No body follows (llhttp is not told about HEAD, so end the message here and
            # do not reuse the connection: the parser may still expect the announced body).
            self.complete = True
            self.keep_alive = self.keep_alive and not self._head
        else:
            framed = any(n in (b"content-length", b"transfer-encoding") for n, _ in self.headers)
            self._close_delimited = not framed
        self._wake()

    def body(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered >= HIGH_WATER_BYTES:
            self.connection.pause_reading()
        self._wake()

    def message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        self.complete = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._wake()

    def eof(self) -> None:
        if self._has_headers and self._close_delimited:
            self.complete, self.keep_alive = True, False  # the body ran to the close
        else:
            self.failure = self.failure or UpstreamBroken("connection closed mid-response")
        self._wake()

    def fail(self, failure: Exception) -> None:
        self.failure = self.failure or failure
        self._wake()
