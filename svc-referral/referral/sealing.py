"""Webhook signing secrets sealed at rest (AES-256-GCM, the subscription id as associated data).

The worker must sign with the secret itself, so it cannot be hashed (as with the gateway's
partner keys): a database dump without the key-encryption key cannot sign deliveries.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
INFO = b"homebed-referral webhook-secret sealing v1"
PREFIX = "whsec_"


class SecretSealer:
    def __init__(self, passphrase: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(
            passphrase.encode("utf-8")
        )
        self._aead = AESGCM(key)

    def new_secret(self) -> bytes:
        return secrets.token_bytes(32)

    def seal(self, subscription_id: str, raw: bytes) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, raw, subscription_id.encode())
        return base64.b64encode(sealed).decode()

    def open(self, subscription_id: str, sealed: str) -> str:
        """The `whsec_…` secret a Standard Webhooks library takes."""
        data = base64.b64decode(sealed)
        raw = self._aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], subscription_id.encode())
        return PREFIX + base64.b64encode(raw).decode()
