"""CSV and printable PDF renderings of statements (reportlab, its built-in Chinese CID font
STSong-Light: no font file to ship)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet tools read Chinese


def to_pdf(
    title: str,
    facts: Sequence[tuple[str, str]],
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    wrap_last: bool = False,
) -> bytes:
    """A4 landscape: a title, key facts, then the table (the last column wrapped if asked).
    Deterministic: reportlab's invariant mode fixes the creation date and the document id."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), title=title, invariant=True, leftMargin=28, rightMargin=28
    )
    heading = ParagraphStyle("h", fontName=FONT, fontSize=14, leading=18)
    body = ParagraphStyle("b", fontName=FONT, fontSize=8, leading=10)
    cells = [[Paragraph(str(c), body) for c in header]]
    for row in rows:
        cells.append([Paragraph(str(c), body) for c in row])
    width = landscape(A4)[0] - 56
    if wrap_last and len(header) > 1:
        narrow = width * 0.55 / (len(header) - 1)
        widths = [narrow] * (len(header) - 1) + [width * 0.45]
    else:
        widths = [width / len(header)] * len(header)
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story = [Paragraph(title, heading), Spacer(1, 6)]
    story += [Paragraph(f"{k}: {v}", body) for k, v in facts]
    story += [Spacer(1, 8), table]
    document.build(story)
    return buffer.getvalue()
