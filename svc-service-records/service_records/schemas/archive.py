"""The service archive (服务档案): a bed's timeline, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chassis.dto import Output


class ArchiveEntryRead(Output):
    id: int
    bed_id: str
    elder_id: str
    at: datetime
    kind: str
    type: str
    ref: str
    summary: dict[str, Any]
