"""Dependencies of this service beyond the chassis': the device-corroboration probe, the EVV
location tolerance and the low survey score, all set by the composition root."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service_records.service.corroboration import ActivityProbe


def get_probe(request: Request) -> ActivityProbe:
    probe: ActivityProbe = request.app.state.activity_probe
    return probe


def get_tolerance(request: Request) -> float:
    return float(request.app.state.settings.bed_location_tolerance_m)


ProbeDep = Annotated[ActivityProbe, Depends(get_probe)]
ToleranceDep = Annotated[float, Depends(get_tolerance)]


def get_survey_threshold(request: Request) -> float:
    return float(request.app.state.settings.survey_low_score)


SurveyThresholdDep = Annotated[float, Depends(get_survey_threshold)]
