"""Queries of svc-intake. Repositories add and read; they never commit (the use case does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from chassis.principal import Principal, Role
from intake.domain.lifecycle import ACTIVE_BED_STATUSES, BedStatus
from intake.domain.regions import region_prefix
from intake.domain.targets import BedCounts
from intake.domain.tenancy import OWNERS, PROVIDER_STAFF
from intake.tables import (
    AcceptanceRow,
    ApplicationRow,
    BedRow,
    ConsentRow,
    ContractRow,
    ElderRow,
    InstallationRow,
    PiiAccessRow,
    ProviderRow,
    RegisteredDeviceRow,
)


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    region_code: str | None = None
    provider_id: str | None = None
    jurisdiction: str | None = None


class Repository(Protocol):
    def add(self, row: object) -> None: ...
    async def flush(self) -> None: ...
    async def elder_by_index(self, index: str) -> ElderRow | None: ...
    async def elder(self, elder_id: str) -> ElderRow | None: ...
    async def application(self, application_id: str) -> ApplicationRow | None: ...
    async def has_active(self, elder_id: str) -> bool: ...
    async def active_of(self, elder_id: str) -> ApplicationRow | BedRow | None: ...
    async def applications(
        self, principal: Principal, query: ListFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[ApplicationRow], int]: ...
    async def bed(self, bed_id: str) -> BedRow | None: ...
    async def bed_for_application(self, application_id: str) -> BedRow | None: ...
    async def beds(
        self, principal: Principal, query: ListFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[BedRow], int]: ...
    async def latest_contract(self, bed_id: str) -> ContractRow | None: ...
    async def contracts_elsewhere(self, elder_id: str, bed_id: str) -> int: ...
    async def installations(self, bed_id: str) -> Sequence[InstallationRow]: ...
    async def live_device_types(self, bed_id: str) -> set[str]: ...
    async def device(self, device_id: str) -> RegisteredDeviceRow | None: ...


class SqlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        """Stage a new row; the use case's commit writes it."""
        self.session.add(row)

    async def flush(self) -> None:
        """Write staged changes now (unique constraints answer here, not at commit)."""
        await self.session.flush()

    async def elder_by_index(self, index: str) -> ElderRow | None:
        return await self.session.scalar(select(ElderRow).where(ElderRow.id_number_index == index))

    async def elder(self, elder_id: str) -> ElderRow | None:
        return await self.session.get(ElderRow, elder_id)

    async def application(self, application_id: str) -> ApplicationRow | None:
        return await self.session.get(ApplicationRow, application_id)

    async def has_active(self, elder_id: str) -> bool:
        """An active application or an active bed (one per elder)."""
        app = select(ApplicationRow.id).where(ApplicationRow.active_elder_id == elder_id)
        bed = select(BedRow.id).where(BedRow.active_elder_id == elder_id)
        found = await self.session.scalar(app.union_all(bed).limit(1))
        return found is not None

    async def active_of(self, elder_id: str) -> ApplicationRow | BedRow | None:
        """The elder's active application, else active bed (at most one of each exists)."""
        app = await self.session.scalar(
            select(ApplicationRow).where(ApplicationRow.active_elder_id == elder_id)
        )
        if app is not None:
            return app
        return await self.session.scalar(select(BedRow).where(BedRow.active_elder_id == elder_id))

    async def application_by_link_code(self, code_hash: str) -> ApplicationRow | None:
        return await self.session.scalar(
            select(ApplicationRow).where(ApplicationRow.link_code_hash == code_hash)
        )

    async def applications(
        self, principal: Principal, query: ListFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[ApplicationRow], int]:
        stmt = select(ApplicationRow).where(
            _visible(
                principal,
                ApplicationRow.__table__.c.applicant_sub,
                ApplicationRow.__table__.c.provider_id,
                ApplicationRow.__table__.c.region_code,
            )
        )
        stmt = _filtered(stmt, ApplicationRow, query)
        return await self._page(stmt, limit, offset, ApplicationRow.created_at, ApplicationRow.id)

    async def applications_of_elder(self, elder_id: str) -> Sequence[ApplicationRow]:
        rows = await self.session.scalars(
            select(ApplicationRow).where(ApplicationRow.elder_id == elder_id)
        )
        return rows.all()

    async def pii_reads(
        self, elder_id: str, *, limit: int, offset: int
    ) -> tuple[Sequence[PiiAccessRow], int]:
        stmt = select(PiiAccessRow).where(PiiAccessRow.elder_id == elder_id)
        return await self._page(stmt, limit, offset, PiiAccessRow.accessed_at, PiiAccessRow.id)

    async def bed(self, bed_id: str) -> BedRow | None:
        return await self.session.get(BedRow, bed_id)

    async def bed_for_application(self, application_id: str) -> BedRow | None:
        return await self.session.scalar(
            select(BedRow).where(BedRow.application_id == application_id)
        )

    async def beds(
        self, principal: Principal, query: ListFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[BedRow], int]:
        stmt = select(BedRow).where(
            _visible(
                principal,
                BedRow.__table__.c.applicant_sub,
                BedRow.__table__.c.provider_id,
                BedRow.__table__.c.region_code,
            )
        )
        stmt = _filtered(stmt, BedRow, query)
        return await self._page(stmt, limit, offset, BedRow.created_at, BedRow.id)

    async def latest_contract(self, bed_id: str) -> ContractRow | None:
        return await self.session.scalar(
            select(ContractRow)
            .where(ContractRow.bed_id == bed_id)
            .order_by(ContractRow.created_at.desc(), ContractRow.id.desc())
            .limit(1)
        )

    async def contracts_elsewhere(self, elder_id: str, bed_id: str) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ContractRow)
            .where(ContractRow.elder_id == elder_id, ContractRow.bed_id != bed_id)
        )
        return int(count or 0)

    async def installations(self, bed_id: str) -> Sequence[InstallationRow]:
        rows = await self.session.scalars(
            select(InstallationRow)
            .where(InstallationRow.bed_id == bed_id)
            .order_by(InstallationRow.item_id)
        )
        return rows.all()

    async def live_device_types(self, bed_id: str) -> set[str]:
        rows = await self.session.scalars(
            select(RegisteredDeviceRow.device_type).where(
                RegisteredDeviceRow.bed_id == bed_id, RegisteredDeviceRow.removed_at.is_(None)
            )
        )
        return set(rows.all())

    async def device(self, device_id: str) -> RegisteredDeviceRow | None:
        return await self.session.get(RegisteredDeviceRow, device_id)

    async def search_applications(
        self,
        principal: Principal,
        *,
        id_number_index: str | None,
        name: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[tuple[ApplicationRow, ElderRow]], int]:
        """Visible applications of elders found by blind index (exact) or by name (substring of
        the plaintext name only; encrypted columns are never pattern-matched)."""
        stmt = (
            select(ApplicationRow, ElderRow)
            .join(ElderRow, ElderRow.id == ApplicationRow.elder_id)
            .where(
                _visible(
                    principal,
                    ApplicationRow.__table__.c.applicant_sub,
                    ApplicationRow.__table__.c.provider_id,
                    ApplicationRow.__table__.c.region_code,
                )
            )
        )
        if id_number_index is not None:
            stmt = stmt.where(ElderRow.id_number_index == id_number_index)
        if name is not None:
            shown = func.coalesce(ApplicationRow.name, ElderRow.name)
            stmt = stmt.where(shown.contains(name, autoescape=True))
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        ordered = stmt.order_by(ApplicationRow.created_at.desc(), ApplicationRow.id.desc())
        rows = await self.session.execute(ordered.limit(limit).offset(offset))
        return [(a, e) for a, e in rows], int(total or 0)

    async def visible_beds_in(
        self, principal: Principal, statuses: Sequence[str]
    ) -> Sequence[BedRow]:
        """Every bed the caller may see in these states, newest first (worklists filter them)."""
        stmt = (
            select(BedRow)
            .where(
                _visible(
                    principal,
                    BedRow.__table__.c.applicant_sub,
                    BedRow.__table__.c.provider_id,
                    BedRow.__table__.c.region_code,
                ),
                BedRow.status.in_(statuses),
            )
            .order_by(BedRow.created_at.desc(), BedRow.id.desc())
        )
        return (await self.session.scalars(stmt)).all()

    async def installations_of(self, bed_ids: Sequence[str]) -> dict[str, list[InstallationRow]]:
        found: dict[str, list[InstallationRow]] = {bed_id: [] for bed_id in bed_ids}
        if bed_ids:
            rows = await self.session.scalars(
                select(InstallationRow)
                .where(InstallationRow.bed_id.in_(bed_ids))
                .order_by(InstallationRow.item_id)
            )
            for row in rows:
                found[row.bed_id].append(row)
        return found

    async def live_device_types_of(self, bed_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {bed_id: set() for bed_id in bed_ids}
        if bed_ids:
            rows = await self.session.execute(
                select(RegisteredDeviceRow.bed_id, RegisteredDeviceRow.device_type).where(
                    RegisteredDeviceRow.bed_id.in_(bed_ids),
                    RegisteredDeviceRow.removed_at.is_(None),
                )
            )
            for bed_id, device_type in rows:
                found[bed_id].add(device_type)
        return found

    async def contracts_ending(
        self,
        principal: Principal,
        statuses: Sequence[str],
        *,
        start: date,
        end: date,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[tuple[BedRow, ContractRow]], int]:
        """Visible beds whose latest contract ends in [start, end], soonest first."""
        later = aliased(ContractRow)
        newer_exists = (
            select(later.id)
            .where(
                later.bed_id == ContractRow.bed_id,
                or_(
                    later.created_at > ContractRow.created_at,
                    and_(later.created_at == ContractRow.created_at, later.id > ContractRow.id),
                ),
            )
            .exists()
        )
        stmt = (
            select(BedRow, ContractRow)
            .join(ContractRow, ContractRow.bed_id == BedRow.id)
            .where(
                _visible(
                    principal,
                    BedRow.__table__.c.applicant_sub,
                    BedRow.__table__.c.provider_id,
                    BedRow.__table__.c.region_code,
                ),
                BedRow.status.in_(statuses),
                ContractRow.end >= start,
                ContractRow.end <= end,
                ~newer_exists,
            )
        )
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        ordered = stmt.order_by(ContractRow.end, BedRow.id)
        rows = await self.session.execute(ordered.limit(limit).offset(offset))
        return [(b, c) for b, c in rows], int(total or 0)

    async def _page(
        self, stmt: Select[Any], limit: int, offset: int, *order: Any
    ) -> tuple[Sequence[Any], int]:
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        ordered = stmt.order_by(*(column.desc() for column in order))
        rows = await self.session.scalars(ordered.limit(limit).offset(offset))
        return rows.all(), int(total or 0)


def _visible(
    principal: Principal,
    applicant_sub: ColumnElement[str],
    provider_id: ColumnElement[str],
    region_code: ColumnElement[str],
) -> ColumnElement[bool]:
    """The SQL form of `access.can_view`, so lists never leak another tenant's rows."""
    role = principal.role
    if role in OWNERS:
        return applicant_sub == principal.sub
    if role in PROVIDER_STAFF:
        return provider_id == principal.provider_id if principal.provider_id else false()
    if role is Role.OFFICER:
        prefixes = [code for code in principal.region_codes if code]
        if not prefixes:
            return false()
        return or_(*(region_code.startswith(region_prefix(code)) for code in prefixes))
    return true() if role is Role.OPS else false()


def _filtered(
    stmt: Select[Any], table: type[ApplicationRow] | type[BedRow], query: ListFilter
) -> Select[Any]:
    if query.status:
        stmt = stmt.where(table.status == query.status)
    if query.region_code:
        stmt = stmt.where(table.region_code.startswith(query.region_code))
    if query.provider_id:
        stmt = stmt.where(table.provider_id == query.provider_id)
    if query.jurisdiction:
        stmt = stmt.where(table.jurisdiction == query.jurisdiction)
    return stmt


@dataclass(frozen=True)
class ProviderFilter:
    jurisdiction: str | None = None
    status: str | None = None


class ProviderRepository:
    """The provider register (public reads, officers' writes)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: ProviderRow) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def get(self, provider_id: str) -> ProviderRow | None:
        return await self.session.get(ProviderRow, provider_id)

    async def by_licence(self, licence_no: str) -> ProviderRow | None:
        return await self.session.scalar(
            select(ProviderRow).where(ProviderRow.licence_no == licence_no)
        )

    async def page(
        self, query: ProviderFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[ProviderRow], int]:
        stmt = select(ProviderRow)
        if query.jurisdiction:
            stmt = stmt.where(ProviderRow.jurisdiction == query.jurisdiction)
        if query.status:
            stmt = stmt.where(ProviderRow.status == query.status)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await self.session.scalars(
            stmt.order_by(ProviderRow.name, ProviderRow.id).limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)


class ConsentRepository:
    """Consent records of beds (issue 11); the use case decides, this only reads and adds."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: ConsentRow) -> None:
        self.session.add(row)

    async def get(self, consent_id: str) -> ConsentRow | None:
        return await self.session.get(ConsentRow, consent_id)

    async def of_bed(self, bed_id: str) -> Sequence[ConsentRow]:
        rows = await self.session.scalars(
            select(ConsentRow)
            .where(ConsentRow.bed_id == bed_id)
            .order_by(ConsentRow.given_at, ConsentRow.recorded_at, ConsentRow.id)
        )
        return rows.all()


class AcceptanceRepository:
    """Acceptance applications of beds, one row per attempt."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: AcceptanceRow) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def contract_of_bed(self, bed_id: str, contract_id: str) -> ContractRow | None:
        """The contract an application names, if it is one of this bed's."""
        contract = await self.session.get(ContractRow, contract_id)
        return contract if contract is not None and contract.bed_id == bed_id else None

    async def latest(self, bed_id: str) -> AcceptanceRow | None:
        return await self.session.scalar(
            select(AcceptanceRow)
            .where(AcceptanceRow.bed_id == bed_id)
            .order_by(AcceptanceRow.attempt.desc())
            .limit(1)
        )

    async def page(
        self, bed_id: str, *, limit: int, offset: int
    ) -> tuple[Sequence[AcceptanceRow], int]:
        stmt = select(AcceptanceRow).where(AcceptanceRow.bed_id == bed_id)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await self.session.scalars(
            stmt.order_by(AcceptanceRow.attempt.desc()).limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)


class TargetRepository:
    """Counts of beds in a region for progress against a bed target."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counts(self, region_code: str, *, start: date, end: date) -> BedCounts:
        in_region = BedRow.region_code.startswith(region_prefix(region_code))
        established = await self._count(
            in_region, BedRow.established_on >= start, BedRow.established_on <= end
        )
        accepted = await self._count(
            in_region, BedRow.accepted_on >= start, BedRow.accepted_on <= end
        )
        live = await self._count(
            in_region,
            BedRow.status.in_([s.value for s in ACTIVE_BED_STATUSES - {BedStatus.PREPARING}]),
        )
        return BedCounts(established=established, accepted=accepted, live=live)

    async def _count(self, *conditions: ColumnElement[bool]) -> int:
        found = await self.session.scalar(
            select(func.count()).select_from(BedRow).where(*conditions)
        )
        return int(found or 0)
