"""Care plans from the jurisdiction's service catalogue (002 附件2, 001 附件3, 000 附件1) with the
worker role each item allows; in Xuancheng a plan must be able to meet the minimums of
001 §四(三)3. The catalogue is public, like the policies it comes from."""

from __future__ import annotations

from typing import Any

from chassis.errors import NotFound
from intake.domain.care_catalogue import resolve_care_plan
from intake.domain.care_plan import CarePlanItem
from intake.domain.errors import UnknownJurisdiction
from intake.policies.loader import load_profile, load_service_catalogue
from intake.schemas.beds import CarePlanIn
from intake.schemas.care_catalogue import CareCatalogueRead, MinimumRead, ServiceItemRead


def planned_items(jurisdiction: str, cmd: CarePlanIn) -> list[dict[str, Any]]:
    """The plan as stored: each item resolved against the catalogue (422 if it is not in it, its
    role is not allowed, or the plan cannot meet the jurisdiction's minimums)."""
    profile = load_profile(jurisdiction)
    planned = resolve_care_plan(
        [
            CarePlanItem(
                item_id=i.item_id,
                times=i.times,
                per=i.per,
                minutes_per_visit=i.minutes_per_visit,
                worker_role=i.worker_role,
            )
            for i in cmd.items
        ],
        catalogue=load_service_catalogue(profile),
        minimums=profile.care_plan.minimums,
    )
    return [
        {
            "item_id": p.item_id,
            "catalogue": p.catalogue,
            "name": p.name,
            "group": p.group,
            "category": p.category.value,
            "times": p.times,
            "per": p.per.value,
            "minutes_per_visit": p.minutes_per_visit,
            "worker_role": p.worker_role.value,
            "on_site": p.on_site,
        }
        for p in planned
    ]


def care_catalogue(jurisdiction: str) -> CareCatalogueRead:
    """The items a care plan of this jurisdiction may use, and the minimums it must meet."""
    try:
        profile = load_profile(jurisdiction)
    except UnknownJurisdiction:
        raise NotFound("jurisdiction") from None
    catalogue = load_service_catalogue(profile)
    groups = {g.code: g.name for g in catalogue.groups}
    rules = profile.care_plan
    minimums = rules.minimums
    named = (
        [
            ("daily_onsite_visits", minimums.daily_onsite_visits),
            ("monthly_onsite_hours", minimums.monthly_onsite_hours),
            ("medic_every_days", minimums.medic_every_days),
        ]
        if minimums
        else []
    )
    return CareCatalogueRead(
        jurisdiction=profile.jurisdiction,
        catalogue=catalogue.id,
        title=catalogue.title,
        citation=rules.citation.text,
        basis=rules.basis,
        items=[
            ServiceItemRead(
                code=i.code,
                name=i.name,
                group=i.group,
                group_name=groups[i.group],
                category=i.category.value,
                roles_allowed=[r.value for r in i.roles_allowed],
                delivery=i.delivery,
                standard_time=i.standard_time,
            )
            for i in catalogue.items
        ],
        minimums=[
            MinimumRead(id=name, value=m.value, citation=m.citation.text, quote=m.citation.quote)
            for name, m in named
        ],
        medic_roles=[r.value for r in minimums.medic_roles] if minimums else [],
    )
