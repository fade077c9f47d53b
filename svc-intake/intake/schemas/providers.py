"""Provider DTOs: the public listing applicants choose from, and the officers' register."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from chassis.dto import Input, Output
from intake.schemas.applications import Phone
from intake.schemas.common import JurisdictionCode, RegionCode, ShortText

ProviderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$")]


class ProviderContactIn(Input):
    """The organisation's service desk (published), not a person's private number."""

    name: ShortText
    phone: Phone
    address: ShortText | None = None


class FiledPackageIn(Input):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    name: ShortText
    monthly_fee_fen: int = Field(ge=0, description="monthly price in fen, as filed")
    filing_ref: ShortText = Field(description="the civil-affairs filing (备案) reference")
    filed_on: date


class ProviderCreate(Input):
    id: ProviderId = Field(description="the provider_id its staff's credentials carry")
    name: ShortText
    licence_no: Annotated[str, StringConstraints(min_length=4, max_length=64)]
    jurisdiction: JurisdictionCode
    service_area: list[RegionCode] = Field(min_length=1, max_length=50)
    contact: ProviderContactIn
    packages: list[FiledPackageIn] = Field(default_factory=list, max_length=50)


class ProviderUpdate(Input):
    """Provider admins update their own contact and filed prices; officers also the area."""

    contact: ProviderContactIn | None = None
    packages: list[FiledPackageIn] | None = Field(default=None, max_length=50)
    service_area: list[RegionCode] | None = Field(default=None, min_length=1, max_length=50)


class ProviderSuspend(Input):
    reason: ShortText


class ProviderContactRead(Output):
    name: str
    phone: str
    address: str | None


class FiledPackageRead(Output):
    code: str
    name: str
    monthly_fee_fen: int
    filing_ref: str
    filed_on: date


class ProviderRead(Output):
    id: str
    name: str
    licence_no: str
    jurisdiction: str
    service_area: list[str]
    contact: ProviderContactRead
    packages: list[FiledPackageRead]
    status: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime
