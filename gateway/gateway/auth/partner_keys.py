"""The partner API key store, in the gateway's own database.

Why the secret is encrypted rather than hashed: HMAC verification recomputes the signature, so
the verifier needs the secret itself. A one-way hash stored in its place would simply become the
signing key (a database dump would still forge requests). So the secret is sealed with AES-256-GCM
under a key derived from a settings secret (never in the database), bound to its key id, and only a
short SHA-256 fingerprint is kept in clear for listing. A dump of the table alone cannot sign.
Revocation is a column read on every request: it takes effect at once, on every gateway replica.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from chassis.db import UtcDateTime
from chassis.migrations import upgrade_to_head
from gateway.auth.hmac_partner import PartnerKey

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
metadata = MetaData()

partner_keys = Table(
    "partner_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("partner_id", String(128), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("region_codes", String(400), nullable=False, default=""),
    Column("secret_ciphertext", LargeBinary, nullable=False),
    Column("secret_fingerprint", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

NONCE_BYTES = 12
SEALING_INFO = b"homebed-gateway partner-key sealing v1"


class SecretSealer:
    """AES-256-GCM, the key id as associated data: a sealed secret cannot move to another key."""

    def __init__(self, key_encryption_key: bytes) -> None:
        if len(key_encryption_key) != 32:
            raise ValueError("the partner key-encryption key must be 32 bytes")
        self._aead = AESGCM(key_encryption_key)

    @classmethod
    def from_setting(cls, passphrase: str) -> SecretSealer:
        """Derive the AES key from the configured secret (HKDF-SHA256), so any long string works."""
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEALING_INFO)
        return cls(derived.derive(passphrase.encode("utf-8")))

    def seal(self, key_id: str, secret: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret, key_id.encode("utf-8"))

    def open(self, key_id: str, sealed: bytes) -> bytes:
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, key_id.encode("utf-8"))


@dataclass(frozen=True)
class PartnerKeyInfo:
    """A key as listed to operators: never the secret."""

    key_id: str
    partner_id: str
    name: str
    region_codes: tuple[str, ...]
    fingerprint: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedPartnerKey:
    info: PartnerKeyInfo
    secret: str  # shown once, at creation


def fingerprint(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[:16]


def _split_regions(joined: str) -> tuple[str, ...]:
    return tuple(code for code in joined.split(",") if code)


class PartnerKeyStore:
    """Create, list, revoke and look up partner keys."""

    def __init__(self, engine: AsyncEngine, sealer: SecretSealer) -> None:
        self._engine = engine
        self._sealer = sealer

    async def dispose(self) -> None:
        await self._engine.dispose()

    async def create_schema(self) -> None:
        """Apply the gateway's migrations (Alembic, like every service)."""
        await upgrade_to_head(self._engine, MIGRATIONS)

    async def create(
        self, *, partner_id: str, name: str, region_codes: tuple[str, ...] = ()
    ) -> CreatedPartnerKey:
        key_id = "pk_" + secrets.token_hex(8)
        secret = "hbs_" + secrets.token_urlsafe(32)
        info = PartnerKeyInfo(
            key_id=key_id,
            partner_id=partner_id,
            name=name,
            region_codes=region_codes,
            fingerprint=fingerprint(secret.encode()),
            created_at=datetime.now(UTC),
            revoked_at=None,
        )
        async with self._engine.begin() as connection:
            await connection.execute(
                partner_keys.insert().values(
                    key_id=key_id,
                    partner_id=partner_id,
                    name=name,
                    region_codes=",".join(region_codes),
                    secret_ciphertext=self._sealer.seal(key_id, secret.encode()),
                    secret_fingerprint=info.fingerprint,
                    created_at=info.created_at,
                )
            )
        return CreatedPartnerKey(info=info, secret=secret)

    async def list(self) -> list[PartnerKeyInfo]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(partner_keys).order_by(partner_keys.c.created_at, partner_keys.c.key_id)
            )
            return [
                PartnerKeyInfo(
                    key_id=row.key_id,
                    partner_id=row.partner_id,
                    name=row.name,
                    region_codes=_split_regions(row.region_codes),
                    fingerprint=row.secret_fingerprint,
                    created_at=row.created_at,
                    revoked_at=row.revoked_at,
                )
                for row in rows
            ]

    async def revoke(self, key_id: str) -> bool:
        """Revoke a key; False if there is no such active key."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(partner_keys)
                .where(partner_keys.c.key_id == key_id, partner_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            return bool(result.rowcount)

    async def find(self, key_id: str) -> PartnerKey | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(partner_keys).where(partner_keys.c.key_id == key_id)
                )
            ).first()
        if row is None:
            return None
        try:
            secret = self._sealer.open(row.key_id, row.secret_ciphertext)
        except InvalidTag:
            # Sealed under another key-encryption key (or tampered): unusable, treat as unknown.
            return None
        return PartnerKey(
            key_id=row.key_id,
            partner_id=row.partner_id,
            secret=secret,
            region_codes=_split_regions(row.region_codes),
            revoked=row.revoked_at is not None,
        )
