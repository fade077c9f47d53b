"""Authorisation, header hygiene, request ids, limits, CORS and docs through the running gateway."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from chassis.fhir_outcome import is_fhir_path
from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from gateway.edge.routes import Access
from gateway.testing.harness import (
    H5_ORIGIN,
    PEOPLE,
    TEST_ROUTES,
    GatewayFactory,
    RunningGateway,
    metric,
)
from gateway.testing.servers import UvicornProcess

# (method, concrete path, rule) for every method of every non-public, non-hospital test route
# that the echo upstream answers plainly.
MATRIX = [
    (method, rule.path.replace("*", "A-1"), rule)
    for rule in TEST_ROUTES
    if rule.path not in ("/v1/stream", "/v1/slow", "/v1/flaky")
    for method, access in rule.access.items()
    if access != "public"
]


@pytest.mark.parametrize(("method", "path", "rule"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
async def test_role_matrix_over_the_route_table(
    gateway: RunningGateway, method: str, path: str, rule: object
) -> None:
    for role in PEOPLE:
        response = await gateway.client.request(method, path, headers=gateway.bearer(role))
        allowed = rule.decide(method, role) is Access.ALLOWED  # type: ignore[attr-defined]
        assert response.status_code == (200 if allowed else 403), (role, method, path)
        if not allowed and is_fhir_path(path):  # the same refusal, as a FHIR client reads it
            assert response.headers["content-type"] == "application/fhir+json"
            outcome = response.json()
            assert outcome["issue"][0]["code"] == "forbidden"
            members = {e["url"]: json.loads(e["valueString"]) for e in outcome["extension"]}
            roles = members["urn:homebed:problem-member:required_roles"]
            assert roles == rule.roles_for(method)  # type: ignore[attr-defined]
            assert roles, "a forbidden route names who may call it"
        elif not allowed:
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"] == "urn:homebed:problem:forbidden"
            assert problem["required_roles"] == rule.roles_for(method)  # type: ignore[attr-defined]
            assert problem["required_roles"], "a forbidden route names who may call it"


async def test_hospital_is_not_a_people_role(gateway: RunningGateway) -> None:
    response = await gateway.client.get(
        "/v1/referrals/inbound", headers=gateway.bearer(Role.HOSPITAL)
    )
    assert response.status_code == 401


async def test_forged_principal_header_from_outside_is_replaced(gateway: RunningGateway) -> None:
    key = gateway.settings.internal_token_key.get_secret_value()
    # Even a correctly signed internal token (a leaked one) must not pass the edge.
    forged = mint_internal_token(Principal(sub="attacker", role=Role.OPS), key)
    headers = {**gateway.bearer(Role.ELDER), PRINCIPAL_HEADER: forged}
    echoed = (await gateway.client.get("/v1/applications", headers=headers)).json()
    assert echoed["principal"]["sub"] == "user-elder"
    assert echoed["principal"]["role"] == "elder"
    assert echoed["principal_header_count"] == 1
    public = await gateway.client.get("/v1/eligibility", headers={PRINCIPAL_HEADER: forged})
    assert public.json()["principal"] is None
    assert public.json()["principal_header_count"] == 0


async def test_credentials_and_cookies_stay_at_the_edge(gateway: RunningGateway) -> None:
    headers = {**gateway.bearer(Role.ELDER), "Cookie": "session=abc", "X-Custom": "kept"}
    echoed = (await gateway.client.get("/v1/applications", headers=headers)).json()
    assert echoed["headers"]["authorization"] is None
    assert echoed["headers"]["cookie"] is None
    assert echoed["headers"]["x-custom"] == "kept"
    assert echoed["headers"]["x-forwarded-for"] == "127.0.0.1"


async def test_sane_request_id_is_kept_echoed_and_propagated(gateway: RunningGateway) -> None:
    request_id = "req-2024-abcdef12"
    response = await gateway.client.get(
        "/v1/applications", headers={**gateway.bearer(Role.ELDER), "X-Request-ID": request_id}
    )
    assert response.headers["x-request-id"] == request_id
    assert response.json()["headers"]["x-request-id"] == request_id
    assert response.json()["principal"]["request_id"] == request_id


async def test_insane_request_id_is_replaced_everywhere(gateway: RunningGateway) -> None:
    response = await gateway.client.get(
        "/v1/applications", headers={**gateway.bearer(Role.ELDER), "X-Request-ID": "bad id;x=1"}
    )
    generated = response.headers["x-request-id"]
    assert generated != "bad id;x=1"
    assert len(generated) == 32
    assert response.json()["headers"]["x-request-id"] == generated


async def test_refusals_carry_the_request_id_too(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/applications", headers={"X-Request-ID": "r-12345678"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "r-12345678"
    assert response.json()["request_id"] == "r-12345678"


async def test_body_over_the_limit_is_413(gateway: RunningGateway) -> None:
    headers = gateway.bearer(Role.ELDER)
    ok = await gateway.client.post(
        "/v1/applications",
        content=b"x" * 4096,
        headers={**headers, "content-type": "application/json"},
    )
    assert ok.status_code == 200
    assert ok.json()["body_length"] == 4096
    declared = await gateway.client.post("/v1/applications", content=b"x" * 4097, headers=headers)
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    streamed = await gateway.client.post("/v1/applications", content=chunks(), headers=headers)
    assert streamed.status_code == 413


async def test_unknown_paths_are_404_and_unknown_methods_405(gateway: RunningGateway) -> None:
    headers = gateway.bearer(Role.OFFICER)
    assert (await gateway.client.get("/v1/telemetry", headers=headers)).status_code == 404
    assert (await gateway.client.get("/v1/applications/../x", headers=headers)).status_code == 404
    response = await gateway.client.delete("/v1/applications/A-1", headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"


async def test_security_headers_on_proxied_and_local_responses(gateway: RunningGateway) -> None:
    for response in (
        await gateway.client.get("/v1/applications", headers=gateway.bearer(Role.ELDER)),
        await gateway.client.get("/healthz"),
        await gateway.client.get("/v1/nowhere"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_cors_allows_the_configured_h5_origin_only(gateway: RunningGateway) -> None:
    preflight = {
        "Origin": H5_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = await gateway.client.options("/v1/applications", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == H5_ORIGIN
    refused = await gateway.client.options(
        "/v1/applications", headers={**preflight, "Origin": "https://evil.example.test"}
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    simple = await gateway.client.get(
        "/v1/applications", headers={**gateway.bearer(Role.ELDER), "Origin": H5_ORIGIN}
    )
    assert simple.headers["access-control-allow-origin"] == H5_ORIGIN
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_rate_limit_per_principal_and_per_ip(
    gateway_factory: GatewayFactory, upstream: UvicornProcess
) -> None:
    limits = {"rate_limit_per_principal": "3/minute", "rate_limit_per_ip_public": "2/minute"}
    async with gateway_factory(upstream.url, **limits) as gateway:
        officer = gateway.bearer(Role.OFFICER, sub="officer-a")
        statuses = [
            (await gateway.client.get("/v1/applications", headers=officer)).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        before = metric(
            "homebed_gateway_rate_limited_total", route="/v1/applications", kind="principal"
        )
        refused = await gateway.client.get("/v1/applications", headers=officer)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit-limit"] == "3"
        assert refused.headers["ratelimit-remaining"] == "0"
        after = metric(
            "homebed_gateway_rate_limited_total", route="/v1/applications", kind="principal"
        )
        assert after == before + 1
        other = gateway.bearer(Role.OFFICER, sub="officer-b")
        passed = await gateway.client.get("/v1/applications", headers=other)
        assert passed.status_code == 200
        assert passed.headers["ratelimit-remaining"] == "2"
        # 3/minute refills one token every 20 s of the gateway's (stepped) clock
        gateway.monotonic.advance(19.9)
        assert (await gateway.client.get("/v1/applications", headers=officer)).status_code == 429
        gateway.monotonic.advance(0.1)
        assert (await gateway.client.get("/v1/applications", headers=officer)).status_code == 200

        public = [(await gateway.client.get("/v1/eligibility")).status_code for _ in range(3)]
        assert public == [200, 200, 429]


async def test_metrics_name_the_route_pattern_not_the_path(gateway: RunningGateway) -> None:
    await gateway.client.post(
        "/v1/applications/A-77/decision", headers=gateway.bearer(Role.OFFICER)
    )
    async with httpx.AsyncClient() as internal:
        text = (await internal.get(gateway.metrics_url)).text
    assert 'route="/v1/applications/*/decision"' in text
    assert "A-77" not in text
    assert 'homebed_gateway_breaker_state{upstream="echo"} 0.0' in text


async def test_merged_openapi_and_docs(gateway: RunningGateway) -> None:
    document = (await gateway.client.get("/openapi.json")).json()
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "partnerHmac"}
    stream = document["paths"]["/v1/stream/{key}"]["get"]
    assert stream["security"] == [{"bearerAuth": []}]
    assert stream["x-homebed-roles"] == ["caregiver", "ops"]
    assert "/control/release/{key}" not in document["paths"]  # not routed, not published
    assert "/healthz" not in document["paths"]
    docs = await gateway.client.get("/docs")
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text


async def test_metrics_are_not_served_on_the_public_port(gateway: RunningGateway) -> None:
    public = await gateway.client.get("/metrics")
    assert public.status_code == 404
    assert public.headers["content-type"] == "application/problem+json"
    async with httpx.AsyncClient() as internal:
        scraped = await internal.get(gateway.metrics_url)
    assert scraped.status_code == 200
    assert "homebed_gateway_breaker_state" in scraped.text
