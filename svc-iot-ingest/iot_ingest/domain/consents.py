"""Consents iot-ingest acts on: a device that films the elder joins a bed, and is heard from, only
while the bed's `video_monitoring` consent is in force (000 §三(三) "经老年人及其家属同意，可根据需要
联网视频通话并提供紧急援助").

intake owns consents and publishes every record and withdrawal on `intake.beds.v1`
(`bed.consent_recorded`, `bed.consent_withdrawn`). The record that decides a scope is intake's:
the latest given, then the latest recorded (a back-dated record entered later does not decide),
and only that record can be withdrawn. iot-ingest keeps, per bed and scope, the deciding record
and whether it is in force; a bed with no record has no consent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from chassis.errors import PreconditionFailed
from homebed_schemas.events.bed_workflows import ConsentDecision, ConsentScope
from homebed_schemas.events.iot import DeviceType

RECORDED = "bed.consent_recorded"
WITHDRAWN = "bed.consent_withdrawn"
CONSENT_EVENTS = frozenset({RECORDED, WITHDRAWN})


@dataclass(frozen=True)
class ConsentRequirement:
    scope: ConsentScope
    citation: str
    quote: str  # verbatim from the seed

    @property
    def text(self) -> str:
        return f"{self.citation} {self.quote}"


VIDEO_MONITORING = ConsentRequirement(
    ConsentScope.VIDEO_MONITORING,
    "000 §三(三)",
    "经老年人及其家属同意，可根据需要联网视频通话并提供紧急援助",
)

# The device types that film the elder: 视频监控设备 (000 Annex 2; 001 Annex 2 item 4).
REQUIRED_CONSENTS: Mapping[DeviceType, tuple[ConsentRequirement, ...]] = {
    DeviceType.CAMERA: (VIDEO_MONITORING,),
}


def requirement_of_scope(scope: str) -> ConsentRequirement | None:
    """The requirement (citation, quote) a device suspended for `scope` waits for."""
    for needed in REQUIRED_CONSENTS.values():
        for requirement in needed:
            if requirement.scope.value == scope:
                return requirement
    return None


def requirements_of(device_type: DeviceType) -> tuple[ConsentRequirement, ...]:
    return REQUIRED_CONSENTS.get(device_type, ())


def device_types_needing(scope: ConsentScope) -> frozenset[DeviceType]:
    return frozenset(
        device_type
        for device_type, needed in REQUIRED_CONSENTS.items()
        if any(r.scope is scope for r in needed)
    )


@dataclass(frozen=True)
class ScopeConsent:
    """The record that decides one scope of one bed, as intake published it."""

    bed_id: str
    scope: ConsentScope
    consent_id: str
    decision: ConsentDecision
    given_at: datetime
    recorded_at: datetime  # the recording event's time (intake orders equal `given_at` by it)
    in_force: bool
    withdrawn_at: datetime | None = None

    def why_not_in_force(self) -> str:
        if self.withdrawn_at is not None:
            return f"withdrawn on {self.withdrawn_at.date()}"
        if self.decision is ConsentDecision.REFUSED:
            return f"refused on {self.given_at.date()}"
        return f"not in force since {self.recorded_at.date()}"


def after_recorded(stored: ScopeConsent | None, incoming: ScopeConsent) -> ScopeConsent | None:
    """The deciding record after `incoming` was recorded; None keeps `stored`.

    A record given earlier than the deciding one (entered late, back-dated) does not decide; a
    withdrawn record never decides again (a replayed event)."""
    if stored is None:
        return incoming
    if stored.consent_id == incoming.consent_id and stored.withdrawn_at is not None:
        return None
    if (incoming.given_at, incoming.recorded_at) < (stored.given_at, stored.recorded_at):
        return None
    return incoming


def after_withdrawn(
    stored: ScopeConsent | None, withdrawn: ScopeConsent, *, at: datetime
) -> ScopeConsent | None:
    """The deciding record after `withdrawn` was withdrawn at `at`; None keeps `stored`.

    intake withdraws only the deciding record, so a withdrawal ends the scope's consent, unless
    a record given later decides already (the withdrawal is a replay)."""
    if (
        stored is not None
        and stored.consent_id != withdrawn.consent_id
        and stored.given_at >= withdrawn.given_at
    ):
        return None
    if stored is not None and stored.consent_id == withdrawn.consent_id:
        return replace(stored, in_force=False, withdrawn_at=at)
    return replace(withdrawn, in_force=False, withdrawn_at=at)


class ConsentRequired(PreconditionFailed):
    """409: the device needs consents that are not in force; `missing_consents` names them."""

    def __init__(self, *, action: str, problems: list[str], scopes: list[str]) -> None:
        super().__init__(action=action, problems=problems)
        self.extra["missing_consents"] = scopes


def require_consents(
    *,
    action: str,
    needed: Iterable[ConsentRequirement],
    decided: Mapping[ConsentScope, ScopeConsent],
) -> None:
    """`ConsentRequired` unless every needed scope is in force, each problem naming the scope,
    the seed and why (none recorded, refused, withdrawn)."""
    problems, scopes = [], []
    for requirement in needed:
        consent = decided.get(requirement.scope)
        if consent is not None and consent.in_force:
            continue
        why = "none recorded" if consent is None else consent.why_not_in_force()
        problems.append(f"needs: consent to {requirement.scope.value} ({requirement.text}): {why}")
        scopes.append(requirement.scope.value)
    if problems:
        raise ConsentRequired(action=action, problems=problems, scopes=scopes)
