"""A keep-alive connection pool per upstream, O(1) per request, on httpcore's HTTP/1.1 connections.

httpcore's own pool re-examines every pooled connection on every request (a poll(2) per idle
connection to see whether the server closed it); with a hundred keep-alive connections that
scan cost more than the rest of the gateway (bench/gateway_bench.py). This pool keeps idle
connections on a stack (the most recently used first, so a few hot connections serve most
requests) and checks only the one it takes. The HTTP/1.1 work itself stays httpcore's (h11).
"""

from __future__ import annotations

import asyncio
import contextlib

import httpcore


class PoolTimeout(Exception):
    """No connection became free within the request's deadline."""


class UpstreamPool:
    def __init__(
        self,
        origin: httpcore.Origin,
        *,
        max_connections: int,
        max_idle: int,
        keepalive_expiry: float = 30.0,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._origin = origin
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[httpcore.AsyncHTTPConnection] = []
        self._max_idle = max_idle
        self._keepalive_expiry = keepalive_expiry
        self._backend = network_backend

    async def send(
        self, request: httpcore.Request, *, wait_seconds: float
    ) -> tuple[httpcore.Response, httpcore.AsyncHTTPConnection]:
        """Send on a free connection; the caller closes the response, then `release`s it."""
        try:
            async with asyncio.timeout(wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolTimeout from None
        try:
            connection = await self._take_idle() or httpcore.AsyncHTTPConnection(
                origin=self._origin,
                keepalive_expiry=self._keepalive_expiry,
                http1=True,
                http2=False,
                network_backend=self._backend,
            )
            try:
                response = await connection.handle_async_request(request)
            except BaseException:
                await connection.aclose()
                raise
        except BaseException:
            self._slots.release()
            raise
        return response, connection

    async def release(self, connection: httpcore.AsyncHTTPConnection) -> None:
        """Back on the stack if the response left it reusable; closed otherwise."""
        try:
            if connection.is_idle() and len(self._idle) < self._max_idle:
                self._idle.append(connection)
            else:
                await connection.aclose()
        finally:
            self._slots.release()

    async def _take_idle(self) -> httpcore.AsyncHTTPConnection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.is_idle() and not connection.has_expired():
                return connection
            await connection.aclose()
        return None

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                await connection.aclose()

    @property
    def idle_connections(self) -> int:
        return len(self._idle)
