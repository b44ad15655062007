"""``flask report summary``: the figures of a period, as text or JSON."""
import json

import click

from utils import figures
from utils.dates import Period
from utils.transactions import read_only

group = click.Group("report", help="Figures and documents.")


def parse_period(start, end):
    """A ``Period`` from two ISO dates, or a ``click.BadParameter`` naming what is wrong."""
    from utils.dates import parse_iso_date

    try:
        start_date = parse_iso_date(start)
    except ValueError:
        raise click.BadParameter(f"not a date in YYYY-MM-DD form: {start!r}", param_hint="--from") from None
    try:
        end_date = parse_iso_date(end)
    except ValueError:
        raise click.BadParameter(f"not a date in YYYY-MM-DD form: {end!r}", param_hint="--to") from None
    if start_date > end_date:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    return Period(start_date, end_date)


@group.command("summary")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@read_only
def summary_command(start, end, as_json):
    """The nine counts and the three criteria (docs/figures.md) for a period."""
    period = parse_period(start, end)
    summary = figures.summary(period)
    if as_json:
        click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"Period {period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}")
    width = max(len(k) for k in figures.COUNT_KEYS)
    for key in figures.COUNT_KEYS:
        click.echo(f"  {key:<{width}}  {summary.counts[key]:>10,}".replace(",", "."))
    rubric = summary.rubric
    note = " (illustrative default rubric)" if rubric.is_illustration else ""
    click.echo(f"Criteria, rubric of {rubric.year}{note}:")
    for c in summary.criteria:
        pct = "—" if c.percent is None else f"{c.percent:.2f}%".replace(".", ",")
        pts = "—" if c.points is None else f"{c.points:.2f}".replace(".", ",")
        line = f"  {c.code}  {c.numerator}/{c.denominator}  {pct}  points {pts}"
        if c.next_band is not None:
            line += f"  (+{c.gap} for {c.next_band.points:.2f})".replace(".", ",")
        click.echo(line)


@group.command("brief")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The PDF file to write.")
@read_only
def brief_command(start, end, output):
    """Write the draft meeting brief of a period (no number, marked DỰ THẢO) to a PDF file."""
    from blueprints.briefs.services import draft_pdf

    period = parse_period(start, end)
    data = draft_pdf(period)
    try:
        with open(output, "wb") as out:
            out.write(data)
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror}") from None
    click.echo(f"Draft brief for {period.start:%d/%m/%Y} – {period.end:%d/%m/%Y} written to "
               f"{output} ({len(data):,} bytes).".replace(",", "."))
