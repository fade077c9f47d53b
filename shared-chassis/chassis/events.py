"""Building envelopes: the source is the running service's name, taken from its settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from homebed_schemas.envelope import Envelope


@dataclass(frozen=True)
class EventFactory:
    """Makes envelopes stamped with this service as `source` (`svc-intake`, ...)."""

    source: str

    def build(
        self,
        *,
        type_: str,
        subject: str,
        data: BaseModel | Mapping[str, Any],
        time: datetime | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else dict(data)
        fields: dict[str, Any] = {
            "type": type_,
            "source": self.source,
            "subject": subject,
            "data": payload,
            "causation_id": causation_id,
        }
        if time is not None:
            fields["time"] = time
        return Envelope(**fields)
