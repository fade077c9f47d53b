"""The request context of svc-notify: the caller, the time, and the PII tools."""

from __future__ import annotations

from dataclasses import dataclass

from chassis.context import RequestContext
from notify.crypto import FieldCipher


@dataclass(frozen=True)
class NotifyContext(RequestContext):
    cipher: FieldCipher | None = None
    blind_index_key: bytes = b""

    def pii(self) -> tuple[FieldCipher, bytes]:
        if self.cipher is None:
            raise RuntimeError("the notify context carries no cipher")
        return self.cipher, self.blind_index_key
