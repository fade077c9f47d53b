"""Service catalogues a care plan draws its items from (002 附件2, 001 附件3, 000 附件1's six
categories), and the check of a plan against the jurisdiction's catalogue and minimums.

Item names are the seeds' own words; the mapping to reporting categories and the worker roles
allowed are the platform's reading unless a file says `explicit` (shared/domain.md, "Item
catalogues"). A plan item outside the catalogue, or a role the item does not allow, is a 422
naming the item's field; a plan that cannot meet the minimums is a 422 naming each one unmet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chassis.policy import Basis
from intake.domain.care_minimums import unmet_minimums
from intake.domain.care_plan import CarePlanItem, PlannedItem, ServiceCategory, WorkerRole
from intake.domain.errors import CarePlanViolation
from intake.domain.profile_sections import CareMinimums

Delivery = Literal["platform", "on_site", "third_party"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CatalogueGroup(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str


class ServiceItem(_Frozen):
    """One item as written in a catalogue file (its seed and section are the file's)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    number: int = Field(ge=1, description="the item's number within its group in the seed")
    name: str = Field(min_length=1, description="verbatim item name from the seed")
    group: str
    category: ServiceCategory
    category_basis: Basis = "interpretation"
    roles_allowed: tuple[WorkerRole, ...] = Field(min_length=1)
    roles_basis: Basis = "interpretation"
    roles_quote: str | None = None
    delivery: Delivery | None = None  # 服务方式 of 001 附件3; None: the seed gives none
    standard_time: str | None = None

    @property
    def on_site(self) -> bool:
        """Delivered at home (上门服务); items without a 服务方式 are home services."""
        return self.delivery in (None, "on_site")


class ServiceCatalogue(_Frozen):
    id: str
    seed: str = Field(pattern=r"^\d{3}$")
    section: str
    title: str
    groups: tuple[CatalogueGroup, ...] = Field(min_length=1)
    items: tuple[ServiceItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ServiceCatalogue:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.id}: duplicate item codes")
        stray = {i.group for i in self.items} - {g.code for g in self.groups}
        if stray:
            raise ValueError(f"{self.id}: items in undeclared groups {sorted(stray)}")
        return self

    def item(self, code: str) -> ServiceItem | None:
        return next((i for i in self.items if i.code == code), None)


def resolve_care_plan(
    items: Sequence[CarePlanItem],
    *,
    catalogue: ServiceCatalogue,
    minimums: CareMinimums | None,
) -> tuple[PlannedItem, ...]:
    """The plan's items resolved against the catalogue; `CarePlanViolation` (422) otherwise."""
    problems: list[tuple[str, str]] = []
    planned: list[PlannedItem] = []
    for index, item in enumerate(items):
        found = catalogue.item(item.item_id)
        if found is None:
            problems.append(
                (
                    f"items.{index}.item_id",
                    f"not in this jurisdiction's catalogue, {catalogue.title} "
                    f"({catalogue.seed} {catalogue.section})",
                )
            )
            continue
        if item.worker_role not in found.roles_allowed:
            roles = ", ".join(found.roles_allowed)
            problems.append(
                (f"items.{index}.worker_role", f"{found.name} is delivered by one of: {roles}")
            )
            continue
        planned.append(
            PlannedItem(
                item_id=found.code,
                catalogue=catalogue.id,
                name=found.name,
                group=found.group,
                category=found.category,
                times=item.times,
                per=item.per,
                minutes_per_visit=item.minutes_per_visit,
                worker_role=item.worker_role,
                on_site=found.on_site,
            )
        )
    if problems:
        raise CarePlanViolation(problems)
    if minimums is not None:
        unmet = unmet_minimums(planned, minimums)
        if unmet:
            raise CarePlanViolation([("items", problem) for problem in unmet])
    return tuple(planned)
