"""Bed targets and pilot periods with the progress made (issue 11: 001 §三, 002 §二, 003 §四.5)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from chassis.dto import Output


class BedTargetRead(Output):
    id: str
    jurisdiction: str
    region_code: str
    region_name: str
    target_beds: int | None = Field(description="null: the seed sets a period, not a number")
    counted_when: str = Field(description="beds count once established (or accepted)")
    optional: bool = Field(description="the region decides whether it pilots at all")
    period_start: date
    period_end: date
    period_status: str = Field(description="upcoming, running or ended")
    days_left: int = Field(description="days after today up to the period's last day")
    established: int = Field(description="beds of the region established within the period")
    accepted: int = Field(description="beds of the region accepted within the period")
    live: int = Field(description="beds of the region in service now")
    remaining: int | None
    met: bool | None
    citation: str
    basis: str
    period_citation: str | None
    note: str | None
