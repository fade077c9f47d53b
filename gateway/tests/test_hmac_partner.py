"""Partner HMAC signatures: the authentication matrix at the verifier."""

from __future__ import annotations

import pytest

from chassis.principal import Role
from gateway.auth.errors import AuthenticationFailed, FailureReason
from gateway.auth.hmac_partner import (
    PartnerKey,
    PartnerRequestVerifier,
    authorization_header,
    canonical_query,
)

NOW = 1_763_800_000
SECRET = b"hbs_partner-secret"


class Keys:
    def __init__(self, *keys: PartnerKey) -> None:
        self.keys = {key.key_id: key for key in keys}

    async def find(self, key_id: str) -> PartnerKey | None:
        return self.keys.get(key_id)


@pytest.fixture
def keys() -> Keys:
    return Keys(
        PartnerKey(
            key_id="pk_live", partner_id="H-330102-01", secret=SECRET, region_codes=("330102",)
        ),
        PartnerKey(key_id="pk_old", partner_id="H-330102-01", secret=SECRET, revoked=True),
    )


@pytest.fixture
def verifier(keys: Keys) -> PartnerRequestVerifier:
    return PartnerRequestVerifier(keys, window_seconds=300, clock=lambda: NOW)


REQUEST = {
    "method": "POST",
    "path": "/v1/referrals/inbound",
    "query": "b=2&a=1",
    "body": b'{"elder":"x"}',
}


def _header(
    key_id: str = "pk_live", secret: bytes = SECRET, timestamp: int = NOW, **request: object
) -> str:
    values = {**REQUEST, **request}
    return authorization_header(
        key_id=key_id,
        secret=secret,
        method=str(values["method"]),
        path=str(values["path"]),
        query=str(values["query"]),
        body=values["body"],  # type: ignore[arg-type]
        timestamp=timestamp,
    )


async def _verify(verifier: PartnerRequestVerifier, authorization: str, **request: object):  # type: ignore[no-untyped-def]
    values = {**REQUEST, **request}
    return await verifier.verify(authorization=authorization, request_id="r-1", **values)  # type: ignore[arg-type]


async def _reason(
    verifier: PartnerRequestVerifier, authorization: str, **request: object
) -> FailureReason:
    with pytest.raises(AuthenticationFailed) as caught:
        await _verify(verifier, authorization, **request)
    assert caught.value.scheme == "hmac"
    return caught.value.reason


async def test_a_correctly_signed_request_is_the_hospital(verifier: PartnerRequestVerifier) -> None:
    principal = await _verify(verifier, _header())
    assert principal.role is Role.HOSPITAL
    assert principal.sub == "H-330102-01"
    assert principal.region_codes == ("330102",)
    assert "partner_key:pk_live" in principal.scopes
    assert principal.request_id == "r-1"


async def test_query_order_does_not_matter(verifier: PartnerRequestVerifier) -> None:
    principal = await _verify(verifier, _header(query="a=1&b=2"), query="b=2&a=1")
    assert principal.sub == "H-330102-01"
    assert principal.role is Role.HOSPITAL


@pytest.mark.parametrize(
    "tampered",
    [
        {"body": b'{"elder":"y"}'},
        {"query": "b=2&a=3"},
        {"path": "/v1/referrals/inbound/other"},
        {"method": "PUT"},
    ],
)
async def test_a_tampered_request_is_refused(
    verifier: PartnerRequestVerifier, tampered: dict[str, object]
) -> None:
    assert await _reason(verifier, _header(), **tampered) is FailureReason.BAD_SIGNATURE


async def test_a_wrong_secret_is_refused(verifier: PartnerRequestVerifier) -> None:
    assert await _reason(verifier, _header(secret=b"guess")) is FailureReason.BAD_SIGNATURE


@pytest.mark.parametrize("offset", [-301, 301, -100_000])
async def test_timestamps_outside_the_window_are_refused(
    verifier: PartnerRequestVerifier, offset: int
) -> None:
    assert await _reason(verifier, _header(timestamp=NOW + offset)) is FailureReason.STALE_TIMESTAMP


@pytest.mark.parametrize("offset", [-300, 299])
async def test_timestamps_inside_the_window_pass(
    verifier: PartnerRequestVerifier, offset: int
) -> None:
    assert (await _verify(verifier, _header(timestamp=NOW + offset))).role is Role.HOSPITAL


async def test_a_replayed_request_is_refused(verifier: PartnerRequestVerifier) -> None:
    header = _header()
    await _verify(verifier, header)
    assert await _reason(verifier, header) is FailureReason.REPLAYED


async def test_a_revoked_key_is_refused_even_with_a_good_signature(
    verifier: PartnerRequestVerifier,
) -> None:
    assert await _reason(verifier, _header(key_id="pk_old")) is FailureReason.REVOKED_KEY


async def test_revocation_takes_effect_on_the_next_request(
    keys: Keys, verifier: PartnerRequestVerifier
) -> None:
    await _verify(verifier, _header(timestamp=NOW - 1))
    live = keys.keys["pk_live"]
    keys.keys["pk_live"] = PartnerKey(
        key_id=live.key_id, partner_id=live.partner_id, secret=live.secret, revoked=True
    )
    assert await _reason(verifier, _header(timestamp=NOW - 2)) is FailureReason.REVOKED_KEY


async def test_an_unknown_key_is_refused(verifier: PartnerRequestVerifier) -> None:
    assert await _reason(verifier, _header(key_id="pk_nobody")) is FailureReason.UNKNOWN_KEY


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer abc",
        "HMAC-SHA256 Credential=pk_live, Timestamp=1, Signature=zz",
        "HMAC-SHA256 Credential=pk live, Timestamp=1, Signature=" + "0" * 64,
        "HMAC-SHA256 Timestamp=1, Credential=pk_live, Signature=" + "0" * 64,
    ],
)
async def test_malformed_headers_are_refused(
    verifier: PartnerRequestVerifier, authorization: str
) -> None:
    assert await _reason(verifier, authorization) is FailureReason.MALFORMED


def test_canonical_query_sorts_and_normalises_encoding() -> None:
    assert canonical_query("b=2&a=%E5%AE%B6&a=0&c") == "a=0&a=%E5%AE%B6&b=2&c="
    assert canonical_query("x=a+b") == canonical_query("x=a%20b")
