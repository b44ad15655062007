"""The period picker's presets at month, quarter and year edges, and URL parsing."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from utils import periods
from utils.dates import Period


def P(a, b):
    return Period(date.fromisoformat(a), date.fromisoformat(b))


@pytest.mark.parametrize(
    "today, preset, expected",
    [
        # month edges
        ("2024-03-01", "month", P("2024-03-01", "2024-03-01")),
        ("2024-02-29", "month", P("2024-02-01", "2024-02-29")),
        ("2024-12-31", "month", P("2024-12-01", "2024-12-31")),
        # quarter edges
        ("2024-03-31", "quarter", P("2024-01-01", "2024-03-31")),
        ("2024-04-01", "quarter", P("2024-04-01", "2024-04-01")),
        ("2024-09-30", "quarter", P("2024-07-01", "2024-09-30")),
        ("2024-10-01", "quarter", P("2024-10-01", "2024-10-01")),
        ("2024-12-31", "quarter", P("2024-10-01", "2024-12-31")),
        # year edges
        ("2025-01-01", "year_to_date", P("2025-01-01", "2025-01-01")),
        ("2024-12-31", "year_to_date", P("2024-01-01", "2024-12-31")),
    ],
)
def test_presets_relative_to_today(today, preset, expected):
    assert periods.preset_period(preset, date.fromisoformat(today)) == expected


@pytest.mark.parametrize(
    "year, months, expected",
    [
        (2024, 9, P("2024-01-01", "2024-09-30")),  # "9 tháng đầu năm 2024"
        (2024, 2, P("2024-01-01", "2024-02-29")),  # leap year
        (2023, 2, P("2023-01-01", "2023-02-28")),
        (2024, 1, P("2024-01-01", "2024-01-31")),
        (2024, 12, P("2024-01-01", "2024-12-31")),
        (2024, 6, P("2024-01-01", "2024-06-30")),
    ],
)
def test_first_months_of_a_year(year, months, expected):
    assert periods.preset_period("months", date(2026, 11, 26), year, months) == expected


def test_whole_year():
    assert periods.preset_period("year", date(2026, 1, 1), 2024) == P("2024-01-01", "2024-12-31")


@pytest.mark.parametrize(
    "args, preset, expected, query",
    [
        ({}, "year_to_date", P("2026-01-01", "2026-11-26"), {"preset": "year_to_date"}),
        (
            {"preset": "months", "year": "2024", "months": "9"},
            "months",
            P("2024-01-01", "2024-09-30"),
            {"preset": "months", "year": 2024, "months": 9},
        ),
        (
            {"preset": "year", "year": "2024", "months": "3", "from": "x"},
            "year",
            P("2024-01-01", "2024-12-31"),
            {"preset": "year", "year": 2024},
        ),
        # A range that a preset names is named by it; any other range is a custom one.
        (
            {"from": "2024-01-01", "to": "2024-09-30"},
            "months",
            P("2024-01-01", "2024-09-30"),
            {"preset": "months", "year": 2024, "months": 9},
        ),
        (
            {"preset": "custom", "from": "2024-01-01", "to": "2024-12-31"},
            "year",
            P("2024-01-01", "2024-12-31"),
            {"preset": "year", "year": 2024},
        ),
        (
            {"from": "2024-01-05", "to": "2024-09-30"},
            "custom",
            P("2024-01-05", "2024-09-30"),
            {"preset": "custom", "from": "2024-01-05", "to": "2024-09-30"},
        ),
        (
            {"preset": "quarter", "year": ""},
            "quarter",
            P("2026-10-01", "2026-11-26"),
            {"preset": "quarter"},
        ),
        ({"preset": "month"}, "month", P("2026-11-01", "2026-11-26"), {"preset": "month"}),
    ],
)
def test_choice_from_args(app, args, preset, expected, query):
    choice = periods.choice_from_args(MultiDict(args), today=date(2026, 11, 26))
    assert choice.preset == preset and choice.period == expected
    assert choice.query() == query
    # The pushed URL names the same choice again.
    again = periods.choice_from_args(
        MultiDict({k: str(v) for k, v in query.items()}), today=date(2026, 11, 26)
    )
    assert (again.preset, again.period, again.query()) == (preset, expected, query)


@pytest.mark.parametrize(
    "args",
    [
        {"preset": "weekly"},
        {"preset": "months", "months": "13"},
        {"preset": "months", "months": "0"},
        {"preset": "months", "months": "nine"},
        {"preset": "year", "year": "20x4"},
        {"preset": "year", "year": "1800"},
        {"preset": "custom"},
        {"preset": "custom", "from": "2024-09-30", "to": "2024-01-01"},
        {"from": "2024-02-30", "to": "2024-03-01"},
        {"from": "2024-01-01"},
    ],
)
def test_bad_choices_raise_a_message(app, args):
    with pytest.raises(periods.PeriodError) as e:
        periods.choice_from_args(MultiDict(args), today=date(2026, 11, 26))
    assert str(e.value)


@pytest.mark.parametrize(
    "args, label",
    [
        ({"preset": "months", "year": "2024", "months": "9"}, "9 tháng đầu năm 2024"),
        ({"preset": "year", "year": "2024"}, "Năm 2024"),
        ({"preset": "quarter"}, "Quý 4/2026"),
        ({"from": "2024-01-01", "to": "2024-09-30"}, "9 tháng đầu năm 2024"),
        ({"from": "2024-02-03", "to": "2024-09-30"}, "03/02/2024 – 30/09/2024"),
    ],
)
def test_labels_in_vietnamese(app, args, label):
    with app.test_request_context("/"):
        assert periods.choice_from_args(MultiDict(args), today=date(2026, 11, 26)).label == label


def test_quick_choices_name_presets_that_resolve(app):
    with app.test_request_context("/"):
        quick = periods.quick_choices([2026, 2024])
        labels = [label for _, label in quick]
        assert labels[:3] == ["Tháng này", "Quý này", "Từ đầu năm đến nay"]
        assert (
            "9 tháng đầu năm 2024" in labels
            and "Năm 2024" in labels
            and "6 tháng đầu năm 2026" in labels
        )
        for params, _ in quick:
            args = MultiDict({k: str(v) for k, v in params.items()})
            assert periods.choice_from_args(args, today=date(2026, 11, 26)).query() == params
