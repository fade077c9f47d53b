"""Load the reason catalogue and the per-jurisdiction deadlines from the YAML files here."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from chassis.errors import Unprocessable
from chassis.policy import load_yaml
from referral.domain.catalogue import ReasonCatalogue
from referral.domain.deadlines import DeadlineRules

PACKAGE = __package__ or "referral.policies"


def _read_yaml(name: str) -> Any:
    return load_yaml(resources.files(PACKAGE).joinpath(name).read_text("utf-8"))


@cache
def known_jurisdictions() -> tuple[str, ...]:
    folder = resources.files(PACKAGE).joinpath("deadlines")
    return tuple(
        sorted(e.name.removesuffix(".yaml") for e in folder.iterdir() if e.name.endswith(".yaml"))
    )


@cache
def load_reasons() -> ReasonCatalogue:
    return ReasonCatalogue.model_validate(_read_yaml("reasons.yaml"))


@cache
def load_deadlines(jurisdiction: str) -> DeadlineRules:
    """The deadlines of one jurisdiction; 422 naming the jurisdiction when it has none."""
    if jurisdiction not in known_jurisdictions():
        raise Unprocessable(
            [
                (
                    "jurisdiction",
                    f"no referral deadlines for {jurisdiction}; known: "
                    f"{', '.join(known_jurisdictions())}",
                )
            ]
        )
    rules = DeadlineRules.model_validate(_read_yaml(f"deadlines/{jurisdiction}.yaml"))
    if rules.jurisdiction != jurisdiction:
        raise ValueError(f"deadlines/{jurisdiction}.yaml declares {rules.jurisdiction}")
    return rules
