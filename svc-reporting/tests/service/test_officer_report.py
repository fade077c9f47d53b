"""`python -m reporting report --region … --month …`: the supervising officer's monthly picture
as a PDF (issue 18 item 5). Rendered from a read model the test fills, then read back: the pages,
the figures an officer looks for, and only the region asked for."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from chassis.context import RequestContext
from chassis.principal import Principal, Role
from reporting.bootstrap import create_app
from reporting.cli import main
from reporting.consumers import handle_bed_event
from reporting.domain.officer_picture import PictureInputError, parse_month, parse_region
from reporting.service.officer_picture import officer_picture
from reporting.settings import Settings
from reporting.tables import SupervisedAlarmRow, SupervisedBreachRow, SupervisedSurveyRow
from reporting.testing import bed_event

MONTH_START = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)


async def fill(database_url: str) -> None:
    """Two providers in 余杭区 (330110), one in 富阳区 (330111): beds, breaches, alarms, surveys."""
    app = create_app(Settings(database_url=database_url, kafka_enabled=False, push_enabled=False))
    runtime = app.state.runtime
    await runtime.start()
    try:
        async with runtime.uow() as uow:
            for bed_id, provider, region in (
                ("yh1", "prov-yuhang", "330110"),
                ("yh2", "prov-yuhang", "330110"),
                ("yh3", "prov-canal", "330110"),
                ("fy1", "prov-fuyang", "330111"),
            ):
                await handle_bed_event(uow, bed_event(bed_id, provider, region))
            await uow.commit()
        async with runtime.uow() as uow:
            session = uow.session
            at = MONTH_START + timedelta(days=3)
            session.add_all(
                [
                    SupervisedBreachRow(
                        event_id="b1", bed_id="yh1", provider_id="prov-yuhang",
                        rule="daily_visit", occurred_at=at,
                    ),
                    SupervisedBreachRow(
                        event_id="b2", bed_id="yh3", provider_id="prov-canal",
                        rule="monthly_hours", occurred_at=at,
                    ),
                    SupervisedBreachRow(
                        event_id="b3", bed_id="fy1", provider_id="prov-fuyang",
                        rule="daily_visit", occurred_at=at,
                    ),
                ]
            )  # fmt: skip
            for alarm_id, bed_id, provider, minutes in (
                ("a1", "yh1", "prov-yuhang", 9),
                ("a2", "yh2", "prov-yuhang", 22),
                ("a3", "yh3", "prov-canal", None),
                ("a4", "fy1", "prov-fuyang", 5),
            ):
                session.add(
                    SupervisedAlarmRow(
                        alarm_id=alarm_id,
                        bed_id=bed_id,
                        provider_id=provider,
                        raised_at=at,
                        arrival_deadline=at + timedelta(minutes=15),
                        arrived_at=None if minutes is None else at + timedelta(minutes=minutes),
                        sla_breached=minutes is None or minutes > 15,
                    )
                )
            for survey_id, bed_id, provider, score in (
                ("s1", "yh1", "prov-yuhang", 90.0),
                ("s2", "yh2", "prov-yuhang", 70.0),
            ):
                session.add(
                    SupervisedSurveyRow(
                        survey_id=survey_id, bed_id=bed_id, provider_id=provider,
                        score=score, occurred_at=at,
                    )
                )  # fmt: skip
            await uow.commit()
    finally:
        await runtime.stop()


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/reporting.db"
    await fill(url)
    return url


async def test_the_picture_holds_the_region_s_figures(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, kafka_enabled=False, push_enabled=False))
    runtime = app.state.runtime
    await runtime.start()
    try:
        picture = await officer_picture(
            uow_factory=runtime.uow,
            ctx=RequestContext(
                principal=Principal(sub="ops-1", role=Role.OPS),
                now=MONTH_START + timedelta(days=40),
            ),
            region_code="330110",
            first=date(2024, 3, 1),
            last=date(2024, 3, 31),
        )
    finally:
        await runtime.stop()
    assert [p.provider_id for p in picture.providers] == ["prov-canal", "prov-yuhang"]
    assert picture.active_beds == 3
    assert picture.alarms == 3
    assert picture.alarm_compliance == pytest.approx(1 / 3)  # 9 min yes; 22 min and never: no
    assert picture.arrival_minutes == [9.0, 22.0]
    assert picture.alarms_never_reached == 1
    assert picture.breaches == {"daily_visit": 1, "monthly_hours": 1, "medic_biweekly": 0}
    assert picture.satisfaction_average == 80.0


def test_the_command_writes_a_printable_pdf(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("HOMEBED_REPORTING_DATABASE_URL", database_url)
    with socket.socket() as closed:  # a port nobody listens on: svc-subsidy is not running
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv(
            "HOMEBED_REPORTING_SUBSIDY_URL", f"http://127.0.0.1:{closed.getsockname()[1]}"
        )
    out = tmp_path / "picture.pdf"
    assert main(["report", "--region", "330110", "--month", "2024-03", "--out", str(out)]) == 0
    assert f"wrote {out} (5 pages)" in capsys.readouterr().out
    reader = PdfReader(out)
    assert len(reader.pages) == 5
    assert reader.metadata is not None
    assert reader.metadata.title == "HomeBed monthly picture 330110 2024-03"
    text = [page.extract_text() for page in reader.pages]
    assert "Region 330110" in text[0]
    assert "Month 2024-03" in text[0]
    assert "prov-yuhang" in text[0]
    assert "prov-canal" in text[0]
    assert "prov-fuyang" not in "".join(text)  # 富阳区 is another county
    assert "Active beds by provider" in text[1]
    assert "Visits vs minimums" in text[1]
    assert "within 15 minutes" in text[2]
    assert "2 arrivals, 1 never reached" in text[2]
    assert "Satisfaction" in text[3]
    assert "80 (2 answers)" in text[3]
    # no invented figures when svc-subsidy cannot answer: the page says why
    assert "No subsidy figures: svc-subsidy unreachable" in text[4].replace("\n", " ")


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--region", "33011", "--month", "2024-03"], "--region"),
        (["--region", "330110", "--month", "2024-13"], "--month"),
        (["--region", "330110", "--month", "March"], "--month"),
    ],
)
def test_bad_options_exit_2_naming_the_option(argv: list[str], field: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", *argv])
    assert exited.value.code == 2
    assert field in capsys.readouterr().err


def test_parsers_name_the_field() -> None:
    assert parse_month("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_region("330110000000") == "330110000000"
    with pytest.raises(PictureInputError) as bad:
        parse_region("abc")
    assert bad.value.field == "region"
