"""Targets per department (docs/figures.md, *Targets per department*): the gap to each
criterion's next band, split across departments in proportion to what each could still move
onto the post.
"""

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select

from extensions import db
from models import Procedure
from utils.figures.counting import (
    _activity_joined,
    _built_statement,
    _count_where,
    _in_force,
    _params,
    group_names,
)
from utils.figures.scoring import Band


def split_largest_remainder(total, pools):
    """Share ``total`` among ``pools`` (``{key: pool}``) in proportion to each pool.

    Shares are whole numbers by the largest-remainder method (ties go to the larger pool, then to
    the key listed first), add up to ``min(total, sum of pools)`` and never exceed a key's pool.
    When the pools together hold less than ``total``, every key gets its whole pool and the caller
    reports the rest as unassigned.

    :return: ``{key: share}`` for every key of ``pools``, in the same order.
    """
    from fractions import Fraction

    total = max(0, int(total))
    pools = {key: max(0, int(pool)) for key, pool in pools.items()}
    pooled = sum(pools.values())
    if total >= pooled:
        return dict(pools)
    quotas = {key: Fraction(total * pool, pooled) for key, pool in pools.items()}
    shares = {key: int(q) for key, q in quotas.items()}  # floor: quotas are never negative
    left = total - sum(shares.values())
    order = list(pools)
    # The fractional parts add up to ``left`` and each is below 1, so the ``left`` largest are
    # all non-zero: their quota was below the pool, and one more never exceeds it.
    ranked = sorted(order, key=lambda k: (-(quotas[k] - shares[k]), -pools[k], order.index(k)))
    for key in ranked[:left]:
        shares[key] += 1
    return shares


@dataclass(frozen=True)
class DepartmentTarget:
    """One department's share of a criterion's gap; ``pool`` is what it could move."""

    department_id: int
    code: str
    name: str
    pool: int
    share: int


@dataclass(frozen=True)
class CriterionTarget:
    """The gap to a criterion's next band and its split across departments.

    ``gap`` is 0 and ``next_band`` None when every band is reached or the denominator is zero;
    ``unassigned`` is the part of the gap no department's pool can hold.
    """

    code: str
    next_band: Band | None
    gap: int
    departments: tuple = ()
    unassigned: int = 0

    def share_of(self, department_id):
        """The department's ``DepartmentTarget``, or ``None`` when it has no share."""
        for target in self.departments:
            if target.department_id == department_id:
                return target
        return None


def target_pools(period, unit=None):
    """What each department could move onto the post in ``period``, per criterion, in SQL.

    - C1: its procedures in force, eligible in at least one direction, without postal activity;
    - C2: dossiers received in the period in its procedures in force eligible for receiving,
      not already received by post;
    - C3: dossiers received in the period in its procedures in force eligible for returning,
      whose result was not already returned by post.

    Dossiers already handled by post cannot be moved again, so they are not in a pool. For a
    ``unit``: the procedures it handles and its dossiers.

    :return: ``{"C1": {department_id: n}, "C2": {...}, "C3": {...}}`` (departments with n > 0).
    """
    shape, params = _params(period, unit=unit)
    pools = {"C1": {}, "C2": {}, "C3": {}}
    for r in db.session.execute(_built_statement("target_pools", shape, _pools_statement), params):
        for code, n in (("C1", r.c1), ("C2", r.c2), ("C3", r.c3)):
            if n:
                pools[code][r.key] = int(n)
    return pools


def _sum_where(flag, amount):
    """The sum of ``amount`` over the rows whose boolean ``flag`` is set."""
    return func.sum(case((flag.is_(True), amount), else_=0))


def _pools_statement(shape):
    either = or_(Procedure.eligible_receive.is_(True), Procedure.eligible_return.is_(True))
    act, cols = _activity_joined(shape)
    return (
        select(
            Procedure.department_id.label("key"),
            _count_where(~cols["postal"]).label("c1"),
            _sum_where(
                Procedure.eligible_receive, cols["received"] - cols["received_postal"]
            ).label("c2"),
            _sum_where(
                Procedure.eligible_return, cols["received"] - cols["received_returned_postal"]
            ).label("c3"),
        )
        .select_from(Procedure)
        .outerjoin(act, act.c.procedure_id == Procedure.id)
        .where(_in_force(shape), either)
        .group_by(Procedure.department_id)
    )


def split_targets(summary_criteria, pools, names):
    """The arithmetic of ``targets`` without the database (table-driven tests call it).

    :param summary_criteria: ``Criterion`` objects (``Summary.criteria``).
    :param pools: ``{code: {department_id: pool}}`` as ``target_pools`` returns.
    :param names: ``{department_id: (code, name)}``.
    :return: a list of ``CriterionTarget`` in the order C1, C2, C3.
    """
    out = []
    for crit in summary_criteria:
        if crit.next_band is None or not crit.gap:
            out.append(CriterionTarget(crit.code, crit.next_band, 0))
            continue
        # Departments in a fixed order (code), so equal remainders always go the same way.
        pool = dict(
            sorted(
                pools.get(crit.code, {}).items(),
                key=lambda kv: (names.get(kv[0], ("", ""))[0] or "", kv[0]),
            )
        )
        shares = split_largest_remainder(crit.gap, pool)
        rows = tuple(
            DepartmentTarget(key, *names.get(key, ("", "")), pool=pool[key], share=share)
            for key, share in shares.items()
            if share
        )
        out.append(
            CriterionTarget(
                crit.code,
                crit.next_band,
                crit.gap,
                rows,
                unassigned=crit.gap - sum(shares.values()),
            )
        )
    return out


def targets(summary, period=None):
    """Split the gap to each criterion's next band across departments (docs/figures.md).

    C1 is split in proportion to each department's eligible procedures without postal activity;
    C2 and C3 in proportion to its dossiers received in procedures eligible for that direction
    (not already by post). Shares are whole numbers by largest remainder, add up to the gap, and
    never exceed a department's pool; what no pool can hold is ``unassigned``.

    :param summary: a ``Summary`` (``summary(period)``); its rubric decides the next bands,
        its unit (if any) whose procedures and dossiers the pools hold.
    :param period: defaults to ``summary.period``.
    :return: a list of three ``CriterionTarget`` (C1, C2, C3); each ``departments`` tuple lists
        ``DepartmentTarget(department_id, code, name, pool, share)`` with a share above zero,
        ordered by department code.
    """
    period = period or summary.period
    pools = target_pools(period, summary.unit)
    return split_targets(summary.criteria, pools, group_names("department"))
