"""The dashboards are generated (deploy/grafana/dashboards.py, grafana-foundation-sdk): the
checked-in JSON is the generator's output, and every query names metrics the code exports and the
provisioned datasource. tests/test_prometheus_scrape.py runs every query against a real Prometheus."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = ROOT / "deploy/grafana"


# exported but on no dashboard, and why (test_every_service_s_own_metrics_have_a_panel)
NOT_ON_A_DASHBOARD = {
    "homebed_outbox_published_total": "counts what homebed_kafka_produced_total counts (the "
    "relay and express publishers increment both), which the backbone dashboard shows",
}


def load_generator() -> object:
    spec = importlib.util.spec_from_file_location("homebed_dashboards", GRAFANA / "dashboards.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@cache
def exported_metrics() -> frozenset[str]:
    """Every metric name the code defines (the packages' metrics modules and runtime health)."""
    names: set[str] = set()
    for package in ROOT.iterdir():
        if package.name.startswith(".") or not (package / "pyproject.toml").exists():
            continue
        for module in [*package.rglob("*metrics.py"), *package.rglob("runtime_health.py")]:
            names |= set(re.findall(r'"(homebed_[a-z_]+)"', module.read_text()))
    return frozenset(names)


def panel_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets") or []:
                found.append((path.stem, panel["title"], target["expr"]))
    return found


def test_checked_in_dashboards_are_the_generator_s_output() -> None:
    generator = load_generator()
    assert generator.main(["--check"]) == 0, "run: uv run python deploy/grafana/dashboards.py"  # type: ignore[attr-defined]


def test_every_concern_has_its_dashboard() -> None:
    uids = {json.loads(path.read_text())["uid"] for path in (GRAFANA / "dashboards").glob("*.json")}
    assert uids == set(load_generator().DASHBOARDS)  # type: ignore[attr-defined]
    assert uids >= {
        "homebed-golden-signals",
        "homebed-iot",
        "homebed-backbone",
        "homebed-business",
        "homebed-notify",
    }


def test_every_panel_has_a_query_so_none_escapes_the_live_check() -> None:
    """tests/test_prometheus_scrape.py runs every target's `expr`: a panel without one (or with
    an empty one, or nested where the checks do not look) would show nothing, unchecked."""
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            if panel["type"] == "row":
                assert not panel.get("panels"), f"{path.name}: collapsed row {panel['title']}"
                continue
            targets = panel.get("targets") or []
            assert targets, f"{path.name} / {panel['title']}: no query"
            for target in targets:
                assert target.get("expr", "").strip(), f"{path.name} / {panel['title']}: empty"


def test_every_service_s_own_metrics_have_a_panel() -> None:
    """A metric a service exports and no dashboard shows is a metric nobody watches."""
    shown = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for _, _, expr in panel_queries()
        for name in re.findall(r"\b(homebed_[a-z_]+)", expr)
    }
    unshown = {name for name in exported_metrics() if name not in shown}
    assert unshown <= NOT_ON_A_DASHBOARD.keys(), sorted(unshown - NOT_ON_A_DASHBOARD.keys())


@pytest.mark.parametrize(("dashboard", "title", "expr"), panel_queries())
def test_every_query_names_metrics_the_code_exports(dashboard: str, title: str, expr: str) -> None:
    exported = exported_metrics()
    for name in re.findall(r"\b(homebed_[a-z_]+)", expr):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        assert name in exported or base in exported, f"{dashboard} / {title}: {name}"


def test_every_panel_uses_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/homebed.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    for path in (GRAFANA / "dashboards").glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == uid, (path.name, panel["title"])


def test_the_provider_points_grafana_at_the_generated_folder() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/homebed.yml").read_text())
    assert provider["providers"][0]["type"] == "file"
    assert provider["providers"][0]["allowUiUpdates"] is False
