"""Real processes: a chassis-based fake upstream under uvicorn (subprocess, killable) and the
gateway under uvicorn in the test's event loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.testing.harness import FAKE_UPSTREAM, GatewayFactory, RunningGateway, run_gateway
from gateway.testing.servers import UvicornProcess


@pytest.fixture(scope="module")
def upstream() -> Iterator[UvicornProcess]:
    process = UvicornProcess(FAKE_UPSTREAM, factory=True).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def gateway_factory(tmp_path: Path) -> GatewayFactory:
    def start(
        upstream_url: str, **overrides: Any
    ) -> contextlib.AbstractAsyncContextManager[RunningGateway]:
        return run_gateway(tmp_path, upstream_url, **overrides)

    return start


@pytest.fixture
async def gateway(
    gateway_factory: GatewayFactory, upstream: UvicornProcess
) -> AsyncIterator[RunningGateway]:
    async with gateway_factory(upstream.url) as running:
        yield running
