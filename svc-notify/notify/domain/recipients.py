"""People notifications reach: their channels in order of preference and their quiet hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from chassis.errors import Unprocessable

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Channel(StrEnum):
    IN_APP = "in_app"  # the person's inbox, streamed to their phone (SSE)
    MONITORING_CENTRE = "monitoring_centre"  # a provider's monitoring-centre screen
    WEBHOOK = "webhook"  # a signed POST (Standard Webhooks) to the person's or team's system
    SMS = "sms"
    VOICE = "voice"


PERSONAL_CHANNELS = (Channel.IN_APP, Channel.WEBHOOK, Channel.SMS, Channel.VOICE)


class RecipientKind(StrEnum):
    WORKER = "worker"  # caregivers, medics, dispatchers of a provider
    DUTY_MANAGER = "duty_manager"  # a provider's manager (值班负责人)
    FAMILY = "family"  # an elder's family contact
    OFFICER = "officer"  # a street office or civil-affairs officer (region, no provider)


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(text: str) -> str:
    """A mainland mobile number, 11 digits; `+86`, spaces and dashes are dropped."""
    digits = re.sub(r"[\s\-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not _MOBILE.match(digits):
        raise Unprocessable([("phone", "a mainland mobile number of 11 digits, e.g. 13812345678")])
    return digits


def mask_phone(phone: str) -> str:
    """`13812345678` -> `138****5678`: what answers and logs show."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


@dataclass(frozen=True)
class QuietHours:
    """A daily window in Shanghai time (`22:00`-`07:00` wraps midnight) when only safety events
    reach the person; the rest wait for its end."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise Unprocessable([("quiet_hours", "start and end must differ")])

    def covers(self, now: datetime) -> bool:
        local = now.astimezone(SHANGHAI).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, now: datetime) -> datetime:
        """The first end of the window after `now` (UTC)."""
        local = now.astimezone(SHANGHAI)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(now.tzinfo)


def parse_clock_time(text: str, field: str) -> time:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", text)
    if match is None:
        raise Unprocessable([(field, "a time of day as HH:MM (Asia/Shanghai)")])
    return time(int(match.group(1)), int(match.group(2)))


def require_channels(channels: list[Channel], *, has_phone: bool, has_webhook: bool) -> None:
    """A channel list is usable: not empty, no repeats, SMS/voice need a phone, webhook a URL."""
    problems: list[tuple[str, str]] = []
    if not channels:
        problems.append(("channels", "name at least one channel"))
    if len(set(channels)) != len(channels):
        problems.append(("channels", "each channel once"))
    if Channel.MONITORING_CENTRE in channels:
        problems.append(("channels", "monitoring_centre is a provider's screen, not a person's"))
    if not has_phone and any(c in (Channel.SMS, Channel.VOICE) for c in channels):
        problems.append(("phone", "sms and voice need a phone number"))
    if not has_webhook and Channel.WEBHOOK in channels:
        problems.append(("webhook_url", "the webhook channel needs a URL"))
    if problems:
        raise Unprocessable(problems)
