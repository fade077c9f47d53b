"""The dev issuer: a local Ed25519 keypair under var/ that mints people tokens for any role.

Only for development and tests: the gateway reads its public half as an ordinary JWKS file, so the
verification path is the same one production uses with the real identity provider's JWKS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chassis.principal import Role

DEV_ISSUER = "homebed-dev-issuer"
DEFAULT_AUDIENCE = "homebed-api"
PRIVATE_KEY_FILE = "private_key.pem"
JWKS_FILE = "jwks.json"

# A plausible identity per role for `make run`: providers and regions from the seed policies.
DEV_IDENTITIES: dict[Role, dict[str, Any]] = {
    Role.ELDER: {"sub": "dev-elder-1", "provider_id": "P-DEV-1", "region_codes": ["330102"]},
    Role.FAMILY: {"sub": "dev-family-1", "provider_id": "P-DEV-1", "region_codes": ["330102"]},
    Role.CAREGIVER: {"sub": "dev-caregiver-1", "provider_id": "P-DEV-1", "region_codes": []},
    Role.PROVIDER_ADMIN: {"sub": "dev-admin-1", "provider_id": "P-DEV-1", "region_codes": []},
    Role.OFFICER: {"sub": "dev-officer-1", "provider_id": None, "region_codes": ["330102"]},
    Role.OPS: {"sub": "dev-ops-1", "provider_id": None, "region_codes": []},
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class DevIssuer:
    """A loaded dev keypair: signs tokens, publishes its JWKS."""

    private_key: Ed25519PrivateKey
    directory: Path
    issuer: str = DEV_ISSUER

    @property
    def kid(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return "dev-" + hashlib.sha256(raw).hexdigest()[:16]

    @property
    def jwks_path(self) -> Path:
        return self.directory / JWKS_FILE

    def jwks(self) -> dict[str, Any]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": self.kid}
        return {"keys": [{**jwk, "alg": "EdDSA", "use": "sig"}]}

    def mint(
        self,
        *,
        sub: str,
        role: Role | str,
        provider_id: str | None = None,
        region_codes: list[str] | tuple[str, ...] = (),
        scopes: list[str] | tuple[str, ...] = (),
        audience: str = DEFAULT_AUDIENCE,
        ttl_seconds: int = 3600,
        now: float | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """A signed people token (EdDSA) for these claims."""
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "sub": sub,
            "role": str(role),
            "provider_id": provider_id,
            "region_codes": list(region_codes),
            "scopes": list(scopes),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        claims.update(extra_claims or {})
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def mint_per_role(
        self, *, audience: str = DEFAULT_AUDIENCE, ttl_seconds: int = 12 * 3600
    ) -> dict[Role, str]:
        """One ready-made token per people role (what `make run` prints)."""
        return {
            role: self.mint(role=role, audience=audience, ttl_seconds=ttl_seconds, **identity)
            for role, identity in DEV_IDENTITIES.items()
        }


def load_or_create(directory: Path) -> DevIssuer:
    """Load the dev keypair from `directory`, generating it (and its JWKS file) the first time."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / PRIVATE_KEY_FILE
    if key_path.exists():
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{key_path} is not an Ed25519 private key")
        issuer = DevIssuer(private_key=loaded, directory=directory)
    else:
        issuer = _generate(key_path, directory)
    jwks_text = json.dumps(issuer.jwks(), indent=2)
    if not issuer.jwks_path.exists() or issuer.jwks_path.read_text(encoding="utf-8") != jwks_text:
        issuer.jwks_path.write_text(jwks_text, encoding="utf-8")
    return issuer


def _generate(key_path: Path, directory: Path) -> DevIssuer:
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Write aside, then link into place: concurrent first runs agree on one complete key file.
    temporary = directory / f".{PRIVATE_KEY_FILE}.{os.getpid()}.{uuid.uuid4().hex}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    try:
        os.link(temporary, key_path)
    except FileExistsError:
        return load_or_create(directory)
    finally:
        temporary.unlink()
    return DevIssuer(private_key=private_key, directory=directory)
