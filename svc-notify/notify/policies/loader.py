"""Loads `rules.yaml` and `templates.yaml` into the domain's RuleBook and Templates."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chassis.policy import load_yaml
from notify.domain.rules import Audience, ChainRole, Rule, RuleBook
from notify.domain.templates import Template

HERE = Path(__file__).parent


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleSpec(_Spec):
    id: str
    topic: str
    events: list[str] = Field(min_length=1)
    audience: list[str] = Field(min_length=1)
    template: str
    chain: ChainRole = ChainRole.NONE
    step: int = Field(default=1, ge=1)
    repeat_minutes: int | None = Field(default=None, ge=1)
    when: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True
    basis: Literal["explicit", "interpretation"]
    seed: str | None = None
    section: str | None = None
    quote: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _cited(self) -> RuleSpec:
        if self.basis == "explicit" and not (self.seed and self.section and self.quote):
            raise ValueError(f"rule {self.id}: an explicit rule cites seed, section and quote")
        return self


class ChainStops(_Spec):
    acknowledged: list[str]
    closed: list[str]


class RuleFile(_Spec):
    safety_alarm_types: list[str]
    after_acknowledgement_targets: list[str]
    officer_targets: list[str]
    chain_stops: ChainStops
    rules: list[RuleSpec]


class TemplateSpec(_Spec):
    title: str
    body: str


@cache
def rule_file(path: Path = HERE / "rules.yaml") -> RuleFile:
    return RuleFile.model_validate(load_yaml(path.read_text(encoding="utf-8")))


@cache
def load_templates(path: Path = HERE / "templates.yaml") -> dict[str, Template]:
    raw = load_yaml(path.read_text(encoding="utf-8"))
    return {
        name: Template(id=name, **TemplateSpec.model_validate(spec).model_dump())
        for name, spec in raw.items()
    }


@cache
def load_rules(path: Path = HERE / "rules.yaml") -> RuleBook:
    spec = rule_file(path)
    templates = load_templates()
    rules = []
    for r in spec.rules:
        if r.template not in templates:
            raise ValueError(f"rule {r.id}: no template {r.template!r}")
        rules.append(
            Rule(
                id=r.id,
                topic=r.topic,
                event_types=tuple(r.events),
                audience=tuple(Audience.parse(a) for a in r.audience),
                template=r.template,
                chain=r.chain,
                step=r.step,
                repeat_minutes=r.repeat_minutes,
                when=tuple(sorted(r.when.items())),
                enabled=r.enabled,
            )
        )
    return RuleBook(
        rules=tuple(rules),
        safety_alarm_types=frozenset(spec.safety_alarm_types),
        after_acknowledgement_targets=frozenset(spec.after_acknowledgement_targets),
        chain_stops=frozenset(spec.chain_stops.acknowledged + spec.chain_stops.closed),
        officer_targets=frozenset(spec.officer_targets),
    )


def acknowledging_events() -> frozenset[str]:
    return frozenset(rule_file().chain_stops.acknowledged)
