"""Issue 15: where a fall's time goes inside the alarm lane, as `Server-Timing` (benchmarks)."""

import re
import time

from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, now_iso, running_iot


async def _fall(iot, token: str, seq: int):
    return await iot.client.post(
        "/v1/device-events",
        json={"seq": seq, "ts": now_iso(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {token}"},
    )


def _metrics(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+);(?:dur|desc)="?([0-9.]+)"?', header))


async def test_the_alarm_lane_says_where_its_time_went(sqlite_url: str) -> None:
    settings = Settings(
        database_url=sqlite_url, kafka_enabled=False, server_timing=True, **QUIET_LOOPS
    )
    async with running_iot(settings) as iot:
        device = await iot.add_device(await iot.add_bed(), "fall_detector")
        before = time.time()
        raised = await _fall(iot, device["token"], 1)
        assert raised.status_code == 201, raised.text
        timing = _metrics(raised.headers["server-timing"])
        assert set(timing) == {"parse", "db", "commit", "handoff", "committed", "express"}
        assert float(timing["commit"]) <= float(timing["db"])
        assert before <= float(timing["committed"]) <= time.time()
        assert timing["express"] == "0"  # no broker: the outbox relay sends it
        retried = await _fall(iot, device["token"], 1)  # the same seq: nothing committed
        assert retried.status_code == 200
        assert set(_metrics(retried.headers["server-timing"])) == {"parse", "db"}


async def test_no_timing_unless_asked(iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "fall_detector")
    raised = await _fall(iot, device["token"], 1)
    assert raised.status_code == 201
    assert "server-timing" not in raised.headers
