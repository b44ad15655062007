"""Read at a glance: criterion cards coloured by the band reached with a bar against the
thresholds and the points of the three together; tables opening worst first on a criterion's
rate with each rate coloured; the monthly rates on a percent axis against the thresholds.
"""

import re
from datetime import date
from decimal import Decimal

import pytest

from extensions import db
from tests import factories as f
from utils import charts, figures
from utils.dates import Period

ILLUSTRATION = figures.Rubric.from_criteria(2024, figures.DEFAULT_RUBRIC, is_illustration=True)
QUERY = {"from": "2024-01-01", "to": "2024-03-31"}


@pytest.mark.parametrize(
    "code, numerator, denominator, status",
    [
        ("C1", 0, 10, "none"),
        ("C1", 1, 10, "none"),  # 10% < 20%
        ("C1", 2, 10, "part"),  # 20% exactly: the first band
        ("C1", 49, 100, "part"),
        ("C1", 1, 2, "full"),  # 50%
        ("C3", 120, 44865, "none"),  # the reference case
        ("C3", 1, 9, "full"),
        ("C2", 0, 0, None),  # no rate
    ],
)
def test_status_of_a_rate_against_the_bands(code, numerator, denominator, status):
    assert ILLUSTRATION.status(code, numerator, denominator) == status


def test_bar_places_the_rate_and_thresholds_on_a_rounded_scale():
    bar = charts.band_bar(Decimal("0.27"), ILLUSTRATION.bands["C3"])
    assert bar.scale == 20 and bar.fill == 1.35
    assert [(m.left, m.threshold) for m in bar.marks] == [(25.0, 5), (50.0, 10)]
    c1 = charts.band_bar(Decimal("9.70"), ILLUSTRATION.bands["C1"])
    assert c1.scale == 100 and [m.left for m in c1.marks] == [20.0, 50.0] and c1.fill == 9.7
    assert charts.band_bar(None, ILLUSTRATION.bands["C2"]).fill is None


def _three_departments():
    """C1 part (1 of 3 procedures, 33%), C2 none (nothing received by post), C3 full (1 of 9
    dossiers returned by post, 11%). Departments: An 1 procedure with postal use, 1 dossier
    returned by post; Bình 1 procedure, 8 dossiers, none by post; Cường 1 procedure and no
    dossier (its C2 and C3 have no rate)."""
    a = f.department("AAA", "Phòng An")
    b = f.department("BBB", "Phòng Bình")
    c = f.department("CCC", "Phòng Cường")
    field = f.field("Hộ tịch")
    posted = f.procedure(field_=field, department_=a, receive=True, ret=True)
    idle = f.procedure(field_=field, department_=b, receive=True, ret=True)
    f.procedure(field_=field, department_=c, receive=True, ret=True)
    f.dossier(posted, date(2024, 2, 1), returned=date(2024, 2, 10), return_channel="bcci")
    for day in range(1, 9):
        f.dossier(idle, date(2024, 3, day))
    db.session.commit()
    return a, b, c


def test_cards_are_coloured_by_band_with_a_bar_and_the_total_points(client, auth):
    _three_departments()
    auth.login("leader")
    html = client.get("/dashboard", query_string=QUERY).text
    bands = dict(re.findall(r'data-criterion="(C\d)" data-band="(\w+)"', html))
    assert bands == {"C1": "part", "C2": "none", "C3": "full"}
    assert "Tổng điểm ba tiêu chí: 1,50 / 3,00 điểm" in html  # 0,50 + 0 + 1,00
    card = html[html.index('data-criterion="C3"') :]
    card = card[: card.index("</section>")]
    assert "đạt mức điểm cao nhất" in card
    # The bar: 11,11% on a scale to 20%, the thresholds 5% and 10% marked where they fall.
    assert re.search(r'class="band-bar-fill"[^>]*width="55\.55%"', card)
    assert 'x="25.0%"' in card and 'x="50.0%"' in card and ">5%<" in card and ">10%<" in card


def test_reference_case_points_read_zero_of_three(client, auth):
    f.procedure(receive=True, ret=True)
    db.session.commit()
    auth.login("leader")
    html = client.get(
        "/",
    ).text
    assert "Tổng điểm ba tiêu chí: 0,00 / 3,00 điểm" in html


def _order(html, by):
    section = html[html.index(f'id="breakdown-{by}"') :]
    section = section[: section.index("</section>")]
    return re.findall(r'<th scope="row" class="fw-normal">([^<]+)</th>', section), section


def test_tables_open_worst_first_on_the_first_criterion_not_at_its_top(client, auth):
    _three_departments()
    auth.login("leader")
    html = client.get("/dashboard", query_string=QUERY).text
    names, section = _order(html, "department")
    # C1 is the first criterion below its highest band: its rate, lowest first, no rate last.
    # C1: Bình 0% (0/1) and Cường 0% (0/1) before An 100%.
    assert names == ["Phòng Bình", "Phòng Cường", "Phòng An"]
    assert 'aria-sort="ascending"' in section and "Xếp theo tỷ lệ C1, từ thấp đến cao." in section
    # Each rate carries its band, in colour and in words.
    row = section[section.index("Phòng Bình") :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'data-band="(\w+)"', row) == ["none", "none", "none"]
    assert 'title="chưa đạt mức điểm nào"' in row
    row = section[section.index("Phòng An") :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'data-band="(\w+)"', row) == ["full", "none", "full"]
    # The breakdown page opens the same way, and every column still sorts.
    page = client.get("/dashboard/breakdown/department", query_string=QUERY).text
    assert _order(page, "department")[0][0] == "Phòng Bình"
    by_name = client.get(
        "/dashboard/breakdown/department", query_string=dict(QUERY, sort="name")
    ).text
    assert _order(by_name, "department")[0] == ["Phòng An", "Phòng Bình", "Phòng Cường"]
    by_received = client.get(
        "/dashboard/breakdown/department", query_string=dict(QUERY, sort="received", dir="desc")
    ).text
    assert _order(by_received, "department")[0][0] == "Phòng Bình"


def test_rate_sort_puts_groups_without_a_rate_last_both_ways(app):
    _three_departments()
    period = Period(date(2024, 1, 1), date(2024, 3, 31))
    up, _total = figures.breakdown_table(period, "department", "returned_postal")
    down, _total = figures.breakdown_table(period, "department", "returned_postal", descending=True)
    assert [r.name for r in up] == ["Phòng Bình", "Phòng An", "Phòng Cường"]
    assert [r.name for r in down] == ["Phòng An", "Phòng Bình", "Phòng Cường"]


def test_worst_first_column_is_the_first_criterion_below_its_top(app):
    _three_departments()
    summary = figures.summary(Period(date(2024, 1, 1), date(2024, 3, 31)))
    assert figures.worst_first_column(summary) == "with_postal"
    full = figures.Rubric.from_criteria(
        2024,
        {
            "C1": {"max": "1", "bands": [["10", "1"]]},
            "C2": {"max": "1", "bands": [["0", "1"]]},
            "C3": {"max": "1", "bands": [["5", "1"]]},
        },
    )
    assert figures.worst_first_column(figures.summary(summary.period, full)) == "with_postal"
    c2_behind = figures.Rubric.from_criteria(
        2024,
        {
            "C1": {"max": "1", "bands": [["10", "1"]]},
            "C2": {"max": "1", "bands": [["5", "1"]]},
            "C3": {"max": "1", "bands": [["5", "1"]]},
        },
    )
    assert (
        figures.worst_first_column(figures.summary(summary.period, c2_behind)) == "received_postal"
    )


def test_trend_chart_shows_monthly_rates_against_thresholds_with_axis_titles(client, auth):
    _three_departments()
    auth.login("leader")
    html = client.get("/dashboard", query_string=QUERY).text
    chart = html[html.index('<svg class="trend-chart"') :]
    chart = chart[: chart.index("</svg>")]
    assert ">Tháng</text>" in chart and ">Tỷ lệ trên hồ sơ tiếp nhận (%)</text>" in chart
    sizes = [int(s) for s in re.findall(r'font-size="(\d+)"', chart)]
    assert sizes and min(sizes) >= 11
    assert "C3 ≥ 5%: 0,50 điểm" in chart and "C2 ≥ 10%: 1,00 điểm" in chart
    assert ">0%</text>" in chart and ">50%</text>" in chart  # a percent axis
    # February: 1 of 1 dossier returned by post (100%); the axis reaches it.
    assert "C3 2/2024: 100,00%" in chart and ">100%</text>" in chart
    # The counts stay in the table beside the chart.
    table = html[html.index('class="table table-sm trend-table"') :]
    assert re.search(r"03/2024</th><td class=\"num\">(<a [^>]*>)?8", table)


def test_monthly_rates_use_each_months_dossiers_received(app):
    trend = [
        {"year": 2024, "month": 1, "received": 0, "received_postal": 0, "returned_postal": 0},
        {"year": 2024, "month": 2, "received": 32, "received_postal": 1, "returned_postal": 2},
    ]
    assert figures.monthly_rates(trend) == [
        {"year": 2024, "month": 1, "C2": None, "C3": None},
        {"year": 2024, "month": 2, "C2": Decimal("3.13"), "C3": Decimal("6.25")},
    ]
