"""Targets: the gap to each criterion's next band split across departments (table-driven)."""

from datetime import date
from decimal import Decimal

import pytest

from extensions import db
from tests import factories as f
from utils import figures
from utils.dates import Period

P = Period(date(2024, 1, 1), date(2024, 9, 30))
DEFAULT = figures.Rubric.from_criteria(2024, figures.DEFAULT_RUBRIC, is_illustration=True)


@pytest.mark.parametrize(
    "total, pools, expected",
    [
        # proportional, exact
        (10, {"a": 50, "b": 50}, {"a": 5, "b": 5}),
        # largest remainder: 7 * (1/3, 1/3, 1/3) -> 2.33 each, one extra to the first listed
        (7, {"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 1, "c": 1}),
        (7, {"a": 10, "b": 10, "c": 10}, {"a": 3, "b": 2, "c": 2}),
        # remainders decide: 5 * (6, 3, 1)/10 = 3, 1.5, 0.5 -> tie on .5 goes to the larger pool
        (5, {"a": 6, "b": 3, "c": 1}, {"a": 3, "b": 2, "c": 0}),
        # 2124 across the reference pools (sums exactly)
        (2124, {"a": 30000, "b": 10000, "c": 4865}, {"a": 1420, "b": 474, "c": 230}),
        # gap larger than every pool together: each gives its whole pool
        (10, {"a": 3, "b": 4}, {"a": 3, "b": 4}),
        # nothing to split
        (0, {"a": 3, "b": 4}, {"a": 0, "b": 0}),
        (5, {}, {}),
        # a zero pool never gets a share
        (3, {"a": 0, "b": 9}, {"a": 0, "b": 3}),
        # a small pool is never exceeded even when its quota rounds up
        (9, {"a": 1, "b": 9}, {"a": 1, "b": 8}),
    ],
)
def test_split_largest_remainder(total, pools, expected):
    got = figures.split_largest_remainder(total, pools)
    assert got == expected
    assert sum(got.values()) == min(total, sum(pools.values()))
    assert all(got[k] <= pools[k] for k in pools)


def _criteria(c1=(29, 299), c2=(0, 44865), c3=(120, 44865), rubric=DEFAULT):
    values = {
        "procedures_with_postal": c1[0],
        "procedures_total": c1[1],
        "dossiers_received_postal": c2[0],
        "dossiers_received": c2[1],
        "results_returned_postal": c3[0],
    }
    if c3[1] != c2[1]:
        raise ValueError("C2 and C3 share the denominator")
    return figures.criteria(values, rubric)


NAMES = {1: ("A", "Phòng A"), 2: ("B", "Phòng B"), 3: ("C", "Phòng C")}


@pytest.mark.parametrize(
    "crit, pools, gap, shares, unassigned",
    [
        # the reference case, C3: 2.124 results to reach 0,50 points
        (
            dict(),
            {"C3": {1: 30000, 2: 10000, 3: 4865}},
            {"C3": 2124},
            {"C3": {1: 1420, 2: 474, 3: 230}},
            {"C3": 0},
        ),
        # C1: 31 procedures to reach 20%, pools of 20 and 5: 25 assigned, 6 left over
        (dict(), {"C1": {1: 20, 2: 5}}, {"C1": 31}, {"C1": {1: 20, 2: 5}}, {"C1": 6}),
        # band already reached on C2 (10%): nothing to split whatever the pools
        (dict(c2=(10, 100), c3=(0, 100)), {"C2": {1: 50}}, {"C2": 0}, {"C2": {}}, {"C2": 0}),
        # zero denominator: no next band, no target
        (
            dict(c1=(0, 0), c2=(0, 0), c3=(0, 0)),
            {"C1": {1: 5}, "C2": {1: 5}},
            {"C1": 0, "C2": 0, "C3": 0},
            {"C1": {}, "C2": {}, "C3": {}},
            {"C1": 0, "C2": 0, "C3": 0},
        ),
        # between bands: 5% reached, 10% needs 5 more of 100; 1,5 and 3,5: the tie goes to the larger
        (
            dict(c2=(5, 100), c3=(0, 100)),
            {"C2": {1: 30, 2: 70}},
            {"C2": 5},
            {"C2": {1: 1, 2: 4}},
            {"C2": 0},
        ),
        # a department with no pool gets no row
        (dict(c2=(0, 100), c3=(0, 100)), {"C2": {2: 100}}, {"C2": 5}, {"C2": {2: 5}}, {"C2": 0}),
    ],
)
def test_split_targets(crit, pools, gap, shares, unassigned):
    result = {t.code: t for t in figures.split_targets(_criteria(**crit), pools, NAMES)}
    assert [t for t in result] == ["C1", "C2", "C3"]
    for code, expected_gap in gap.items():
        t = result[code]
        assert t.gap == expected_gap
        assert {d.department_id: d.share for d in t.departments} == shares[code]
        assert t.unassigned == unassigned[code]
        assert sum(d.share for d in t.departments) + t.unassigned == t.gap
        assert all(d.share <= d.pool for d in t.departments)


def test_points_and_next_band_for_target():
    c3 = _criteria()[2]
    assert c3.points == Decimal("0.00") and c3.gap == 2124
    assert c3.next_band.points == Decimal("0.50")


def test_target_pools_and_targets_from_the_database(app):
    dept_a, dept_b, dept_c = f.department("A"), f.department("B"), f.department("C")
    fld = f.field()
    # A: two eligible procedures without postal use, one with; B: one eligible both ways.
    a1 = f.procedure(field_=fld, department_=dept_a, receive=True, ret=True)
    a2 = f.procedure(field_=fld, department_=dept_a, ret=True)
    a3 = f.procedure(field_=fld, department_=dept_a, receive=True, ret=True)
    b1 = f.procedure(field_=fld, department_=dept_b, receive=True, ret=True)
    c1 = f.procedure(field_=fld, department_=dept_c)  # not eligible: never a pool
    f.procedure(field_=fld, department_=dept_b, receive=True, in_force=False)  # retired
    for i in range(6):
        f.dossier(a1, date(2024, 2, 1 + i))
    for i in range(3):
        f.dossier(a2, date(2024, 3, 1 + i))
    f.dossier(a3, date(2024, 4, 1), "bcci", returned=date(2024, 4, 9), return_channel="bcci")
    for i in range(10):
        f.dossier(b1, date(2024, 5, 1 + i))
    for i in range(5):
        f.dossier(c1, date(2024, 5, 1 + i))
    f.dossier(b1, date(2023, 12, 1))  # outside the period
    db.session.commit()

    pools = figures.target_pools(P)
    assert pools["C1"] == {dept_a.id: 2, dept_b.id: 1}
    assert pools["C2"] == {dept_a.id: 6, dept_b.id: 10}  # a3's dossier is already by post
    assert pools["C3"] == {dept_a.id: 9, dept_b.id: 10}

    summary = figures.summary(P, DEFAULT)
    # 26 dossiers received, 1 by post: C2 needs 5% of 26 = 1.3 -> 2, already 1 -> 1 more
    result = {t.code: t for t in figures.targets(summary)}
    assert result["C2"].gap == 1
    assert [(d.code, d.share) for d in result["C2"].departments] == [("B", 1)]
    # C1: 1 of 5 procedures = 20%: the 0,50 band reached; 50% needs 3 -> 2 more
    assert result["C1"].gap == 2
    assert {d.code: d.share for d in result["C1"].departments} == {"A": 1, "B": 1}
    assert result["C1"].share_of(dept_b.id).pool == 1
    assert result["C1"].share_of(dept_c.id) is None
