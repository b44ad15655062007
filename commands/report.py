"""``flask report summary`` and ``report units``: the figures of a period (the province's, or
one unit's, or every unit's), as text or JSON."""

import json

import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commands import CommandError, named_unit
from utils import figures
from utils.dates import Period
from utils.formats import dmy, number, pct, points
from utils.transactions import read_only

group = click.Group("report", help="Figures and documents.")


def parse_period(start, end):
    """A ``Period`` from two ISO dates, or a ``CommandError`` naming what is wrong."""
    from utils.dates import parse_iso_date

    dates = []
    for option, value in (("--from", start), ("--to", end)):
        try:
            dates.append(parse_iso_date(value))
        except ValueError:
            raise CommandError(
                _(
                    "%(option)s: not a date in YYYY-MM-DD form: %(value)s",
                    option=option,
                    value=value,
                )
            ) from None
    start_date, end_date = dates
    if start_date > end_date:
        raise CommandError(_("--from is after --to"))
    return Period(start_date, end_date)


# The nine counts as the text summary names them (``--json`` keeps the keys).
COUNT_LABELS = {
    "procedures_total": _l("Procedures in force"),
    "procedures_eligible_receive": _l("Procedures eligible to receive by post"),
    "procedures_eligible_return": _l("Procedures eligible to return by post"),
    "procedures_with_dossiers": _l("Procedures with dossiers received"),
    "procedures_with_postal": _l("Procedures with postal activity"),
    "dossiers_received": _l("Dossiers received"),
    "dossiers_received_postal": _l("Dossiers received by post"),
    "results_returned": _l("Results returned"),
    "results_returned_postal": _l("Results returned by post"),
    figures.UNHANDLED_KEY: _l("Dossiers received of procedures the unit does not handle"),
}


def unit_option(code):
    """The unit ``--unit CODE`` names (``None`` without it), or a ``CommandError``."""
    return None if code is None else named_unit(code)


@group.command("summary")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--unit", "unit_code", default=None, help="One unit's figures (its code).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@read_only
def summary_command(start, end, unit_code, as_json):
    """The nine counts and the three criteria (docs/figures.md) for a period: the province's
    (every unit), or one unit's with --unit."""
    period = parse_period(start, end)
    unit = unit_option(unit_code)
    summary = figures.summary(period, unit=unit)
    if as_json:
        click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
        return
    if unit is not None:
        click.echo(_("Unit %(code)s: %(name)s", code=unit.code, name=unit.name))
    click.echo(_("Period %(start)s – %(end)s", start=dmy(period.start), end=dmy(period.end)))
    labels = {key: str(COUNT_LABELS[key]) for key in summary.counts}
    width = max(len(label) for label in labels.values())
    for key in summary.counts:
        click.echo(f"  {labels[key]:<{width}}  {number(summary.counts[key]):>10}")
    rubric = summary.rubric
    if rubric.is_illustration:
        click.echo(
            _("Criteria, rubric of %(year)s (illustrative default rubric):", year=rubric.year)
        )
    else:
        click.echo(_("Criteria, rubric of %(year)s:", year=rubric.year))
    for c in summary.criteria:
        line = _(
            "%(code)s  %(numerator)s/%(denominator)s  %(percent)s  %(points)s points",
            code=c.code,
            numerator=number(c.numerator),
            denominator=number(c.denominator),
            percent=pct(c.percent),
            points=points(c.points),
        )
        if c.next_band is not None:
            line += "  " + _(
                "(%(gap)s more for %(points)s points)",
                gap=number(c.gap),
                points=points(c.next_band.points),
            )
        click.echo("  " + line)


@group.command("units")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
@read_only
def units_command(start, end, as_json):
    """Every unit's counts and criteria for a period, one unit a line (by code); with --json a
    list of objects: the unit's code and name and the keys of report summary --json."""
    period = parse_period(start, end)
    rows = figures.unit_summaries(period)
    if as_json:
        listed = [
            {"code": unit.code, "name": unit.name, **summary.as_json()} for unit, summary in rows
        ]
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    click.echo(_("Period %(start)s – %(end)s", start=dmy(period.start), end=dmy(period.end)))
    for unit, summary in rows:
        rates = "  ".join(
            f"{c.code} {pct(c.percent) if c.percent is not None else '–'}" for c in summary.criteria
        )
        click.echo(
            f"  {unit.code:<12} {rates}  "
            + _("%(points)s points", points=points(summary.total_points))
            + f"  {unit.name}"
        )


@group.command("brief")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The PDF file to write.",
)
@click.option("--unit", "unit_code", default=None, help="One unit's brief (its code).")
@read_only
def brief_command(start, end, output, unit_code):
    """Write the draft meeting brief of a period (no number, marked DỰ THẢO) to a PDF file: on a
    deployment of several units the province's brief, or one unit's with --unit."""
    from blueprints.briefs.services import draft_pdf
    from utils.units import several_units

    period = parse_period(start, end)
    unit = unit_option(unit_code)
    if unit is not None:
        data = draft_pdf(period, unit_id=unit.id)
    else:
        data = draft_pdf(period, province=several_units())
    try:
        with open(output, "wb") as out:
            out.write(data)
    except OSError as e:
        raise CommandError(
            _("cannot write %(file)s: %(reason)s", file=output, reason=e.strerror)
        ) from None
    click.echo(
        _(
            "Draft brief for %(start)s – %(end)s written to %(file)s (%(size)s bytes).",
            start=dmy(period.start),
            end=dmy(period.end),
            file=output,
            size=number(len(data)),
        )
    )
