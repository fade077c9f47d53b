"""The visit plan: tasks planned per bed from the jurisdiction's minimums and the provider's plan
items, replanned when the bed changes; completed by verified visits, missed by the sweep."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from chassis.access import require_role
from chassis.clock import Clock, shanghai_date
from chassis.context import RequestContext
from chassis.db import UnitOfWork, UnitOfWorkFactory
from chassis.dto import Page
from chassis.errors import IllegalTransition, NotFound, Unprocessable
from chassis.principal import Role
from homebed_schemas.events.intake import BedEvent
from service_records.domain.plan import (
    TASK_ACTIONS,
    PlanLine,
    TaskKind,
    TaskStatus,
    local,
    minimum_lines,
    occurrences,
    visit_matches,
)
from service_records.policies.loader import load_profile
from service_records.repository import PlanRepository, RosterRepository, WorkerRepository
from service_records.schemas.plan import (
    PlanItemCreate,
    PlanItemRead,
    TaskAssign,
    TaskComplete,
    TaskRead,
)
from service_records.service.access import READERS, admin_provider, scope_for, visible_bed
from service_records.service.archive import record_bed_event
from service_records.service.handover import hand_over_bed
from service_records.service.roster import apply_bed_event, bed_facts
from service_records.tables import PlanItemRow, RosterBedRow, TaskRow, VisitRow

PLAN_HORIZON_DAYS = 14


def plan_lines(bed: RosterBedRow, items: list[PlanItemRow]) -> list[PlanLine]:
    """The bed's recurring lines: the profile's minimums (if any), then the provider's items."""
    assert bed.established_on is not None
    minimums = load_profile(bed.jurisdiction).minimums
    lines = (
        minimum_lines(
            bed.established_on,
            daily_visits=minimums.daily_onsite_visits,
            medic_period_days=minimums.medic_period_days,
        )
        if minimums is not None
        else []
    )
    for item in items:
        hours, minutes = (int(part) for part in item.due_time.split(":"))
        lines.append(
            PlanLine(
                key=f"item:{item.id}",
                kind=TaskKind.ITEM,
                anchor=item.anchor,
                every_days=item.every_days,
                due_time=time(hours, minutes),
                before=timedelta(minutes=item.before_minutes),
                after=timedelta(minutes=item.after_minutes),
                item_code=item.item_code,
            )
        )
    return lines


async def replan(uow: UnitOfWork, bed: RosterBedRow, first: date, now: datetime) -> None:
    """Make the bed's plan tasks from `first` to the horizon match its lines and active days:
    new ones scheduled, ones no longer due (suspended, ended, item removed) cancelled."""
    if bed.established_on is None:
        return
    roster, plan = uow.repo(RosterRepository), uow.repo(PlanRepository)
    facts = bed_facts(bed, await roster.suspensions(bed.bed_id))
    assert facts is not None
    first = max(first, bed.established_on)
    last = first + timedelta(days=PLAN_HORIZON_DAYS - 1)
    wanted = {
        (t.key, t.day): t
        for line in plan_lines(bed, list(await plan.items(bed.bed_id)))
        for t in occurrences(line, first, last, facts.is_active)
    }
    existing = {(t.plan_key, t.day): t for t in await plan.planned_from(bed.bed_id, first)}
    for key, task in existing.items():
        if key not in wanted and task.status == TaskStatus.SCHEDULED.value:
            task.status, task.updated_at = TaskStatus.CANCELLED.value, now
    for key, planned in wanted.items():
        row = existing.get(key)
        if row is not None:
            if row.status == TaskStatus.CANCELLED.value:
                row.status, row.updated_at = TaskStatus.SCHEDULED.value, now
            continue
        plan.add(
            TaskRow(
                id=str(uuid.uuid4()),
                bed_id=bed.bed_id,
                provider_id=bed.provider_id,
                plan_key=planned.key,
                kind=planned.kind.value,
                item_code=planned.item_code,
                roles=sorted(planned.roles),
                day=planned.day,
                opens_at=planned.opens_at,
                due_at=planned.due_at,
                closes_at=planned.closes_at,
                status=TaskStatus.SCHEDULED.value,
                assignee_worker_id=None,
                visit_id=None,
                note=None,
                created_at=now,
                updated_at=now,
            )
        )
    bed.planned_through = max(bed.planned_through or last, last)


async def on_bed_event(*, uow: UnitOfWork, type_: str, event: BedEvent) -> None:
    """A bed event updates the roster and the bed's archive, then replans the bed's tasks from the event's date
    (suspended: cancelled; resumed: planned again; ended: cancelled). A bed now of another
    provider (bed.provider_changed) is handed over first. Never commits."""
    known = await uow.repo(RosterRepository).get(event.bed_id)
    previous_provider = known.provider_id if known is not None else None
    bed = await apply_bed_event(uow=uow, type_=type_, event=event)
    if bed is not None:
        if previous_provider is not None and previous_provider != bed.provider_id:
            await hand_over_bed(
                uow, bed, previous_provider_id=previous_provider, at=event.occurred_at
            )
        await record_bed_event(uow, bed, type_, event)
        await replan(
            uow, bed, event.event_date or shanghai_date(event.occurred_at), event.occurred_at
        )


async def complete_tasks(uow: UnitOfWork, visit: VisitRow, now: datetime) -> None:
    """A verified visit completes the bed's tasks whose window it started in (one per line)."""
    tasks = await uow.repo(PlanRepository).open_for_visit(
        visit.bed_id, visit.service_date - timedelta(days=366), visit.service_date + timedelta(1)
    )
    done: set[str] = set()
    for task in tasks:
        if task.plan_key in done:
            continue
        if visit_matches(
            kind=TaskKind(task.kind),
            item_code=task.item_code,
            roles=task.roles,
            opens_at=task.opens_at,
            closes_at=task.closes_at,
            check_in_at=visit.check_in_at,
            worker_role=visit.worker_role,
            mode=visit.mode,
            items=visit.items,
        ):
            task.status, task.visit_id, task.updated_at = TaskStatus.COMPLETED.value, visit.id, now
            done.add(task.plan_key)


async def sweep_tasks(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Mark tasks whose window passed `missed`; plan beds whose horizon runs short. Returns the
    tasks marked missed."""
    now = clock()
    today = shanghai_date(now)
    uow = uow_factory()
    async with uow:
        overdue = await uow.repo(PlanRepository).overdue(now)
        for task in overdue:
            task.status, task.updated_at = TaskStatus.MISSED.value, now
        through = today + timedelta(days=PLAN_HORIZON_DAYS - 1)
        for bed in await uow.repo(RosterRepository).to_plan(through):
            await replan(uow, bed, today, now)
        await uow.commit()
    return len(overdue)


async def list_tasks(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    due: str | None,
    bed_id: str | None,
    status: str | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> Page[TaskRead]:
    """Tasks the caller may see; `due=today` (or a date): tasks open during that Shanghai day."""
    async with uow:
        require_role(ctx.principal, *READERS)
        day = _due_day(due, ctx.today)
        rows, total = await uow.repo(PlanRepository).find(
            await scope_for(uow, ctx.principal),
            opens_before=local(day + timedelta(days=1)) if day else None,
            closes_after=local(day) if day else None,
            bed_id=bed_id,
            status=status,
            kind=kind,
            limit=limit,
            offset=offset,
        )
        return Page(items=[task_read(r) for r in rows], total=total, limit=limit, offset=offset)


def _due_day(due: str | None, today: date) -> date | None:
    if due is None:
        return None
    if due == "today":
        return today
    try:
        return date.fromisoformat(due)
    except ValueError:
        raise Unprocessable.field("query.due", "`today` or a date YYYY-MM-DD") from None


async def _visible_task(uow: UnitOfWork, ctx: RequestContext, task_id: str) -> TaskRow:
    task = await uow.repo(PlanRepository).visible(task_id, await scope_for(uow, ctx.principal))
    if task is None:
        raise NotFound("Task")
    return task


def _require(task: TaskRow, action: str) -> None:
    allowed = list(TASK_ACTIONS[TaskStatus(task.status)])
    if action not in allowed:
        raise IllegalTransition(
            state=task.status, action=action, allowed_actions=allowed, entity="task"
        )


async def assign_task(
    *, uow: UnitOfWork, ctx: RequestContext, task_id: str, cmd: TaskAssign
) -> TaskRead:
    """Give a scheduled task to one of the provider's active workers (or take it back)."""
    async with uow:
        task = await _visible_task(uow, ctx, task_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        _require(task, "assign")
        if cmd.worker_id is not None:
            worker = await uow.repo(WorkerRepository).get(cmd.worker_id)
            if worker is None or worker.provider_id != task.provider_id or not worker.active:
                raise Unprocessable.field("body.worker_id", "no active worker of this provider")
        task.assignee_worker_id, task.updated_at = cmd.worker_id, ctx.now
        await uow.commit()
        return task_read(task)


async def complete_task(
    *, uow: UnitOfWork, ctx: RequestContext, task_id: str, cmd: TaskComplete
) -> TaskRead:
    """Close a follow-up task with a note (plan tasks are completed by verified visits only)."""
    async with uow:
        task = await _visible_task(uow, ctx, task_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        _require(task, "complete")
        if task.kind != TaskKind.FOLLOW_UP.value:
            raise IllegalTransition(
                state=task.status, action="complete", allowed_actions=[], entity="plan task"
            )
        task.status, task.note, task.updated_at = TaskStatus.COMPLETED.value, cmd.note, ctx.now
        await uow.commit()
        return task_read(task)


async def add_plan_item(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, cmd: PlanItemCreate
) -> PlanItemRead:
    """Add a recurring task to a bed's plan and plan it to the horizon."""
    async with uow:
        bed = await visible_bed(uow, ctx.principal, bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        admin_provider(ctx.principal)
        catalogue = load_profile(bed.jurisdiction).catalogue
        if catalogue.item(cmd.item_code) is None:
            raise Unprocessable.field(
                "body.item_code", f"unknown item code {cmd.item_code!r} in {catalogue.id}"
            )
        row = PlanItemRow(
            id=str(uuid.uuid4()),
            bed_id=bed.bed_id,
            provider_id=bed.provider_id,
            item_code=cmd.item_code,
            every_days=cmd.every_days,
            anchor=cmd.anchor or ctx.today,
            due_time=cmd.due_time,
            before_minutes=cmd.before_minutes,
            after_minutes=cmd.after_minutes,
            active=True,
            created_by=ctx.principal.sub,
            created_at=ctx.now,
        )
        uow.repo(PlanRepository).add_item(row)
        await uow.session.flush()
        await replan(uow, bed, ctx.today, ctx.now)
        await uow.commit()
        return plan_item_read(row)


async def list_plan_items(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str
) -> list[PlanItemRead]:
    """The recurring plan items of a bed."""
    async with uow:
        require_role(ctx.principal, *READERS)
        await visible_bed(uow, ctx.principal, bed_id)
        items = await uow.repo(PlanRepository).items(bed_id, active_only=False)
        return [plan_item_read(i) for i in items]


def plan_item_read(row: PlanItemRow) -> PlanItemRead:
    return PlanItemRead(
        id=row.id,
        bed_id=row.bed_id,
        item_code=row.item_code,
        every_days=row.every_days,
        anchor=row.anchor,
        due_time=row.due_time,
        before_minutes=row.before_minutes,
        after_minutes=row.after_minutes,
        active=row.active,
        created_at=row.created_at,
    )


def task_read(row: TaskRow) -> TaskRead:
    return TaskRead(
        id=row.id,
        bed_id=row.bed_id,
        provider_id=row.provider_id,
        kind=row.kind,
        plan_key=row.plan_key,
        item_code=row.item_code,
        roles=list(row.roles),
        day=row.day,
        opens_at=row.opens_at,
        due_at=row.due_at,
        closes_at=row.closes_at,
        status=row.status,
        assignee_worker_id=row.assignee_worker_id,
        visit_id=row.visit_id,
        note=row.note,
        allowed_actions=list(TASK_ACTIONS[TaskStatus(row.status)]),
    )
