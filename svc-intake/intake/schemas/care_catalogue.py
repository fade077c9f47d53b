"""The service catalogue a jurisdiction's care plans draw from, with its minimums."""

from __future__ import annotations

from pydantic import Field

from chassis.dto import Output


class ServiceItemRead(Output):
    code: str = Field(description="the `item_id` of a care plan item")
    name: str
    group: str
    group_name: str
    category: str
    roles_allowed: list[str]
    delivery: str | None
    standard_time: str | None


class MinimumRead(Output):
    id: str
    value: int
    citation: str
    quote: str


class CareCatalogueRead(Output):
    jurisdiction: str
    catalogue: str
    title: str
    citation: str
    basis: str
    items: list[ServiceItemRead]
    minimums: list[MinimumRead] = Field(description="what a plan must be able to meet")
    medic_roles: list[str]
