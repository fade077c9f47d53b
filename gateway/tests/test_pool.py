"""The upstream pool over a real server: keep-alive reuse, broken streams not reused, slot limit."""

from __future__ import annotations

import asyncio

import pytest

from gateway.proxy.h1client import Exchange, H1Connection, UpstreamConnectError, UpstreamTimeout
from gateway.proxy.pool import PoolTimeout, UpstreamPool
from gateway.testing.servers import UvicornProcess


def _pool(upstream: UvicornProcess, max_connections: int = 4) -> UpstreamPool:
    return UpstreamPool("127.0.0.1", upstream.port, max_connections=max_connections, max_idle=4)


def _request(upstream: UvicornProcess, target: bytes, method: bytes = b"GET") -> bytes:
    return b"%s %s HTTP/1.1\r\nhost: 127.0.0.1:%d\r\n\r\n" % (method, target, upstream.port)


async def _send(
    pool: UpstreamPool, request: bytes, wait: float = 5, head: bool = False
) -> Exchange:
    exchange = await pool.send(request, head=head, wait_seconds=wait, connect_timeout=2)
    exchange.set_deadline(asyncio.get_running_loop().time() + 5)
    await exchange.response_head()
    return exchange


async def test_a_finished_response_leaves_its_connection_for_the_next_request(
    upstream: UvicornProcess,
) -> None:
    pool = _pool(upstream)
    try:
        seen = []
        for _ in range(3):
            exchange = await _send(pool, _request(upstream, b"/v1/x"))
            assert exchange.status == 200
            assert (await exchange.read()).startswith(b"{")
            seen.append(exchange.connection)
            pool.release(exchange)
        assert seen[0] is seen[1] is seen[2]
        assert pool.idle_connections == 1
    finally:
        await pool.aclose()


async def test_a_head_answer_ends_without_a_body_and_is_not_reused(
    upstream: UvicornProcess,
) -> None:
    pool = _pool(upstream)
    try:
        exchange = await _send(pool, _request(upstream, b"/v1/x", b"HEAD"), head=True)
        assert exchange.status in (200, 405)
        assert await exchange.read() == b""
        pool.release(exchange)
        assert pool.idle_connections == 0
    finally:
        await pool.aclose()


async def test_a_stream_closed_midway_is_not_reused(upstream: UvicornProcess) -> None:
    pool = _pool(upstream)
    try:
        exchange = await _send(pool, _request(upstream, b"/v1/stream/pool-1"))
        async for _chunk in exchange.chunks():
            break
        pool.release(exchange)
        assert pool.idle_connections == 0
        assert exchange.connection.closed
    finally:
        await pool.aclose()


async def test_no_free_slot_within_the_deadline_is_a_pool_timeout(
    upstream: UvicornProcess,
) -> None:
    pool = _pool(upstream, max_connections=1)
    try:
        exchange = await _send(pool, _request(upstream, b"/v1/x"))
        with pytest.raises(PoolTimeout):
            await pool.send(
                _request(upstream, b"/v1/x"), head=False, wait_seconds=0.05, connect_timeout=1
            )
        await exchange.read()
        pool.release(exchange)
        again = await _send(pool, _request(upstream, b"/v1/x"))
        assert again.status == 200
        await again.read()
        pool.release(again)
    finally:
        await pool.aclose()


async def test_connecting_to_a_closed_port_is_a_connect_error() -> None:
    from gateway.testing.servers import free_port

    with pytest.raises(UpstreamConnectError):
        await H1Connection.open("127.0.0.1", free_port(), timeout=2)


async def test_no_answer_before_the_deadline_is_a_timeout_and_drops_the_connection(
    upstream: UvicornProcess,
) -> None:
    pool = _pool(upstream)
    try:
        exchange = await pool.send(
            _request(upstream, b"/v1/slow?seconds=2"), head=False, wait_seconds=5, connect_timeout=2
        )
        exchange.set_deadline(asyncio.get_running_loop().time() + 0.1)
        with pytest.raises(UpstreamTimeout):
            await exchange.response_head()
        pool.release(exchange)
        assert exchange.connection.closed
        assert pool.idle_connections == 0
    finally:
        await pool.aclose()


async def test_an_informational_answer_is_skipped_and_a_close_delimited_body_read_to_the_end() -> (
    None
):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nclose-delimited")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = UpstreamPool("127.0.0.1", port, max_connections=2, max_idle=2)
    answers = []
    try:
        for _ in range(2):
            exchange = await pool.send(
                b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", head=False, wait_seconds=2, connect_timeout=2
            )
            exchange.set_deadline(asyncio.get_running_loop().time() + 5)
            await exchange.response_head()
            answers.append((exchange.status, exchange.headers, await exchange.read()))
            pool.release(exchange)
        assert answers == [
            (200, [(b"content-length", b"2")], b"ok"),
            (200, [], b"close-delimited"),
        ]
        assert pool.idle_connections == 0  # a close-delimited answer ends its connection
    finally:
        await pool.aclose()
        server.close()
