"""The gateway's fast internal-token minter makes exactly the chassis's token."""

from __future__ import annotations

import time

import jwt
import pytest

from chassis.principal import (
    AUDIENCE,
    ISSUER,
    InvalidPrincipalToken,
    Principal,
    Role,
    mint_internal_token,
    verify_internal_token,
)
from gateway.auth.internal_token import InternalTokenMinter

KEY = "an-internal-key-long-enough-for-hs256-0123456789"
PRINCIPAL = Principal(
    sub="officer-7",
    role=Role.OFFICER,
    provider_id=None,
    region_codes=("330102", "330326"),
    scopes=("read",),
    request_id="req-12345678",
)


def test_the_chassis_verifies_the_minted_token() -> None:
    token = InternalTokenMinter(KEY, ttl_seconds=60).mint(PRINCIPAL).decode()
    assert verify_internal_token(token, KEY) == PRINCIPAL


def test_claims_are_the_chassis_claims() -> None:
    now = time.time()
    ours = jwt.decode(
        InternalTokenMinter(KEY, ttl_seconds=60).mint(PRINCIPAL, now=now).decode(),
        KEY,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    theirs = jwt.decode(
        mint_internal_token(PRINCIPAL, KEY, ttl_seconds=60, now=now),
        KEY,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    assert ours == theirs


def test_expired_and_wrong_key_tokens_are_refused_by_the_chassis() -> None:
    minter = InternalTokenMinter(KEY, ttl_seconds=60)
    old = minter.mint(PRINCIPAL, now=time.time() - 120).decode()
    with pytest.raises(InvalidPrincipalToken):
        verify_internal_token(old, KEY)
    with pytest.raises(InvalidPrincipalToken):
        verify_internal_token(minter.mint(PRINCIPAL).decode(), KEY + "x")
