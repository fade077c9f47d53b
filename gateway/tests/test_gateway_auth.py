"""Authentication through the running gateway: every refusal is the same bare 401."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chassis.principal import Role
from gateway.auth.hmac_partner import authorization_header
from gateway.testing.harness import RunningGateway, metric


def _claims(gateway: RunningGateway, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": gateway.issuer.issuer,
        "aud": gateway.settings.jwt_audience,
        "sub": "elder-1",
        "role": "elder",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return claims


def _signed(gateway: RunningGateway, **overrides: Any) -> str:
    return jwt.encode(
        _claims(gateway, **overrides),
        gateway.issuer.private_key,
        algorithm="EdDSA",
        headers={"kid": gateway.issuer.kid},
    )


BAD_TOKENS = {
    "expired": lambda g: _signed(g, exp=int(time.time()) - 120, iat=int(time.time()) - 600),
    "not_yet_valid": lambda g: _signed(g, nbf=int(time.time()) + 600),
    "wrong_audience": lambda g: _signed(g, aud="another-api"),
    "wrong_issuer": lambda g: _signed(g, iss="https://elsewhere.test"),
    "bad_signature": lambda g: jwt.encode(
        _claims(g), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": g.issuer.kid}
    ),
    "unsupported_alg": lambda g: jwt.encode(
        _claims(g), None, algorithm="none", headers={"kid": g.issuer.kid}
    ),
    "malformed": lambda g: "not-a-jwt",
}


async def _assert_bare_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "Bearer" in response.headers["www-authenticate"]
    body = response.json()
    assert body["title"] == "Unauthorized"
    assert body["detail"] == "A valid credential is required."
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id"}


async def test_a_valid_people_token_reaches_the_upstream_as_the_principal(
    gateway: RunningGateway,
) -> None:
    response = await gateway.client.get(
        "/v1/applications", headers=gateway.bearer(Role.ELDER, region_codes=["330102"])
    )
    assert response.status_code == 200
    principal = response.json()["principal"]
    assert principal["sub"] == "user-elder"
    assert principal["role"] == "elder"
    assert principal["provider_id"] == "P-1"
    assert principal["region_codes"] == ["330102"]


async def test_no_credential_is_401(gateway: RunningGateway) -> None:
    before = metric("homebed_gateway_auth_failures_total", scheme="none", reason="missing")
    await _assert_bare_401(await gateway.client.get("/v1/applications"))
    after = metric("homebed_gateway_auth_failures_total", scheme="none", reason="missing")
    assert after == before + 1


@pytest.mark.parametrize("reason", sorted(BAD_TOKENS))
async def test_bad_people_tokens_are_401_with_the_reason_only_in_metrics(
    gateway: RunningGateway, reason: str
) -> None:
    token = BAD_TOKENS[reason](gateway)
    before = metric("homebed_gateway_auth_failures_total", scheme="jwt", reason=reason)
    response = await gateway.client.get(
        "/v1/applications", headers={"Authorization": f"Bearer {token}"}
    )
    await _assert_bare_401(response)
    assert reason not in response.text
    after = metric("homebed_gateway_auth_failures_total", scheme="jwt", reason=reason)
    assert after == before + 1


async def test_unknown_authorization_scheme_is_401(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/applications", headers={"Authorization": "Basic eA=="})
    await _assert_bare_401(response)


def _partner_headers(
    key_id: str, secret: str, method: str, path: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    authorization = authorization_header(
        key_id=key_id,
        secret=secret.encode(),
        method=method,
        path=path,
        query="",
        body=body,
        timestamp=timestamp if timestamp is not None else int(time.time()),
    )
    return {"Authorization": authorization, "Content-Type": "application/json"}


async def test_partner_hmac_matrix(gateway: RunningGateway) -> None:
    async with gateway.key_store() as store:
        created = await store.create(partner_id="H-330102-01", name="Shangcheng No.1")
    key_id, secret = created.info.key_id, created.secret
    path, body = "/v1/referrals/inbound", b'{"elder":"E-1"}'

    accepted = await gateway.client.post(
        path, content=body, headers=_partner_headers(key_id, secret, "POST", path, body)
    )
    assert accepted.status_code == 200
    assert accepted.json()["principal"]["role"] == "hospital"
    assert accepted.json()["principal"]["sub"] == "H-330102-01"
    assert accepted.json()["headers"]["authorization"] is None  # the credential stays at the edge

    refusals = {
        "wrong secret": (_partner_headers(key_id, "guess", "POST", path, body), body),
        "tampered body": (_partner_headers(key_id, secret, "POST", path, body), b'{"elder":"E-2"}'),
        "stale timestamp": (
            _partner_headers(key_id, secret, "POST", path, body, timestamp=int(time.time()) - 301),
            body,
        ),
        "future timestamp": (
            _partner_headers(key_id, secret, "POST", path, body, timestamp=int(time.time()) + 400),
            body,
        ),
    }
    for case, (headers, sent) in refusals.items():
        response = await gateway.client.post(path, content=sent, headers=headers)
        assert response.status_code == 401, case
        await _assert_bare_401(response)

    replay = _partner_headers(key_id, secret, "POST", path, body, timestamp=int(time.time()) - 5)
    assert (await gateway.client.post(path, content=body, headers=replay)).status_code == 200
    await _assert_bare_401(await gateway.client.post(path, content=body, headers=replay))


async def test_revoking_a_partner_key_takes_effect_at_once(gateway: RunningGateway) -> None:
    async with gateway.key_store() as store:
        created = await store.create(partner_id="H-2", name="No.2")
        path = "/v1/referrals/inbound"
        first = _partner_headers(created.info.key_id, created.secret, "GET", path, b"")
        assert (await gateway.client.get(path, headers=first)).status_code == 200
        assert await store.revoke(created.info.key_id)
    before = metric("homebed_gateway_auth_failures_total", scheme="hmac", reason="revoked_key")
    again = _partner_headers(
        created.info.key_id, created.secret, "GET", path, b"", timestamp=int(time.time()) - 1
    )
    await _assert_bare_401(await gateway.client.get(path, headers=again))
    after = metric("homebed_gateway_auth_failures_total", scheme="hmac", reason="revoked_key")
    assert after == before + 1


async def test_public_routes_need_no_credential(gateway: RunningGateway) -> None:
    response = await gateway.client.post("/v1/eligibility/check", json={"age": 81})
    assert response.status_code == 200
    assert response.json()["principal"] is None


async def test_a_refusal_under_the_fhir_base_is_an_operation_outcome(
    gateway: RunningGateway,
) -> None:
    """A hospital's FHIR client reads the edge's own 401 as an OperationOutcome too."""
    response = await gateway.client.get("/v1/fhir/Task/any")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/fhir+json"
    assert "Bearer" in response.headers["www-authenticate"]
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    assert (issue["code"], issue["diagnostics"]) == ("login", "A valid credential is required.")
    assert body["id"] == response.headers["x-request-id"]
