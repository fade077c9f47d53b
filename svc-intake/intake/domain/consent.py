"""Consent, FHIR Consent-like: who gave it (the elder, the applicant or a guardian, with their
relation), when, for what scope, how (written, oral before a witness, electronic) and with what
evidence; a refusal is recorded like a grant, and a grant can be withdrawn.

Each scope guards one step (000 §三(一) signing, 000 §三(三) video, 004 §三(二) home
modification): without a consent in force for it, the step answers 409 naming the scope. The
latest record of a scope decides (a refusal followed by a grant is a grant); records are never
edited or deleted, only withdrawn, so the history stays auditable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chassis.errors import Conflict, IllegalTransition, PreconditionFailed
from chassis.principal import Role
from homebed_schemas.events.bed_workflows import (
    ConsentDecision,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
)
from intake.domain.bed_steps import INSTALL_CAMERA, INSTALL_MODIFICATIONS
from intake.domain.errors import InvalidConsent
from intake.domain.lifecycle import BedAction

# The step each scope guards, as it appears in a bed's allowed/blocked actions.
GUARDED_STEP: Mapping[ConsentScope, str] = {
    ConsentScope.SERVICE_AGREEMENT: BedAction.SIGN_CONTRACT.value,
    ConsentScope.VIDEO_MONITORING: INSTALL_CAMERA,
    ConsentScope.HOME_MODIFICATION: INSTALL_MODIFICATIONS,
}
WITHDRAW = "withdraw"


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ConsentRecord:
    id: str
    scope: ConsentScope
    decision: ConsentDecision
    given_at: datetime
    recorded_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def status(self) -> ConsentStatus:
        if self.withdrawn_at is not None:
            return ConsentStatus.WITHDRAWN
        if self.decision is ConsentDecision.REFUSED:
            return ConsentStatus.REFUSED
        return ConsentStatus.GRANTED


class ConsentRequired(PreconditionFailed):
    """409: a step needs consents that are not in force; `missing_consents` names their scopes."""

    def __init__(self, *, action: str, problems: Sequence[str], scopes: Sequence[str]) -> None:
        super().__init__(action=action, problems=problems)
        self.scopes = tuple(scopes)
        self.extra["missing_consents"] = list(self.scopes)


def latest_by_scope(records: Sequence[ConsentRecord]) -> dict[ConsentScope, ConsentRecord]:
    """The record that decides each scope: the latest given, then the latest recorded."""
    latest: dict[ConsentScope, ConsentRecord] = {}
    for record in sorted(records, key=lambda r: (r.given_at, r.recorded_at)):
        latest[record.scope] = record
    return latest


def consent_problem(scope: ConsentScope, citation: str, latest: ConsentRecord | None) -> str | None:
    """Why the scope is not in force (None: it is)."""
    if latest is not None and latest.status is ConsentStatus.GRANTED:
        return None
    prefix = f"needs: consent to {scope.value} ({citation})"
    if latest is None:
        return f"{prefix}: none recorded"
    if latest.status is ConsentStatus.REFUSED:
        return f"{prefix}: refused on {latest.given_at.date()}"
    assert latest.withdrawn_at is not None
    return f"{prefix}: withdrawn on {latest.withdrawn_at.date()}"


def require_consents(
    *,
    action: str,
    needed: Mapping[ConsentScope, str],
    records: Sequence[ConsentRecord],
) -> None:
    """`ConsentRequired` unless every needed scope (scope -> citation) is in force."""
    latest = latest_by_scope(records)
    missing = {
        scope: problem
        for scope, citation in needed.items()
        if (problem := consent_problem(scope, citation, latest.get(scope))) is not None
    }
    if missing:
        raise ConsentRequired(
            action=action,
            problems=list(missing.values()),
            scopes=[scope.value for scope in missing],
        )


def check_consent(
    *,
    role: Role,
    given_by: ConsentGiver,
    relation: str | None,
    method: ConsentMethod,
    evidence_ref: str | None,
    witness_name: str | None,
    given_at: datetime,
    now: datetime,
) -> None:
    """What a record needs to stand as evidence; `InvalidConsent` (422) names each gap."""
    problems: list[tuple[str, str]] = []
    if given_by is ConsentGiver.ELDER and relation is not None:
        problems.append(("relation", "the elder consents in person: leave relation empty"))
    if given_by is not ConsentGiver.ELDER and relation is None:
        problems.append(("relation", f"a consent given by the {given_by.value} names the relation"))
    if method in (ConsentMethod.WRITTEN, ConsentMethod.ELECTRONIC) and evidence_ref is None:
        problems.append(("evidence_ref", f"a {method.value} consent names its evidence"))
    if method is ConsentMethod.ORAL_WITNESSED and witness_name is None:
        problems.append(("witness_name", "an oral consent names its witness"))
    if given_at > now:
        problems.append(("given_at", "lies in the future"))
    problems += _owner_problems(role, given_by, method)
    if problems:
        raise InvalidConsent(problems)


def _owner_problems(
    role: Role, given_by: ConsentGiver, method: ConsentMethod
) -> list[tuple[str, str]]:
    """An elder or family account consents for itself, in the app (electronically)."""
    own = {
        Role.ELDER: {ConsentGiver.ELDER},
        Role.FAMILY: {ConsentGiver.APPLICANT, ConsentGiver.GUARDIAN},
    }
    allowed = own.get(role)
    if allowed is None:
        return []
    problems = []
    if given_by not in allowed:
        names = " or ".join(sorted(g.value for g in allowed))
        problems.append(("given_by", f"a {role.value} account records consent as {names}"))
    if method is not ConsentMethod.ELECTRONIC:
        problems.append(("method", f"a {role.value} account consents electronically"))
    return problems


def check_withdrawal(record: ConsentRecord, latest: ConsentRecord) -> None:
    """Only the record in force for its scope can be withdrawn."""
    if record.status is not ConsentStatus.GRANTED:
        raise IllegalTransition(
            entity="consent", state=record.status.value, action=WITHDRAW, allowed_actions=()
        )
    if latest.id != record.id:
        raise Conflict(
            f"a later {record.scope.value} consent ({latest.id}) decides this scope; "
            "withdraw that one"
        )


CAMERA = "camera"  # the iot DeviceType of 视频监控设备


def installation_scopes(lines: Iterable[tuple[str, str | None, int]]) -> list[ConsentScope]:
    """Scopes an installation needs, from its (kind, device_type, count) lines: a camera needs
    video consent, an aging-friendly modification home-modification consent; count 0 needs none."""
    needed = []
    installed = [(kind, device_type) for kind, device_type, count in lines if count > 0]
    if any(device_type == CAMERA for _kind, device_type in installed):
        needed.append(ConsentScope.VIDEO_MONITORING)
    if any(kind == "modification" for kind, _device_type in installed):
        needed.append(ConsentScope.HOME_MODIFICATION)
    return needed
