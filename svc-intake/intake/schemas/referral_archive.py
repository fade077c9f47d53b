"""What svc-referral's archive package takes from intake (internal route, service principal)."""

from __future__ import annotations

from datetime import date
from typing import Any

from chassis.dto import Output


class ArchiveElder(Output):
    elder_id: str
    name_masked: str
    sex: str
    birth_date: date
    id_number_masked: str
    id_number: str | None  # only when the consent covers identity; the read is audited


class ArchiveAssessment(Output):
    scale: str
    ability_level: str | None
    care_needs_level: int | None
    assessed_on: date
    assessor: str


class ReferralArchiveRead(Output):
    bed_id: str
    provider_id: str
    region_code: str
    status: str
    established_on: date | None
    elder: ArchiveElder | None  # basic_info
    ability_level: str | None
    care_needs_level: int | None
    assessments: list[ArchiveAssessment] | None  # assessment
    care_plan: list[Any] | None  # care_plan
