"""Load the jurisdiction subsidy profiles from the YAML files here (`<GB/T 2260 code>.yaml`)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from chassis.policy import load_yaml
from subsidy.domain.errors import UnknownJurisdiction
from subsidy.domain.policy import SubsidyProfile


@cache
def known_jurisdictions() -> tuple[str, ...]:
    folder = resources.files(__package__ or "subsidy.policies")
    names = (entry.name for entry in folder.iterdir())
    return tuple(
        sorted(n.removesuffix(".yaml") for n in names if n[:6].isdigit() and n.endswith(".yaml"))
    )


@cache
def load_profile(code: str) -> SubsidyProfile:
    """The profile of one jurisdiction; `UnknownJurisdiction` when there is none."""
    if code not in known_jurisdictions():
        raise UnknownJurisdiction(code, known_jurisdictions())
    folder = resources.files(__package__ or "subsidy.policies")
    profile = SubsidyProfile.model_validate(
        load_yaml(folder.joinpath(f"{code}.yaml").read_text("utf-8"))
    )
    if profile.jurisdiction != code:
        raise ValueError(f"{code}.yaml declares jurisdiction {profile.jurisdiction}")
    return profile


def load_all_profiles() -> dict[str, SubsidyProfile]:
    """Every profile, validated (at start-up, so a bad file fails fast)."""
    return {code: load_profile(code) for code in known_jurisdictions()}


def configured_profile(
    code: str, configuration: dict[str, dict[str, dict[str, int]]]
) -> SubsidyProfile:
    """The profile with the amounts the seeds leave to configuration filled in, e.g.
    `{"341800": {"operating": {"monthly_rate_fen": 31000}}}` (settings `rule_configuration`)."""
    profile = load_profile(code)
    overrides = configuration.get(code)
    if not overrides:
        return profile
    rules = []
    for rule in profile.rules:
        changes = overrides.get(rule.kind)
        if changes:
            unknown = set(changes) - set(type(rule).model_fields)
            if unknown:
                raise ValueError(f"{code} {rule.kind}: no such setting {sorted(unknown)}")
            rule = type(rule).model_validate({**rule.model_dump(), **changes})
        rules.append(rule)
    return profile.model_copy(update={"rules": tuple(rules)})
