"""Satisfaction surveys (满意度调查): templates as values, answers checked and scored.

The seeds ask for regular satisfaction surveys of elders and their families (000 §三(六), 001
§四(三)3, 002 §七(一)5); the templates themselves are data (policies/surveys.yaml). A score is
the mean of the answers normalised to 0..100 (1 of 5 → 0, 5 of 5 → 100).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from chassis.errors import Unprocessable


class SurveyTrigger(StrEnum):
    MONTHLY = "monthly"  # each bed in service, once a month
    ALARM_RESOLVED = "alarm_resolved"  # after an alarm of the bed is resolved


class SurveyStatus(StrEnum):
    SENT = "sent"
    ANSWERED = "answered"


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    scale_max: int = 5


@dataclass(frozen=True)
class SurveyTemplate:
    id: str
    trigger: SurveyTrigger
    title: str
    questions: tuple[Question, ...]


def score(template: SurveyTemplate, answers: Mapping[str, int]) -> float:
    """The 0..100 score of complete, in-range answers; 422 naming the bad field otherwise."""
    known = {q.code for q in template.questions}
    problems = [
        (f"body.answers.{c}", "not a question of this survey") for c in answers if c not in known
    ]
    parts = []
    for q in template.questions:
        value = answers.get(q.code)
        if value is None:
            problems.append((f"body.answers.{q.code}", "required"))
        elif not 1 <= value <= q.scale_max:
            problems.append((f"body.answers.{q.code}", f"between 1 and {q.scale_max}"))
        else:
            parts.append((value - 1) / (q.scale_max - 1) * 100)
    if problems:
        raise Unprocessable(problems)
    return round(sum(parts) / len(parts), 1)


def is_low(value: float, threshold: float) -> bool:
    """A score under the threshold calls for a follow-up by the provider admin."""
    return value < threshold
