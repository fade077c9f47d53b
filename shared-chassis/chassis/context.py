"""What every use case gets besides its command: who is asking, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chassis.clock import shanghai_date
from chassis.principal import Principal


@dataclass(frozen=True)
class RequestContext:
    """The caller and the request's instant (UTC, from the injected clock).

    A service that needs more per request (intake's PII tools) subclasses it, frozen as well.
    """

    principal: Principal
    now: datetime
    request_id: str | None = None

    @property
    def today(self) -> date:
        """Dates of the domain (deadlines, contracts, service days) are Shanghai dates."""
        return shanghai_date(self.now)
