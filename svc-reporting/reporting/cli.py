"""`python -m reporting report --region 330110 --month 2026-11 [--out FILE.pdf]`: the supervising
officer's monthly picture as a printable PDF (reporting.officer_pdf), from this service's
database (HOMEBED_REPORTING_DATABASE_URL) and svc-subsidy (HOMEBED_REPORTING_SUBSIDY_URL), run by
ops where the service runs. Bad input exits 2 naming the option."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import httpx

from chassis.context import RequestContext
from chassis.principal import Principal, Role
from reporting.bootstrap import create_app
from reporting.domain.officer_picture import PictureInputError, parse_month, parse_region
from reporting.service.officer_picture import officer_picture
from reporting.settings import Settings
from reporting.subsidy_figures import fetch_subsidy_figures


async def write_report(
    settings: Settings, *, region_code: str, first: date, last: date, out: Path
) -> int:
    app = create_app(settings)
    runtime = app.state.runtime
    await runtime.start()
    try:
        now = runtime.clock()
        # the database's holder is ops: the same rows the ops role sees in the supervision view
        ctx = RequestContext(principal=Principal(sub="reporting-cli", role=Role.OPS), now=now)
        picture = await officer_picture(
            uow_factory=runtime.uow, ctx=ctx, region_code=region_code, first=first, last=last
        )
    finally:
        await runtime.stop()
    async with httpx.AsyncClient(timeout=settings.source_timeout_seconds) as http:
        subsidies = await fetch_subsidy_figures(
            http,
            base_url=settings.subsidy_url,
            key=settings.internal_token_key.get_secret_value(),
            region_code=region_code,
            month=first.strftime("%Y-%m"),
            providers={p.provider_id for p in picture.providers},
        )
    # imported here: matplotlib takes about a second and a half to import, paid only by a
    # command that draws (and not by every process that imports this module, tests included)
    from reporting.officer_pdf import write_pdf

    return write_pdf(picture, out, generated_at=now, subsidies=subsidies)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="the officer's monthly picture as a PDF")
    report.add_argument("--region", required=True, help="GB/T 2260 code, e.g. 330110")
    report.add_argument("--month", required=True, help="YYYY-MM (Asia/Shanghai)")
    report.add_argument("--out", type=Path, help="default: homebed-<region>-<month>.pdf")
    args = parser.parse_args(argv)
    try:
        region_code = parse_region(args.region)
        first, last = parse_month(args.month)
    except PictureInputError as error:
        parser.error(f"--{error}")
    out = args.out or Path(f"homebed-{region_code}-{args.month}.pdf")
    settings = Settings(kafka_enabled=False, push_enabled=False)
    pages = asyncio.run(
        write_report(settings, region_code=region_code, first=first, last=last, out=out)
    )
    print(f"wrote {out} ({pages} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
