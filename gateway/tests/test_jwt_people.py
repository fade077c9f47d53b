"""People tokens: the authentication matrix at the verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chassis.principal import Role
from gateway.auth.dev_issuer import DevIssuer
from gateway.auth.errors import AuthenticationFailed, FailureReason
from gateway.auth.jwks import FileKeySource, StaticKeySource, UrlKeySource
from gateway.auth.jwt_people import PeopleTokenVerifier

ISSUER = "https://idp.example.test"
NOW = 1_763_800_000  # the verifier's injected clock: tokens are judged against it, never the wall


def at_now() -> float:
    return NOW


AUDIENCE = "homebed-api"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_private() -> rsa.RSAPrivateKey:
    return _rsa_key()


@pytest.fixture(scope="module")
def ed_private() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _jwk(private: Any, kid: str, alg: str | None = None) -> dict[str, Any]:
    jwk: dict[str, Any]
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    else:
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": x}
    jwk["kid"] = kid
    if alg:
        jwk["alg"] = alg
    return jwk


@pytest.fixture
def jwks(rsa_private: rsa.RSAPrivateKey, ed_private: Ed25519PrivateKey) -> dict[str, Any]:
    return {"keys": [_jwk(rsa_private, "rsa-1", "RS256"), _jwk(ed_private, "ed-1")]}


@pytest.fixture
def verifier(jwks: dict[str, Any]) -> PeopleTokenVerifier:
    return PeopleTokenVerifier(
        StaticKeySource(jwks), issuer=ISSUER, audience=AUDIENCE, leeway_seconds=0, clock=at_now
    )


def _claims(**overrides: Any) -> dict[str, Any]:
    now = NOW
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "officer-7",
        "role": "officer",
        "region_codes": ["330102"],
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _rs256(private: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str = "rsa-1") -> str:
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


def _eddsa(private: Ed25519PrivateKey, claims: dict[str, Any], kid: str = "ed-1") -> str:
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid})


async def _reason(verifier: PeopleTokenVerifier, token: str) -> FailureReason:
    with pytest.raises(AuthenticationFailed) as caught:
        await verifier.verify(token)
    assert caught.value.scheme == "jwt"
    return caught.value.reason


async def test_valid_rs256_token_gives_the_principal(
    verifier: PeopleTokenVerifier, rsa_private: rsa.RSAPrivateKey
) -> None:
    token = _rs256(rsa_private, _claims(provider_id=None, scope="read write"))
    principal = await verifier.verify(token, request_id="req-12345678")
    assert principal.sub == "officer-7"
    assert principal.role is Role.OFFICER
    assert principal.region_codes == ("330102",)
    assert principal.scopes == ("read", "write")
    assert principal.request_id == "req-12345678"


async def test_valid_eddsa_token_gives_the_principal(
    verifier: PeopleTokenVerifier, ed_private: Ed25519PrivateKey
) -> None:
    token = _eddsa(ed_private, _claims(role="provider_admin", provider_id="P-1"))
    principal = await verifier.verify(token)
    assert principal.role is Role.PROVIDER_ADMIN
    assert principal.provider_id == "P-1"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": NOW - 10}, FailureReason.EXPIRED),
        ({"exp": NOW}, FailureReason.EXPIRED),
        ({"nbf": NOW + 120}, FailureReason.NOT_YET_VALID),
        ({"exp": "soon"}, FailureReason.MALFORMED),
        ({"aud": "someone-else"}, FailureReason.WRONG_AUDIENCE),
        ({"iss": "https://evil.example.test"}, FailureReason.WRONG_ISSUER),
        ({"exp": None}, FailureReason.MISSING_CLAIM),
        ({"sub": None}, FailureReason.MISSING_CLAIM),
        ({"role": "superuser"}, FailureReason.BAD_CLAIMS),
        ({"role": "hospital"}, FailureReason.BAD_CLAIMS),
        ({"region_codes": 330102}, FailureReason.BAD_CLAIMS),
    ],
)
async def test_bad_claims_are_refused(
    verifier: PeopleTokenVerifier,
    ed_private: Ed25519PrivateKey,
    overrides: dict[str, Any],
    reason: FailureReason,
) -> None:
    claims = _claims(**overrides)
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
    assert await _reason(verifier, _eddsa(ed_private, claims)) is reason


async def test_signature_by_another_key_with_a_known_kid_is_refused(
    verifier: PeopleTokenVerifier,
) -> None:
    impostor = Ed25519PrivateKey.generate()
    assert await _reason(verifier, _eddsa(impostor, _claims())) is FailureReason.BAD_SIGNATURE


async def test_tampered_payload_is_refused(
    verifier: PeopleTokenVerifier, ed_private: Ed25519PrivateKey
) -> None:
    header, _, signature = _eddsa(ed_private, _claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(_claims(role="ops")).encode()).rstrip(b"=")
    token = f"{header}.{forged.decode()}.{signature}"
    assert await _reason(verifier, token) is FailureReason.BAD_SIGNATURE


async def test_alg_none_is_refused(verifier: PeopleTokenVerifier) -> None:
    token = jwt.encode(_claims(), None, algorithm="none", headers={"kid": "rsa-1"})
    assert await _reason(verifier, token) is FailureReason.UNSUPPORTED_ALG


async def test_hs256_signed_with_the_rsa_public_key_is_refused(
    verifier: PeopleTokenVerifier, rsa_private: rsa.RSAPrivateKey
) -> None:
    public_pem = rsa_private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"rsa-1"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    signing_input = header + b"." + payload
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    token = (signing_input + b"." + signature).decode()
    assert await _reason(verifier, token) is FailureReason.UNSUPPORTED_ALG


async def test_alg_that_does_not_fit_the_key_type_is_refused(
    jwks: dict[str, Any], rsa_private: rsa.RSAPrivateKey
) -> None:
    verifier = PeopleTokenVerifier(
        StaticKeySource(jwks),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=at_now,
        algorithms=("RS256", "EdDSA"),
    )
    # An RS256 token whose kid names the Ed25519 key.
    token = _rs256(rsa_private, _claims(), kid="ed-1")
    assert await _reason(verifier, token) is FailureReason.ALG_KEY_MISMATCH


async def test_alg_other_than_the_one_the_jwk_declares_is_refused(
    jwks: dict[str, Any], rsa_private: rsa.RSAPrivateKey
) -> None:
    verifier = PeopleTokenVerifier(
        StaticKeySource(jwks),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=at_now,
        algorithms=("RS256", "PS256"),
    )
    token = jwt.encode(_claims(), rsa_private, algorithm="PS256", headers={"kid": "rsa-1"})
    assert await _reason(verifier, token) is FailureReason.ALG_KEY_MISMATCH


async def test_unknown_kid_is_refused(
    verifier: PeopleTokenVerifier, ed_private: Ed25519PrivateKey
) -> None:
    token = _eddsa(ed_private, _claims(), kid="not-there")
    assert await _reason(verifier, token) is FailureReason.UNKNOWN_KID


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9"])
async def test_garbage_is_malformed(verifier: PeopleTokenVerifier, token: str) -> None:
    assert await _reason(verifier, token) is FailureReason.MALFORMED


def test_symmetric_algorithms_cannot_be_configured(jwks: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="HS256"):
        PeopleTokenVerifier(
            StaticKeySource(jwks),
            issuer=ISSUER,
            audience=AUDIENCE,
            clock=at_now,
            algorithms=("HS256",),
        )


async def test_an_oct_key_in_the_jwks_is_never_used(ed_private: Ed25519PrivateKey) -> None:
    secret = base64.urlsafe_b64encode(b"s" * 32).rstrip(b"=").decode()
    jwks = {"keys": [{"kty": "oct", "k": secret, "kid": "sym"}, _jwk(ed_private, "ed-1")]}
    verifier = PeopleTokenVerifier(
        StaticKeySource(jwks), issuer=ISSUER, audience=AUDIENCE, clock=at_now
    )
    token = jwt.encode(_claims(), b"s" * 32, algorithm="HS256", headers={"kid": "sym"})
    assert await _reason(verifier, token) is FailureReason.UNSUPPORTED_ALG


async def test_file_source_picks_up_a_rotated_key(tmp_path: Path) -> None:
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(first, "k1")]}))
    verifier = PeopleTokenVerifier(
        FileKeySource(path, min_reload_interval=0), issuer=ISSUER, audience=AUDIENCE, clock=at_now
    )
    assert (await verifier.verify(_eddsa(first, _claims(), kid="k1"))).sub == "officer-7"
    path.write_text(json.dumps({"keys": [_jwk(first, "k1"), _jwk(second, "k2")]}))
    assert (await verifier.verify(_eddsa(second, _claims(), kid="k2"))).sub == "officer-7"


async def test_missing_jwks_file_is_keys_unavailable(tmp_path: Path) -> None:
    verifier = PeopleTokenVerifier(
        FileKeySource(tmp_path / "absent.json"), issuer=ISSUER, audience=AUDIENCE, clock=at_now
    )
    token = _eddsa(Ed25519PrivateKey.generate(), _claims())
    assert await _reason(verifier, token) is FailureReason.KEYS_UNAVAILABLE


async def test_url_source_fetches_once_and_refetches_for_a_new_kid() -> None:
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    published = {"keys": [_jwk(first, "k1")]}
    fetches = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        fetches += 1
        return httpx.Response(200, json=published)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        source = UrlKeySource("https://idp.example.test/jwks", client, min_reload_interval=0)
        verifier = PeopleTokenVerifier(source, issuer=ISSUER, audience=AUDIENCE, clock=at_now)
        for _ in range(3):
            await verifier.verify(_eddsa(first, _claims(), kid="k1"))
        assert fetches == 1
        published["keys"].append(_jwk(second, "k2"))
        await verifier.verify(_eddsa(second, _claims(), kid="k2"))
        assert fetches == 2


async def test_url_source_limits_refetches_for_unknown_kids() -> None:
    key = Ed25519PrivateKey.generate()
    fetches = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        fetches += 1
        return httpx.Response(200, json={"keys": [_jwk(key, "k1")]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        source = UrlKeySource("https://idp.example.test/jwks", client, min_reload_interval=3600)
        verifier = PeopleTokenVerifier(source, issuer=ISSUER, audience=AUDIENCE, clock=at_now)
        for index in range(5):
            token = _eddsa(key, _claims(), kid=f"junk-{index}")
            assert await _reason(verifier, token) is FailureReason.UNKNOWN_KID
        assert fetches == 1


async def test_dev_issuer_tokens_verify_through_its_jwks(tmp_path: Path) -> None:
    from gateway.auth.dev_issuer import load_or_create

    issuer: DevIssuer = load_or_create(tmp_path)
    verifier = PeopleTokenVerifier(
        FileKeySource(issuer.jwks_path), issuer=issuer.issuer, audience=AUDIENCE
    )
    for role, token in issuer.mint_per_role(audience=AUDIENCE).items():
        assert (await verifier.verify(token)).role is role


class CountingSource(StaticKeySource):
    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(document)
        self.lookups = 0

    async def get(self, kid: str) -> Any:
        self.lookups += 1
        return await super().get(kid)


async def test_a_verified_token_is_served_from_the_cache_with_its_own_request_id(
    jwks: dict[str, Any], ed_private: Ed25519PrivateKey
) -> None:
    source = CountingSource(jwks)
    verifier = PeopleTokenVerifier(source, issuer=ISSUER, audience=AUDIENCE, clock=at_now)
    token = _eddsa(ed_private, _claims())
    first = await verifier.verify(token, request_id="req-aaaaaaaa")
    second = await verifier.verify(token, request_id="req-bbbbbbbb")
    assert source.lookups == 1
    assert first.request_id == "req-aaaaaaaa"
    assert second.request_id == "req-bbbbbbbb"
    assert second.sub == first.sub
    # A refused token is never cached: it is refused again, from scratch.
    bad = _eddsa(Ed25519PrivateKey.generate(), _claims())
    for _ in range(2):
        assert await _reason(verifier, bad) is FailureReason.BAD_SIGNATURE
    assert source.lookups == 3


def test_cache_entries_end_at_expiry_or_max_age_and_stay_bounded() -> None:
    from chassis.principal import Principal
    from gateway.auth.jwt_people import VerifiedTokens

    now = [1000.0]
    cache = VerifiedTokens(max_age=60, max_entries=2, clock=lambda: now[0], leeway=5)
    someone = Principal(sub="u", role=Role.ELDER)
    cache.put("short", someone, expires_at=1010)
    cache.put("long", someone, expires_at=99_999)
    now[0] = 1014.9
    assert cache.get("short") is someone
    now[0] = 1015.0  # exp + leeway
    assert cache.get("short") is None
    now[0] = 1059.9
    assert cache.get("long") is someone
    now[0] = 1060.0  # max age
    assert cache.get("long") is None
    for name in ("a", "b", "c"):
        cache.put(name, someone, expires_at=99_999)
    assert cache.get("a") is None
    assert cache.get("c") is someone
