"""The upstream pool over a real server: keep-alive reuse, broken streams not reused, slot limit."""

from __future__ import annotations

import httpcore
import pytest

from gateway.proxy.asyncio_backend import AsyncioBackend
from gateway.proxy.pool import PoolTimeout, UpstreamPool
from gateway.testing.servers import UvicornProcess


def _pool(upstream: UvicornProcess, max_connections: int = 4) -> UpstreamPool:
    return UpstreamPool(
        httpcore.Origin(b"http", b"127.0.0.1", upstream.port),
        max_connections=max_connections,
        max_idle=4,
        network_backend=AsyncioBackend(),
    )


def _request(upstream: UvicornProcess, target: bytes) -> httpcore.Request:
    return httpcore.Request(
        "GET",
        httpcore.URL(scheme=b"http", host=b"127.0.0.1", port=upstream.port, target=target),
        headers=[(b"host", f"127.0.0.1:{upstream.port}".encode())],
    )


async def test_a_finished_response_leaves_its_connection_for_the_next_request(
    upstream: UvicornProcess,
) -> None:
    pool = _pool(upstream)
    try:
        seen = []
        for _ in range(3):
            response, connection = await pool.send(_request(upstream, b"/v1/x"), wait_seconds=5)
            assert response.status == 200
            await response.aread()
            await response.aclose()
            await pool.release(connection)
            seen.append(connection)
        assert seen[0] is seen[1] is seen[2]
        assert pool.idle_connections == 1
    finally:
        await pool.aclose()


async def test_a_stream_closed_midway_is_not_reused(upstream: UvicornProcess) -> None:
    pool = _pool(upstream)
    try:
        response, connection = await pool.send(
            _request(upstream, b"/v1/stream/pool-1"), wait_seconds=5
        )
        async for _chunk in response.aiter_stream():
            break
        await response.aclose()
        await pool.release(connection)
        assert pool.idle_connections == 0
        assert connection.is_closed()
    finally:
        await pool.aclose()


async def test_no_free_slot_within_the_deadline_is_a_pool_timeout(
    upstream: UvicornProcess,
) -> None:
    pool = _pool(upstream, max_connections=1)
    try:
        response, connection = await pool.send(_request(upstream, b"/v1/x"), wait_seconds=5)
        with pytest.raises(PoolTimeout):
            await pool.send(_request(upstream, b"/v1/x"), wait_seconds=0.05)
        await response.aread()
        await response.aclose()
        await pool.release(connection)
        again, connection = await pool.send(_request(upstream, b"/v1/x"), wait_seconds=5)
        assert again.status == 200
        await again.aread()
        await again.aclose()
        await pool.release(connection)
    finally:
        await pool.aclose()


async def test_connecting_to_a_closed_port_is_a_connect_error() -> None:
    from gateway.testing.servers import free_port

    backend = AsyncioBackend()
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("127.0.0.1", free_port(), timeout=2)
