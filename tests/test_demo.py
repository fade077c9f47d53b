"""`make demo`, short, as a test: the stack's processes on ports of their own (SQLite, the test
broker, the demo clock), the district driver for two simulated days to month-end (9 applications),
and its summary, read back from the services' APIs, checked against what the driver did."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from chassis.clock import DEMO_CLOCK_ENV
from chassis.testing.eventually import eventually

ROOT = Path(__file__).resolve().parents[1]

# name, module, env prefix: what a district needs (notify and its SMS stub are left out: the demo
# reads no SMS); iot-ingest runs all its roles in one process (its default)
SERVICES = (
    ("intake", "intake.main:app", "HOMEBED_INTAKE_"),
    ("service-records", "service_records.main:app", "HOMEBED_SERVICE_RECORDS_"),
    ("iot-ingest", "iot_ingest.main:app", "HOMEBED_IOT_INGEST_"),
    ("referral", "referral.main:app", "HOMEBED_REFERRAL_"),
    ("subsidy", "subsidy.main:app", "HOMEBED_SUBSIDY_"),
    ("reporting", "reporting.main:app", "HOMEBED_REPORTING_"),
)


def driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "demo_district", ROOT / "scripts/demo_district.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_district"] = module
    spec.loader.exec_module(module)
    return module


async def _ready(url: str) -> int:
    async with httpx.AsyncClient() as client:
        try:
            return (await client.get(url)).status_code
        except httpx.TransportError:
            return 0


@pytest.mark.kafka
# the stack's processes and a driver: a hang guard sized for a loaded 2-core box, not a timing
@pytest.mark.timeout(600)
@pytest.mark.long(160)
async def test_the_short_demo_runs_a_district_to_month_end_and_its_summary_adds_up(
    kafka_bootstrap: str, tmp_path: Path, spawn: Any, free_port: Any, monkeypatch: Any
) -> None:
    began = time.monotonic()
    demo = driver()
    run = uuid.uuid4().hex[:8]
    ports = {name: free_port() for name, _, _ in SERVICES}
    ports["gateway"], ports["stub"] = free_port(), free_port()
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    args = demo.arguments(
        [
            "--month", "2023-03", "--start-day", "30", "--applications", "9",
            "--falls-per-day", "2", "--late-share", "0.5", "--ineligible", "0.15",
            "--officer-refusals", "0.1", "--after-rate", "0", "--plain", "--concurrency", "4",
            "--survey-answers", "1", "--unhappy", "0.5",
            "--clock", str(tmp_path / "clock.json"), "--run-id", run[:6],
            "--gateway", url["gateway"], "--alarm-lane", url["iot-ingest"],
            "--telemetry-lane", url["iot-ingest"], "--city-platform", url["stub"],
        ]
    )  # fmt: skip
    demo.init_clock(args.clock, args)
    gateway_env = {
        "HOMEBED_GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
        "HOMEBED_GATEWAY_DEV_ISSUER_DIR": str(tmp_path / "issuer"),
    }
    for name, value in gateway_env.items():  # the driver mints tokens and keys as the gateway's CLI
        monkeypatch.setenv(name, value)
    env = {
        **os.environ,
        "HOMEBED_ENV": "dev",
        DEMO_CLOCK_ENV: str(args.clock),
        "HOMEBED_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "HOMEBED_LOG_JSON": "false",
        # consumer groups of their own: the shared test broker carries other tests' events
        "HOMEBED_INTAKE_DEVICES_GROUP": f"demo-intake-{run}",
        "HOMEBED_SERVICE_RECORDS_BEDS_GROUP": f"demo-records-{run}",
        "HOMEBED_IOT_INGEST_BEDS_GROUP": f"demo-iot-beds-{run}",
        "HOMEBED_IOT_INGEST_RULES_GROUP": f"demo-iot-rules-{run}",
        "HOMEBED_IOT_INGEST_STORAGE_GROUP": f"demo-iot-storage-{run}",
        "HOMEBED_REFERRAL_SERVICE_NAME": f"demo-referral-{run}",
        "HOMEBED_SUBSIDY_CONSUMER_GROUP": f"demo-subsidy-{run}",
        "HOMEBED_REPORTING_READ_MODEL_GROUP": f"demo-reporting-{run}",
        # where each finds the others
        "HOMEBED_REPORTING_INTAKE_URL": url["intake"],
        "HOMEBED_REPORTING_SERVICE_RECORDS_URL": url["service-records"],
        "HOMEBED_REPORTING_IOT_INGEST_URL": url["iot-ingest"],
        "HOMEBED_REPORTING_CITY_PLATFORM_URL": url["stub"] + "/v1/reports",
        "HOMEBED_REFERRAL_INTAKE_URL": url["intake"],
        "HOMEBED_REFERRAL_SERVICE_RECORDS_URL": url["service-records"],
        "HOMEBED_REFERRAL_IOT_INGEST_URL": url["iot-ingest"],
        "HOMEBED_SERVICE_RECORDS_IOT_INGEST_URL": url["iot-ingest"],
        # the background jobs wake often on a clock running hours a second (scripts/demo.sh)
        "HOMEBED_REPORTING_CHECK_SECONDS": "0.5",
        "HOMEBED_REPORTING_RETRY_BASE_SECONDS": "1",
        "HOMEBED_REPORTING_RETRY_MAX_SECONDS": "5",
        "HOMEBED_SERVICE_RECORDS_CLOSE_JOB_SECONDS": "1",
        "HOMEBED_SERVICE_RECORDS_SWEEP_SECONDS": "2",
        "HOMEBED_INTAKE_CONTRACT_SWEEP_SECONDS": "5",
        "HOMEBED_REFERRAL_SWEEP_SECONDS": "5",
        "HOMEBED_IOT_INGEST_LIVENESS_POLL_SECONDS": "2",
        "HOMEBED_OUTBOX_POLL_SECONDS": "0.05",
    }
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log"]
    for name, module, prefix in SERVICES:
        env[f"{prefix}DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/{name}.db"
        spawn([*uvicorn, module, "--port", str(ports[name])], env=env, log=tmp_path / f"{name}.log")
    spawn(
        [*uvicorn, "reporting.city_platform_stub:app", "--port", str(ports["stub"])],
        env=env,
        log=tmp_path / "stub.log",
    )
    from gateway.settings import DEFAULT_UPSTREAM_PORTS

    # notify is not started: its breaker stays closed, nothing here calls it
    upstreams = {**DEFAULT_UPSTREAM_PORTS, **{n: ports[n] for n, _, _ in SERVICES}}
    spawn(
        [*uvicorn, "gateway.main:app", "--port", str(ports["gateway"])],
        env={
            **env,
            **gateway_env,
            "HOMEBED_GATEWAY_METRICS_LISTEN": f"127.0.0.1:{free_port()}",
            "HOMEBED_GATEWAY_UPSTREAMS": json.dumps(
                # SQLite and a loaded 2-core box: a write may wait its turn for seconds
                {
                    k: {"url": f"http://127.0.0.1:{p}", "timeout_seconds": 60}
                    for k, p in upstreams.items()
                }
            ),
        },
        log=tmp_path / "gateway.log",
    )
    for name, port in ports.items():
        await eventually(
            lambda port=port: _ready(f"http://127.0.0.1:{port}/readyz"),
            until=lambda code: code == 200,
            within=300,  # imports of 8 processes at once on a loaded 2-core box
            interval=0.5,
            what=f"{name} ready (log: {tmp_path}/{name}.log)",
        )

    ready = time.monotonic()
    summary = await demo.drive(args)
    print(f"stack ready in {ready - began:.0f} s, the district in {time.monotonic() - ready:.0f} s")
    demo.print_summary(summary)
    rows, did = summary["providers"], summary["driver"]

    # applications: every one approved or refused (with a reason); every approval is a bed
    assert did["applications"] == 9
    assert did["approved"] + did["refused"] == did["applications"]
    assert sum(r["beds_total"] for r in rows) == did["approved"]
    # one bed left for a nursing home (the referral's admission ends it in intake)
    assert sum(r["beds_established"] for r in rows) == did["approved"] - 1
    for row in rows:  # the reporter's read model agrees with intake
        assert row["beds_active_reporting"] == row["beds_established"], row
    # alarms: what iot-ingest holds is what the devices raised; the 15-minute compliance the
    # reporter computes is the one the alarms' own timestamps give
    assert sum(r["alarms"] for r in rows) == did["alarms_raised"] >= 5  # 2 falls a day + gas
    late = sum(r["alarms"] - r["alarms_arrived_within_15_min"] for r in rows)
    assert late == did["alarms_sent_late"]
    for row in rows:
        assert row["alarms_reporting"] == row["alarms"], row
        assert row["alarms_within_15_reporting"] == row["alarms_arrived_within_15_min"], row
        if row["alarms"]:
            expected = row["alarms_arrived_within_15_min"] / row["alarms"]
            assert row["alarm_compliance_reporting"] == pytest.approx(expected, abs=5e-5), row
    # visits: every recorded visit is in service-records
    assert sum(r["visits"] for r in rows) == did["visits"]
    # T+1: each provider's two days, acknowledged, received by the city platform
    for row in rows:
        assert row["reports"] == row["reports_acknowledged"] == 2, row
        assert row["reports_received_by_city"] >= 2, row
    # surveys: every answer the families gave is in service-records' scores, the low ones too
    assert did["surveys_answered"] >= 1
    assert sum(r["surveys_answered"] for r in rows) == did["surveys_answered"]
    assert sum(r["surveys_scored_low"] for r in rows) == did["surveys_scored_low"]
    # month-end: every provider's settlement approved (by a second officer), the ledger balanced
    assert all(r["settlement_status"] == ["approved"] for r in rows), rows
    assert summary["ledger"]["balanced"] is True
    # what the approved settlements pay is what the ledger holds (a fresh ledger: this month only)
    assert sum(r["subsidy_total_fen"] for r in rows) == summary["ledger"]["debits_fen"]
    assert did["surprises"] == []
