"""`referral.referrals.v1` through the chassis's exactly-once apply step (issue 11 item 3):

- 000 §三(五) "需要转至养老机构入住的，通过市级平台发起转养申请": only the nursing home's admission
  (`referral.completed`) ends the bed: transferred, the contract dissolved on the admission day,
  the platform update due 5 working days later (001 §四(六));
- 000 §三(五) "探索“养老床位与家庭病床”的有机融合": a family sickbed leaves the bed established,
  combined with it until that referral's service ends;
- a hospital admission suspends the bed and the discharge resumes it (our reading of 001 §四(六)
  "因签约服务对象住院", `basis: interpretation`);
- unknown beds, another elder's bed, ended beds: recorded as no-ops, never a crash; junk goes to
  the DLQ; a redelivered event is skipped.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.db import encode_envelope
from chassis.testing.bus import InMemoryBus
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS, REFERRAL_REFERRALS
from intake.consumers import topic_handlers
from intake.tables import (
    CHASSIS_TABLES,
    ApplicationRow,
    BedReferralRow,
    BedRow,
    ContractRow,
    ElderRow,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TOPIC = REFERRAL_REFERRALS.name


async def running_bed(app: FastAPI, n: int, *, status: str = "established") -> str:
    """An established bed of 341802 (Xuancheng) with its contract, as the lifecycle leaves it."""
    elder_id, bed_id = f"elder-{n}", f"bed-{n}"
    async with app.state.runtime.uow() as uow:
        uow.session.add(
            ElderRow(
                id=elder_id,
                id_number_index=f"{n:064d}",
                id_number_sealed="v1.k0.x",
                id_number_key_id="k0",
                id_number_tail="0010",
                name="王",
                sex="male",
                birth_date=date(1940, 1, 1),
                created_at=T0,
            )
        )
        await uow.session.flush()
        uow.session.add(
            ApplicationRow(
                id=f"app-{n}",
                elder_id=elder_id,
                jurisdiction="341800",
                region_code="341802",
                provider_id="prov-a",
                status="approved",
                channel="online",
                applicant_sub="f",
                form={},
                reviews=[],
                created_at=T0,
                updated_at=T0,
            )
        )
        await uow.session.flush()
        uow.session.add(
            BedRow(
                id=bed_id,
                application_id=f"app-{n}",
                elder_id=elder_id,
                active_elder_id=elder_id,
                applicant_sub="f",
                provider_id="prov-a",
                jurisdiction="341800",
                region_code="341802",
                status=status,
                economic_status="other",
                guidance={},
                inspections=[],
                established_on=date(2026, 3, 2),
                created_at=T0,
                updated_at=T0,
            )
        )
        await uow.session.flush()
        uow.session.add(
            ContractRow(
                id=f"contract-{n}",
                bed_id=bed_id,
                elder_id=elder_id,
                provider_id="prov-a",
                start=date(2026, 3, 2),
                end=date(2026, 9, 1),
                base_package_fee_fen=80_000,
                personal_items=[],
                is_first=True,
                signed_on=date(2026, 3, 1),
                signed_by="admin-a",
                created_at=T0,
            )
        )
        await uow.commit()
    return bed_id


def referral(kind: str, referral_id: str, bed_id: str | None, **changes: Any) -> bytes:
    """A referral event as svc-referral publishes it (elder-N owns bed-N)."""
    data: dict[str, Any] = {
        "referral_id": referral_id,
        "path": "nursing_home",
        "status": kind if kind != "service_ended" else "completed",
        "bed_id": bed_id,
        "elder_id": bed_id.replace("bed", "elder") if bed_id else None,
        "provider_id": "prov-a",
        "requester": {"organisation_id": "prov-a", "kind": "home_bed_provider"},
        "receiver": {"organisation_id": "nh-1", "name": "宣城市社会福利院", "kind": "nursing_home"},
        "occurred_at": (T0 + timedelta(days=9)).isoformat(),
        **changes,
    }
    envelope = Envelope(
        type=f"referral.{kind}", source="svc-referral", subject=referral_id, data=data
    )
    return encode_envelope(envelope)


async def deliver(bus: InMemoryBus, app: FastAPI) -> dict[str, int]:
    return await bus.deliver(
        handlers=topic_handlers(app.state.runtime.clock),
        uow_factory=app.state.runtime.uow,
        group_id="svc-intake-devices",
    )


async def bed(app: FastAPI, bed_id: str) -> BedRow:
    async with app.state.runtime.uow() as uow:
        found = await uow.session.get(BedRow, bed_id)
        assert found is not None
        uow.session.expunge(found)  # read after the session closes
        return found


async def referral_row(app: FastAPI, referral_id: str) -> BedReferralRow:
    async with app.state.runtime.uow() as uow:
        found = await uow.session.get(BedReferralRow, referral_id)
        assert found is not None
        uow.session.expunge(found)
        return found


async def bed_events(app: FastAPI) -> list[tuple[str, str]]:
    outbox = CHASSIS_TABLES.outbox
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(outbox.c.key, outbox.c.event_type)
            .where(outbox.c.topic == INTAKE_BEDS.name)
            .order_by(outbox.c.id)
        )
        return [(r[0], r[1]) for r in rows]


async def test_nursing_home_ends_the_bed_only_on_admission(
    app: FastAPI, clock: ManualClock
) -> None:
    """转养: requested and accepted change nothing; completed transfers the bed that day."""
    bed_id = await running_bed(app, 1)
    bus = InMemoryBus()
    clock.set(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))  # recorded on Thu 12 March
    for kind in ("requested", "received", "accepted", "in_progress"):
        await bus.send(TOPIC, referral(kind, "ref-nh", bed_id), b"ref-nh")
    assert await deliver(bus, app) == {"applied": 4}
    assert (await bed(app, bed_id)).status == "established"
    assert (await referral_row(app, "ref-nh")).status == "in_progress"

    completed = referral("completed", "ref-nh", bed_id, admitted_on="2026-03-10")
    await bus.send(TOPIC, completed, b"ref-nh")
    await bus.send(TOPIC, completed, b"ref-nh")  # redelivered: skipped
    assert await deliver(bus, app) == {"applied": 1, "duplicate": 1}
    ended = await bed(app, bed_id)
    assert (ended.status, ended.transfer_target) == ("transferred", "nursing_home")
    assert ended.event_date == ended.contract_dissolved_on == date(2026, 3, 10)
    assert ended.contract_dissolved_by == "svc-referral"
    assert ended.update_deadline == date(2026, 3, 17)  # 5 working days after the admission
    assert ended.late_update is False
    assert ended.active_elder_id is None
    assert (await referral_row(app, "ref-nh")).outcome == "transfer: transferred on admission"
    async with app.state.runtime.uow() as uow:
        contract = await uow.session.get(ContractRow, "contract-1")
        assert contract is not None
        assert (contract.dissolved_on, contract.dissolution_reason) == (
            date(2026, 3, 10),
            "transferred",
        )
    assert await bed_events(app) == [(bed_id, "bed.transferred")]

    # the bed has ended: a later event is recorded and changes nothing
    late = referral(
        "completed", "ref-late", bed_id, path="family_sickbed", admitted_on="2026-03-11"
    )
    await bus.send(TOPIC, late, b"ref-late")
    assert await deliver(bus, app) == {"applied": 1}
    assert (
        await referral_row(app, "ref-late")
    ).outcome == "no-op: the bed has already ended (transferred)"
    assert await bed_events(app) == [(bed_id, "bed.transferred")]


async def test_family_sickbed_combines_and_hospital_suspends(
    app: FastAPI, clock: ManualClock
) -> None:
    bed_id = await running_bed(app, 2)
    bus = InMemoryBus()
    clock.set(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    sickbed = {"path": "family_sickbed", "admitted_on": "2026-03-11"}
    sickbed["receiver"] = {"organisation_id": "chc-1", "kind": "primary_care"}  # type: ignore[assignment]
    await bus.send(TOPIC, referral("completed", "ref-fs", bed_id, **sickbed), b"ref-fs")
    await deliver(bus, app)
    combined = await bed(app, bed_id)
    assert combined.status == "established"  # 000 §三(五): the home bed goes on
    assert (combined.family_sickbed_referral_id, combined.family_sickbed_since) == (
        "ref-fs",
        date(2026, 3, 11),
    )

    hospital = {"path": "hospital", "admitted_on": "2026-03-12"}
    hospital["receiver"] = {"organisation_id": "h-1", "kind": "hospital"}  # type: ignore[assignment]
    await bus.send(TOPIC, referral("completed", "ref-h", bed_id, **hospital), b"ref-h")
    await deliver(bus, app)
    suspended = await bed(app, bed_id)
    assert suspended.status == "suspended"
    assert suspended.suspension_reason == "hospitalisation (referral ref-h)"

    discharged = referral(
        "service_ended",
        "ref-h",
        bed_id,
        **hospital,
        service_ended_on="2026-03-20",
        occurred_at=(T0 + timedelta(days=19)).isoformat(),
    )
    closed = referral(
        "service_ended",
        "ref-fs",
        bed_id,
        **sickbed,
        service_ended_on="2026-03-21",
        occurred_at=(T0 + timedelta(days=20)).isoformat(),
    )
    await bus.send(TOPIC, discharged, b"ref-h")
    await bus.send(TOPIC, closed, b"ref-fs")
    assert await deliver(bus, app) == {"applied": 2}
    after = await bed(app, bed_id)
    assert (after.status, after.suspension_reason) == ("established", None)
    assert after.family_sickbed_referral_id is None
    assert [t for _k, t in await bed_events(app)] == [
        "bed.family_sickbed_linked",
        "bed.suspended",
        "bed.resumed",
        "bed.family_sickbed_unlinked",
    ]


async def test_unknown_foreign_and_poison_are_no_ops_or_dead_letters(
    app: FastAPI, clock: ManualClock
) -> None:
    bed_id = await running_bed(app, 3)
    clock.set(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    bus = InMemoryBus()
    admitted = {"admitted_on": "2026-03-10"}
    await bus.send(TOPIC, referral("completed", "ref-x", "bed-404", **admitted), b"ref-x")
    foreign = referral("completed", "ref-y", bed_id, elder_id="elder-9", **admitted)
    await bus.send(TOPIC, foreign, b"ref-y")
    home = referral("requested", "ref-home", None, path="home_bed")
    await bus.send(TOPIC, home, b"ref-home")
    future = referral("completed", "ref-z", bed_id, admitted_on="2026-03-13")
    await bus.send(TOPIC, future, b"ref-z")
    await bus.send(TOPIC, referral("escalated", "ref-q", bed_id), b"ref-q")  # unknown type
    await bus.send(TOPIC, b"not json", b"junk")
    no_admission = referral("completed", "ref-p", bed_id)  # completed without admitted_on
    await bus.send(TOPIC, no_admission, b"ref-p")
    no_reason = referral("rejected", "ref-r", bed_id)  # rejected needs a reason code
    await bus.send(TOPIC, no_reason, b"ref-r")
    outcomes = await deliver(bus, app)
    assert outcomes == {"applied": 5, "dead_lettered": 3}
    assert len(bus.topics[f"{TOPIC}.dlq"]) == 3
    assert (await referral_row(app, "ref-x")).outcome == "no-op: unknown bed"
    assert (await referral_row(app, "ref-y")).outcome == "no-op: the bed belongs to another elder"
    assert (await referral_row(app, "ref-home")).outcome.startswith("recorded: no application")
    assert "after today" in (await referral_row(app, "ref-z")).outcome
    assert (await bed(app, bed_id)).status == "established"
    assert await bed_events(app) == []


async def test_an_older_event_of_a_referral_changes_nothing(
    app: FastAPI, clock: ManualClock
) -> None:
    bed_id = await running_bed(app, 4)
    clock.set(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    bus = InMemoryBus()
    later = (T0 + timedelta(days=9)).isoformat()
    earlier = (T0 + timedelta(days=8)).isoformat()
    reason = {"reason_code": "no_capacity", "status": "rejected"}
    await bus.send(TOPIC, referral("rejected", "ref-o", bed_id, occurred_at=later, **reason), b"o")
    await bus.send(TOPIC, referral("accepted", "ref-o", bed_id, occurred_at=earlier), b"o")
    assert await deliver(bus, app) == {"applied": 2}
    row = await referral_row(app, "ref-o")
    assert row.status == "rejected"
    assert row.last_event_at == T0 + timedelta(days=9)
