"""What this service reads of other services' events: tolerant views (unknown fields ignored,
only the fields used are required), so a producer may add fields without poisoning us."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AlarmNotice(BaseModel):
    """The fields of `iot.alarms.v1` (`homebed_schemas.events.iot.AlarmEvent`) used here."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    alarm_id: str
    bed_id: str
    provider_id: str
    alarm_type: str
    severity: str
    status: str
    raised_at: datetime
    occurred_at: datetime
    outcome: str | None = None
    note: str | None = None
    sla_breached: bool = False
