"""Consent checks shared by the steps a consent guards and by the bed's read model (the
use cases that record and withdraw consents are `intake.service.consents`)."""

from __future__ import annotations

from collections.abc import Iterable

from chassis.db import UnitOfWork
from homebed_schemas.events.bed_workflows import ConsentDecision, ConsentScope
from intake.domain.consent import (
    GUARDED_STEP,
    ConsentRecord,
    consent_problem,
    latest_by_scope,
    require_consents,
)
from intake.domain.policy import PolicyProfile
from intake.policies.loader import load_profile
from intake.repository import ConsentRepository
from intake.tables import BedRow, ConsentRow


async def require_consents_for(
    uow: UnitOfWork, bed: BedRow, *, action: str, scopes: Iterable[ConsentScope]
) -> None:
    """The guard of a step: 409 naming each required scope not in force (`missing_consents`)."""
    profile = load_profile(bed.jurisdiction)
    needed = {
        scope: requirement.citation.text
        for scope in scopes
        if (requirement := profile.consent_for(scope)) is not None
    }
    if needed:
        rows = await uow.repo(ConsentRepository).of_bed(bed.id)
        require_consents(action=action, needed=needed, records=[record_of(r) for r in rows])


async def consent_unmet(
    uow: UnitOfWork, bed: BedRow, profile: PolicyProfile
) -> dict[str, list[str]]:
    """For `blocked_actions`: each guarded step whose required consent is not in force."""
    rows = await uow.repo(ConsentRepository).of_bed(bed.id)
    latest = latest_by_scope([record_of(r) for r in rows])
    unmet: dict[str, list[str]] = {}
    for requirement in profile.consents:
        scope = ConsentScope(requirement.scope)
        problem = consent_problem(scope, requirement.citation.text, latest.get(scope))
        if problem is not None:
            unmet.setdefault(GUARDED_STEP[scope], []).append(problem)
    return unmet


def record_of(row: ConsentRow) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        scope=ConsentScope(row.scope),
        decision=ConsentDecision(row.decision),
        given_at=row.given_at,
        recorded_at=row.recorded_at,
        withdrawn_at=row.withdrawn_at,
    )
