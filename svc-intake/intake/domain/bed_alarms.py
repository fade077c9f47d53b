"""Alarms of a bed as intake needs them: who is assigned to each, and whether it is still open.

iot-ingest owns alarms; intake keeps a projection of `iot.alarms.v1` so that the emergency
contact's phone is read during an alarm only by the caregiver the alarm is assigned to (issue 10
item 15), without a call to iot-ingest on the read. Every alarm event is a snapshot of the alarm
(status, assignee), so the projection keeps the latest snapshot; a resolved alarm is closed for
good (a late or replayed event never reopens it, whatever its time says).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chassis.errors import Forbidden

CLOSED_STATUS = "resolved"  # iot-ingest's final alarm state
UNMET_ASSIGNEE = "caller-is-assignee-of-an-open-alarm-of-the-bed"


@dataclass(frozen=True)
class BedAlarm:
    alarm_id: str
    bed_id: str
    provider_id: str
    status: str
    assignee: str | None
    updated_at: datetime  # the event's occurred_at

    @property
    def open(self) -> bool:
        return self.status != CLOSED_STATUS


def next_state(stored: BedAlarm | None, incoming: BedAlarm) -> BedAlarm | None:
    """What to keep after an event; None keeps what is stored.

    A close always applies (an alarm closed because its bed ended is dated at the bed's event,
    which may be earlier than the last dispatch); nothing applies after it; otherwise an older
    snapshot never overwrites a newer one (escalations are dated when they fell due)."""
    if stored is None:
        return incoming
    if not stored.open:
        return None
    if not incoming.open:
        return incoming
    return incoming if incoming.updated_at >= stored.updated_at else None


def is_assignee_of_open_alarm(alarms: Iterable[BedAlarm], sub: str) -> bool:
    return any(alarm.open and alarm.assignee == sub for alarm in alarms)


class NotAlarmAssignee(Forbidden):
    """A caregiver asked for a bed's emergency contact without an open alarm of that bed
    assigned to them (403; provider admins may read it at any time)."""

    def __init__(self, bed_id: str) -> None:
        super().__init__(
            f"A caregiver reads the emergency contact of bed {bed_id} only while an open alarm "
            "of that bed is assigned to them (dispatch it to you first).",
            required_roles=("provider_admin",),
        )
        self.extra["unmet"] = [UNMET_ASSIGNEE]
        self.extra["bed_id"] = bed_id
