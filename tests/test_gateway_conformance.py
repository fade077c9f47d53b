"""Schemathesis through the gateway: the merged `/openapi.json` it publishes, a provider admin's
bearer token, svc-intake as the one upstream (uvicorn, SQLite, Kafka off). Every answer, the
edge's own and the service's relayed through it, must be documented in the merged document.

A short run (fuzzing only, a few examples per operation): the service's answers are covered in
depth by `test_openapi_conformance`; this one checks what the edge adds and relays.

The other upstreams point at a port nobody listens on (never the default ports: `make run` or
`make demo` may be running beside the tests): their operations are absent from the merged
document (the gateway publishes only the documents it could fetch), so nothing is sent to them.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis

from chassis.principal import Role
from gateway.settings import UpstreamSettings, default_upstreams
from gateway.testing.harness import run_gateway
from gateway.testing.servers import UvicornProcess

from .test_openapi_conformance import CHECKS, SEED, run_schemathesis

EDGE_EXAMPLES = 4


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[UvicornProcess]:
    process = UvicornProcess(
        "intake.main:app",
        env={
            "HOMEBED_INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/intake.db",
            "HOMEBED_INTAKE_KAFKA_ENABLED": "false",
            "HOMEBED_INTAKE_LOG_JSON": "false",
        },
        log_file=tmp_path / "intake.log",
    ).start()
    try:
        # the first /openapi.json builds the document (seconds on a busy box): build it here
        httpx.get(f"{process.url}/openapi.json", timeout=120).raise_for_status()
        yield process
    finally:
        process.stop()


@pytest.mark.conformance
@pytest.mark.timeout(300)
async def test_every_answer_through_the_gateway_is_documented(
    tmp_path: Path, intake: UvicornProcess
) -> None:
    with socket.socket() as closed:  # bound then released: nothing listens there
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    upstreams = {name: UpstreamSettings(url=nowhere) for name in default_upstreams()}
    upstreams["intake"] = UpstreamSettings(url=intake.url)
    async with run_gateway(
        tmp_path,
        intake.url,
        upstreams=upstreams,
        routes=None,  # the default route table
        max_body_bytes=1024 * 1024,
        rate_limit_per_principal="100000/minute",
        rate_limit_per_ip_public="100000/minute",
    ) as gateway:
        headers = gateway.bearer(Role.PROVIDER_ADMIN, sub="admin-gw", provider_id="prov-a")
        config = schemathesis.Config.from_dict(
            {
                "seed": SEED,
                "headers": headers,
                "generation": {
                    "max-examples": EDGE_EXAMPLES,
                    "deterministic": True,
                    "database": "none",
                },
                "phases": {
                    "stateful": {"enabled": False},
                    "coverage": {"enabled": False},
                },
                "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            }
        )

        def load_and_run() -> tuple[int, object]:
            schema = schemathesis.openapi.from_url(f"{gateway.url}/openapi.json", config=config)
            operations = sum(1 for _ in schema.get_all_operations())
            return operations, run_schemathesis(schema)

        # the gateway serves in this event loop; Schemathesis is synchronous
        operations, run = await asyncio.to_thread(load_and_run)
    assert operations > 20  # intake's routes made it into the merged document
    print(
        f"gateway+intake: {sum(run.cases.values())} cases ({dict(run.cases)}) in {run.seconds:.1f}s"
    )  # type: ignore[attr-defined]
    assert not run.failures, "\n".join(sorted(set(run.failures)))  # type: ignore[attr-defined]
