"""Every service answers what its OpenAPI document says, checked by Schemathesis.

Each service app runs in-process over ASGI (SQLite under the test's tmp_path, Kafka off) with a
provider admin's internal principal, and Schemathesis generates requests from the app's own
`/openapi.json`: its coverage phase (boundary and negative values of every parameter and body
field) and a bounded fuzzing phase, derandomized with a fixed seed so that every run sends the
same requests. A response with a status code, a content type or a body the document does not
declare fails the test, as does any 5xx, and so does a request that violates the schema but is
accepted.

Run alone: `uv run pytest -m conformance -q -p no:cacheprovider`
(add `-s` to see the case counts per service).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import engine
from schemathesis.engine import Status, events

from chassis.principal import Role
from chassis.testing.principals import principal_headers

SEED = 20260302
MAX_EXAMPLES = 8  # per operation in the fuzzing phase; the coverage phase is deterministic
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
# Operations that request/response fuzzing cannot drive, each with its reason.
EXCLUDED: dict[str, list[tuple[str, str]]] = {
    # Server-Sent Events: the response never ends while the client stays connected.
    "iot-ingest": [("GET", "/v1/alarms/stream")],
    "notify": [("GET", "/v1/inbox/stream"), ("GET", "/v1/monitoring-centre/stream")],
}
# negative_data_rejection, switched off where pydantic's lax mode is the documented behaviour:
# a date or date-time query parameter also accepts a number (a Unix timestamp).
LENIENT_QUERIES: dict[str, list[tuple[str, str]]] = {
    "iot-ingest": [("GET", "/v1/alarms")],  # raised_before
    "service-records": [("GET", "/v1/visits")],  # day_from, day_to
    "referral": [("GET", "/v1/referrals")],  # updated_after
}
QUIET_IOT = {
    "escalation_poll_seconds": 3600,
    "liveness_poll_seconds": 3600,
    "seq_flush_seconds": 3600,
    "monitor_tick_seconds": 3600,
    "gc_tuning": False,
}


def _service(module: str, **extra: Any) -> Callable[[str], FastAPI]:
    def build(database_url: str) -> FastAPI:
        settings_class = __import__(f"{module}.settings", fromlist=["Settings"]).Settings
        create_app = __import__(f"{module}.bootstrap", fromlist=["create_app"]).create_app
        settings = settings_class(
            database_url=database_url, kafka_enabled=False, log_json=False, **extra
        )
        app: FastAPI = create_app(settings)
        return app

    return build


SERVICES: dict[str, Callable[[str], FastAPI]] = {
    "intake": _service("intake"),
    "iot-ingest": _service("iot_ingest", **QUIET_IOT),
    "service-records": _service("service_records"),
    "referral": _service("referral"),
    "subsidy": _service("subsidy"),
    "notify": _service("notify"),
}


def staff_headers() -> dict[str, str]:
    """A provider's admin in Xuancheng, valid for the whole run (the gateway's are 60 s)."""
    return principal_headers(
        Role.PROVIDER_ADMIN,
        "admin-conformance",
        provider_id="prov-a",
        regions=("341800",),
        ttl_seconds=3600,
    )


def conformance_config(service: str) -> schemathesis.Config:
    lenient = [
        {
            "include-method": method,
            "include-path": path,
            "checks": {"negative_data_rejection": {"enabled": False}},
        }
        for method, path in LENIENT_QUERIES.get(service, [])
    ]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": staff_headers(),
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            # no stateful chains; no requests with methods a path does not have (405s, not
            # what these checks are about)
            "phases": {"stateful": {"enabled": False}, "coverage": {"unexpected-methods": []}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "operations": lenient,
        }
    )


@dataclass
class Run:
    cases: Counter[str] = field(default_factory=Counter)  # per phase
    operations: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_schemathesis(schema: Any) -> Run:
    run = Run()
    started = time.monotonic()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            run.operations.add(recorder.label)
            run.cases[event.phase.value] += len(recorder.cases)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status != Status.FAILURE:
                        continue
                    interaction = recorder.interactions.get(case_id)
                    response = interaction.response if interaction else None
                    request = interaction.request if interaction else None
                    failure = check.failure_info.failure if check.failure_info else None
                    run.failures.append(
                        f"{recorder.label}: {check.name}: "
                        f"{failure.title if failure else ''} "
                        f"({response.status_code if response else '-'} "
                        f"{response.headers.get('content-type') if response else ''}) "
                        f"for {request.method if request else ''} {request.uri if request else ''}"
                        f" body={request.body[:200] if request and request.body else None!r}"
                    )
        elif isinstance(event, events.NonFatalError):
            run.failures.append(f"{event.label}: error: {event.value!r}")
        elif isinstance(event, events.FatalError):
            run.failures.append(f"fatal: {event.exception!r}")
    run.seconds = time.monotonic() - started
    return run


@pytest.fixture
def service_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    name: str = request.param
    yield SERVICES[name](f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()  # Schemathesis keeps each app's lifespan running until told


@pytest.mark.conformance
@pytest.mark.timeout(300)
@pytest.mark.parametrize("service_app", sorted(SERVICES), indirect=True)
def test_every_answer_is_documented(service_app: FastAPI, request: pytest.FixtureRequest) -> None:
    name = request.node.callspec.params["service_app"]
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", service_app, config=conformance_config(name)
    )
    for method, path in EXCLUDED.get(name, []):
        schema = schema.exclude(method=method, path=path)

    run = run_schemathesis(schema)

    documented = sum(
        1
        for item in service_app.openapi()["paths"].values()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    )
    print(
        f"{name}: {sum(run.cases.values())} cases ({dict(run.cases)}) on "
        f"{len(run.operations)}/{documented} operations in {run.seconds:.1f}s"
    )
    assert len(run.operations) == documented - len(EXCLUDED.get(name, []))
    assert not run.failures, "\n".join(sorted(set(run.failures)))
