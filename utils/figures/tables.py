"""The tables by field and by department of the dashboard and the brief (docs/figures.md,
*Tables by field and by department*): each group's counts with its ratios, sorted, and the total row.
"""

from dataclasses import dataclass

from utils.figures.counting import (
    BREAKDOWN_COUNTS,
    breakdown,
    counts,
    group_names,
    procedures_eligible,
)
from utils.figures.scoring import percent


@dataclass(frozen=True)
class BreakdownRow:
    """One field's or department's counts with their percentages (``None`` on a zero
    denominator): procedures with postal activity of procedures, dossiers received by post and
    results returned by post of dossiers received (the C1, C2 and C3 ratios of the group).
    """

    key: int | None
    code: str | None
    name: str
    procedures: int
    eligible: int
    eligible_receive: int
    eligible_return: int
    with_postal: int
    received: int
    received_postal: int
    returned_postal: int

    @property
    def with_postal_percent(self):
        return percent(self.with_postal, self.procedures)

    @property
    def received_postal_percent(self):
        return percent(self.received_postal, self.received)

    @property
    def returned_postal_percent(self):
        return percent(self.returned_postal, self.received)


BREAKDOWN_SORTS = (
    "name",
    "procedures",
    "eligible",
    "with_postal",
    "received",
    "received_postal",
    "returned_postal",
)
# The columns of the tables that hold a criterion's rate (numerator of the group's own
# denominator): they sort on the rate, the groups without one last either way.
RATE_COLUMNS = {"with_postal": "C1", "received_postal": "C2", "returned_postal": "C3"}
CRITERION_COLUMNS = {code: col for col, code in RATE_COLUMNS.items()}


def worst_first_column(summary):
    """The rate column the tables by field and department open on, worst first: that of the
    first criterion (C1, C2, C3) whose highest band is not reached, else C1's."""
    for c in summary.criteria:
        if c.status != "full":
            return CRITERION_COLUMNS[c.code]
    return CRITERION_COLUMNS["C1"]


def _sort_rows(rows, sort, descending):
    """Sort breakdown rows in place: by name, by a count, or by a rate (``RATE_COLUMNS``: rows
    without a rate last in both directions, equal rates the larger denominator first)."""
    rows.sort(key=lambda r: r.name.casefold())
    if sort in RATE_COLUMNS:
        rated = [r for r in rows if getattr(r, f"{sort}_percent") is not None]
        unrated = [r for r in rows if getattr(r, f"{sort}_percent") is None]
        denominator = "procedures" if sort == "with_postal" else "received"
        rated.sort(key=lambda r: -getattr(r, denominator))
        rated.sort(key=lambda r: getattr(r, f"{sort}_percent"), reverse=descending)
        rows[:] = rated + unrated
    elif sort != "name" or descending:
        rows.sort(
            key=lambda r: getattr(r, sort) if sort != "name" else r.name.casefold(),
            reverse=descending,
        )


def total_row(count_values, eligible):
    """The total row of a table by field or by department: the period's own counts
    (``counts``), never a sum of the rows, so it always equals the criteria and
    ``/api/summary``.

    :param count_values: ``counts(period)`` (or ``Summary.counts``).
    :param eligible: ``procedures_eligible()``.
    """
    c = count_values
    return BreakdownRow(
        key=None,
        code=None,
        name="",
        procedures=c["procedures_total"],
        eligible=eligible,
        eligible_receive=c["procedures_eligible_receive"],
        eligible_return=c["procedures_eligible_return"],
        with_postal=c["procedures_with_postal"],
        received=c["dossiers_received"],
        received_postal=c["dossiers_received_postal"],
        returned_postal=c["results_returned_postal"],
    )


def breakdown_table(period, by, sort="name", descending=False, count_values=None, unit=None):
    """``breakdown`` with names and percentages, sorted, plus a total row.

    Each group's row counts every dossier of the period in its procedures, retired ones
    included, and its procedures in force (``breakdown``); the rows therefore add up to the
    total row, which is the period's own counts (``total_row``).

    :param by: ``"department"`` or ``"field"``.
    :param sort: one of ``BREAKDOWN_SORTS`` (ties by name); the rate columns
        (``RATE_COLUMNS``) sort on the rate, rows without one last.
    :param count_values: ``counts(period, unit)`` when the caller has them already.
    :param unit: one unit's table (``breakdown``), or the province's (``None``).
    :return: ``(rows, total)``: a list of ``BreakdownRow`` and the total ``BreakdownRow``
        (``key`` None).
    """
    names = group_names(by)
    rows = [
        BreakdownRow(
            key=r["key"],
            code=names.get(r["key"], (None, ""))[0],
            name=names.get(r["key"], (None, ""))[1],
            **{k: r[k] for k in BREAKDOWN_COUNTS},
        )
        for r in breakdown(period, by, unit)
    ]
    _sort_rows(rows, sort if sort in BREAKDOWN_SORTS else "name", descending)
    total = total_row(
        count_values if count_values is not None else counts(period, unit),
        procedures_eligible(unit),
    )
    return rows, total
