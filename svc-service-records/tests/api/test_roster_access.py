"""The roster from intake.beds.v1: lifecycle, suspension history, and who sees which bed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from fastapi import FastAPI

from service_records.testing import (
    BED,
    OTHER_PROVIDER,
    add_worker,
    admin,
    bed_event,
    caregiver,
    elder,
    family,
    feed,
    officer,
)


async def test_lifecycle_keeps_suspension_history(app: FastAPI, client: httpx.AsyncClient) -> None:
    await feed(app, bed_event())
    await feed(
        app,
        bed_event(
            "bed.suspended",
            status="suspended",
            reason="hospitalised",
            occurred_at=datetime(2022, 6, 10, 2, tzinfo=UTC),
        ),
    )
    await feed(
        app,
        bed_event("bed.resumed", occurred_at=datetime(2022, 6, 20, 2, tzinfo=UTC)),
    )
    body = (await client.get(f"/v1/roster/{BED}", headers=admin())).json()
    assert body["status"] == "established"
    assert body["in_service"] is True
    assert body["suspensions"] == [
        {"start": "2022-06-10", "end": "2022-06-19", "reason": "hospitalised"}
    ]
    assert body["resumed_on"] == "2022-06-20"
    await feed(
        app,
        bed_event(
            "bed.terminated",
            status="terminated",
            event_date=date(2022, 6, 25),
            reason="moved",
            occurred_at=datetime(2022, 6, 26, 2, tzinfo=UTC),
        ),
    )
    body = (await client.get(f"/v1/roster/{BED}", headers=admin())).json()
    assert (body["status"], body["ended_on"], body["in_service"]) == (
        "terminated",
        "2022-06-25",
        False,
    )


async def test_unknown_event_types_are_ignored_and_older_events_do_not_win(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event(occurred_at=datetime(2022, 6, 2, tzinfo=UTC)))
    await feed(app, bed_event("bed.renamed"))
    await feed(app, bed_event("bed.contracted", status="preparing", established_on=None))
    body = (await client.get(f"/v1/roster/{BED}", headers=admin())).json()
    assert body["status"] == "established"


async def test_who_sees_the_bed(app: FastAPI, client: httpx.AsyncClient) -> None:
    await feed(app, bed_event(applicant_sub="family-sub-1"))
    await feed(app, bed_event(bed_id="bed-2"))
    await add_worker(client, sub="cg-1")
    expectations = {
        "admin": (admin(), 200, 2),
        "other provider admin": (admin(OTHER_PROVIDER), 404, 0),
        "assigned caregiver": (caregiver("cg-1"), 200, 1),
        "unlinked caregiver": (caregiver("cg-unknown"), 404, 0),
        "officer of the region": (officer(), 200, 2),
        "officer elsewhere": (officer(("330100",)), 404, 0),
        "elder of another bed": (elder(), 404, 0),
        "family who applied (applicant_sub)": (family(), 200, 1),
    }
    for who, (headers, status, count) in expectations.items():
        one = await client.get(f"/v1/roster/{BED}", headers=headers)
        assert one.status_code == status, who
        listing = await client.get("/v1/roster", headers=headers)
        assert listing.status_code == 200, who
        assert listing.json()["total"] == count, who


async def test_only_the_provider_admin_sets_coordinates(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event())
    await add_worker(client, sub="cg-1")
    body = {"latitude": 30.94, "longitude": 118.75}
    assert (
        await client.put(f"/v1/roster/{BED}/location", json=body, headers=caregiver())
    ).status_code == 403
    assert (
        await client.put(f"/v1/roster/{BED}/location", json=body, headers=officer())
    ).status_code == 403
    assert (
        await client.put(f"/v1/roster/{BED}/location", json=body, headers=admin(OTHER_PROVIDER))
    ).status_code == 404
    bad = await client.put(
        f"/v1/roster/{BED}/location", json={"latitude": 91, "longitude": 0}, headers=admin()
    )
    assert bad.status_code == 422
    ok = await client.put(f"/v1/roster/{BED}/location", json=body, headers=admin())
    assert ok.status_code == 200
    assert ok.json()["latitude"] == 30.94


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/roster")).status_code == 401


async def test_applicant_sub_links_the_elder_and_survives_events_without_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event(applicant_sub="elder-sub-1"))
    assert (await client.get(f"/v1/roster/{BED}", headers=elder())).status_code == 200
    later = datetime(2022, 6, 3, tzinfo=UTC)
    await feed(app, bed_event("bed.accepted", status="accepted", occurred_at=later))
    assert (await client.get(f"/v1/roster/{BED}", headers=elder())).status_code == 200
    visits = await client.get("/v1/visits", headers=elder())
    assert visits.status_code == 200
    assert (await client.get(f"/v1/roster/{BED}", headers=elder("someone-else"))).status_code == 404


async def test_my_beds_show_the_masked_elder_so_a_caregiver_finds_the_home(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Issue 10 item 15: "my beds" with the elder's name and address, masked by intake."""
    await feed(app, bed_event(elder_name_masked="王**", address_masked="梅园路 * 号 *** 室"))
    await add_worker(client, sub="cg-1")
    await client.put(f"/v1/roster/{BED}/assignees", json={"worker_ids": ["cg-1"]}, headers=admin())
    mine = (await client.get("/v1/roster", headers=caregiver("cg-1"))).json()["items"]
    assert [(b["bed_id"], b["elder_name_masked"], b["address_masked"]) for b in mine] == [
        (BED, "王**", "梅园路 * 号 *** 室")
    ]
    # a later event without them (older producers) keeps what the roster knows
    later = datetime(2022, 6, 3, tzinfo=UTC)
    await feed(app, bed_event("bed.accepted", status="accepted", occurred_at=later))
    one = (await client.get(f"/v1/roster/{BED}", headers=caregiver("cg-1"))).json()
    assert (one["status"], one["elder_name_masked"]) == ("accepted", "王**")
