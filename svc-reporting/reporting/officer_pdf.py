"""Draws the supervising officer's monthly picture (reporting.domain.officer_picture) as a
printable A4 PDF: a cover with the month's figures and a table, then one page per question an
officer asks — how many beds, are the minimums kept, do people arrive within 15 minutes, are
the elders satisfied — and what the month's subsidies came to (svc-subsidy)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reporting.domain.delivery import SHANGHAI
from reporting.domain.officer_picture import (
    ARRIVAL_MINUTES,
    MINIMUM_RULES,
    OfficerPicture,
)
from reporting.subsidy_figures import SubsidyFigures

A4 = (8.27, 11.69)
RULE_LABELS = {
    "daily_visit": "a visit a day",
    "monthly_hours": "30 hours a month",
    "medic_biweekly": "a medic every 2 weeks",
}
COLOURS = {"ok": "#2e7d32", "late": "#c62828", "bar": "#1565c0", "muted": "#9e9e9e"}
KIND_LABELS = {
    "construction": "construction",
    "low_income_service": "low-income service",
    "operating": "operating",
    "modification": "modification",
    "voucher_settlement": "vouchers settled",
    "platform": "platform",
    "scale_award": "scale award",
}
plt.rcParams.update({"pdf.fonttype": 42, "font.size": 9})  # TrueType: the text stays searchable


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _names(picture: OfficerPicture) -> list[str]:
    return [f"{p.provider_id}\n({p.region_code})" for p in picture.providers]


def _cover(picture: OfficerPicture, generated_at: datetime) -> Figure:
    figure = plt.figure(figsize=A4)
    figure.text(0.08, 0.94, "HomeBed - monthly picture for the supervising officer", size=15)
    figure.text(
        0.08,
        0.91,
        f"Region {picture.region_code}   Month {picture.month}   "
        f"({picture.first.isoformat()} to {picture.last.isoformat()}, Asia/Shanghai)",
        size=10,
    )
    figure.text(
        0.08,
        0.89,
        f"Generated {generated_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} Asia/Shanghai "
        "from the supervision read model of svc-reporting",
        size=8,
        color=COLOURS["muted"],
    )
    figures = [
        ("Active beds", str(picture.active_beds)),
        ("Alarms", str(picture.alarms)),
        (f"On site within {ARRIVAL_MINUTES} min", _percent(picture.alarm_compliance)),
        (
            "Satisfaction (0-100)",
            "n/a" if picture.satisfaction_average is None else f"{picture.satisfaction_average}",
        ),
        ("Minimum breaches", str(sum(picture.breaches.values()))),
        ("T+1 reports on time", _percent(picture.report_timeliness)),
    ]
    for i, (label, value) in enumerate(figures):
        x, y = 0.08 + (i % 3) * 0.3, 0.80 - (i // 3) * 0.09
        figure.text(x, y, value, size=20, weight="bold")
        figure.text(x, y - 0.025, label, size=9, color=COLOURS["muted"])
    axes = figure.add_axes((0.08, 0.08, 0.84, 0.55))
    axes.axis("off")
    header = ["Provider", "Region", "Beds", "Alarms", "Within 15 min", "Satisfaction", "Breaches"]
    rows = [
        [
            p.provider_id,
            p.region_code,
            str(p.active_beds),
            str(p.alarms),
            _percent(p.alarms_on_time / p.alarms if p.alarms else None),
            "n/a" if p.satisfaction_average is None else f"{p.satisfaction_average:.0f}",
            str(sum(p.breaches.values())),
        ]
        for p in picture.providers
    ] or [["(no beds in this region this month)", "", "", "", "", "", ""]]
    table = axes.table(cellText=rows, colLabels=header, loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.4)
    return figure


def _beds_and_minimums(picture: OfficerPicture) -> Figure:
    figure, (beds, minimums) = plt.subplots(2, 1, figsize=A4)
    names = _names(picture)
    beds.barh(names, [p.active_beds for p in picture.providers], color=COLOURS["bar"])
    beds.set_title("Active beds by provider")
    beds.set_xlabel("beds established and not ended at the end of the month")
    beds.invert_yaxis()
    left = [0] * len(picture.providers)
    for rule, colour in zip(MINIMUM_RULES, ("#c62828", "#ef6c00", "#6a1b9a"), strict=True):
        counts = [p.breaches.get(rule, 0) for p in picture.providers]
        minimums.barh(names, counts, left=left, color=colour, label=RULE_LABELS[rule])
        left = [a + b for a, b in zip(left, counts, strict=True)]
    minimums.set_title(
        "Visits vs minimums: breaches of the service minimums (seed 001 section 4(3)3)"
    )
    minimums.set_xlabel("minimum.breached events in the month (0 = every minimum kept)")
    minimums.legend(loc="lower right")
    minimums.invert_yaxis()
    for axes in (beds, minimums):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout(pad=3)
    return figure


def _alarm_response(picture: OfficerPicture) -> Figure:
    figure, (by_provider, histogram) = plt.subplots(2, 1, figsize=A4)
    names = _names(picture)
    on_time = [p.alarms_on_time for p in picture.providers]
    late = [p.alarms_late for p in picture.providers]
    by_provider.barh(names, on_time, color=COLOURS["ok"], label=f"within {ARRIVAL_MINUTES} min")
    by_provider.barh(names, late, left=on_time, color=COLOURS["late"], label="late or not reached")
    by_provider.set_title(
        f"Alarm response: on site within {ARRIVAL_MINUTES} minutes (seed 001 section 4(3)2)"
    )
    by_provider.set_xlabel("alarms raised in the month")
    by_provider.legend(loc="lower right")
    by_provider.invert_yaxis()
    if picture.arrival_minutes:
        top = max(60.0, max(picture.arrival_minutes))
        histogram.hist(
            picture.arrival_minutes, bins=range(0, int(top) + 6, 5), color=COLOURS["bar"]
        )
    histogram.axvline(ARRIVAL_MINUTES, color=COLOURS["late"], linestyle="--")
    histogram.set_title(
        f"Minutes from alarm to arrival ({len(picture.arrival_minutes)} arrivals, "
        f"{picture.alarms_never_reached} never reached)"
    )
    histogram.set_xlabel("minutes (dashed line: the 15-minute rule)")
    histogram.set_ylabel("alarms")
    by_provider.xaxis.set_major_locator(MaxNLocator(integer=True))
    histogram.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout(pad=3)
    return figure


def _satisfaction(picture: OfficerPicture) -> Figure:
    figure, (scores, reports) = plt.subplots(2, 1, figsize=A4)
    names = _names(picture)
    values = [p.satisfaction_average or 0.0 for p in picture.providers]
    bars = scores.barh(names, values, color=COLOURS["bar"])
    for bar, provider in zip(bars, picture.providers, strict=True):
        label = (
            "no answers"
            if provider.satisfaction_average is None
            else f"{provider.satisfaction_average:.0f} ({provider.satisfaction_answers} answers)"
        )
        scores.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, label, va="center")
    scores.set_xlim(0, 110)
    scores.set_title("Satisfaction of elders and families (seed 000 section 3(6)), score 0-100")
    scores.invert_yaxis()
    timely = [
        100 * p.reports_on_time / p.reports_expected if p.reports_expected else 0.0
        for p in picture.providers
    ]
    reports.barh(names, timely, color=COLOURS["ok"])
    reports.set_xlim(0, 100)
    reports.set_title("T+1 report days acknowledged on time (seed 000 section 3(2)), %")
    reports.invert_yaxis()
    figure.tight_layout(pad=3)
    return figure


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _subsidies(picture: OfficerPicture, figures: SubsidyFigures) -> Figure:
    figure, chart = plt.subplots(figsize=A4)
    title = "Subsidies of the month, yuan (seed 001 section 4(7), seed 002 section 8)"
    if figures.unavailable is not None:
        chart.set_axis_off()
        chart.set_title(title)
        chart.text(0, 0.9, f"No subsidy figures: {figures.unavailable}.", va="top", size=10)
        return figure
    names = _names(picture)
    kinds = sorted({k for amounts in figures.amounts_fen.values() for k in amounts})
    left = [0.0] * len(picture.providers)
    for index, kind in enumerate(kinds):
        values = [
            figures.amounts_fen.get(p.provider_id, {}).get(kind, 0) / 100 for p in picture.providers
        ]
        chart.barh(names, values, left=left, label=KIND_LABELS.get(kind, kind), color=f"C{index}")
        left = [a + b for a, b in zip(left, values, strict=True)]
    for row, provider in enumerate(picture.providers):
        fen = sum(figures.amounts_fen.get(provider.provider_id, {}).values())
        state = figures.status.get(provider.provider_id, "no settlement")
        chart.text(left[row], row, f"  {_yuan(fen)} ({state})", va="center")
    chart.set_xlim(0, max(left, default=0) * 1.5 or 1)
    chart.invert_yaxis()
    chart.set_title(title)
    if kinds:
        chart.legend(loc="lower right")
    balanced = {True: "balanced", False: "NOT balanced", None: "not read"}[figures.ledger_balanced]
    figure.text(
        0.08,
        0.03,
        f"Total {_yuan(figures.total_fen)} yuan; jurisdiction {', '.join(figures.jurisdictions)}; "
        f"ledger {balanced}.",
    )
    figure.tight_layout(pad=3)
    return figure


def write_pdf(
    picture: OfficerPicture, path: Path, *, generated_at: datetime, subsidies: SubsidyFigures
) -> int:
    """Write the picture to `path`; returns the number of pages."""
    pages = [
        _cover(picture, generated_at),
        _beds_and_minimums(picture),
        _alarm_response(picture),
        _satisfaction(picture),
        _subsidies(picture, subsidies),
    ]
    metadata = {
        "Title": f"HomeBed monthly picture {picture.region_code} {picture.month}",
        "Subject": "family elderly-care beds: beds, minimums, alarm response, satisfaction",
        "Creator": "python -m reporting report",
    }
    with PdfPages(path, metadata=metadata) as pdf:
        for figure in pages:
            pdf.savefig(figure)
            plt.close(figure)
    return len(pages)
