"""The telemetry hot path: one HTTP batch -> validated, deduplicated -> one Kafka message.

No per-reading awaits: a batch costs one token check (usually cached), one msgspec decode, a
loop of comparisons, one encode and one produce whose acknowledgement we wait for before 202.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import msgspec

from chassis.clock import Clock, utc_now
from chassis.errors import problem_type
from chassis.problems import ProblemError
from homebed_schemas.topics import IOT_TELEMETRY
from iot_ingest.domain.consents import requirement_of_scope
from iot_ingest.domain.validation import LATE_AFTER, Refusal, validate_readings
from iot_ingest.prometheus_metrics import READINGS, READINGS_REFUSED, SERVICE, TELEMETRY_BATCHES
from iot_ingest.telemetry.auth import DeviceAuth, DeviceAuthenticator
from iot_ingest.telemetry.codec import decode_post, encode_telemetry
from iot_ingest.telemetry.rate_limit import DeviceRateLimiter
from iot_ingest.telemetry.seq_window import SeqWindows

# the hot path's metric children, looked up once: `labels()` takes a lock and builds a key,
# and a batch counted five of them
_READINGS_ACCEPTED = READINGS.labels(SERVICE, "accepted")
_READINGS_DUPLICATE = READINGS.labels(SERVICE, "duplicate")
_READINGS_REFUSED = READINGS.labels(SERVICE, "refused")
_READINGS_LATE = READINGS.labels(SERVICE, "late")
_BATCHES_ACCEPTED = TELEMETRY_BATCHES.labels(SERVICE, "accepted")
UNAVAILABLE_LOG_EVERY = 10.0  # seconds between two logs of one reason for 503

logger = logging.getLogger(__name__)


class Producer(Protocol):
    def send(
        self, topic: str, value: bytes, key: bytes | None = None
    ) -> Awaitable[asyncio.Future[Any]]: ...


class LaneRefusal(ProblemError):
    """The whole request is refused (auth, limits, bad body, Kafka unavailable).

    An edge adapter's HTTP problem (the lane speaks HTTP directly); the chassis renders it,
    and the fast path renders it itself.
    """

    detail: str

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status, title, detail, headers=headers, extra=extra)


BED_NOT_IN_SERVICE = problem_type("bed-not-in-service")


class ConsentNotInForce(LaneRefusal):
    """409 `precondition-failed`: the device is suspended because a consent it needs is not in
    force (a camera without video consent, 000 §三(三)); the token is valid, so not a 401."""

    def __init__(self, auth: DeviceAuth) -> None:
        scope = auth.suspended_for or ""
        requirement = requirement_of_scope(scope)
        basis = f" ({requirement.text})" if requirement is not None else ""
        super().__init__(
            409,
            "Precondition failed",
            f"This {auth.device_type.value} is suspended: the bed's {scope} consent is not in "
            f"force{basis}. Nothing is accepted from it until the consent is given again.",
            extra={
                "action": "send_data",
                "device_status": "suspended",
                "missing_consents": [scope],
                "problems": [f"needs: consent to {scope}{basis}"],
            },
        )
        self.type = problem_type("precondition-failed")


@dataclass
class IngestOutcome:
    accepted: int
    duplicates: int
    refused: list[Refusal] = field(default_factory=list)
    late: int = 0  # accepted, stored, but too old for the real-time rules


def refusals_json(refused: list[Refusal]) -> list[dict[str, Any]]:
    return [
        {"index": r.index, "seq": r.seq, "reason": r.reason.value, "detail": r.detail}
        for r in refused
    ]


def outcome_json(device: DeviceAuth, outcome: IngestOutcome) -> dict[str, Any]:
    """The 202 answer; a bed not in service is said (`bed_in_service`, `bed_status`)."""
    answer: dict[str, Any] = {
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "late": outcome.late,
        "refused": refusals_json(outcome.refused),
        "bed_in_service": device.bed_in_service,
    }
    if not device.bed_in_service:
        answer["bed_status"] = device.bed_status
        answer["notice"] = {"type": BED_NOT_IN_SERVICE, "title": "Bed not in service"}
    return answer


class TelemetryLane:
    def __init__(
        self,
        *,
        authenticator: DeviceAuthenticator,
        producer: Callable[[], Producer | None],
        limiter: DeviceRateLimiter,
        windows: SeqWindows,
        max_readings: int,
        ack_timeout_seconds: float,
        source: str,
        topic: str = IOT_TELEMETRY.name,
        wall_clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._authenticator = authenticator
        self._producer = producer
        self._limiter = limiter
        self._windows = windows
        self._max_readings = max_readings
        self._ack_timeout = ack_timeout_seconds
        self._topic = topic
        self._source = source
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._seen: dict[str, datetime] = {}
        self._seeded: set[str] = set()
        self._unavailable_logged: dict[str, float] = {}

    @property
    def windows(self) -> SeqWindows:
        return self._windows

    @property
    def authenticator(self) -> DeviceAuthenticator:
        return self._authenticator

    async def authenticate(self, token: str | None) -> DeviceAuth:
        return self.admit(await self._authenticator.authenticate(token) if token else None)

    def admit(self, auth: DeviceAuth | None) -> DeviceAuth:
        """The device behind a token as read (cache or database): 401 when there is none, 409
        when it is suspended for a missing consent."""
        if auth is None:
            raise self.unauthorized()
        if auth.suspended_for is not None:
            TELEMETRY_BATCHES.labels(SERVICE, "suspended").inc()
            raise ConsentNotInForce(auth)
        if auth.device_id not in self._seeded:
            self._windows.seed(auth.device_id, auth.last_seq)
            self._seeded.add(auth.device_id)
        return auth

    def unauthorized(self) -> LaneRefusal:
        """The 401 of a request without a valid device token (counted)."""
        TELEMETRY_BATCHES.labels(SERVICE, "unauthorized").inc()
        return LaneRefusal(
            401,
            "Unauthorized",
            "A valid device token is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )

    def mark_seen(self, device_id: str, at: datetime) -> None:
        self._seen[device_id] = at

    def take_seen(self) -> dict[str, datetime]:
        seen, self._seen = self._seen, {}
        return seen

    def forget_device(self, device_id: str) -> None:
        self._windows.forget(device_id)
        self._seeded.discard(device_id)
        self._authenticator.invalidate_device(device_id)

    async def ingest(self, auth: DeviceAuth, body: bytes) -> IngestOutcome:
        """Everything after authentication: limit, decode, validate, dedupe, publish."""
        retry_after = self._limiter.try_acquire(auth.device_id, self._monotonic())
        if retry_after is not None:
            TELEMETRY_BATCHES.labels(SERVICE, "rate_limited").inc()
            raise LaneRefusal(
                429,
                "Too many requests",
                "This device is sending faster than its limit.",
                headers={"Retry-After": str(retry_after)},
            )
        try:
            post = decode_post(body)
        except msgspec.ValidationError as exc:
            TELEMETRY_BATCHES.labels(SERVICE, "invalid").inc()
            raise LaneRefusal(422, "Invalid request", str(exc)) from None
        except msgspec.DecodeError:
            TELEMETRY_BATCHES.labels(SERVICE, "invalid").inc()
            raise LaneRefusal(400, "Bad request", "The body is not valid JSON.") from None
        if len(post.readings) > self._max_readings:
            TELEMETRY_BATCHES.labels(SERVICE, "invalid").inc()
            raise LaneRefusal(
                413,
                "Payload too large",
                f"At most {self._max_readings} readings per batch; got {len(post.readings)}.",
            )
        now = self._wall_clock()
        checked = validate_readings(auth.spec, post.readings, now=now)
        previous_high = self._windows.high(auth.device_id)
        fresh = self._windows.fresh(auth.device_id, [r.seq for r in checked.accepted])
        new = [r for r, is_new in zip(checked.accepted, fresh, strict=True) if is_new]
        late = sum(1 for r in new if r.ts < now - LATE_AFTER) if checked.late else 0
        duplicates = len(checked.accepted) - len(new)
        # heard from now, whatever Kafka does; set with the seq marks (no await between them),
        # so a flush never stores the marks of a post without its "last seen"
        self._seen[auth.device_id] = now
        if new:
            await self._publish(auth, new, now, previous_high)
        for refusal in checked.refused:
            READINGS_REFUSED.labels(SERVICE, refusal.reason.value).inc()
        _READINGS_ACCEPTED.inc(len(new))
        _READINGS_DUPLICATE.inc(duplicates)
        _READINGS_REFUSED.inc(len(checked.refused))
        if not checked.accepted and checked.refused:
            TELEMETRY_BATCHES.labels(SERVICE, "invalid").inc()
            raise LaneRefusal(
                422,
                "No reading accepted",
                "Every reading was refused.",
                extra={"refused": refusals_json(checked.refused)},
            )
        _BATCHES_ACCEPTED.inc()
        if late:
            _READINGS_LATE.inc(late)
        return IngestOutcome(len(new), duplicates, checked.refused, late)

    def _log_unavailable(self, exc: Exception) -> None:
        """Why batches get 503, once per error type every 10 s (an outage fails them all)."""
        kind = "TimeoutError" if isinstance(exc, TimeoutError) else type(exc).__name__
        now = self._monotonic()
        if now - self._unavailable_logged.get(kind, -UNAVAILABLE_LOG_EVERY) < UNAVAILABLE_LOG_EVERY:
            return
        self._unavailable_logged[kind] = now
        logger.warning(
            "telemetry batch not acknowledged by Kafka (%s); answered 503",
            kind,
            extra={"error": kind},
        )

    async def _publish(
        self, auth: DeviceAuth, readings: list[Any], now: datetime, previous_high: int
    ) -> None:
        producer = self._producer()
        try:
            if producer is None:
                raise ConnectionError("Kafka is not connected")
            _, value = encode_telemetry(
                source=self._source,
                device_id=auth.device_id,
                bed_id=auth.bed_id,
                provider_id=auth.provider_id,
                device_type=auth.device_type.value,
                readings=readings,
                received_at=now,
            )
            # one deadline for queueing and acknowledgement: `send` itself can wait (metadata
            # after a broker restart, a full batch, a producer being replaced)
            async with asyncio.timeout(self._ack_timeout):
                # keyed by bed (topic registry): a bed's devices reach one rule-engine instance
                ack = await producer.send(self._topic, value, key=auth.bed_id.encode())
                await ack
        except Exception as exc:
            self._windows.release(auth.device_id, [r.seq for r in readings], previous_high)
            TELEMETRY_BATCHES.labels(SERVICE, "unavailable").inc()
            self._log_unavailable(exc)
            raise LaneRefusal(
                503,
                "Service unavailable",
                "Kafka did not acknowledge the batch; retry with the same seq numbers.",
                headers={"Retry-After": "1"},
            ) from None
