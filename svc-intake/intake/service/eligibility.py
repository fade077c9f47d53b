"""The public policy calculator (no login): evaluate a profile against declared facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from intake.domain.application import verify_identity
from intake.domain.conditions import Facts
from intake.domain.eligibility import evaluate_eligibility
from intake.policies.loader import load_profile
from intake.schemas.eligibility import EligibilityCheck, EligibilityRead, RuleRead


def check_eligibility(cmd: EligibilityCheck, *, today: date) -> EligibilityRead:
    """Age from `birth_date` or `id_number` (both given: they must agree); no data is stored."""
    profile = load_profile(cmd.jurisdiction)
    birth_date = cmd.birth_date
    if cmd.id_number is not None:
        resident = verify_identity(cmd.id_number, today=today, declared_birth_date=cmd.birth_date)
        birth_date = resident.birth_date
    facts = Facts(
        hukou_local=cmd.hukou_local,
        resides_locally=cmd.resides_locally,
        in_pilot_area=cmd.in_pilot_area,
        ability_level=cmd.ability_level,
        care_needs_level=cmd.care_needs_level,
        has_stable_caregiver=cmd.has_stable_caregiver,
        is_renter=cmd.is_renter,
        economic_status=cmd.economic_status,
    )
    result = evaluate_eligibility(profile, replace(facts, birth_date=birth_date), as_of=cmd.as_of)
    return EligibilityRead(
        eligible=result.eligible,
        priority=result.priority,
        unmet=list(result.unmet),
        rules=[
            RuleRead(id=o.id, passed=o.passed, citation=o.citation, reason=o.reason, basis=o.basis)
            for o in result.rules
        ],
        age=result.age,
    )
