"""Every service answers what its OpenAPI document says, checked by Schemathesis.

Each service app runs in-process over ASGI (SQLite under the test's tmp_path, Kafka off) with a
provider admin's internal principal, and Schemathesis generates requests from the app's own
`/openapi.json`: its coverage phase (boundary and negative values of every parameter and body
field) and a bounded fuzzing phase, derandomized with a fixed seed so that every run sends the
same requests. A response with a status code, a content type or a body the document does not
declare fails the test, as does any 5xx, and so does a request that violates the schema but is
accepted.

A service's operations are split into a few shards, each a test of its own, so that the
biggest services do not keep one xdist worker busy alone at the end of the unit step. The split
changes no request: each operation's cases come from the same seed whichever other operations
run beside it, every shard asserts it ran exactly the operations assigned to it, and the shards
of a service partition its documented operations (asserted too).

Run alone: `uv run pytest -m conformance -q -p no:cacheprovider`
(add `-s` to see the case counts per shard).
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
# Operations whose body is a recursive schema: the coverage phase enumerates the combinations
# of its nested variants (PUT rules: 4,154 cases, 3,558 of them 422s that differ only in which
# `all`/`any`/`for`/`repeat` branch is malformed, 36 s, the longest shard by far). Fuzzing
# takes them instead, with more examples, positive and negative; the nested rule language has
# its own domain and service tests (svc-iot-ingest/tests/domain/test_rules.py,
# tests/service/test_rule_changes.py).
RECURSIVE_BODIES: dict[str, list[tuple[str, str]]] = {
    "iot-ingest": [("PUT", "/v1/beds/{bed_id}/rules")],
}
RECURSIVE_BODY_EXAMPLES = 40
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


# Shards per service, about one per 10 s of Schemathesis on an idle 2-core machine (a service
# not listed is one shard). Operations are dealt round-robin in path order.
SHARDS: dict[str, int] = {
    "intake": 5,
    "iot-ingest": 5,
    "service-records": 3,
    "referral": 2,
    "subsidy": 2,
    "notify": 2,
}
CONFORMANCE_RUNS = [
    (service, shard) for service in sorted(SERVICES) for shard in range(SHARDS.get(service, 1))
]


def documented_operations(app: FastAPI) -> list[str]:
    """Every operation of the app's document as Schemathesis labels it ("GET /v1/x"), sorted."""
    return sorted(
        f"{method.upper()} {path}"
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    )


def shard_operations(service: str, shard: int, operations: list[str]) -> list[str]:
    """The operations of `shard` (round-robin): the shards of a service partition them."""
    return operations[shard :: SHARDS.get(service, 1)]


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
    recursive = [
        {
            "include-method": method,
            "include-path": path,
            "phases": {"coverage": {"enabled": False}},
            "generation": {"max-examples": RECURSIVE_BODY_EXAMPLES},
        }
        for method, path in RECURSIVE_BODIES.get(service, [])
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
            "operations": lenient + recursive,
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
    name: str = request.param[0]
    yield SERVICES[name](f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()  # Schemathesis keeps each app's lifespan running until told


@pytest.mark.conformance
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "service_app",
    CONFORMANCE_RUNS,
    indirect=True,
    ids=[f"{service}-{shard + 1}of{SHARDS.get(service, 1)}" for service, shard in CONFORMANCE_RUNS],
)
def test_every_answer_is_documented(service_app: FastAPI, request: pytest.FixtureRequest) -> None:
    name, shard = request.node.callspec.params["service_app"]
    excluded = {f"{method} {path}" for method, path in EXCLUDED.get(name, [])}
    documented = documented_operations(service_app)
    assert excluded <= set(documented), "an excluded operation is no longer documented"
    fuzzed = [label for label in documented if label not in excluded]
    mine = shard_operations(name, shard, fuzzed)
    shards = [shard_operations(name, i, fuzzed) for i in range(SHARDS.get(name, 1))]
    assert sorted(label for part in shards for label in part) == fuzzed  # a partition
    assert mine, f"{name}: shard {shard + 1} has no operation (fewer shards in SHARDS)"

    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", service_app, config=conformance_config(name)
    )
    others = [label for label in documented if label not in mine]
    if others:
        # exclude, not include: an include filter is dropped when the config lists operations
        # (LENIENT_QUERIES); the assertion on `run.operations` below catches either mistake
        schema = schema.exclude(name=others)

    run = run_schemathesis(schema)

    print(
        f"{name} {shard + 1}/{len(shards)}: {sum(run.cases.values())} cases ({dict(run.cases)}) "
        f"on {len(run.operations)}/{len(mine)} operations in {run.seconds:.1f}s"
    )
    assert run.operations == set(mine)
    assert not run.failures, "\n".join(sorted(set(run.failures)))
