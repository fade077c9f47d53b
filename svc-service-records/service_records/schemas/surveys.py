"""Satisfaction surveys: what the elder or family sees and answers; scores for staff."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chassis.dto import Input, Output


class QuestionRead(Output):
    code: str
    text: str
    scale_max: int


class SurveyAnswer(Input):
    answers: dict[str, int] = Field(description="question code → 1..scale_max")
    comment: str | None = Field(default=None, max_length=2000)


class SurveySummary(Output):
    id: str
    bed_id: str
    provider_id: str
    template: str
    context: str
    status: str
    sent_at: datetime
    answered_at: datetime | None
    score: float | None


class SurveyRead(SurveySummary):
    title: str
    questions: list[QuestionRead]
    answers: dict[str, int] | None
    comment: str | None
    respondent_role: str | None
    follow_up_task_id: str | None


class ProviderScore(Output):
    provider_id: str
    period: str
    answered: int
    mean_score: float
    low_scores: int


class SurveyScores(Output):
    period: str
    threshold: float
    providers: list[ProviderScore]
