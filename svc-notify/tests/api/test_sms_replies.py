"""A reply `1234` to an alarm's SMS acknowledges that alarm in iot-ingest as the person who
replied (iot-ingest's internal route, here a recording fake); the provider's signature is the
route's credential."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson

from chassis.clock import ManualClock
from notify.domain import signing
from notify.settings import DEV_SMS_INBOUND_SECRET
from notify.sms_stub import StubState
from notify.testing import (
    ALARMS,
    Notify,
    alarm_envelope,
    bed_envelope,
    staff_with_schedules,
)


@dataclass
class RecordingIot:
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def acknowledge(self, *, alarm_id: str, by: str) -> str:
        self.calls.append((alarm_id, by))
        return "acknowledged"


def _signed(
    body: dict[str, str], *, now: int, secret: str = DEV_SMS_INBOUND_SECRET
) -> tuple[bytes, dict[str, str]]:
    raw = orjson.dumps(body)
    headers = signing.headers(secret, msg_id="msg_1", timestamp=now, body=raw)
    return raw, headers | {"content-type": "application/json"}


async def test_reply_with_the_code_acknowledges_in_iot(
    notify: Notify, clock: ManualClock, stub: StubState
) -> None:
    iot = RecordingIot()
    notify.app.state.notify.acknowledger = iot
    await staff_with_schedules(notify, clock)
    await notify.feed("intake.beds.v1", bed_envelope("bed-1", at=clock()))
    raised = alarm_envelope(
        "alarm.raised", alarm_id="al-s", bed_id="bed-1", raised_at=clock(), at=clock()
    )
    await notify.feed(ALARMS, raised)
    await notify.feed(
        ALARMS,
        alarm_envelope(
            "alarm.escalated",
            alarm_id="al-s",
            bed_id="bed-1",
            raised_at=clock(),
            at=clock(),
            escalation_level=1,
            escalation_target="duty_manager",
        ),
    )
    await notify.dispatch()
    [sms] = stub.messages
    code = sms["text"].split("回复 ")[1][:4]
    now = int(clock().timestamp())
    raw, headers = _signed({"from": "13900000002", "text": f" {code} 收到"}, now=now)
    answer = await notify.client.post("/v1/sms/inbound", content=raw, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "acknowledged", "alarm_id": "al-s"}
    assert iot.calls == [("al-s", "dm-1")]

    wrong, wrong_headers = _signed({"from": "13900000002", "text": "0000"}, now=now)
    assert (
        await notify.client.post("/v1/sms/inbound", content=wrong, headers=wrong_headers)
    ).json()["outcome"] == "no_open_alarm"
    stranger, stranger_headers = _signed({"from": "13700000000", "text": code}, now=now)
    assert (
        await notify.client.post("/v1/sms/inbound", content=stranger, headers=stranger_headers)
    ).json()["outcome"] == "unknown_sender"


async def test_unsigned_or_stale_replies_are_refused(notify: Notify, clock: ManualClock) -> None:
    now = int(clock().timestamp())
    raw, headers = _signed(
        {"from": "13900000002", "text": "1234"}, now=now, secret="another-secret"
    )
    assert (
        await notify.client.post("/v1/sms/inbound", content=raw, headers=headers)
    ).status_code == 401
    raw, headers = _signed({"from": "13900000002", "text": "1234"}, now=now - 3600)
    assert (
        await notify.client.post("/v1/sms/inbound", content=raw, headers=headers)
    ).status_code == 401
    raw, headers = _signed({"from": "13900000002"}, now=now)
    refused = await notify.client.post("/v1/sms/inbound", content=raw, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "text"
    assert time.time() > 0
