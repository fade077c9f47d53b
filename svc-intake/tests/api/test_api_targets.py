"""Bed targets and pilot periods as data (001 §三 "试点床位不少于 100 张", 002 §二 "试点周期为1年",
003 §四.5 "2022年，建设家庭养老照护床位不少于500张"): officers see the progress of their regions,
ops all of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.clock import ManualClock
from chassis.principal import Role
from intake.tables import BedRow
from intake.testing import approved_bed

Auth = Callable[..., dict[str, str]]


async def test_officers_see_their_regions_targets_with_progress(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    # two beds of 宣州区 established in the pilot (the rows as the lifecycle leaves them)
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    for birth in ("19400101", "19400202"):
        body = new_application(make_id("341802", birth))
        bed_id = await approved_bed(
            client, body, applicant=auth(Role.FAMILY, f"f-{birth}"), officer=officer
        )
        async with app.state.runtime.uow() as uow:
            bed = await uow.session.get(BedRow, bed_id)
            assert bed is not None
            bed.status = "established"
            bed.established_on = date(2023, 6, 1)
            await uow.commit()
    clock.set(datetime(2023, 12, 1, 2, 0, tzinfo=UTC))

    answer = await client.get("/v1/bed-targets", headers=officer)
    assert answer.status_code == 200, answer.text
    targets = {t["id"]: t for t in answer.json()["items"]}
    assert answer.json()["total"] == 7  # 宣州区 and six counties that may pilot
    xuanzhou = targets["xuanzhou-pilot"]
    assert (xuanzhou["target_beds"], xuanzhou["established"], xuanzhou["remaining"]) == (100, 2, 98)
    assert (xuanzhou["period_status"], xuanzhou["days_left"]) == ("running", 30)
    assert xuanzhou["citation"] == "001 §三"
    assert xuanzhou["live"] == 2
    assert targets["langxi-pilot"]["optional"] is True
    assert targets["langxi-pilot"]["established"] == 0

    changning = await client.get(
        "/v1/bed-targets", headers=auth(Role.OFFICER, "o-cn", regions=("310105",))
    )
    (pilot,) = changning.json()["items"]
    assert (pilot["id"], pilot["target_beds"], pilot["remaining"]) == (
        "changning-pilot",
        None,
        None,
    )
    assert (pilot["period_start"], pilot["period_end"], pilot["period_status"]) == (
        "2020-06-18",
        "2021-06-17",
        "ended",
    )

    ops = await client.get("/v1/bed-targets?jurisdiction=330102", headers=auth(Role.OPS, "ops-1"))
    assert [t["target_beds"] for t in ops.json()["items"]] == [200, 500]
    everything = await client.get(
        "/v1/bed-targets?limit=3&offset=2", headers=auth(Role.OPS, "ops-1")
    )
    assert everything.json()["total"] == 10
    assert len(everything.json()["items"]) == 3

    for who in (auth(Role.FAMILY, "f"), auth(Role.PROVIDER_ADMIN, "a", provider_id="prov-a")):
        assert (await client.get("/v1/bed-targets", headers=who)).status_code == 403
    assert (await client.get("/v1/bed-targets?region=1", headers=officer)).status_code == 422
