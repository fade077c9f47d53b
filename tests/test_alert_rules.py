"""The alert rules as the ops team reads them: every rule explains itself and points to a runbook
that exists, and every rule has a `promtool test rules` case (make test runs promtool itself)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
TESTS = yaml.safe_load((ROOT / "deploy/prometheus/alerts_test.yml").read_text())
ALERTS = [rule for group in RULES["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("rule", ALERTS, ids=[rule["alert"] for rule in ALERTS])
def test_every_alert_has_summary_description_and_its_runbook(rule: dict[str, object]) -> None:
    annotations = rule["annotations"]
    assert isinstance(annotations, dict)
    assert annotations.get("summary")
    assert annotations.get("description")
    assert annotations["runbook_url"] == f"docs/runbooks/{rule['alert']}.md"
    runbook = (ROOT / annotations["runbook_url"]).read_text()
    assert runbook.startswith(f"# {rule['alert']}\n")
    for heading in ("## What it means", "## What to do", "Dashboard:"):
        assert heading in runbook, f"{rule['alert']}: runbook lacks {heading!r}"
    assert rule["labels"]["severity"] in {"page", "warn"}  # type: ignore[index]


def test_every_alert_is_unit_tested_firing() -> None:
    fired = {
        case["alertname"]
        for test in TESTS["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert fired == {rule["alert"] for rule in ALERTS}


def test_every_runbook_belongs_to_an_alert() -> None:
    books = {path.stem for path in (ROOT / "docs/runbooks").glob("*.md")}
    assert books == {rule["alert"] for rule in ALERTS}


def test_alerts_use_metrics_the_code_exports() -> None:
    exported: set[str] = set()
    for package in ROOT.iterdir():
        if package.name.startswith(".") or not (package / "pyproject.toml").exists():
            continue
        for module in [*package.rglob("*metrics.py"), *package.rglob("runtime_health.py")]:
            exported |= set(re.findall(r'"(homebed_[a-z_]+)"', module.read_text()))
    for rule in ALERTS:
        for name in re.findall(r"\b(homebed_[a-z_]+)", str(rule["expr"])):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert name in exported or base in exported, (
                f"{rule['alert']}: {name} is exported nowhere"
            )
