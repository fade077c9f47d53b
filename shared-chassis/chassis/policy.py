"""What every policy file (one per jurisdiction, in each service) shares: the citation of a rule.

A rule's `basis` is `explicit` when the seed states it and `interpretation` when the seed is
silent and the platform reads it (shared/domain.md), so a reviewer tells law from our reading.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Basis = Literal["explicit", "interpretation"]

# libyaml's parser when PyYAML was built with it (the wheels are): the same safe constructors,
# about ten times faster than the pure-Python parser, and every service and test process reads
# its policy files at import.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, on libyaml's parser where available."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


def load_yaml_all(text: str) -> list[Any]:
    """Every document of a multi-document YAML text (`yaml.safe_load_all`)."""
    return list(yaml.load_all(text, Loader=_SAFE_LOADER))


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
