"""The database pool's saturation gauges (the golden-signals dashboard's DB pool panel)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY

from chassis.db import create_engine
from chassis.runtime import watch_pool


def in_use() -> float | None:
    return REGISTRY.get_sample_value("homebed_db_pool_in_use", {"service": "pool-demo"})


async def test_the_gauges_follow_the_connections_checked_out(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/pool.db")
    watch_pool("pool-demo", engine)
    try:
        assert in_use() == 0
        async with engine.connect():
            assert in_use() == 1
        assert in_use() == 0
        size = REGISTRY.get_sample_value("homebed_db_pool_size", {"service": "pool-demo"})
        assert size is not None
        assert size >= 1
    finally:
        await engine.dispose()
