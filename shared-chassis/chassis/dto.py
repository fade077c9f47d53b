"""DTO bases of every service: strict inputs, frozen outputs, one page shape."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class Input(BaseModel):
    """A request body: unknown fields are refused (no mass assignment), text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    """An answer: frozen, built field by field from the domain (no table is dumped whole)."""

    model_config = ConfigDict(frozen=True)


class Page(Output, Generic[T]):
    """One page of a list: `items`, the `total` matching, and the `limit`/`offset` applied."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(ge=0)
