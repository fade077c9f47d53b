"""DTO pieces of intake (the bases `Input`, `Output`, `Page` are `chassis.dto`'s): codes, text."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from chassis.dto import Output

JurisdictionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
# GB/T 2260 county code, optionally with the 3-digit street and 3-digit community parts
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}(\d{3}){0,2}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class BlockedActionRead(Output):
    """An action the state allows that this caller cannot take now, and what is unmet."""

    action: str
    unmet: list[str]
