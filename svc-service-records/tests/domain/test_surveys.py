"""Survey templates (policy data) and scoring."""

from __future__ import annotations

import pytest

from chassis.errors import Unprocessable
from service_records.domain.surveys import SurveyTrigger, is_low, score
from service_records.policies.loader import load_survey_templates, template_for


def test_templates_cover_both_triggers() -> None:
    templates = load_survey_templates()
    assert {t.trigger for t in templates.values()} == set(SurveyTrigger)
    assert template_for(SurveyTrigger.MONTHLY).id == "monthly"


def test_score_is_normalised_mean() -> None:
    template = template_for(SurveyTrigger.ALARM_RESOLVED)
    assert score(template, {"response_time": 5, "handling": 5}) == 100.0
    assert score(template, {"response_time": 1, "handling": 3}) == 25.0
    assert is_low(25.0, 60.0)
    assert not is_low(60.0, 60.0)


def test_bad_answers_name_the_field() -> None:
    template = template_for(SurveyTrigger.ALARM_RESOLVED)
    with pytest.raises(Unprocessable) as caught:
        score(template, {"response_time": 6, "extra": 3})
    fields = {e.field for e in caught.value.errors}
    assert fields == {"body.answers.response_time", "body.answers.extra", "body.answers.handling"}
