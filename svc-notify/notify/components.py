"""What the routes need beyond the unit of work, built once by the composition root and kept
on `app.state.notify`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from chassis.api import clock_of, get_principal
from chassis.observability.context import request_id_var
from chassis.principal import Principal
from notify.channels.hub import InboxHub
from notify.channels.webhook_guard import WebhookGuard
from notify.crypto import FieldCipher
from notify.service.audience import OnCallCache
from notify.service.context import NotifyContext
from notify.service.sms_replies import AlarmAcknowledger
from notify.settings import Settings


@dataclass
class Components:
    settings: Settings
    cipher: FieldCipher
    blind_index_key: bytes
    hub: InboxHub
    acknowledger: AlarmAcknowledger
    on_call: OnCallCache
    webhook_guard: WebhookGuard  # a webhook_url is checked where it is registered


def components(request: Request) -> Components:
    found: Components = request.app.state.notify
    return found


def get_notify_context(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> NotifyContext:
    parts = components(request)
    return NotifyContext(
        principal=principal,
        now=clock_of(request)(),
        request_id=request_id_var.get(),
        cipher=parts.cipher,
        blind_index_key=parts.blind_index_key,
    )


NotifyContextDep = Annotated[NotifyContext, Depends(get_notify_context)]
