"""Shared DTO pieces: strict base models, pagination, region codes."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

JurisdictionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
# GB/T 2260 county code, optionally with the 3-digit street and 3-digit community parts
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}(\d{3}){0,2}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


class Page(Output, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageQuery(Input):
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
