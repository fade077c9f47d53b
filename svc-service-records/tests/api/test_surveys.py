"""Satisfaction surveys over HTTP: monthly job, after a resolved alarm, answers by the applicant,
survey.answered in the outbox, follow-up on a low score, scores (officers: aggregates only)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from service_records.service.surveys import send_monthly_surveys
from service_records.tables import CHASSIS_TABLES
from service_records.testing import (
    admin,
    alarm,
    bed_event,
    caregiver,
    elder,
    family,
    feed,
    feed_alarm,
    officer,
)


async def outbox(app: FastAPI) -> list[dict[str, object]]:
    uow = app.state.runtime.uow()
    async with uow:
        rows = (await uow.session.execute(select(CHASSIS_TABLES.outbox.c.payload))).scalars()
        return [orjson.loads(p) for p in rows]


async def test_resolved_alarm_sends_a_survey_the_family_answers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event(applicant_sub="family-sub-1"))
    await feed_alarm(app, alarm("alarm.raised", status="raised"))  # ignored
    await feed_alarm(app, alarm(new_field="tolerated"))
    await feed_alarm(app, alarm())  # once per alarm
    mine = (await client.get("/v1/surveys", headers=family())).json()
    assert mine["total"] == 1
    survey = mine["items"][0]
    assert (survey["template"], survey["context"], survey["status"]) == (
        "after_alarm",
        "alarm:alm-1",
        "sent",
    )
    assert (await client.get("/v1/surveys", headers=elder("stranger"))).json()["total"] == 0
    assert (await client.get("/v1/surveys", headers=officer())).status_code == 403
    staff = await client.post(
        f"/v1/surveys/{survey['id']}/answers",
        json={"answers": {"response_time": 5, "handling": 5}},
        headers=admin(),
    )
    assert staff.status_code == 403
    bad = await client.post(
        f"/v1/surveys/{survey['id']}/answers", json={"answers": {"handling": 9}}, headers=family()
    )
    assert bad.status_code == 422
    answered = await client.post(
        f"/v1/surveys/{survey['id']}/answers",
        json={"answers": {"response_time": 2, "handling": 1}, "comment": "too slow"},
        headers=family(),
    )
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert (body["score"], body["respondent_role"], body["status"]) == (12.5, "family", "answered")
    assert body["follow_up_task_id"] is not None
    again = await client.post(
        f"/v1/surveys/{survey['id']}/answers",
        json={"answers": {"response_time": 5, "handling": 5}},
        headers=family(),
    )
    assert again.status_code == 409
    events = [e for e in await outbox(app) if e["type"] == "survey.answered"]
    assert len(events) == 1
    assert events[0]["data"]["score"] == 12.5
    follow_ups = (
        await client.get("/v1/tasks", params={"kind": "follow_up"}, headers=admin())
    ).json()
    assert follow_ups["total"] == 1
    assert (
        await client.get("/v1/tasks", params={"kind": "follow_up"}, headers=caregiver())
    ).json()["total"] == 0
    task_id = follow_ups["items"][0]["id"]
    closed = await client.post(
        f"/v1/tasks/{task_id}/complete", json={"note": "called the family"}, headers=admin()
    )
    assert closed.json()["status"] == "completed"


async def test_monthly_job_and_scores_by_role(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await feed(app, bed_event(applicant_sub="elder-sub-1"))
    await feed(app, bed_event(bed_id="bed-2", status="suspended"))
    uow_factory = app.state.runtime.uow
    assert await send_monthly_surveys(uow_factory=uow_factory, clock=clock, day=5) == 0
    clock.set(datetime(2022, 6, 5, 1, 0, tzinfo=UTC))
    assert await send_monthly_surveys(uow_factory=uow_factory, clock=clock, day=5) == 1
    assert await send_monthly_surveys(uow_factory=uow_factory, clock=clock, day=5) == 0
    survey = (await client.get("/v1/surveys", headers=elder())).json()["items"][0]
    assert survey["context"] == "month:2022-06"
    detail = (await client.get(f"/v1/surveys/{survey['id']}", headers=elder())).json()
    answers = {q["code"]: 4 for q in detail["questions"]}
    answered = await client.post(
        f"/v1/surveys/{survey['id']}/answers", json={"answers": answers}, headers=elder()
    )
    assert answered.json()["follow_up_task_id"] is None  # 75 is not low
    own = (await client.get("/v1/surveys/scores?period=2022-06", headers=admin())).json()
    assert own["providers"] == [
        {
            "provider_id": "prov-a",
            "period": "2022-06",
            "answered": 1,
            "mean_score": 75.0,
            "low_scores": 0,
        }
    ]
    assert (await client.get("/v1/surveys/scores?period=2022-06", headers=admin("prov-b"))).json()[
        "providers"
    ] == []
    region = (await client.get("/v1/surveys/scores?period=2022-06", headers=officer())).json()
    assert [p["answered"] for p in region["providers"]] == [1]
    elsewhere = await client.get("/v1/surveys/scores?period=2022-06", headers=officer(("330100",)))
    assert elsewhere.json()["providers"] == []
    assert (
        await client.get("/v1/surveys/scores?period=2022-6", headers=officer())
    ).status_code == 422
    assert (
        await client.get("/v1/surveys/scores?period=2022-06", headers=elder())
    ).status_code == 403
