"""The app factory over HTTP, without Kafka: problems, auth, request ids, metrics, health."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from chassis.testing.demo import demo_app, demo_runtime


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    runtime = demo_runtime(
        name="svc-demo-http", database_url=sqlite_url, bootstrap="unused:1", kafka_enabled=False
    )
    app = demo_app(runtime, "demo.notes.http")
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
            yield http


def _auth(role: Role = Role.OPS) -> dict[str, str]:
    token = mint_internal_token(Principal(sub="u1", role=role), DEV_INTERNAL_TOKEN_KEY)
    return {PRINCIPAL_HEADER: token}


async def test_missing_principal_is_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/notes", json={"text": "hi"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthorized"


async def test_forged_principal_is_401(client: httpx.AsyncClient) -> None:
    forged = mint_internal_token(Principal(sub="u1", role=Role.OPS), "not-the-key" * 4)
    response = await client.post(
        "/v1/notes", json={"text": "hi"}, headers={PRINCIPAL_HEADER: forged}
    )
    assert response.status_code == 401


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/notes", json={"text": ""}, headers=_auth())
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "body.text"
    assert "at least 1 character" in body["errors"][0]["message"]


async def test_role_check_and_success(client: httpx.AsyncClient) -> None:
    denied = await client.post("/v1/notes", json={"text": "hi"}, headers=_auth(Role.ELDER))
    assert denied.status_code == 403
    created = await client.post("/v1/notes", json={"text": "hi"}, headers=_auth())
    assert created.status_code == 201
    assert created.json()["text"] == "hi"


async def test_request_id_kept_when_sane_and_replaced_when_not(client: httpx.AsyncClient) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "abc-12345678"})
    assert kept.headers["X-Request-ID"] == "abc-12345678"
    replaced = await client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["X-Request-ID"] != "bad id\nwith newline"
    assert len(replaced.headers["X-Request-ID"]) == 32


async def test_readyz_without_kafka_checks_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "kafka": True}


async def test_metrics_use_route_templates(client: httpx.AsyncClient) -> None:
    await client.post("/v1/notes", json={"text": "m"}, headers=_auth())
    text = (await client.get("/metrics")).text
    assert 'route="/v1/notes"' in text
    assert 'service="svc-demo-http"' in text
    assert "homebed_http_request_duration_seconds_bucket" in text


async def test_readyz_is_503_when_kafka_is_unreachable(sqlite_url: str) -> None:
    runtime = demo_runtime(
        name="svc-demo-down",
        database_url=sqlite_url,
        bootstrap="127.0.0.1:1",
        readiness_timeout_seconds=0.5,
    )
    app = demo_app(runtime, "demo.notes.down")
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "kafka": False}
