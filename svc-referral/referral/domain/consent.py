"""Consent (FHIR Consent semantics): the elder or a named family member lets one receiving
organisation see some categories of the archive, for a purpose, for a time. Withdrawal takes
effect at once: every check reads the consent's status at the moment of access.

000 §三(五): the elder's information and service archive are shared with the receiver
("将老人信息和服务档案等相关数据共享"); 004 §二(四)1: back to hospital only after the family agrees
("经康养医师团队与家属协商同意后").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Category(StrEnum):
    """What the archive package may hold; `identity` unmasks the ID number."""

    BASIC_INFO = "basic_info"
    IDENTITY = "identity"
    ASSESSMENT = "assessment"
    CARE_PLAN = "care_plan"
    VISITS = "visits"
    VITALS = "vitals"
    ALARMS = "alarms"


class Purpose(StrEnum):
    REFERRAL = "referral"  # continuity of care with the receiver (FHIR: TREAT)


class Grantor(StrEnum):
    ELDER = "elder"
    FAMILY = "family"


class Method(StrEnum):
    SIGNED_FORM = "signed_form"  # a reference to the signed paper form
    IN_APP = "in_app"  # the elder or family agreed in the app (their own login)


ACTIVE, WITHDRAWN = "active", "withdrawn"


@dataclass(frozen=True)
class ConsentTerms:
    receiver_id: str
    purpose: Purpose
    categories: frozenset[Category]
    valid_from: datetime
    valid_until: datetime
    status: str

    def covers(self, *, receiver_id: str, at: datetime) -> bool:
        """In force for this receiver now: active, within its period."""
        return (
            self.status == ACTIVE
            and self.receiver_id == receiver_id
            and self.valid_from <= at < self.valid_until
        )

    def granted(self, wanted: frozenset[Category]) -> frozenset[Category]:
        return wanted & self.categories
