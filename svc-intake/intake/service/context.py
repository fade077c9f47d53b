"""What every use case gets besides its command: who, when, and the PII tools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chassis.principal import Principal
from intake.crypto import FieldCipher, Sealed, blind_index

SHANGHAI = ZoneInfo("Asia/Shanghai")

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
class Ctx:
    principal: Principal
    now: datetime  # UTC
    pii: Pii
    request_id: str | None = None

    @property
    def today(self) -> date:
        """Dates of the domain (deadlines, contracts) are Shanghai calendar dates."""
        return self.now.astimezone(SHANGHAI).date()
