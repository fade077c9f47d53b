"""An SMS reply with a code acknowledges the alarm in iot-ingest (the owner of alarm state),
as the person who replied. notify's chain stops when iot-ingest's `alarm.acknowledged` comes
back on iot.alarms.v1, exactly as for an acknowledgement from the app."""

from __future__ import annotations

import re
from typing import Protocol

from chassis.db import UnitOfWork
from notify.crypto import blind_index
from notify.domain.recipients import normalise_phone
from notify.repository import ChainRepository, DeliveryRepository, RecipientRepository
from notify.schemas import SmsInbound, SmsInboundResult
from notify.service.recipients import PHONE_INDEX_CONTEXT

CODE = re.compile(r"\b(\d{4})\b")


class AlarmAcknowledger(Protocol):
    async def acknowledge(self, *, alarm_id: str, by: str) -> str:
        """`acknowledged` or `already_acknowledged`; raises chassis Unavailable when iot-ingest
        cannot be reached (the provider retries the reply)."""
        ...


async def handle_reply(
    *,
    uow: UnitOfWork,
    reply: SmsInbound,
    index_key: bytes,
    acknowledger: AlarmAcknowledger,
) -> SmsInboundResult:
    try:
        phone = normalise_phone(reply.from_)
    except Exception:
        return SmsInboundResult(outcome="unknown_sender")
    match = CODE.search(reply.text)
    async with uow:
        person = await uow.repo(RecipientRepository).by_phone_index(
            blind_index(phone, key=index_key, context=PHONE_INDEX_CONTEXT)
        )
        if person is None:
            return SmsInboundResult(outcome="unknown_sender")
        if match is None:
            return SmsInboundResult(outcome="no_open_alarm")
        delivery = await uow.repo(DeliveryRepository).open_with_code(
            person.person_id, match.group(1)
        )
        if delivery is None:
            return SmsInboundResult(outcome="no_open_alarm")
        alarm_id, by = delivery.subject, person.person_id
        chain = await uow.repo(ChainRepository).get(alarm_id)
        if chain is not None and chain.state.value != "open":
            return SmsInboundResult(outcome="already_acknowledged", alarm_id=alarm_id)
    # outside the transaction: no database connection held while iot-ingest answers
    outcome = await acknowledger.acknowledge(alarm_id=alarm_id, by=by)
    return SmsInboundResult(outcome=outcome, alarm_id=alarm_id)
