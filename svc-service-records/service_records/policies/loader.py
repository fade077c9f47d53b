"""Load the service-records profiles (`<code>.yaml`), catalogues (`catalogues/*.yaml`) and
survey templates (`surveys.yaml`).

The loader imports the domain's model (`MinimumsProfile`, `UnknownJurisdiction`); the domain
never imports the loader, it receives profiles as values.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chassis.policy import Basis, Citation, load_yaml
from service_records.domain.errors import UnknownJurisdiction
from service_records.domain.surveys import Question, SurveyTemplate, SurveyTrigger
from service_records.policies.model import (
    Catalogue,
    CatalogueFile,
    CatalogueItem,
    CatalogueRef,
    ProfileFile,
    RecordsProfile,
)

PACKAGE = "service_records.policies"
CATALOGUE_FILES: dict[str, str] = {
    "000-annex1-categories": "catalogues/000_annex1_categories.yaml",
    "001-annex3": "catalogues/001_annex3.yaml",
    "002-annex2": "catalogues/002_annex2.yaml",
}


def _read_yaml(name: str) -> Any:
    return load_yaml(resources.files(PACKAGE).joinpath(name).read_text("utf-8"))


@cache
def known_jurisdictions() -> tuple[str, ...]:
    """GB/T 2260 codes that have a profile file (`<code>.yaml`)."""
    names = (entry.name for entry in resources.files(PACKAGE).iterdir())
    return tuple(
        sorted(n.removesuffix(".yaml") for n in names if n[:6].isdigit() and n.endswith(".yaml"))
    )


@cache
def load_catalogue_file(catalogue_id: str) -> CatalogueFile:
    if catalogue_id not in CATALOGUE_FILES:
        raise ValueError(f"unknown catalogue {catalogue_id!r}")
    raw = CatalogueFile.model_validate(_read_yaml(CATALOGUE_FILES[catalogue_id]))
    if raw.id != catalogue_id:
        raise ValueError(f"{CATALOGUE_FILES[catalogue_id]} declares id {raw.id}")
    return raw


def _catalogue(ref: CatalogueRef) -> Catalogue:
    raw = load_catalogue_file(ref.id)
    group_names = {g.code: g.name for g in raw.groups}
    items = tuple(
        CatalogueItem(
            code=i.code,
            name=i.name,
            group=i.group,
            group_name=group_names[i.group],
            category=i.category,
            roles_allowed=i.roles_allowed,
            seed=raw.seed,
            section=raw.section,
            basis=i.category_basis,
            roles_basis=i.roles_basis,
            delivery=i.delivery,
            standard_time=i.standard_time,
        )
        for i in raw.items
    )
    return Catalogue(
        id=raw.id,
        seed=raw.seed,
        section=raw.section,
        title=raw.title,
        basis=ref.basis,
        note=ref.note,
        items=items,
    )


@cache
def load_profile(jurisdiction: str) -> RecordsProfile:
    """The profile of one jurisdiction; `UnknownJurisdiction` (422) when there is none."""
    if jurisdiction not in known_jurisdictions():
        raise UnknownJurisdiction(jurisdiction, known_jurisdictions())
    raw = ProfileFile.model_validate(_read_yaml(f"{jurisdiction}.yaml"))
    if raw.jurisdiction != jurisdiction:
        raise ValueError(f"{jurisdiction}.yaml declares jurisdiction {raw.jurisdiction}")
    return RecordsProfile(
        jurisdiction=raw.jurisdiction,
        name=raw.name,
        minimums=raw.minimums.to_domain(),
        caregiver_present_required=raw.caregiver_present.required,
        catalogue=_catalogue(raw.catalogue),
        source=raw,
    )


def load_all_profiles() -> dict[str, RecordsProfile]:
    """Every profile, validated (for start-up, so a bad file fails fast)."""
    return {code: load_profile(code) for code in known_jurisdictions()}


class _QuestionFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=2)
    scale_max: int = Field(default=5, ge=2, le=10)


class _TemplateFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    trigger: SurveyTrigger
    title: str
    questions: tuple[_QuestionFile, ...] = Field(min_length=1)


class SurveysFile(BaseModel):
    """policies/surveys.yaml: the citations asking for surveys and the templates."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    citations: tuple[Citation, ...] = Field(min_length=1)
    basis: Basis
    templates: tuple[_TemplateFile, ...] = Field(min_length=1)


@cache
def load_survey_templates() -> dict[str, SurveyTemplate]:
    """The survey templates by id; exactly one per trigger."""
    raw = SurveysFile.model_validate(_read_yaml("surveys.yaml"))
    templates = {
        t.id: SurveyTemplate(
            id=t.id,
            trigger=t.trigger,
            title=t.title,
            questions=tuple(Question(q.code, q.text, q.scale_max) for q in t.questions),
        )
        for t in raw.templates
    }
    triggers = [t.trigger for t in templates.values()]
    if sorted(triggers) != sorted(set(triggers)) or len(templates) != len(raw.templates):
        raise ValueError("surveys.yaml: template ids and triggers must be unique")
    return templates


def template_for(trigger: SurveyTrigger) -> SurveyTemplate:
    return next(t for t in load_survey_templates().values() if t.trigger is trigger)
