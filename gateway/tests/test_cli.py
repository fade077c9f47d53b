"""The gateway CLI: dev tokens that verify, and the partner key lifecycle."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest

from chassis.principal import Role
from gateway.auth.jwks import FileKeySource
from gateway.auth.jwt_people import PeopleTokenVerifier
from gateway.cli import main


@pytest.fixture(autouse=True)
def gateway_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOMEBED_GATEWAY_DEV_ISSUER_DIR", str(tmp_path / "issuer"))
    monkeypatch.setenv("HOMEBED_GATEWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gw.db")
    return tmp_path


def _verify(token: str, issuer_dir: Path):  # type: ignore[no-untyped-def]
    verifier = PeopleTokenVerifier(
        FileKeySource(issuer_dir / "jwks.json"), issuer="homebed-dev-issuer", audience="homebed-api"
    )
    return asyncio.run(verifier.verify(token))


def test_mint_token_gives_a_token_the_gateway_accepts(
    gateway_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["mint-token", "--role", "officer", "--provider", "P", "--region", "330102"]
    assert main([*argv, "--region", "330326"]) == 0
    token = capsys.readouterr().out.strip()
    principal = _verify(token, gateway_env / "issuer")
    assert principal.role is Role.OFFICER
    assert principal.provider_id == "P"
    assert principal.region_codes == ("330102", "330326")
    key_mode = os.stat(gateway_env / "issuer" / "private_key.pem").st_mode
    assert stat.S_IMODE(key_mode) == 0o600


def test_dev_tokens_prints_one_verified_token_per_people_role(
    gateway_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dev-tokens", "--json"]) == 0
    tokens = json.loads(capsys.readouterr().out)
    assert set(tokens) == {role.value for role in Role} - {"hospital"}
    for role, token in tokens.items():
        assert _verify(token, gateway_env / "issuer").role.value == role


def test_the_same_keypair_is_reused_across_runs(
    gateway_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["mint-token", "--role", "ops"])
    first = (gateway_env / "issuer" / "jwks.json").read_text()
    main(["mint-token", "--role", "ops"])
    assert (gateway_env / "issuer" / "jwks.json").read_text() == first


def test_partner_key_create_list_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["partner-key", "create", "--partner-id", "H-1", "--name", "No.1", "--region", "330102"]
        )
        == 0
    )
    created = dict(
        line.split("=", 1) for line in capsys.readouterr().out.splitlines() if "=" in line
    )
    key_id, secret = created["key_id"], created["secret"]
    assert main(["partner-key", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing
    assert "active" in listing
    assert secret not in listing
    assert main(["partner-key", "revoke", key_id]) == 0
    capsys.readouterr()
    main(["partner-key", "list"])
    assert "revoked" in capsys.readouterr().out
    assert main(["partner-key", "revoke", key_id]) == 1


def test_dev_issuer_is_refused_in_production(
    gateway_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    production = {
        "ENV": "prod",
        "INTERNAL_TOKEN_KEY": "a-real-internal-key-of-sufficient-length-0123456789",
        "PARTNER_KEY_ENCRYPTION_KEY": "a-real-partner-sealing-key-of-sufficient-length-0123",
        "DATABASE_URL": "postgresql+asyncpg://gw@db.internal/gateway",
        "JWKS_URL": "https://idp.example.test/jwks",
        "JWT_ISSUER": "https://idp.example.test",
    }
    for name, value in production.items():
        monkeypatch.setenv(f"HOMEBED_GATEWAY_{name}", value)
    with pytest.raises(SystemExit, match="refused in production"):
        main(["mint-token", "--role", "ops"])
    assert not (gateway_env / "issuer").exists()
