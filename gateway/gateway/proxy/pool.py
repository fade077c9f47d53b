"""A keep-alive connection pool per upstream, O(1) per request.

Idle connections wait on a stack (the most recently used first, so a few hot connections
serve most requests); a connection the upstream closed has already marked itself closed
(`connection_lost`), so taking one costs no system call. A semaphore bounds the connections
in use; waiting for a free one counts against the request's deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from gateway.proxy.h1client import Exchange, H1Connection


class PoolTimeout(Exception):
    """No connection became free within the request's deadline."""


class UpstreamPool:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        max_connections: int,
        max_idle: int,
        keepalive_expiry: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._tls = tls
        self._host = host
        self._port = port
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[H1Connection] = []
        self._max_idle = max_idle
        self._keepalive_expiry = keepalive_expiry

    async def send(
        self, request: bytes, *, head: bool, wait_seconds: float, connect_timeout: float
    ) -> Exchange:
        """Write `request` on a free connection; the caller waits for the answer on the
        exchange, then `release`s it."""
        if self._slots.locked():
            try:
                async with asyncio.timeout(wait_seconds):
                    await self._slots.acquire()
            except TimeoutError:
                raise PoolTimeout from None
        else:
            await self._slots.acquire()
        try:
            connection = self._take_idle() or await H1Connection.open(
                self._host, self._port, min(connect_timeout, wait_seconds), self._tls
            )
            return connection.send(request, head=head)
        except BaseException:
            self._slots.release()
            raise

    def release(self, exchange: Exchange) -> None:
        """The connection goes back on the stack if the exchange left it reusable."""
        connection = exchange.connection
        exchange.close()
        if connection.reusable() and len(self._idle) < self._max_idle:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            connection.close()
        self._slots.release()

    def _take_idle(self) -> H1Connection | None:
        if not self._idle:
            return None
        expired_before = asyncio.get_running_loop().time() - self._keepalive_expiry
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable() and connection.idle_since > expired_before:
                return connection
            connection.close()
        return None

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                connection.close()

    @property
    def idle_connections(self) -> int:
        return len(self._idle)
