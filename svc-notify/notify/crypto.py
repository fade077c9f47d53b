"""Phone numbers at rest (PIPL 敏感个人信息), as svc-intake protects them (intake/crypto.py):
AES-256-GCM with a key id per token and the field bound as associated data, and a blind index
(HMAC-SHA256) to find the recipient an SMS reply came from without storing the number in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEAL_FORMAT = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class CryptoError(Exception):
    """A token that cannot be decrypted: unknown key id, tampering, or wrong context."""


def decode_key(text: str) -> bytes:
    """Keys are configured as URL-safe base64 of 32 random bytes."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != KEY_BYTES:
        raise ValueError(f"a key must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")


@dataclass(frozen=True)
class Sealed:
    key_id: str
    token: str  # "v1.<key id>.<base64url(nonce || ciphertext || tag)>"


class FieldCipher:
    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError("the active key id is not in the keyring")
        for key_id, key in keys.items():
            if "." in key_id or not key_id:
                raise ValueError("key ids are non-empty and contain no dots")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        self._keys = dict(keys)
        self.active_key_id = active_key_id

    def __repr__(self) -> str:
        return f"FieldCipher(active_key_id={self.active_key_id!r}, keys={sorted(self._keys)})"

    def encrypt(self, plaintext: str, *, context: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        aead = AESGCM(self._keys[self.active_key_id])
        body = nonce + aead.encrypt(nonce, plaintext.encode(), context.encode())
        encoded = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return Sealed(self.active_key_id, f"{SEAL_FORMAT}.{self.active_key_id}.{encoded}")

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            version, key_id, encoded = token.split(".", 2)
        except ValueError:
            raise CryptoError("malformed token") from None
        key = self._keys.get(key_id)
        if version != SEAL_FORMAT or key is None:
            raise CryptoError(f"unknown token version or key id {key_id!r}")
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        nonce, sealed = body[:NONCE_BYTES], body[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, sealed, context.encode()).decode()
        except InvalidTag:
            raise CryptoError("token does not authenticate (tampered or wrong context)") from None

    def needs_rotation(self, token: str) -> bool:
        """True when the token was sealed under a key other than the active one."""
        return token.split(".", 2)[1:2] != [self.active_key_id]

    def rotate(self, token: str, *, context: str) -> Sealed:
        return self.encrypt(self.decrypt(token, context=context), context=context)


def normalize_for_index(value: str) -> str:
    """Same person, same index: drop separators and spaces, upper-case (the ID's `x`)."""
    return "".join(ch for ch in value if ch.isalnum()).upper()


def blind_index(value: str, *, key: bytes, context: str) -> str:
    """Hex HMAC-SHA256 over context and normalised value; equal inputs give equal indexes."""
    message = f"{context}\x00{normalize_for_index(value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


DEV_MARKER = "dev-only"
# the associated data each sealed field is bound to (a token copied to another column fails)
PHONE_CONTEXT = "recipient.phone"
WEBHOOK_SECRET_CONTEXT = "recipient.webhook_secret"  # noqa: S105 - a label, not a secret


def parse_keyring(text: str) -> dict[str, bytes]:
    """`kid:key[,kid:key]` as configured (intake's format)."""
    keys: dict[str, bytes] = {}
    for entry in text.split(","):
        key_id, sep, material = entry.strip().partition(":")
        if not sep or not key_id or not material:
            raise ValueError("pii_keys entries look like kid:base64key")
        keys[key_id] = to_key_bytes(material)
    if not keys:
        raise ValueError("pii_keys lists no key")
    return keys


def to_key_bytes(material: str) -> bytes:
    # Development keys are readable markers, stretched to 32 bytes; production refuses them
    # (ServiceSettings rejects any secret containing "dev-only"), so only real keys reach AES.
    if DEV_MARKER in material:
        return hashlib.sha256(material.encode()).digest()
    return decode_key(material)
