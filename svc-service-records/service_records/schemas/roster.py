"""The roster of beds as service records sees it, and what a provider admin sets on it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chassis.dto import Input, Output


class SuspensionRead(Output):
    start: date
    end: date | None = Field(description="inclusive; null while the suspension lasts")
    reason: str | None


class BedSummary(Output):
    bed_id: str
    provider_id: str
    elder_id: str
    region_code: str
    jurisdiction: str
    status: str
    in_service: bool
    elder_name_masked: str | None = Field(description="the elder's surname only, e.g. 王**")
    address_masked: str | None = Field(
        description="the home address with house numbers masked, enough to find the street"
    )


class BedRead(BedSummary):
    contract_start: date
    contract_end: date
    established_on: date | None
    accepted_on: date | None
    suspended_on: date | None
    resumed_on: date | None
    ended_on: date | None
    end_reason: str | None
    suspensions: list[SuspensionRead]
    latitude: float | None
    longitude: float | None
    location_set_at: datetime | None
    assignees: list[str] = Field(description="worker ids assigned to the bed")


class BedLocationSet(Input):
    """The bed's coordinates, recorded at installation (the EVV location check's reference)."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class BedAssigneesSet(Input):
    worker_ids: list[str] = Field(max_length=50)
