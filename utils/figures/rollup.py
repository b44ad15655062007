"""The province's roll-up (docs/figures.md, *The province's roll-up*): every unit's criteria,
points and rank, the province's own centres apart from the communes, the province's figures and
trend, and the gap to each criterion's next band split across units."""

from dataclasses import dataclass
from decimal import Decimal

from utils.figures.counting import monthly_trend, unit_counts
from utils.figures.scoring import Band, rubric_for, summary, unit_summaries
from utils.figures.targeting import split_largest_remainder
from utils.text import fold

ROLLUP_SORTS = ("points", "code", "name", "C1", "C2", "C3")


@dataclass(frozen=True)
class UnitRow:
    """One unit's line: its ``Summary`` (criteria scored under the province's rubric)."""

    unit: object
    summary: object

    @property
    def points(self):
        return self.summary.total_points

    def criterion(self, code):
        return next(c for c in self.summary.criteria if c.code == code)


@dataclass(frozen=True)
class UnitTarget:
    """One unit's share of a criterion's gap; ``pool`` is what it could still move."""

    unit: object
    pool: int
    share: int


@dataclass(frozen=True)
class UnitCriterionTarget:
    """The gap of the province's criterion to its next band, split across units (``units``,
    by unit code, shares above zero); ``unassigned``: what no unit's pool holds."""

    code: str
    next_band: Band | None
    gap: int
    units: tuple = ()
    unassigned: int = 0


@dataclass(frozen=True)
class Rollup:
    period: object
    province: object  # the province's ``Summary``
    centres: list  # ``UnitRow``s of the province's own units (level tinh), sorted
    communes: list  # ``UnitRow``s of the communes' units (level xa), sorted: the ranking
    trend: list
    targets: list
    sort: str = "points"
    descending: bool = False


def _sort_key(sort):
    """A unit line's key for ``sort``: a criterion sorts on its rate (lines without one last),
    the points on the total, then the code."""
    if sort == "code":
        return lambda r: (r.unit.code,)
    if sort == "name":
        return lambda r: (fold(r.unit.name), r.unit.code)
    if sort in ("C1", "C2", "C3"):
        return lambda r: (
            r.criterion(sort).percent is None,
            r.criterion(sort).percent or Decimal(0),
            r.unit.code,
        )
    return lambda r: (r.points, r.unit.code)


def sorted_rows(rows, sort="points", descending=False):
    """``rows`` sorted on ``sort`` (``ROLLUP_SORTS``), ascending (worst first) unless
    ``descending``; lines without a rate stay last either way."""
    rows = sorted(rows, key=_sort_key(sort if sort in ROLLUP_SORTS else "points"))
    if not descending:
        return rows
    if sort in ("C1", "C2", "C3"):
        rated = [r for r in rows if r.criterion(sort).percent is not None]
        return rated[::-1] + [r for r in rows if r.criterion(sort).percent is None]
    return rows[::-1]


def unit_targets(province, units, unit_pools):
    """The gap of each of the province's criteria to its next band, split across ``units`` by
    largest remainder in proportion to what each could still move (``unit_pools``:
    ``counting.unit_counts``' pools, a unit's ``target_pools`` over its departments): for C1 its
    procedures in force it handles, eligible, without postal activity in it; for C2 and C3 its
    dossiers of eligible procedures not yet by post. Units in code order break ties."""
    pools = {}
    for unit in sorted(units, key=lambda u: u.code):
        for code, pool in unit_pools[unit.id].items():
            if pool:
                pools.setdefault(code, {})[unit.id] = pool
    by_id = {unit.id: unit for unit in units}
    out = []
    for crit in province.criteria:
        if crit.next_band is None or not crit.gap:
            out.append(UnitCriterionTarget(crit.code, crit.next_band, 0))
            continue
        pool = pools.get(crit.code, {})
        shares = split_largest_remainder(crit.gap, pool)
        rows = tuple(
            UnitTarget(by_id[key], pool[key], share) for key, share in shares.items() if share
        )
        out.append(
            UnitCriterionTarget(
                crit.code, crit.next_band, crit.gap, rows, crit.gap - sum(shares.values())
            )
        )
    return out


def unit_proposals(targets, limit):
    """For each criterion with a gap to its next band, the ``limit`` units furthest from it:
    those with the largest shares of the gap split across units (``unit_targets``, largest
    remainder), ties by code: ``[{"code", "gap", "next_band", "units": [UnitTarget]}]`` (the
    province's brief proposes them by name)."""
    out = []
    for target in targets:
        if not target.units:
            continue
        furthest = sorted(target.units, key=lambda u: (-u.share, u.unit.code))[:limit]
        out.append(
            {
                "code": target.code,
                "gap": target.gap,
                "next_band": target.next_band,
                "units": furthest,
            }
        )
    return out


def _has_dossiers(counts):
    return bool(counts["dossiers_received"] or counts["results_returned"])


def rollup(period, sort="points", descending=False, whole=False):
    """The roll-up of ``period``: every active unit's summary under the province's rubric, the
    communes ranked (worst first by default), the province's own centres on their own lines.

    :param whole: also the deactivated units with dossiers received or results returned in the
        period (the province's brief: its units' dossiers then add up to the province's); the
        targets still go to active units only.
    """
    rubric = rubric_for(period.year)
    province = summary(period, rubric)
    values, pools = unit_counts(period)
    rows = [
        UnitRow(unit, s)
        for unit, s in unit_summaries(period, rubric, values)
        if unit.active or (whole and _has_dossiers(s.counts))
    ]
    ordered = sorted_rows(rows, sort, descending)
    return Rollup(
        period=period,
        province=province,
        centres=[r for r in ordered if r.unit.level == "tinh"],
        communes=[r for r in ordered if r.unit.level != "tinh"],
        trend=monthly_trend(period),
        targets=unit_targets(province, [r.unit for r in rows if r.unit.active], pools),
        sort=sort if sort in ROLLUP_SORTS else "points",
        descending=descending,
    )
