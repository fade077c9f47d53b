"""Load the jurisdiction policy profiles and the device catalogue from the YAML files here."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from chassis.policy import load_yaml
from intake.domain.care_catalogue import ServiceCatalogue
from intake.domain.errors import UnknownJurisdiction
from intake.domain.policy import Catalogue, PolicyProfile

CATALOGUE_FILE = "catalogue.yaml"
SERVICE_CATALOGUES = "care_catalogues"  # the service items care plans draw from, by id


def _read_yaml(name: str) -> Any:
    text = resources.files(__package__ or "intake.policies").joinpath(name).read_text("utf-8")
    return load_yaml(text)


@cache
def known_jurisdictions() -> tuple[str, ...]:
    """GB/T 2260 codes that have a profile file (`<code>.yaml`)."""
    folder = resources.files(__package__ or "intake.policies")
    names = (entry.name for entry in folder.iterdir())
    return tuple(
        sorted(n.removesuffix(".yaml") for n in names if n[:6].isdigit() and n.endswith(".yaml"))
    )


@cache
def load_profile(code: str) -> PolicyProfile:
    """The profile of one jurisdiction; `UnknownJurisdiction` when there is none."""
    if code not in known_jurisdictions():
        raise UnknownJurisdiction(code, known_jurisdictions())
    profile = PolicyProfile.model_validate(_read_yaml(f"{code}.yaml"))
    if profile.jurisdiction != code:
        raise ValueError(f"{code}.yaml declares jurisdiction {profile.jurisdiction}")
    _check_sources(profile, load_catalogue())
    return profile


@cache
def load_catalogue() -> Catalogue:
    return Catalogue.model_validate(_read_yaml(CATALOGUE_FILE))


@cache
def service_catalogues() -> dict[str, ServiceCatalogue]:
    """Every service catalogue (002 附件2, 001 附件3, 000 附件1's categories), by its id."""
    folder = resources.files(__package__ or "intake.policies").joinpath(SERVICE_CATALOGUES)
    names = sorted(e.name for e in folder.iterdir() if e.name.endswith(".yaml"))
    loaded = [
        ServiceCatalogue.model_validate(_read_yaml(f"{SERVICE_CATALOGUES}/{n}")) for n in names
    ]
    return {catalogue.id: catalogue for catalogue in loaded}


def load_service_catalogue(profile: PolicyProfile) -> ServiceCatalogue:
    """The catalogue the jurisdiction's care plans draw their items from."""
    return service_catalogues()[profile.care_plan.catalogue]


def load_all_profiles() -> dict[str, PolicyProfile]:
    """Every profile, validated (used at start-up so a bad file fails fast)."""
    return {code: load_profile(code) for code in known_jurisdictions()}


def _check_sources(profile: PolicyProfile, catalogue: Catalogue) -> None:
    unknown = set(profile.catalogue_sources) - set(catalogue.sources)
    if unknown:
        raise ValueError(
            f"{profile.jurisdiction} names unknown catalogue sources {sorted(unknown)}"
        )
    if profile.care_plan.catalogue not in service_catalogues():
        raise ValueError(
            f"{profile.jurisdiction} names an unknown service catalogue "
            f"{profile.care_plan.catalogue!r}"
        )
