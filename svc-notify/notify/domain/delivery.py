"""What the dispatcher does with a due delivery: send it now, wait for the end of the person's
quiet hours, hold it for the flood digest, retry later, or give up visibly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from notify.domain.recipients import QuietHours


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (new, deferred by quiet hours, or retrying)
    HELD = "held"  # part of a flood: goes out in the person's digest at next_attempt_at
    SENT = "sent"  # a channel took it (channel_used)
    DIGESTED = "digested"  # went out inside a digest (digest_id)
    FAILED = "failed"  # every channel failed max_attempts times: visible, alerted on
    CANCELLED = "cancelled"  # the alarm was acknowledged (or closed) before it went out
    UNROUTABLE = "unroutable"  # nobody holds the role, or the person has no usable channel


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.HELD)


class Decision(StrEnum):
    SEND = "send"
    QUIET = "quiet"
    HOLD = "hold"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    until: datetime | None = None  # QUIET and HOLD: when it is due again


@dataclass(frozen=True)
class FloodPolicy:
    threshold: int  # individual non-safety messages to one person per window ...
    window: timedelta  # ... beyond which the rest wait for one digest at the window's end

    def window_end(self, first_in_window: datetime) -> datetime:
        return first_in_window + self.window


def decide(
    *,
    safety: bool,
    quiet_hours: QuietHours | None,
    now: datetime,
    sent_in_window: int,
    window_started: datetime | None,
    flood: FloodPolicy,
) -> Verdict:
    """Safety events (fall, SOS, gas, smoke) go out at once, individually, whatever the hour.
    Anything else waits for the end of quiet hours, and beyond the flood threshold is held for
    the digest."""
    if safety:
        return Verdict(Decision.SEND)
    if quiet_hours is not None and quiet_hours.covers(now):
        return Verdict(Decision.QUIET, quiet_hours.ends_after(now))
    if sent_in_window >= flood.threshold and window_started is not None:
        return Verdict(Decision.HOLD, flood.window_end(window_started))
    return Verdict(Decision.SEND)


def after_failure(
    *, attempts: int, max_attempts: int, now: datetime, backoff: timedelta
) -> tuple[DeliveryStatus, datetime | None]:
    """After `attempts` rounds where every channel failed: retry later (doubling), or failed."""
    if attempts >= max_attempts:
        return DeliveryStatus.FAILED, None
    return DeliveryStatus.PENDING, now + backoff * (2 ** (attempts - 1))


def ack_code(subject: str, recipient_id: str) -> str:
    """A short code to reply with (`回复 1234 确认`): the same for every message of one alarm to
    one person (repeats and steps), from a hash of both. Not a secret: the reply must also come
    from the person's own number; among one person's open alarms the newest wins a collision."""
    digest = hashlib.sha256(f"{subject}\x00{recipient_id}".encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 9000 + 1000}"
