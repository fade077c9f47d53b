"""Settings of svc-intake (env prefix HOMEBED_INTAKE_); PII keys fail fast in production."""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings
from intake.crypto import FieldCipher, decode_key

DEV_PII_KEYS = "k0:dev-only-intake-pii-encryption-key"
DEV_BLIND_INDEX_KEY = "dev-only-intake-blind-index-key"
DEV_MARKER = "dev-only"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_INTAKE_", extra="ignore")

    service_name: str = "svc-intake"
    database_url: str = "sqlite+aiosqlite:///var/svc-intake.db"
    # one consumer group for every topic intake reads (iot.devices.v1, referral.referrals.v1);
    # the name predates the second topic and is kept so committed offsets stay valid
    devices_group: str = "svc-intake-devices"
    contract_sweep_seconds: float = Field(default=3600, gt=0)

    # "kid:base64url(32 bytes)[,kid:...]"; the active id encrypts, every listed key decrypts
    pii_keys: SecretStr = SecretStr(DEV_PII_KEYS)
    pii_active_key_id: str = "k0"
    blind_index_key: SecretStr = SecretStr(DEV_BLIND_INDEX_KEY)
    page_size_max: int = Field(default=100, ge=1, le=1000)

    @field_validator("pii_keys")
    @classmethod
    def _keyring_parses(cls, value: SecretStr) -> SecretStr:
        _parse_keyring(value.get_secret_value())
        return value

    def field_cipher(self) -> FieldCipher:
        return FieldCipher(_parse_keyring(self.pii_keys.get_secret_value()), self.pii_active_key_id)

    def blind_index_bytes(self) -> bytes:
        return _key_bytes(self.blind_index_key.get_secret_value())


def _parse_keyring(text: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        key_id, sep, material = entry.partition(":")
        if not sep or not key_id or not material:
            raise ValueError("pii_keys entries look like kid:base64key")
        keys[key_id] = _key_bytes(material)
    if not keys:
        raise ValueError("pii_keys lists no key")
    return keys


def _key_bytes(material: str) -> bytes:
    # Development keys are readable markers, stretched to 32 bytes; production refuses them
    # (ServiceSettings rejects any secret containing "dev-only"), so only real keys reach AES.
    if DEV_MARKER in material:
        return hashlib.sha256(material.encode()).digest()
    return decode_key(material)
