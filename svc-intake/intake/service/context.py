"""What every intake use case gets besides its command: the chassis request context (who, when)
plus the PII tools (sealing, opening and blind-indexing ID and phone numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chassis.context import RequestContext
from intake.crypto import FieldCipher, Sealed, blind_index

ID_NUMBER = "elder.id_number"
CAREGIVER_PHONE = "application.caregiver_phone"
EMERGENCY_PHONE = "application.emergency_phone"
SOCIAL_SECURITY_NO = "application.social_security_no"


@dataclass(frozen=True)
class Pii:
    cipher: FieldCipher
    index_key: bytes

    def seal(self, value: str, *, context: str) -> Sealed:
        return self.cipher.encrypt(value, context=context)

    def open(self, token: str, *, context: str) -> str:
        return self.cipher.decrypt(token, context=context)

    def index(self, value: str, *, context: str) -> str:
        return blind_index(value, key=self.index_key, context=context)


@dataclass(frozen=True)
class IntakeContext(RequestContext):
    """`RequestContext` (principal, `now` from the injected clock, request id) and `pii`."""

    pii: Pii = field(kw_only=True)
