"""Satisfaction surveys: sent monthly to every bed in service and after a resolved alarm; the
elder or family answer; `survey.answered` is published; a low score opens a follow-up task for
the provider admin; scores per provider and month (officers: their regions, aggregates only)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from chassis.access import require_role
from chassis.clock import Clock, shanghai_date
from chassis.context import RequestContext
from chassis.db import UnitOfWork, UnitOfWorkFactory
from chassis.dto import Page
from chassis.errors import Forbidden, IllegalTransition, NotFound, Unprocessable
from chassis.principal import Role
from homebed_schemas.events.records import SurveyEvent
from service_records.domain.plan import TaskKind, TaskStatus
from service_records.domain.surveys import SurveyStatus, SurveyTrigger, is_low, score
from service_records.policies.loader import load_survey_templates, template_for
from service_records.repository import PlanRepository, RosterRepository, SurveyRepository
from service_records.schemas.inbound import AlarmNotice
from service_records.schemas.surveys import (
    ProviderScore,
    QuestionRead,
    SurveyAnswer,
    SurveyRead,
    SurveyScores,
    SurveySummary,
)
from service_records.service.access import scope_for
from service_records.service.events import VISITS_TOPIC
from service_records.tables import RosterBedRow, SurveyRow, TaskRow

RESPONDENTS = (Role.ELDER, Role.FAMILY)
FOLLOW_UP_DUE = timedelta(days=3)
FOLLOW_UP_CLOSES = timedelta(days=7)


def _new_survey(bed: RosterBedRow, template: str, context: str, now: datetime) -> SurveyRow:
    return SurveyRow(
        id=str(uuid.uuid4()),
        bed_id=bed.bed_id,
        provider_id=bed.provider_id,
        elder_id=bed.elder_id,
        region_code=bed.region_code,
        template=template,
        context=context,
        status=SurveyStatus.SENT.value,
        sent_at=now,
    )


async def send_monthly_surveys(*, uow_factory: UnitOfWorkFactory, clock: Clock, day: int) -> int:
    """From `day` of each Shanghai month on, send the monthly survey to every bed in service
    that has not had this month's; returns how many were sent (idempotent)."""
    now = clock()
    today = shanghai_date(now)
    if today.day < day:
        return 0
    template = template_for(SurveyTrigger.MONTHLY).id
    context = f"month:{today:%Y-%m}"
    uow = uow_factory()
    async with uow:
        surveys = uow.repo(SurveyRepository)
        done = await surveys.beds_with(template, context)
        sent = 0
        for bed in await uow.repo(RosterRepository).in_service():
            if bed.bed_id not in done:
                surveys.add(_new_survey(bed, template, context, now))
                sent += 1
        await uow.commit()
    return sent


async def alarm_resolved(*, uow: UnitOfWork, bed: RosterBedRow, alarm: AlarmNotice) -> None:
    """A resolved alarm sends the after-alarm survey to the bed (once per alarm). Never commits."""
    template = template_for(SurveyTrigger.ALARM_RESOLVED).id
    context = f"alarm:{alarm.alarm_id}"
    surveys = uow.repo(SurveyRepository)
    if not await surveys.exists(bed.bed_id, template, context):
        surveys.add(_new_survey(bed, template, context, alarm.occurred_at))


async def answer_survey(
    *, uow: UnitOfWork, ctx: RequestContext, survey_id: str, cmd: SurveyAnswer, threshold: float
) -> SurveyRead:
    """The elder or family answer; publishes survey.answered; a low score opens a follow-up."""
    async with uow:
        survey = await uow.repo(SurveyRepository).visible(
            survey_id, await scope_for(uow, ctx.principal)
        )
        if survey is None:
            raise NotFound("Survey")
        require_role(ctx.principal, *RESPONDENTS)
        if survey.status != SurveyStatus.SENT.value:
            raise IllegalTransition(
                state=survey.status, action="answer", allowed_actions=[], entity="survey"
            )
        template = load_survey_templates()[survey.template]
        value = score(template, cmd.answers)
        survey.status, survey.answered_at = SurveyStatus.ANSWERED.value, ctx.now
        survey.period = f"{ctx.today:%Y-%m}"
        survey.respondent_sub, survey.respondent_role = ctx.principal.sub, ctx.principal.role.value
        survey.answers, survey.comment, survey.score = dict(cmd.answers), cmd.comment, value
        await uow.emit(
            topic=VISITS_TOPIC,
            key=survey.bed_id,
            type_="survey.answered",
            subject=survey.id,
            data=SurveyEvent(
                survey_id=survey.id,
                bed_id=survey.bed_id,
                provider_id=survey.provider_id,
                elder_id=survey.elder_id,
                template=survey.template,
                score=value,
                respondent_role=ctx.principal.role.value,
                context=survey.context,
                occurred_at=ctx.now,
            ),
        )
        if is_low(value, threshold):
            _open_follow_up(uow, survey, ctx, value)
        await uow.commit()
        return await _survey_read(uow, survey)


def _open_follow_up(uow: UnitOfWork, survey: SurveyRow, ctx: RequestContext, value: float) -> None:
    uow.repo(PlanRepository).add(
        TaskRow(
            id=str(uuid.uuid4()),
            bed_id=survey.bed_id,
            provider_id=survey.provider_id,
            plan_key=f"survey:{survey.id}",
            kind=TaskKind.FOLLOW_UP.value,
            item_code=None,
            roles=[Role.PROVIDER_ADMIN.value],
            day=ctx.today,
            opens_at=ctx.now,
            due_at=ctx.now + FOLLOW_UP_DUE,
            closes_at=ctx.now + FOLLOW_UP_CLOSES,
            status=TaskStatus.SCHEDULED.value,
            assignee_worker_id=None,
            visit_id=None,
            note=f"satisfaction score {value} ({survey.template}, {survey.context})",
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )


async def get_survey(*, uow: UnitOfWork, ctx: RequestContext, survey_id: str) -> SurveyRead:
    """One survey with its questions (and answers once answered)."""
    async with uow:
        require_role(ctx.principal, Role.PROVIDER_ADMIN, *RESPONDENTS)
        survey = await uow.repo(SurveyRepository).visible(
            survey_id, await scope_for(uow, ctx.principal)
        )
        if survey is None:
            raise NotFound("Survey")
        return await _survey_read(uow, survey)


async def list_surveys(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    bed_id: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> Page[SurveySummary]:
    """Surveys of the caller's beds (elder/family: their own; provider admin: the provider's)."""
    async with uow:
        require_role(ctx.principal, Role.PROVIDER_ADMIN, *RESPONDENTS)
        rows, total = await uow.repo(SurveyRepository).find(
            await scope_for(uow, ctx.principal),
            bed_id=bed_id,
            status=status,
            limit=limit,
            offset=offset,
        )
        return Page(items=[_summary(r) for r in rows], total=total, limit=limit, offset=offset)


async def survey_scores(
    *, uow: UnitOfWork, ctx: RequestContext, period: str, threshold: float
) -> SurveyScores:
    """Per-provider scores of a month: a provider admin their own, an officer their regions."""
    async with uow:
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OFFICER)
        if len(period) != 7 or period[4] != "-" or not period.replace("-", "").isdigit():
            raise Unprocessable.field("query.period", "YYYY-MM")
        provider_id: str | None = None
        regions: tuple[str, ...] | None = None
        if ctx.principal.role is Role.PROVIDER_ADMIN:
            provider_id = ctx.principal.provider_id
            if provider_id is None:
                raise Forbidden("the provider admin's token names no provider")
        else:
            scope = await scope_for(uow, ctx.principal)
            regions = scope.region_prefixes or ()
        rows = await uow.repo(SurveyRepository).scores(
            period=period, threshold=threshold, provider_id=provider_id, regions=regions
        )
        return SurveyScores(
            period=period,
            threshold=threshold,
            providers=[
                ProviderScore(
                    provider_id=p, period=period, answered=n, mean_score=round(m, 1), low_scores=low
                )
                for p, n, m, low in rows
            ],
        )


def _summary(row: SurveyRow) -> SurveySummary:
    return SurveySummary(
        id=row.id,
        bed_id=row.bed_id,
        provider_id=row.provider_id,
        template=row.template,
        context=row.context,
        status=row.status,
        sent_at=row.sent_at,
        answered_at=row.answered_at,
        score=row.score,
    )


async def _survey_read(uow: UnitOfWork, row: SurveyRow) -> SurveyRead:
    template = load_survey_templates()[row.template]
    follow_up = await uow.repo(PlanRepository).by_key(row.bed_id, f"survey:{row.id}")
    return SurveyRead(
        **_summary(row).model_dump(),
        title=template.title,
        questions=[
            QuestionRead(code=q.code, text=q.text, scale_max=q.scale_max)
            for q in template.questions
        ],
        answers=row.answers,
        comment=row.comment,
        respondent_role=row.respondent_role,
        follow_up_task_id=follow_up.id if follow_up else None,
    )
