"""docs/figures.md: counts on hand-made data, ratios, bands and gaps."""

from datetime import date
from decimal import Decimal

import pytest

from extensions import db
from tests import factories as f
from tests.statements import recorded
from utils import figures, tally
from utils.dates import Period

P = Period(date(2024, 1, 1), date(2024, 9, 30))


@pytest.mark.parametrize(
    "num, den, expected",
    [
        (1, 32, "3.13"),
        (1, 800, "0.13"),
        (2, 3, "66.67"),
        (0, 0, None),
        (29, 299, "9.70"),
        (120, 44865, "0.27"),
        (0, 44865, "0.00"),
        (5, 5, "100.00"),
        (1, 8, "12.50"),
        (1, 200, "0.50"),
    ],
)
def test_percent_rounds_half_up(num, den, expected):
    assert figures.percent_str(num, den) == expected


@pytest.mark.parametrize(
    "num, den, threshold, reached",
    [
        (1, 20, "5", True),
        (99, 2000, "5", False),
        (100, 2000, "5", True),
        (1, 3, "33.33", True),
        (1, 3, "33.34", False),
        (0, 10, "0", True),
    ],
)
def test_band_reached_is_exact(num, den, threshold, reached):
    assert figures.band_reached(num, den, threshold) is reached


@pytest.mark.parametrize(
    "num, den, threshold, gap",
    [
        (120, 44865, "5", 2124),
        (0, 44865, "5", 2244),
        (29, 299, "20", 31),
        (29, 299, "50", 121),
        (50, 100, "50", 0),
        (60, 100, "50", 0),
        (0, 1, "5", 1),
        (0, 0, "5", 0),
    ],
)
def test_gap_to_band(num, den, threshold, gap):
    assert figures.gap_to(num, den, threshold) == gap


@pytest.mark.parametrize(
    "num, den, points, next_points, gap",
    [
        (0, 100, "0.00", "0.50", 5),
        (5, 100, "0.50", "1.00", 5),
        (10, 100, "1.00", None, None),
        (0, 0, None, None, None),
    ],
)
def test_default_rubric(num, den, points, next_points, gap):
    rubric = figures.Rubric.from_criteria(2024, figures.DEFAULT_RUBRIC, is_illustration=True)
    got = rubric.points("C2", num, den)
    assert (None if got is None else f"{got:.2f}") == points
    nxt = rubric.next_band("C2", num, den)
    if next_points is None:
        assert nxt is None
    else:
        assert f"{nxt[0].points:.2f}" == next_points and nxt[1] == gap


def test_points_capped_by_maximum():
    rubric = figures.Rubric.from_criteria(
        2024,
        {
            "C1": {"max": "0.75", "bands": [["10", "1.00"]]},
            "C2": figures.DEFAULT_RUBRIC["C2"],
            "C3": figures.DEFAULT_RUBRIC["C3"],
        },
    )
    assert rubric.points("C1", 50, 100) == Decimal("0.75")


def test_a_criterions_status_is_its_rubrics():
    """``Criterion.status`` (the roll-up colours its cells with it) is ``Rubric.status`` of its
    numbers, a cap below the highest band's points included."""
    capped = figures.Rubric.from_criteria(
        2024,
        {
            "C1": {"max": "0.75", "bands": [["10", "1.00"]]},
            "C2": figures.DEFAULT_RUBRIC["C2"],
            "C3": {"max": "1.00", "bands": [["0", "0.00"], ["7", "1.00"]]},
        },
    )
    default = figures.Rubric.from_criteria(2024, figures.DEFAULT_RUBRIC, is_illustration=True)
    for rubric in (default, capped):
        for num, den in (
            (0, 0),
            (3, 0),
            (0, 100),
            (4, 100),
            (5, 100),
            (7, 100),
            (10, 100),
            (60, 100),
        ):
            values = {
                "procedures_with_postal": num,
                "procedures_total": den,
                "dossiers_received_postal": num,
                "results_returned_postal": num,
                "dossiers_received": den,
            }
            for c in figures.criteria(values, rubric):
                assert c.status == rubric.status(c.code, num, den), (c.code, num, den)


def _world():
    """Two departments, three procedures, dossiers on the period's edges."""
    dept_a, dept_b = f.department("A"), f.department("B")
    fin, land = f.field("Tài chính – Kế hoạch"), f.field("Đất đai")
    p1 = f.procedure(field_=fin, department_=dept_a, receive=True, ret=True)
    p2 = f.procedure(field_=land, department_=dept_b, ret=True)
    p3 = f.procedure(field_=land, department_=dept_b)
    retired = f.procedure(field_=fin, department_=dept_a, in_force=False, receive=True)
    return dept_a, dept_b, p1, p2, p3, retired


def test_counts_edges_and_channels(app):
    _, _, p1, p2, p3, retired = _world()
    f.dossier(p1, date(2023, 12, 31))  # before the period
    f.dossier(p1, date(2024, 1, 1), "bcci")  # first day, by post
    f.dossier(p1, date(2024, 9, 30), returned=date(2024, 10, 1), return_channel="bcci")
    f.dossier(p2, date(2024, 5, 5), "truc_tuyen", returned=date(2024, 5, 9), return_channel="bcci")
    f.dossier(p2, date(2023, 12, 20), returned=date(2024, 1, 2), return_channel="truc_tiep")
    f.dossier(p3, date(2024, 10, 1), "bcci")  # after the period
    f.dossier(retired, date(2024, 3, 3), "bcci")  # counts as a dossier, not a procedure
    db.session.commit()
    c = figures.counts(P)
    assert c == {
        "procedures_total": 3,
        "procedures_eligible_receive": 1,
        "procedures_eligible_return": 2,
        "procedures_with_dossiers": 2,
        "procedures_with_postal": 2,
        "dossiers_received": 4,
        "dossiers_received_postal": 2,
        "results_returned": 2,
        "results_returned_postal": 1,
    }


def test_postal_procedure_by_return_only(app):
    _, _, p1, p2, p3, _ = _world()
    # Received before the period, returned by post inside it: postal activity in the period.
    f.dossier(p3, date(2023, 12, 28), returned=date(2024, 1, 3), return_channel="bcci")
    db.session.commit()
    c = figures.counts(P)
    assert c["procedures_with_postal"] == 1
    assert c["procedures_with_dossiers"] == 0
    assert c["results_returned_postal"] == 1


def test_empty_database_gives_zero_and_null(app):
    s = figures.summary(P)
    assert all(v == 0 for v in s.counts.values())
    data = s.as_json()
    assert [c["percent"] for c in data["criteria"]] == [None, None, None]
    assert [c["points"] for c in data["criteria"]] == [None, None, None]


def test_breakdown_and_outreach(app):
    dept_a, dept_b, p1, p2, p3, _ = _world()
    for day in (3, 4, 5):
        f.dossier(p2, date(2024, 2, day))
    f.dossier(p1, date(2024, 2, 1), returned=date(2024, 2, 9), return_channel="bcci")
    f.dossier(p3, date(2024, 2, 1))
    db.session.commit()
    by_dept = {r["key"]: r for r in figures.breakdown(P, "department")}
    assert by_dept[dept_a.id]["procedures"] == 1 and by_dept[dept_a.id]["with_postal"] == 1
    assert by_dept[dept_a.id]["returned_postal"] == 1
    assert by_dept[dept_b.id]["received"] == 4 and by_dept[dept_b.id]["eligible"] == 1
    # p2 is eligible, has dossiers and no postal use; p3 is not eligible; p1 has postal use.
    assert [(p.id, n) for p, n in figures.outreach(P)] == [(p2.id, 3)]
    assert figures.outreach_total(P) == 1


def test_monthly_trend(app):
    _, _, p1, _, _, _ = _world()
    f.dossier(p1, date(2024, 1, 31))
    f.dossier(p1, date(2024, 3, 1), "bcci", returned=date(2024, 4, 2), return_channel="bcci")
    db.session.commit()
    trend = figures.monthly_trend(Period(date(2024, 1, 15), date(2024, 4, 10)))
    assert [
        (m["month"], m["received"], m["received_postal"], m["returned_postal"]) for m in trend
    ] == [(1, 1, 0, 0), (2, 0, 0, 0), (3, 1, 1, 0), (4, 0, 0, 1)]


def _count_statements(fn):
    with recorded(leave_out=("BEGIN", "SAVEPOINT", "RELEASE")) as statements:
        fn()
    return statements


def _bulk(n):
    dept, fld = f.department(), f.field()
    procs = [f.procedure(field_=fld, department_=dept, receive=True, ret=True) for _ in range(5)]
    from sqlalchemy import insert

    from models import Dossier

    rows = [
        {
            "code": f"X-{i}",
            "procedure_id": procs[i % 5].id,
            "receive_channel_src": "truc_tiep",
            "receive_date_src": date(2024, 1 + i % 9, 1 + i % 28),
            "receive_channel": "truc_tiep",
            "receive_date": date(2024, 1 + i % 9, 1 + i % 28),
            "return_channel": "bcci" if i % 7 == 0 else "truc_tiep",
            "return_date": date(2024, 1 + i % 9, 1 + i % 28),
        }
        for i in range(n)
    ]
    db.session.execute(insert(Dossier), rows)
    db.session.commit()


def test_figures_issue_a_fixed_number_of_statements(app):
    """The same handful of SQL statements on 10 and on 10.000 dossiers; none returns a row per
    dossier."""

    def everything():
        figures.summary(P)
        figures.breakdown(P, "department")
        figures.monthly_trend(P)
        figures.outreach(P, limit=10)

    _bulk(10)
    small = _count_statements(everything)
    db.session.execute(db.text("DELETE FROM dossier"))
    for model in tally.DATE_KEYS:  # every tally, the units' and the province's
        db.session.execute(model.__table__.delete())
    db.session.commit()
    _bulk(10000)
    large = _count_statements(everything)
    assert len(small) == len(large)
    assert len(large) <= 10
    c = figures.counts(P)
    assert c["dossiers_received"] == 10000


def test_counts_agree_for_narrow_and_wide_periods(app):
    """Whichever way the dossiers of a period are counted (a date range, or on SQLite all minus
    those outside when the period is wide), the counts are those of the dossiers themselves."""
    _, _, p1, p2, _, _ = _world()
    dossiers = []
    for year in (2020, 2021, 2022, 2023, 2024):
        for month in (1, 6, 12):
            received = date(year, month, 10)
            returned = date(year, month, 20) if month != 12 or year != 2024 else None
            channel = "bcci" if month == 6 else "truc_tiep"
            dossiers.append(
                f.dossier(
                    p1 if year % 2 else p2,
                    received,
                    channel,
                    returned=returned,
                    return_channel="bcci"
                    if returned and year > 2022
                    else ("truc_tiep" if returned else None),
                )
            )
    f.dossier(p1, date(2022, 3, 3)).receive_date = None  # an undated dossier counts in no period
    db.session.commit()
    for period in (
        Period(date(2022, 1, 1), date(2022, 12, 31)),  # narrow
        Period(date(2020, 1, 1), date(2024, 12, 31)),  # everything
        Period(date(2020, 6, 10), date(2024, 6, 9)),  # wide, cut at both ends
        Period(date(2019, 1, 1), date(2019, 12, 31)),
    ):  # before every dossier
        c = figures.counts(period)
        inside = [d for d in dossiers if period.start <= d.receive_date <= period.end]
        returned = [
            d for d in dossiers if d.return_date and period.start <= d.return_date <= period.end
        ]
        assert c["dossiers_received"] == len(inside), period
        assert c["dossiers_received_postal"] == sum(d.receive_channel == "bcci" for d in inside)
        assert c["results_returned"] == len(returned), period
        assert c["results_returned_postal"] == sum(d.return_channel == "bcci" for d in returned)
        trend = figures.monthly_trend(period)
        assert sum(m["received"] for m in trend) == len(inside)
        assert sum(m["returned_postal"] for m in trend) == c["results_returned_postal"]
        by_dept = figures.breakdown(period, "department")
        assert sum(r["received"] for r in by_dept) == len(inside)
        assert sum(r["returned_postal"] for r in by_dept) == c["results_returned_postal"]


def test_tables_count_retired_procedures_dossiers_and_total_the_period(app):
    """A retired procedure's dossiers still count in its field's and department's rows (its
    procedure does not), the rows add up, and the total row is the period's own counts."""
    dept = f.department("R")
    fld = f.field("Hộ tịch")
    live = f.procedure(field_=fld, department_=dept, receive=True)
    retired = f.procedure(field_=fld, department_=dept, in_force=False, receive=True)
    only_retired = f.field("Chỉ còn TTHC hết hiệu lực")
    gone = f.procedure(field_=only_retired, department_=dept, in_force=False)
    f.dossier(live, date(2024, 1, 1))
    f.dossier(retired, date(2024, 9, 30), "bcci", returned=date(2024, 9, 30), return_channel="bcci")
    f.dossier(retired, date(2023, 12, 31))  # outside the period
    f.dossier(gone, date(2024, 5, 5), returned=date(2024, 6, 1), return_channel="bcci")
    f.procedure(field_=f.field("Không có hồ sơ"), department_=dept, in_force=False)
    db.session.commit()
    c = figures.counts(P)
    assert (
        c["dossiers_received"],
        c["dossiers_received_postal"],
        c["results_returned_postal"],
    ) == (3, 1, 2)
    for by in ("field", "department"):
        rows, total = figures.breakdown_table(P, by)
        for key, column in (
            ("dossiers_received", "received"),
            ("dossiers_received_postal", "received_postal"),
            ("results_returned_postal", "returned_postal"),
            ("procedures_total", "procedures"),
            ("procedures_with_postal", "with_postal"),
        ):
            assert getattr(total, column) == c[key], (by, column)
            assert sum(getattr(r, column) for r in rows) == c[key], (by, column)
        assert total.eligible == sum(r.eligible for r in rows) == 1
    by_field = {r.key: r for r in figures.breakdown_table(P, "field")[0]}
    assert (by_field[fld.id].procedures, by_field[fld.id].received) == (1, 2)
    # A field whose procedures are all retired shows its dossiers, no procedure and no C1 rate.
    assert (by_field[only_retired.id].procedures, by_field[only_retired.id].received) == (0, 1)
    assert by_field[only_retired.id].with_postal_percent is None
    assert len(by_field) == 2  # a retired procedure without dossiers changes no figure
