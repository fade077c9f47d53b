"""The topic registry: every topic of architecture.md with its key, partitions and event types."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from homebed_schemas.events import (
    bed_workflows,
    intake,
    iot,
    records,
    referral,
    reporting,
    subsidy,
)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    partitions: int
    producer: str
    description: str
    # event type -> payload model; empty until the owning service's issue adds its contracts
    events: dict[str, type[BaseModel]] = field(default_factory=dict)

    @property
    def dlq(self) -> str:
        return dlq_topic(self.name)


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


INTAKE_APPLICATIONS = TopicSpec(
    name="intake.applications.v1",
    key="application_id",
    partitions=3,
    producer="svc-intake",
    description="Applications for a family bed, from submission to decision.",
    events=intake.APPLICATION_EVENTS,
)
INTAKE_BEDS = TopicSpec(
    name="intake.beds.v1",
    key="bed_id",
    partitions=6,
    producer="svc-intake",
    description="The family bed lifecycle: established, accepted, suspended, resumed, "
    "terminated, transferred; consents and the acceptance workflow.",
    events={**intake.BED_EVENTS, **bed_workflows.BED_WORKFLOW_EVENTS},
)
RECORDS_VISITS = TopicSpec(
    name="records.visits.v1",
    key="bed_id",
    partitions=6,
    producer="svc-service-records",
    description="Verified home visits (EVV), corrections, surveys and missed service minimums.",
    events=records.VISIT_EVENTS,
)
IOT_DEVICES = TopicSpec(
    name="iot.devices.v1",
    key="bed_id",
    partitions=6,
    producer="svc-iot-ingest",
    description="Device registry changes and connectivity.",
    events=iot.DEVICE_EVENTS,
)
IOT_TELEMETRY = TopicSpec(
    name="iot.telemetry.v1",
    # by bed: the rule engine keeps per-bed state fed by several devices (bed exit,
    # inactivity), so one bed's readings must land in one partition to scale it out
    key="bed_id",
    partitions=12,
    producer="svc-iot-ingest",
    description="Device readings, high rate, batched per device, keyed by bed.",
    events=iot.TELEMETRY_EVENTS,
)
IOT_ALARMS = TopicSpec(
    name="iot.alarms.v1",
    key="bed_id",
    partitions=6,
    producer="svc-iot-ingest",
    description="Alarm lifecycle with the 15-minute on-site rule (001 §四(三)2).",
    events=iot.ALARM_EVENTS,
)
REFERRAL_REFERRALS = TopicSpec(
    name="referral.referrals.v1",
    key="referral_id",
    partitions=3,
    producer="svc-referral",
    description="Referrals between home bed, hospital, family sickbed, nursing home and the "
    "disability federation (FHIR Task statuses), and the end of the service they led to.",
    events=referral.REFERRAL_EVENTS,
)
SUBSIDY_SETTLEMENTS = TopicSpec(
    name="subsidy.settlements.v1",
    key="provider_id",
    partitions=3,
    producer="svc-subsidy",
    description="Subsidy settlements: calculated, approved, paid, reversed.",
    events=subsidy.SETTLEMENT_EVENTS,
)
REPORTING_CITY_REPORTS = TopicSpec(
    name="reporting.city_reports.v1",
    key="provider_id",
    partitions=3,
    producer="svc-reporting",
    description="The T+1 city report's exceptions: a day the platform has not acknowledged "
    "by 24:00 of T+1 (000 §三(二)).",
    events=reporting.CITY_REPORT_EVENTS,
)

TOPICS: tuple[TopicSpec, ...] = (
    INTAKE_APPLICATIONS,
    INTAKE_BEDS,
    RECORDS_VISITS,
    IOT_DEVICES,
    IOT_TELEMETRY,
    IOT_ALARMS,
    REFERRAL_REFERRALS,
    SUBSIDY_SETTLEMENTS,
    REPORTING_CITY_REPORTS,
)
TOPICS_BY_NAME: dict[str, TopicSpec] = {t.name: t for t in TOPICS}


def payload_model(topic: str, event_type: str) -> type[BaseModel]:
    """The payload model of an event type on a topic; KeyError names what is unknown."""
    spec = TOPICS_BY_NAME.get(topic)
    if spec is None:
        raise KeyError(f"unknown topic {topic!r}")
    model = spec.events.get(event_type)
    if model is None:
        raise KeyError(f"topic {topic!r} carries no event type {event_type!r}")
    return model
