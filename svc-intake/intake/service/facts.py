"""An application's facts for the eligibility engine, and the stored eligibility snapshot."""

from __future__ import annotations

from datetime import date
from typing import Any

from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.application import Assessment, application_facts
from intake.domain.conditions import Facts
from intake.domain.eligibility import EligibilityResult, evaluate_eligibility
from intake.policies.loader import load_profile
from intake.tables import ApplicationRow, ElderRow


def facts_of(row: ApplicationRow, elder: ElderRow) -> Facts:
    assessment = None
    if row.assessment:
        assessment = Assessment(
            scale=row.assessment["scale"],
            assessor=row.assessment["assessor"],
            assessed_on=date.fromisoformat(row.assessment["assessed_on"]),
            ability_level=AbilityLevel(row.ability_level) if row.ability_level else None,
            care_needs_level=row.care_needs_level,
        )
    return application_facts(
        jurisdiction=row.jurisdiction,
        birth_date=elder.birth_date,
        hukou_region_code=row.form["hukou_address"]["region_code"],
        current_region_code=row.form["current_address"]["region_code"],
        in_pilot_area=row.in_pilot_area,
        has_stable_caregiver=row.has_stable_caregiver,
        is_renter=row.is_renter,
        economic_status=EconomicStatus(row.economic_status) if row.economic_status else None,
        assessment=assessment,
    )


def evaluate_application(row: ApplicationRow, elder: ElderRow, *, as_of: date) -> EligibilityResult:
    return evaluate_eligibility(load_profile(row.jurisdiction), facts_of(row, elder), as_of=as_of)


def eligibility_snapshot(row: ApplicationRow, elder: ElderRow, *, as_of: date) -> dict[str, Any]:
    result = evaluate_application(row, elder, as_of=as_of)
    return {
        "as_of": as_of.isoformat(),
        # unknown is not false: `eligible` is None while only undecided rules remain
        "eligible": {"eligible": True, "ineligible": False}.get(result.status),
        "status": result.status,
        "priority": result.priority,
        "unmet": list(result.failed),
        "pending": list(result.pending),
        "rules": [
            {"id": o.id, "passed": o.passed, "citation": o.citation, "reason": o.reason}
            for o in result.rules
        ],
    }
