"""Queries, one repository per aggregate; built by `uow.repo(...)`, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from service_records.tables import (
    ArchiveEntryRow,
    AssignmentRow,
    BreachRow,
    DailyRollupRow,
    ObservationRow,
    PlanItemRow,
    RosterBedRow,
    SurveyRow,
    SuspensionRow,
    TaskRow,
    TrainingRow,
    VisitExceptionRow,
    VisitRow,
    VisitVersionRow,
    WorkerRow,
)

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Scope:
    """What a caller may see, as data: the service layer builds it from the principal."""

    provider_id: str | None = None  # provider staff
    region_prefixes: tuple[str, ...] | None = None  # officers
    worker_id: str | None = None  # caregivers: beds assigned to them, visits they made
    elder_sub: str | None = None  # elders and family
    nothing: bool = False


def _bed_filter(scope: Scope) -> ColumnElement[bool]:
    if scope.nothing:
        return false()
    clauses: list[ColumnElement[bool]] = []
    if scope.provider_id is not None:
        clauses.append(RosterBedRow.provider_id == scope.provider_id)
    if scope.region_prefixes is not None:
        clauses.append(
            or_(*(RosterBedRow.region_code.startswith(p) for p in scope.region_prefixes))
            if scope.region_prefixes
            else false()
        )
    if scope.worker_id is not None:
        clauses.append(
            RosterBedRow.bed_id.in_(
                select(AssignmentRow.bed_id).where(AssignmentRow.worker_id == scope.worker_id)
            )
        )
    if scope.elder_sub is not None:
        clauses.append(RosterBedRow.elder_sub == scope.elder_sub)
    return and_(true(), *clauses)


class RosterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, bed_id: str) -> RosterBedRow | None:
        return await self.session.get(RosterBedRow, bed_id)

    async def visible(self, bed_id: str, scope: Scope) -> RosterBedRow | None:
        query = select(RosterBedRow).where(RosterBedRow.bed_id == bed_id, _bed_filter(scope))
        return (await self.session.execute(query)).scalar_one_or_none()

    def add(self, row: RosterBedRow) -> None:
        self.session.add(row)

    async def find(
        self, scope: Scope, *, status: str | None, limit: int, offset: int
    ) -> tuple[Sequence[RosterBedRow], int]:
        query = select(RosterBedRow).where(_bed_filter(scope))
        if status is not None:
            query = query.where(RosterBedRow.status == status)
        return await _page(self.session, query.order_by(RosterBedRow.bed_id), limit, offset)

    async def suspensions(self, bed_id: str) -> Sequence[SuspensionRow]:
        query = select(SuspensionRow).where(SuspensionRow.bed_id == bed_id)
        return (await self.session.execute(query.order_by(SuspensionRow.start))).scalars().all()

    async def open_suspension(self, bed_id: str) -> SuspensionRow | None:
        query = select(SuspensionRow).where(
            SuspensionRow.bed_id == bed_id, SuspensionRow.end.is_(None)
        )
        return (await self.session.execute(query)).scalars().first()

    def add_suspension(self, row: SuspensionRow) -> None:
        self.session.add(row)

    async def assignees(self, bed_id: str) -> list[str]:
        query = select(AssignmentRow.worker_id).where(AssignmentRow.bed_id == bed_id)
        return list((await self.session.execute(query.order_by(AssignmentRow.worker_id))).scalars())

    async def replace_assignees(self, bed_id: str, rows: Sequence[AssignmentRow]) -> None:
        for row in (
            (
                await self.session.execute(
                    select(AssignmentRow).where(AssignmentRow.bed_id == bed_id)
                )
            )
            .scalars()
            .all()
        ):
            await self.session.delete(row)
        await self.session.flush()
        self.session.add_all(rows)

    async def drop_assignees_not_of(self, bed_id: str, provider_id: str) -> list[str]:
        """Unassign the bed's workers of any other provider than `provider_id` (the bed moved to
        it); returns their ids."""
        others = select(WorkerRow.id).where(WorkerRow.provider_id != provider_id)
        query = select(AssignmentRow).where(
            AssignmentRow.bed_id == bed_id, AssignmentRow.worker_id.in_(others)
        )
        dropped = (await self.session.execute(query)).scalars().all()
        for row in dropped:
            await self.session.delete(row)
        return sorted(row.worker_id for row in dropped)

    async def is_assigned(self, bed_id: str, worker_id: str) -> bool:
        row = await self.session.get(AssignmentRow, (bed_id, worker_id))
        return row is not None

    async def to_plan(self, through: date) -> Sequence[RosterBedRow]:
        """Established, not ended beds whose tasks are planned to before `through`."""
        query = select(RosterBedRow).where(
            RosterBedRow.established_on.is_not(None),
            RosterBedRow.ended_on.is_(None),
            or_(RosterBedRow.planned_through.is_(None), RosterBedRow.planned_through < through),
        )
        return (await self.session.execute(query.order_by(RosterBedRow.bed_id))).scalars().all()

    async def in_service(self) -> Sequence[RosterBedRow]:
        query = select(RosterBedRow).where(
            RosterBedRow.status.in_(("established", "accepted")),
            RosterBedRow.established_on.is_not(None),
        )
        return (await self.session.execute(query.order_by(RosterBedRow.bed_id))).scalars().all()

    async def in_service_for_close(self) -> Sequence[RosterBedRow]:
        """Beds the daily close job judges: established at some point, not judged to the end."""
        query = select(RosterBedRow).where(RosterBedRow.established_on.is_not(None))
        return (await self.session.execute(query.order_by(RosterBedRow.bed_id))).scalars().all()


class WorkerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, worker_id: str) -> WorkerRow | None:
        return await self.session.get(WorkerRow, worker_id)

    async def by_sub(self, user_sub: str) -> WorkerRow | None:
        query = select(WorkerRow).where(WorkerRow.user_sub == user_sub)
        return (await self.session.execute(query)).scalar_one_or_none()

    def add(self, row: WorkerRow) -> None:
        self.session.add(row)

    async def find(
        self,
        *,
        provider_id: str | None,
        role: str | None,
        active: bool | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[WorkerRow], int]:
        query = select(WorkerRow)
        if provider_id is not None:
            query = query.where(WorkerRow.provider_id == provider_id)
        if role is not None:
            query = query.where(WorkerRow.role == role)
        if active is not None:
            query = query.where(WorkerRow.active == active)
        return await _page(
            self.session, query.order_by(WorkerRow.name, WorkerRow.id), limit, offset
        )


class TrainingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: TrainingRow) -> None:
        self.session.add(row)

    async def for_bed(self, bed_id: str) -> Sequence[TrainingRow]:
        query = select(TrainingRow).where(TrainingRow.bed_id == bed_id)
        return (
            (await self.session.execute(query.order_by(TrainingRow.trained_on, TrainingRow.id)))
            .scalars()
            .all()
        )


class VisitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, visit_id: str) -> VisitRow | None:
        return await self.session.get(VisitRow, visit_id)

    async def by_idempotency_key(self, created_by: str, key: str) -> VisitRow | None:
        query = select(VisitRow).where(
            VisitRow.created_by == created_by, VisitRow.idempotency_key == key
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    def add(self, row: VisitRow) -> None:
        self.session.add(row)

    def _scoped(self, scope: Scope) -> Select[VisitRow]:
        query = select(VisitRow).join(RosterBedRow, RosterBedRow.bed_id == VisitRow.bed_id)
        if scope.worker_id is not None:
            # a caregiver: their own visits, and every visit on the beds assigned to them
            assigned = select(AssignmentRow.bed_id).where(
                AssignmentRow.worker_id == scope.worker_id
            )
            return query.where(
                RosterBedRow.provider_id == scope.provider_id,
                or_(VisitRow.worker_id == scope.worker_id, VisitRow.bed_id.in_(assigned)),
            )
        return query.where(_bed_filter(scope))

    async def visible(self, visit_id: str, scope: Scope) -> VisitRow | None:
        query = self._scoped(scope).where(VisitRow.id == visit_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def find(
        self,
        scope: Scope,
        *,
        bed_id: str | None,
        status: str | None,
        day_from: date | None,
        day_to: date | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[VisitRow], int]:
        query = self._scoped(scope)
        if bed_id is not None:
            query = query.where(VisitRow.bed_id == bed_id)
        if status is not None:
            query = query.where(VisitRow.status == status)
        if day_from is not None:
            query = query.where(VisitRow.service_date >= day_from)
        if day_to is not None:
            query = query.where(VisitRow.service_date <= day_to)
        ordered = query.order_by(VisitRow.check_in_at.desc(), VisitRow.id)
        return await _page(self.session, ordered, limit, offset)

    async def of_worker_between(
        self, worker_id: str, day_from: date, day_to: date
    ) -> Sequence[VisitRow]:
        query = select(VisitRow).where(
            VisitRow.worker_id == worker_id,
            VisitRow.service_date >= day_from,
            VisitRow.service_date <= day_to,
            VisitRow.status != "voided",
        )
        return (await self.session.execute(query.order_by(VisitRow.check_in_at))).scalars().all()

    async def counted_in_month(self, bed_id: str, first: date, last: date) -> Sequence[VisitRow]:
        query = select(VisitRow).where(
            VisitRow.bed_id == bed_id,
            VisitRow.service_date >= first,
            VisitRow.service_date <= last,
            VisitRow.status == "verified",
        )
        return (await self.session.execute(query.order_by(VisitRow.check_in_at))).scalars().all()

    async def of_elder(
        self, elder_id: str, *, limit: int, offset: int
    ) -> tuple[Sequence[VisitRow], int]:
        query = select(VisitRow).where(VisitRow.elder_id == elder_id)
        ordered = query.order_by(VisitRow.check_in_at.desc(), VisitRow.id)
        return await _page(self.session, ordered, limit, offset)

    async def open_without_exception(self, *, before: datetime, code: str) -> Sequence[VisitRow]:
        """Visits still open (no check-out) checked in before `before`, without exception `code`."""
        flagged = select(VisitExceptionRow.visit_id).where(VisitExceptionRow.code == code)
        query = select(VisitRow).where(
            VisitRow.status == "open",
            VisitRow.check_out_at.is_(None),
            VisitRow.check_in_at < before,
            VisitRow.id.not_in(flagged),
        )
        return (await self.session.execute(query.order_by(VisitRow.check_in_at))).scalars().all()

    async def versions(self, visit_id: str) -> Sequence[VisitVersionRow]:
        query = select(VisitVersionRow).where(VisitVersionRow.visit_id == visit_id)
        return (await self.session.execute(query.order_by(VisitVersionRow.id))).scalars().all()

    def add_version(self, row: VisitVersionRow) -> None:
        self.session.add(row)

    async def exceptions(self, visit_id: str) -> Sequence[VisitExceptionRow]:
        query = select(VisitExceptionRow).where(VisitExceptionRow.visit_id == visit_id)
        return (await self.session.execute(query.order_by(VisitExceptionRow.id))).scalars().all()

    def add_exception(self, row: VisitExceptionRow) -> None:
        self.session.add(row)

    async def observations(self, visit_id: str) -> Sequence[ObservationRow]:
        query = select(ObservationRow).where(ObservationRow.visit_id == visit_id)
        return (await self.session.execute(query.order_by(ObservationRow.id))).scalars().all()

    def add_observation(self, row: ObservationRow) -> None:
        self.session.add(row)


class RollupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def day(self, bed_id: str, day: date) -> DailyRollupRow | None:
        return await self.session.get(DailyRollupRow, (bed_id, day))

    def add(self, row: DailyRollupRow) -> None:
        self.session.add(row)

    async def between(
        self, *, first: date, last: date, bed_id: str | None = None, provider_id: str | None = None
    ) -> Sequence[DailyRollupRow]:
        query = select(DailyRollupRow).where(
            DailyRollupRow.day >= first, DailyRollupRow.day <= last
        )
        if bed_id is not None:
            query = query.where(DailyRollupRow.bed_id == bed_id)
        if provider_id is not None:
            query = query.where(DailyRollupRow.provider_id == provider_id)
        return (await self.session.execute(query)).scalars().all()

    async def breach_raised(self, bed_id: str, rule: str, marker: str) -> bool:
        query = select(BreachRow.id).where(
            BreachRow.bed_id == bed_id, BreachRow.rule == rule, BreachRow.marker == marker
        )
        return (await self.session.execute(query)).first() is not None

    def add_breach(self, row: BreachRow) -> None:
        self.session.add(row)

    async def breaches(
        self, *, period: str, bed_id: str | None = None, provider_id: str | None = None
    ) -> Sequence[BreachRow]:
        query = select(BreachRow).where(BreachRow.period == period)
        if bed_id is not None:
            query = query.where(BreachRow.bed_id == bed_id)
        if provider_id is not None:
            query = query.where(BreachRow.provider_id == provider_id)
        return (await self.session.execute(query.order_by(BreachRow.id))).scalars().all()


class PlanRepository:
    """A bed's plan items and the tasks planned from them (and follow-ups)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_item(self, row: PlanItemRow) -> None:
        self.session.add(row)

    async def items(self, bed_id: str, *, active_only: bool = True) -> Sequence[PlanItemRow]:
        query = select(PlanItemRow).where(PlanItemRow.bed_id == bed_id)
        if active_only:
            query = query.where(PlanItemRow.active.is_(True))
        ordered = query.order_by(PlanItemRow.created_at, PlanItemRow.id)
        return (await self.session.execute(ordered)).scalars().all()

    def add(self, row: TaskRow) -> None:
        self.session.add(row)

    async def open_of_other_provider(self, bed_id: str, provider_id: str) -> Sequence[TaskRow]:
        """The bed's scheduled tasks (plan lines and follow-ups) another provider holds."""
        query = select(TaskRow).where(
            TaskRow.bed_id == bed_id,
            TaskRow.status == "scheduled",
            TaskRow.provider_id != provider_id,
        )
        return (
            (await self.session.execute(query.order_by(TaskRow.opens_at, TaskRow.id)))
            .scalars()
            .all()
        )

    async def planned_from(self, bed_id: str, first: date) -> Sequence[TaskRow]:
        """Plan tasks (not follow-ups) of a bed planned for `first` or later."""
        query = select(TaskRow).where(
            TaskRow.bed_id == bed_id, TaskRow.day >= first, TaskRow.kind != "follow_up"
        )
        return (await self.session.execute(query)).scalars().all()

    async def open_for_visit(self, bed_id: str, first: date, last: date) -> Sequence[TaskRow]:
        """Tasks a verified visit may complete: scheduled or missed, planned in [first, last]."""
        query = select(TaskRow).where(
            TaskRow.bed_id == bed_id,
            TaskRow.day >= first,
            TaskRow.day <= last,
            TaskRow.status.in_(("scheduled", "missed")),
        )
        ordered = query.order_by(TaskRow.opens_at, TaskRow.id)
        return (await self.session.execute(ordered)).scalars().all()

    async def by_key(self, bed_id: str, plan_key: str) -> TaskRow | None:
        query = select(TaskRow).where(TaskRow.bed_id == bed_id, TaskRow.plan_key == plan_key)
        return (await self.session.execute(query)).scalars().first()

    async def overdue(self, now: datetime) -> Sequence[TaskRow]:
        query = select(TaskRow).where(TaskRow.status == "scheduled", TaskRow.closes_at <= now)
        return (await self.session.execute(query)).scalars().all()

    def _scoped(self, scope: Scope) -> Select[TaskRow]:
        query = select(TaskRow).join(RosterBedRow, RosterBedRow.bed_id == TaskRow.bed_id)
        if scope.worker_id is not None:
            assigned = select(AssignmentRow.bed_id).where(
                AssignmentRow.worker_id == scope.worker_id
            )
            return query.where(
                TaskRow.provider_id == scope.provider_id,
                TaskRow.kind != "follow_up",
                or_(TaskRow.assignee_worker_id == scope.worker_id, TaskRow.bed_id.in_(assigned)),
            )
        if scope.elder_sub is not None or scope.region_prefixes is not None:
            query = query.where(TaskRow.kind != "follow_up")  # follow-ups are the provider's
        return query.where(_bed_filter(scope))

    async def visible(self, task_id: str, scope: Scope) -> TaskRow | None:
        query = self._scoped(scope).where(TaskRow.id == task_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def find(
        self,
        scope: Scope,
        *,
        opens_before: datetime | None,
        closes_after: datetime | None,
        bed_id: str | None,
        status: str | None,
        kind: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[TaskRow], int]:
        query = self._scoped(scope)
        if opens_before is not None:
            query = query.where(TaskRow.opens_at < opens_before)
        if closes_after is not None:
            query = query.where(TaskRow.closes_at > closes_after)
        if bed_id is not None:
            query = query.where(TaskRow.bed_id == bed_id)
        if status is not None:
            query = query.where(TaskRow.status == status)
        if kind is not None:
            query = query.where(TaskRow.kind == kind)
        ordered = query.order_by(TaskRow.due_at, TaskRow.bed_id, TaskRow.id)
        return await _page(self.session, ordered, limit, offset)


class SurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: SurveyRow) -> None:
        self.session.add(row)

    async def exists(self, bed_id: str, template: str, context: str) -> bool:
        query = select(SurveyRow.id).where(
            SurveyRow.bed_id == bed_id, SurveyRow.template == template, SurveyRow.context == context
        )
        return (await self.session.execute(query)).first() is not None

    async def beds_with(self, template: str, context: str) -> set[str]:
        query = select(SurveyRow.bed_id).where(
            SurveyRow.template == template, SurveyRow.context == context
        )
        return set((await self.session.execute(query)).scalars())

    def _scoped(self, scope: Scope) -> Select[SurveyRow]:
        query = select(SurveyRow).join(RosterBedRow, RosterBedRow.bed_id == SurveyRow.bed_id)
        return query.where(_bed_filter(scope))

    async def visible(self, survey_id: str, scope: Scope) -> SurveyRow | None:
        query = self._scoped(scope).where(SurveyRow.id == survey_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def find(
        self, scope: Scope, *, bed_id: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[Sequence[SurveyRow], int]:
        query = self._scoped(scope)
        if bed_id is not None:
            query = query.where(SurveyRow.bed_id == bed_id)
        if status is not None:
            query = query.where(SurveyRow.status == status)
        ordered = query.order_by(SurveyRow.sent_at.desc(), SurveyRow.id)
        return await _page(self.session, ordered, limit, offset)

    async def scores(
        self,
        *,
        period: str,
        threshold: float,
        provider_id: str | None,
        regions: tuple[str, ...] | None,
    ) -> list[tuple[str, int, float, int]]:
        """(provider_id, answered, mean score, scores under threshold) of a month's answers."""
        query = select(
            SurveyRow.provider_id,
            func.count(),
            func.avg(SurveyRow.score),
            func.sum(case((SurveyRow.score < threshold, 1), else_=0)),
        ).where(SurveyRow.period == period, SurveyRow.status == "answered")
        if provider_id is not None:
            query = query.where(SurveyRow.provider_id == provider_id)
        if regions is not None:
            query = query.where(
                or_(*(SurveyRow.region_code.startswith(p) for p in regions)) if regions else false()
            )
        rows = await self.session.execute(
            query.group_by(SurveyRow.provider_id).order_by(SurveyRow.provider_id)
        )
        return [(p, int(n), float(mean), int(low or 0)) for p, n, mean, low in rows]


class ArchiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: ArchiveEntryRow) -> None:
        self.session.add(row)

    async def exists(self, bed_id: str, kind: str, type_: str, ref: str) -> bool:
        query = select(ArchiveEntryRow.id).where(
            ArchiveEntryRow.bed_id == bed_id,
            ArchiveEntryRow.kind == kind,
            ArchiveEntryRow.type == type_,
            ArchiveEntryRow.ref == ref,
        )
        return (await self.session.execute(query)).first() is not None

    async def timeline(
        self, bed_id: str, *, kind: str | None, limit: int, offset: int
    ) -> tuple[Sequence[ArchiveEntryRow], int]:
        query = select(ArchiveEntryRow).where(ArchiveEntryRow.bed_id == bed_id)
        if kind is not None:
            query = query.where(ArchiveEntryRow.kind == kind)
        ordered = query.order_by(ArchiveEntryRow.at.desc(), ArchiveEntryRow.id.desc())
        return await _page(self.session, ordered, limit, offset)


async def _page(
    session: AsyncSession, query: Select[RowT], limit: int, offset: int
) -> tuple[Sequence[RowT], int]:
    total = (
        await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    rows = (await session.execute(query.limit(limit).offset(offset))).scalars().all()
    return rows, int(total)
