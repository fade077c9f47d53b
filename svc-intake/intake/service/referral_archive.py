"""The part of a referral's archive package intake owns (000 §三(五) "将老人信息和服务档案等相关
数据共享"): basic information (the ID number masked unless the consent covers identity, then the
read is audited like any reveal), assessments and the care plan. Only svc-referral calls it, as a
service principal (role ops, scope `referral_archive`), after it checked the elder's consent; it
asks only for the categories the consent covers."""

from __future__ import annotations

from sqlalchemy import select

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.errors import Forbidden, NotFound
from chassis.principal import Role
from intake.domain.masking import mask_name
from intake.repository import SqlRepository
from intake.schemas.applications import RevealPurpose
from intake.schemas.referral_archive import ArchiveAssessment, ArchiveElder, ReferralArchiveRead
from intake.service.context import ID_NUMBER, IntakeContext
from intake.service.views import ID_LENGTH, masked
from intake.tables import BedAssessmentRow, PiiAccessRow

SCOPE = "referral_archive"


async def referral_archive(
    *,
    uow: UnitOfWork,
    ctx: IntakeContext,
    bed_id: str,
    basic_info: bool,
    identity: bool,
    assessment: bool,
    care_plan: bool,
) -> ReferralArchiveRead:
    require_role(ctx.principal, Role.OPS)
    if not ctx.principal.has_scope(SCOPE):
        raise Forbidden(f"needs the {SCOPE} scope", required_roles=[Role.OPS.value])
    async with uow:
        repo = uow.repo(SqlRepository)
        bed = await repo.bed(bed_id)
        if bed is None:
            raise NotFound("bed")
        elder_read = None
        if basic_info or identity:
            elder = await repo.elder(bed.elder_id)
            if elder is None:
                raise NotFound("elder")
            number = ctx.pii.open(elder.id_number_sealed, context=ID_NUMBER) if identity else None
            if identity:
                repo.add(
                    PiiAccessRow(
                        actor_sub=ctx.principal.sub,
                        actor_role=ctx.principal.role.value,
                        actor_provider_id=None,
                        elder_id=elder.id,
                        application_id=bed.application_id,
                        field="id_number",
                        purpose=RevealPurpose.REFERRAL.value,
                        request_id=ctx.request_id,
                        accessed_at=ctx.now,
                    )
                )
            elder_read = ArchiveElder(
                elder_id=elder.id,
                name_masked=mask_name(elder.name),
                sex=elder.sex,
                birth_date=elder.birth_date,
                id_number_masked=masked(elder.id_number_tail, ID_LENGTH) or "",
                id_number=number,
            )
        assessments = None
        if assessment:
            rows = await uow.session.scalars(
                select(BedAssessmentRow)
                .where(BedAssessmentRow.bed_id == bed.id)
                .order_by(BedAssessmentRow.assessed_on)
            )
            assessments = [
                ArchiveAssessment(
                    scale=r.scale,
                    ability_level=r.ability_level,
                    care_needs_level=r.care_needs_level,
                    assessed_on=r.assessed_on,
                    assessor=r.assessor,
                )
                for r in rows
            ]
        answer = ReferralArchiveRead(
            bed_id=bed.id,
            provider_id=bed.provider_id,
            region_code=bed.region_code,
            status=bed.status,
            established_on=bed.established_on,
            elder=elder_read,
            ability_level=bed.ability_level if assessment else None,
            care_needs_level=bed.care_needs_level if assessment else None,
            assessments=assessments,
            care_plan=list(bed.care_plan or []) if care_plan else None,
        )
        await uow.commit()
        return answer
