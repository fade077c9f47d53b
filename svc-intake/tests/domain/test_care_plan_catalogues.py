"""Care plans from the catalogues (002 附件2, 001 附件3, 000 附件1) with the worker roles allowed,
and Xuancheng's minimums (001 §四(三)3: "每日上门服务不少于 1 次，每月累计服务时长不少于 30 小时，
每 2 周医护人员应该至少上门服务 1 次"): a plan that cannot meet one is refused naming it."""

from __future__ import annotations

import pytest

from chassis.testing.seeds import quoted_in_seed
from intake.domain.care_catalogue import resolve_care_plan
from intake.domain.care_plan import CarePlanItem, Period, WorkerRole
from intake.domain.errors import CarePlanViolation
from intake.policies.loader import (
    known_jurisdictions,
    load_profile,
    load_service_catalogue,
    service_catalogues,
)

XUANCHENG = load_profile("341800")
CHANGNING = load_profile("310105")


def item(
    item_id: str,
    times: int,
    per: Period,
    minutes: int,
    role: WorkerRole = WorkerRole.CAREGIVER,
) -> CarePlanItem:
    return CarePlanItem(
        item_id=item_id, times=times, per=per, minutes_per_visit=minutes, worker_role=role
    )


def xuancheng_plan(*items: CarePlanItem) -> None:
    resolve_care_plan(
        items,
        catalogue=load_service_catalogue(XUANCHENG),
        minimums=XUANCHENG.care_plan.minimums,
    )


def test_every_item_name_stands_in_its_seed() -> None:
    sizes = {cid: len(c.items) for cid, c in service_catalogues().items()}
    assert sizes == {"001-annex3": 16, "002-annex2": 54, "000-annex1-categories": 6}
    for catalogue in service_catalogues().values():
        for entry in catalogue.items:
            assert quoted_in_seed(catalogue.seed, entry.name), (catalogue.id, entry.name)
            if entry.roles_quote:
                assert quoted_in_seed(catalogue.seed, entry.roles_quote)


def test_each_jurisdiction_draws_from_its_catalogue() -> None:
    chosen = {code: load_profile(code).care_plan.catalogue for code in known_jurisdictions()}
    assert chosen == {
        "341800": "001-annex3",
        "310105": "002-annex2",
        "330100": "000-annex1-categories",
        "330102": "000-annex1-categories",
        "330326": "000-annex1-categories",
    }
    assert load_profile("330326").care_plan.basis == "interpretation"  # no list of its own


def test_an_item_outside_the_catalogue_or_a_role_it_does_not_allow_is_refused() -> None:
    catalogue = load_service_catalogue(CHANGNING)
    plan = [
        item("bathing", 2, Period.WEEK, 45),  # 沐浴, 002 附件2
        item("home_rounds", 1, Period.WEEK, 30, WorkerRole.NURSE),  # 001 附件3 only
        item("psychological_counselling", 1, Period.WEEK, 60, WorkerRole.CAREGIVER),
    ]
    with pytest.raises(CarePlanViolation) as caught:
        resolve_care_plan(plan, catalogue=catalogue, minimums=None)
    errors = {e.field: e.message for e in caught.value.field_errors}
    assert set(errors) == {"body.items.1.item_id", "body.items.2.worker_role"}
    assert "长宁区家庭照护床位服务项目指导目录 (002 附件2)" in errors["body.items.1.item_id"]
    assert (
        errors["body.items.2.worker_role"] == "心理疏导服务 is delivered by one of: social_worker"
    )
    (planned,) = resolve_care_plan(plan[:1], catalogue=catalogue, minimums=None)
    assert (planned.name, planned.category, planned.on_site) == ("沐浴", "personal_care", True)


def test_changning_sets_no_minimums() -> None:
    assert CHANGNING.care_plan.minimums is None


def test_xuancheng_minimums_quote_the_seed() -> None:
    minimums = XUANCHENG.care_plan.minimums
    assert minimums is not None
    quotes = [
        minimums.daily_onsite_visits.citation.quote,
        minimums.monthly_onsite_hours.citation.quote,
        minimums.medic_every_days.citation.quote,
    ]
    assert quotes == [
        "每日上门服务不少于 1 次",
        "每月累计服务时长不少于 30 小时",
        "每 2 周医护人员应该至少上门服务 1 次",
    ]
    assert all(quoted_in_seed("001", q) for q in quotes)
    assert (
        minimums.daily_onsite_visits.value,
        minimums.monthly_onsite_hours.value,
        minimums.medic_every_days.value,
    ) == (1, 30, 14)


def test_a_plan_that_meets_the_three_minimums_passes() -> None:
    xuancheng_plan(
        item("home_rounds", 1, Period.DAY, 60, WorkerRole.NURSE),  # 28 h in 28 days
        item("cleaning", 2, Period.WEEK, 60),  # + 8 h
    )


def test_each_unmet_minimum_is_named_with_its_quote_and_citation() -> None:
    with pytest.raises(CarePlanViolation) as caught:
        xuancheng_plan(
            item("cleaning", 3, Period.WEEK, 60),  # 3/7 of a visit a day, 12 hours, no medic
            item("video_rounds", 2, Period.DAY, 10, WorkerRole.NURSE),  # platform: not counted
        )
    messages = [e.message for e in caught.value.field_errors]
    assert {e.field for e in caught.value.field_errors} == {"body.items"}
    assert messages == [
        "minimum unmet: 每日上门服务不少于 1 次 (001 §四(三)3): "
        "its on-site items come to 0.43 visit(s) a day",
        "minimum unmet: 每月累计服务时长不少于 30 小时 (001 §四(三)3): "
        "its on-site items come to 12 hours in a 28-day month",
        "minimum unmet: 每 2 周医护人员应该至少上门服务 1 次 (001 §四(三)3): "
        "no nurse or doctor is planned on site at least every 14 days",
    ]


def test_a_medic_twice_a_month_cannot_guarantee_every_two_weeks() -> None:
    daily = item("cleaning", 1, Period.DAY, 70)  # 32.7 hours in 28 days
    with pytest.raises(CarePlanViolation, match="every 14 days"):
        xuancheng_plan(daily, item("home_rounds", 2, Period.MONTH, 30, WorkerRole.DOCTOR))
    xuancheng_plan(daily, item("home_rounds", 3, Period.MONTH, 30, WorkerRole.DOCTOR))
