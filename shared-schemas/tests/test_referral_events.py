"""The contract of `referral.referrals.v1`: what svc-referral publishes and intake consumes.

000 §三(五) names the paths (family sickbed, nursing home, disability federation), 004 §二(四)1 the
hospital chain; the statuses are FHIR R4 Task's, with `service_ended` past `completed`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from homebed_schemas.events.referral import (
    REFERRAL_EVENTS,
    ReferralCompleted,
    ReferralEvent,
    ReferralPath,
    ReferralServiceEnded,
    ReferralWithReason,
)
from homebed_schemas.topics import REFERRAL_REFERRALS


def payload(**changes: Any) -> dict[str, Any]:
    return {
        "referral_id": "ref-1",
        "path": "nursing_home",
        "status": "requested",
        "bed_id": "bed-1",
        "elder_id": "elder-1",
        "provider_id": "prov-a",
        "requester": {"organisation_id": "prov-a", "kind": "home_bed_provider"},
        "receiver": {"organisation_id": "nh-1", "name": "福利院", "kind": "nursing_home"},
        "occurred_at": datetime(2026, 3, 2, tzinfo=UTC).isoformat(),
        **changes,
    }


def test_the_topic_carries_the_referral_lifecycle() -> None:
    assert REFERRAL_REFERRALS.events is REFERRAL_EVENTS
    assert set(REFERRAL_EVENTS) == {
        f"referral.{name}"
        for name in (
            "requested",
            "received",
            "accepted",
            "rejected",
            "in_progress",
            "on_hold",
            "completed",
            "failed",
            "cancelled",
            "service_ended",
            "business_status_changed",
            "deadline_missed",
        )
    }
    assert {p.value for p in ReferralPath} == {
        "family_sickbed",
        "nursing_home",
        "hospital",
        "disability_federation",
        "home_bed",
    }


def test_a_referral_names_its_bed_unless_it_brings_an_elder_home() -> None:
    with pytest.raises(ValidationError, match="names its bed_id and elder_id"):
        ReferralEvent.model_validate(payload(bed_id=None))
    home = ReferralEvent.model_validate(payload(path="home_bed", bed_id=None, elder_id=None))
    assert home.bed_id is None


def test_completed_carries_the_admission_day() -> None:
    with pytest.raises(ValidationError, match="admitted_on"):
        ReferralCompleted.model_validate(payload(status="completed"))
    done = ReferralCompleted.model_validate(payload(status="completed", admitted_on="2026-03-10"))
    assert done.admitted_on == date(2026, 3, 10)
    with pytest.raises(ValidationError):
        ReferralCompleted.model_validate(payload(status="accepted", admitted_on="2026-03-10"))


def test_refusals_carry_a_coded_reason() -> None:
    with pytest.raises(ValidationError, match="reason_code"):
        ReferralWithReason.model_validate(payload(status="rejected"))
    with pytest.raises(ValidationError, match="carries no reason code"):
        ReferralWithReason.model_validate(payload(status="accepted", reason_code="x"))
    refused = ReferralWithReason.model_validate(payload(status="rejected", reason_code="full"))
    assert refused.reason_code == "full"


def test_service_ended_keeps_the_task_completed() -> None:
    ended = ReferralServiceEnded.model_validate(
        payload(status="completed", path="family_sickbed", service_ended_on="2026-04-01")
    )
    assert ended.status == "completed"
    with pytest.raises(ValidationError, match="service_ended_on"):
        ReferralServiceEnded.model_validate(payload(status="completed"))
