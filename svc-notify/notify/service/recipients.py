"""Recipients: who notifications reach, their channels, quiet hours; phones sealed at rest."""

from __future__ import annotations

from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound, Unprocessable
from chassis.principal import Role
from notify.channels.webhook_guard import WebhookGuard
from notify.crypto import PHONE_CONTEXT, WEBHOOK_SECRET_CONTEXT, blind_index
from notify.domain.recipients import (
    QuietHours,
    RecipientKind,
    mask_phone,
    normalise_phone,
    parse_clock_time,
    require_channels,
)
from notify.domain.webhook_targets import WebhookRefused
from notify.repository import RecipientRepository
from notify.schemas import QuietHoursRead, RecipientRead, RecipientUpsert
from notify.service.access import managed_provider
from notify.service.context import NotifyContext
from notify.tables import RecipientRow

PHONE_INDEX_CONTEXT = "recipient.phone"


async def put_recipient(
    *,
    uow: UnitOfWork,
    ctx: NotifyContext,
    person_id: str,
    cmd: RecipientUpsert,
    webhook_guard: WebhookGuard,
) -> RecipientRead:
    """Create or replace a recipient; an existing person of another provider is NotFound; a
    webhook_url notify must not reach (internal host, http outside dev, credentials) is 422."""
    provider_id = managed_provider(ctx.principal, cmd.provider_id)
    _check_kind(ctx, cmd, provider_id)
    cipher, index_key = ctx.pii()
    phone = normalise_phone(cmd.phone) if cmd.phone else None
    require_channels(
        list(cmd.channels), has_phone=phone is not None, has_webhook=cmd.webhook_url is not None
    )
    if cmd.webhook_url is not None and not cmd.webhook_secret:
        raise Unprocessable([("webhook_secret", "a webhook needs its signing secret")])
    if cmd.webhook_url is not None:
        try:
            await webhook_guard.check(str(cmd.webhook_url))
        except WebhookRefused as refused:
            raise Unprocessable([("webhook_url", refused.reason)]) from refused
    if cmd.quiet_hours is not None:
        QuietHours(
            parse_clock_time(cmd.quiet_hours.start, "quiet_hours.start"),
            parse_clock_time(cmd.quiet_hours.end, "quiet_hours.end"),
        )
    async with uow:
        recipients = uow.repo(RecipientRepository)
        row = await recipients.get(person_id)
        if row is not None and not _manages(ctx, row):
            raise NotFound("Recipient")
        index = blind_index(phone, key=index_key, context=PHONE_INDEX_CONTEXT) if phone else None
        if index is not None:
            holder = await recipients.by_phone_index(index)
            if holder is not None and holder.person_id != person_id:
                raise Unprocessable([("phone", "another recipient has this number")])
        if row is None:
            row = RecipientRow(person_id=person_id, created_at=ctx.now)
            recipients.add(row)
        row.kind = cmd.kind.value
        row.provider_id = None if cmd.kind is RecipientKind.OFFICER else provider_id
        row.display_name = cmd.display_name
        row.roles, row.region_codes, row.bed_ids = (
            list(cmd.roles),
            list(cmd.region_codes),
            list(cmd.bed_ids),
        )
        row.channels = [c.value for c in cmd.channels]
        row.phone_sealed = cipher.encrypt(phone, context=PHONE_CONTEXT).token if phone else None
        row.phone_masked = mask_phone(phone) if phone else None
        row.phone_index = index
        row.webhook_url = str(cmd.webhook_url) if cmd.webhook_url else None
        row.webhook_secret_sealed = (
            cipher.encrypt(cmd.webhook_secret, context=WEBHOOK_SECRET_CONTEXT).token
            if cmd.webhook_secret
            else None
        )
        row.quiet_start = cmd.quiet_hours.start if cmd.quiet_hours else None
        row.quiet_end = cmd.quiet_hours.end if cmd.quiet_hours else None
        row.active = cmd.active
        row.updated_at = ctx.now
        await uow.commit()
        return recipient_read(row)


async def get_recipient(*, uow: UnitOfWork, ctx: NotifyContext, person_id: str) -> RecipientRead:
    managed_provider(ctx.principal, None)
    async with uow:
        row = await uow.repo(RecipientRepository).get(person_id)
        if row is None or not _manages(ctx, row):
            raise NotFound("Recipient")
        return recipient_read(row)


async def list_recipients(
    *, uow: UnitOfWork, ctx: NotifyContext, provider_id: str | None, limit: int, offset: int
) -> Page[RecipientRead]:
    scope = managed_provider(ctx.principal, provider_id)
    async with uow:
        rows, total = await uow.repo(RecipientRepository).page(
            provider_id=scope, limit=limit, offset=offset
        )
        return Page(
            items=[recipient_read(r) for r in rows], total=total, limit=limit, offset=offset
        )


def _check_kind(ctx: NotifyContext, cmd: RecipientUpsert, provider_id: str | None) -> None:
    if cmd.kind is RecipientKind.OFFICER:
        if ctx.principal.role is not Role.OPS:
            raise Unprocessable([("kind", "officers are registered by ops")])
        if not cmd.region_codes:
            raise Unprocessable([("region_codes", "an officer needs the regions they oversee")])
    elif provider_id is None:
        raise Unprocessable([("provider_id", "name the provider the person works for")])
    if cmd.kind is RecipientKind.FAMILY and not cmd.bed_ids:
        raise Unprocessable([("bed_ids", "a family contact names the beds they are contact for")])


def _manages(ctx: NotifyContext, row: RecipientRow) -> bool:
    if ctx.principal.role is Role.OPS:
        return True
    return row.provider_id is not None and row.provider_id == ctx.principal.provider_id


def recipient_read(row: RecipientRow) -> RecipientRead:
    quiet = (
        QuietHoursRead(start=row.quiet_start, end=row.quiet_end)
        if row.quiet_start and row.quiet_end
        else None
    )
    return RecipientRead(
        person_id=row.person_id,
        kind=row.kind,
        display_name=row.display_name,
        provider_id=row.provider_id,
        roles=list(row.roles),
        region_codes=list(row.region_codes),
        bed_ids=list(row.bed_ids),
        channels=list(row.channels),
        phone_masked=row.phone_masked,
        webhook_url=row.webhook_url,
        quiet_hours=quiet,
        active=row.active,
    )
