"""SQLAlchemy tables of svc-subsidy: entitlement facts, settlements, the ledger, the chassis tables.

The ledger tables are append-only: on PostgreSQL a trigger refuses every UPDATE and DELETE of
`ledger_transfers` and `ledger_entries` (migration 0002), a deferred constraint trigger checks at
commit that each transfer's entries sum to zero, and entries are accepted only in their
transfer's own transaction (migration 0003).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UtcDateTime, chassis_tables

ID = 64
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


# -- entitlement facts (from intake.beds.v1 and records.visits.v1) ---------------------------


class BedFactRow(Base):
    """The latest facts of a bed, as the settlement run reads them."""

    __tablename__ = "bed_facts"

    bed_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    elder_id: Mapped[str] = mapped_column(String(ID), index=True)
    provider_id: Mapped[str] = mapped_column(String(ID))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(24))
    birth_date: Mapped[date | None] = mapped_column(Date)
    ability_level: Mapped[str | None] = mapped_column(String(12))
    economic_status: Mapped[str | None] = mapped_column(String(12))
    package_fee_fen: Mapped[int | None] = mapped_column(BigInteger)
    contract_start: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    established_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    construction_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    modification_cost_fen: Mapped[int | None] = mapped_column(BigInteger)
    modification_consent: Mapped[bool | None] = mapped_column(Boolean)
    voucher_fen: Mapped[int | None] = mapped_column(BigInteger)
    payments_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    last_event_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))

    __table_args__ = (Index("ix_bed_facts_provider_period", "provider_id", "jurisdiction"),)


class BedSuspensionRow(Base):
    __tablename__ = "bed_suspensions"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    bed_id: Mapped[str] = mapped_column(String(ID), index=True)
    start: Mapped[date] = mapped_column(Date)
    resumed_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("bed_id", "start", name="uq_suspension_start"),)


class FactHistoryRow(Base):
    """Every fact event as received: the history a late correction is judged against."""

    __tablename__ = "fact_history"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    bed_id: Mapped[str] = mapped_column(String(ID), index=True)
    event_id: Mapped[str] = mapped_column(String(ID), unique=True)
    event_type: Mapped[str] = mapped_column(String(48))
    effective_on: Mapped[date | None] = mapped_column(Date)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))
    data: Mapped[str] = mapped_column(Text)


class VisitValueRow(Base):
    """The latest version of a visit: counted when verified and on site."""

    __tablename__ = "visit_values"

    visit_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    bed_id: Mapped[str] = mapped_column(String(ID))
    provider_id: Mapped[str] = mapped_column(String(ID))
    service_date: Mapped[date] = mapped_column(Date)
    service_seconds: Mapped[int] = mapped_column(Integer)
    value_fen: Mapped[int | None] = mapped_column(BigInteger)
    counted: Mapped[bool] = mapped_column(Boolean)

    # covering on PostgreSQL: a month's aggregate per bed reads the index only (migration 0003)
    __table_args__ = (
        Index(
            "ix_visit_values_bed_date",
            "bed_id",
            "service_date",
            postgresql_include=["value_fen", "service_seconds", "counted"],
        ),
    )


class VisitMonthTotalRow(Base):
    """Per bed and month, the counted visits' totals, kept true on every visit write (PostgreSQL:
    statement triggers on `visit_values`, migration 0005; SQLite: the repository): a settlement
    reads one row per bed instead of aggregating the month's visits."""

    __tablename__ = "visit_month_totals"

    bed_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer)  # counted visits
    value_fen: Mapped[int] = mapped_column(BigInteger)  # their values (those that have one)
    unpriced: Mapped[int] = mapped_column(Integer)  # counted visits without a value
    unpriced_seconds: Mapped[int] = mapped_column(BigInteger)  # and their duration


class ReopenedPeriodRow(Base):
    """A month whose facts changed after it was settled: adjusted in a later period. One open
    mark per (bed, provider, jurisdiction, month); each new fact on an open mark bumps its
    `revision` (migration 0010): a run records the revision it read, and its approval closes the
    mark only at that revision (`SettlementRunMarkRow`)."""

    __tablename__ = "reopened_periods"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    bed_id: Mapped[str] = mapped_column(String(ID))
    provider_id: Mapped[str] = mapped_column(String(ID))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(7))
    reason: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))
    consumed_by: Mapped[str | None] = mapped_column(String(ID))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __table_args__ = (Index("ix_reopened_open", "provider_id", "jurisdiction", "consumed_by"),)


class SettlementRunMarkRow(Base):
    """The re-opened marks a settlement's last run accounted for, at the revision it read
    (migration 0010): its approval closes exactly these — a fact committed after the run read
    the marks (a new mark, or a new revision of one) is left open for a later run, whatever
    the clocks say. Replaced by each run of the draft, like its lines."""

    __tablename__ = "settlement_run_marks"

    settlement_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    mark_id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer)


class PlatformAcceptanceRow(Base):
    """A provider's information platform passed acceptance (002 §八3): recorded by an officer,
    the source of the platform subsidy. One per provider (同一家服务机构只能享受一次)."""

    __tablename__ = "platform_acceptances"

    provider_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(6))
    accepted_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))


class ProviderAwardClaimRow(Base):
    """Which settlement settles a provider-level award (the platform subsidy once, each scale
    award tier once: 002 §八3, §八2): one row per award, so two settlements never both carry it
    (`domain/provider_awards.py`; migration 0008). Written by the runs only: a re-run keeps or
    releases its own claims, a settlement past draft is never re-run."""

    __tablename__ = "provider_award_claims"

    provider_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(6), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    award: Mapped[str] = mapped_column(String(16), primary_key=True)
    settlement_id: Mapped[str] = mapped_column(String(ID), index=True)
    for_period: Mapped[str] = mapped_column(String(7))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))


class BedAdjustmentClaimRow(Base):
    """Which settlement carries the adjustment of a bed's settled month for a kind (a late
    fact): one row per (bed, month, kind), so two open settlements never both carry it
    (`domain/bed_adjustments.py`; migration 0009). Written by the runs: a re-run keeps or
    releases its own claims; a claim of an approved settlement may be taken over by a later
    run (its line is then part of what was paid)."""

    __tablename__ = "bed_adjustment_claims"

    bed_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    for_period: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    settlement_id: Mapped[str] = mapped_column(String(ID), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))


# -- settlements ----------------------------------------------------------------------------


class SettlementRow(Base):
    __tablename__ = "settlements"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(ID))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(12))
    policy_version: Mapped[str] = mapped_column(String(32))
    run_no: Mapped[int] = mapped_column(Integer)
    submission_no: Mapped[int] = mapped_column(Integer)
    lines_digest: Mapped[str] = mapped_column(String(64))
    line_count: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    ran_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))
    ran_by: Mapped[str] = mapped_column(String(128))
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(timezone=True))
    rejected_by: Mapped[str | None] = mapped_column(String(128))
    rejected_reason: Mapped[str | None] = mapped_column(String(500))
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(timezone=True))
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    pending_transfer_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        UniqueConstraint("provider_id", "jurisdiction", "period", name="uq_settlement_scope"),
    )


class SettlementLineRow(Base):
    __tablename__ = "settlement_lines"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # no per-row foreign key: a statement trigger checks the set (migration 0006); queries by
    # settlement use the unique index below, which leads with it
    settlement_id: Mapped[str] = mapped_column(String(ID))
    position: Mapped[int] = mapped_column(Integer)
    bed_id: Mapped[str] = mapped_column(String(ID))
    elder_id: Mapped[str] = mapped_column(String(ID))
    for_period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(24))
    rule: Mapped[str] = mapped_column(String(48))
    seed: Mapped[str] = mapped_column(String(48))
    payee: Mapped[str] = mapped_column(String(12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    funding: Mapped[str] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint(
            "settlement_id", "elder_id", "for_period", "kind", name="uq_line_per_elder_kind"
        ),
        # by elder only for the construction subsidy paid before (once per elder): a partial
        # index, not one entry per line of every kind (migration 0006)
        Index(
            "ix_settlement_lines_construction_elder",
            "elder_id",
            postgresql_where=text("kind = 'construction'"),
            sqlite_where=text("kind = 'construction'"),
        ),
    )


# -- the ledger (append-only) ---------------------------------------------------------------


class LedgerAccountRow(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))


class LedgerTransferRow(Base):
    __tablename__ = "ledger_transfers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    flag: Mapped[str] = mapped_column(String(12))  # single | pending | post | void
    pending_id: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("ledger_transfers.id"), unique=True
    )
    references_id: Mapped[str | None] = mapped_column(String(128), index=True)
    reference: Mapped[str] = mapped_column(String(128), index=True)
    memo: Mapped[str] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(timezone=True))


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    # transfer and account exist: checked per statement, not per row (migration 0006)
    transfer_id: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(128))  # no index: 0007
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # debit > 0, credit < 0
    line_id: Mapped[str | None] = mapped_column(String(128))

    # (transfer, id): the sum-to-zero trigger finds a transfer's first entry in O(log n)
    __table_args__ = (Index("ix_ledger_entries_transfer_first", "transfer_id", "id"),)


CHASSIS_TABLES = chassis_tables(Base.metadata)
