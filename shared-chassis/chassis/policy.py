"""What every policy file (one per jurisdiction, in each service) shares: the citation of a rule.

A rule's `basis` is `explicit` when the seed states it and `interpretation` when the seed is
silent and the platform reads it (shared/domain.md), so a reviewer tells law from our reading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Basis = Literal["explicit", "interpretation"]


class Citation(BaseModel):
    """Where a rule comes from: seed number, section, and a verbatim quote of the seed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: str = Field(pattern=r"^\d{3}$")
    section: str = Field(min_length=1)
    quote: str = Field(min_length=2, description="verbatim seed text (whitespace may differ)")

    @property
    def text(self) -> str:
        """The short form used in API responses, e.g. `001 §四(一)`."""
        return f"{self.seed} {self.section}"
