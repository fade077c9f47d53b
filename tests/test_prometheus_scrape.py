"""Observability as code, against a real Prometheus scraping a real service process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from chassis.testing.eventually import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.prometheus]

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


async def _query(client: httpx.AsyncClient, expr: str) -> list[dict[str, object]]:
    response = await client.get("/api/v1/query", params={"query": expr})
    body = response.json()
    assert body["status"] == "success", (expr, body)
    return list(body["data"]["result"])


async def test_prometheus_scrapes_service_and_loads_rules_and_dashboard(
    kafka_bootstrap: str, prometheus_binary: str, tmp_path: Path, spawn, free_port
) -> None:
    service_port, prometheus_port = free_port(), free_port()
    env = {
        **os.environ,
        "HOMEBED_SERVICE_RECORDS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sr.db",
        "HOMEBED_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }
    spawn(
        [sys.executable, "-m", "uvicorn", "service_records.main:app", "--port", str(service_port)],
        env=env,
        log=tmp_path / "service.log",
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{service_port}") as service:

        async def ready() -> int:
            try:
                return (await service.get("/readyz")).status_code
            except httpx.TransportError:
                return 0

        await eventually(ready, until=lambda code: code == 200, within=60, what="service ready")

    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    config["rule_files"] = [str(DEPLOY / "prometheus/alerts.yml")]
    config["scrape_configs"][0]["static_configs"] = [
        {"targets": [f"127.0.0.1:{service_port}"], "labels": {"app": "svc-service-records"}}
    ]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    spawn(
        [
            prometheus_binary,
            f"--config.file={tmp_path}/prometheus.yml",
            f"--storage.tsdb.path={tmp_path}/tsdb",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ],
        log=tmp_path / "prometheus.log",
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{prometheus_port}") as prom:

        async def up() -> list[dict[str, object]]:
            try:
                ready = await prom.get("/-/ready")
            except httpx.TransportError:
                return []
            if ready.status_code != 200:
                return []  # still starting: replaying its WAL
            return await _query(prom, 'up{job="homebed", app="svc-service-records"} == 1')

        await eventually(up, within=60, what="Prometheus scraped the service")
        kafka_up = await eventually(
            lambda: _query(
                prom, 'homebed_dependency_up{service="svc-service-records", dependency="kafka"}'
            ),
            within=30,
            what="dependency gauge scraped",
        )
        assert kafka_up[0]["value"][1] == "1"  # type: ignore[index]
        requests = await _query(prom, 'homebed_http_requests_total{route="/readyz"}')
        assert requests, "RED metrics carry the route template"

        rules = (await prom.get("/api/v1/rules")).json()["data"]["groups"]
        loaded = [rule for group in rules for rule in group["rules"]]
        written = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())
        expected = {rule["alert"] for group in written["groups"] for rule in group["rules"]}
        assert {rule["name"] for rule in loaded} == expected
        assert all(rule["health"] != "err" for rule in loaded)

        dashboard = json.loads((DEPLOY / "grafana/homebed-overview.json").read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                await _query(prom, target["expr"])  # every panel's query parses and runs


def test_alert_rules_pass_their_promtool_unit_tests(prometheus_binary: str) -> None:
    promtool = Path(prometheus_binary).with_name("promtool")
    result = subprocess.run(
        [str(promtool), "test", "rules", "alerts_test.yml"],
        cwd=DEPLOY / "prometheus",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
