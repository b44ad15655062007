"""One set of numbers on every surface (docs/figures.md, "Tables, totals and links").

On a ward built for it (retired procedures with dossiers in and out of the period, dossiers on the
period's first and last day, shipments moved and cancelled in both directions, two procedures whose
codes share a prefix, a count without its denominator), every number that links to a list, on every
page a role opens, is followed through every page of that list and its rows counted; the total rows
are compared with ``/api/summary``, and the brief's tables with the dashboard's, row by row.
"""

import re
from datetime import date
from html import unescape

import pytest

from blueprints.postal import services as postal
from extensions import db
from models import ROLES
from tests import factories as f
from utils.settings import get_settings

START, END = date(2025, 1, 1), date(2025, 6, 30)
SPAN = f"from={START.isoformat()}&to={END.isoformat()}"
DASHBOARD = f"/dashboard?preset=custom&{SPAN}"

# The lists a figure may open, how their rows are marked and where they show their count.
LISTS = {
    "/dossiers": (r'<tr data-dossier="(\d+)"', r'data-testid="dossier-total">\D*?(\d[\d.]*)'),
    "/procedures": (r'<tr id="procedure-(\d+)"', r'data-testid="result-count">\D*?(\d[\d.]*)'),
    "/shipments": (
        r'<tr id="shipment-(\d+)"',
        r'data-testid="shipment-totals">.*?fs-5 fw-semibold">(\d[\d.]*)<',
    ),
}


def _int(text):
    return int(text.replace(".", ""))


def _text(html):
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


# --- The ward -----------------------------------------------------------------------------------


def _dossiers(procedure, days, channel="truc_tiep", returned=None, return_channel=None):
    return [f.dossier(procedure, day, channel, returned, return_channel) for day in days]


def build_ward():
    """The ward of the issue, small enough to walk: returns the department staff's department."""
    dept_a, dept_b, dept_c = (
        f.department(code, name)
        for code, name in (
            ("TP", "Phòng Tư pháp"),
            ("TNMT", "Phòng Tài nguyên và Môi trường"),
            ("VHXH", "Phòng Văn hóa – Xã hội"),
        )
    )
    civil, land, gone, old = (
        f.field(name)
        for name in ("Hộ tịch", "Đất đai", "Lĩnh vực chỉ còn thủ tục hết hiệu lực", "Lĩnh vực cũ")
    )
    # Two procedures whose codes share a prefix: a link by code prefix would mix them.
    short = f.procedure("9.001108", "Đăng ký khai sinh", civil, dept_a, receive=True, ret=True)
    long_ = f.procedure(
        "9.001108.000.00.00.H56", "Đăng ký khai sinh (liên thông)", civil, dept_a, receive=True
    )
    returns = f.procedure("9.002001", "Cấp bản sao trích lục", land, dept_b, ret=True)
    never = f.procedure("9.002002", "Đăng ký đất đai lần đầu", land, dept_b)
    outreach = f.procedure("9.003001", "Cấp giấy phép", land, dept_c, receive=True, ret=True)
    # Retired procedures: dossiers in the period, out of it, or a result returned in it only.
    retired = f.procedure(
        "9.004001", "Thủ tục đã bãi bỏ", civil, dept_b, in_force=False, receive=True, ret=True
    )
    retired_alone = f.procedure("9.004002", "Thủ tục cũ duy nhất", gone, dept_c, in_force=False)
    retired_outside = f.procedure(
        "9.004003", "Thủ tục hết hiệu lực từ lâu", land, dept_a, in_force=False
    )
    retired_return = f.procedure(
        "9.004004", "Thủ tục trả kết quả muộn", old, dept_c, in_force=False, ret=True
    )
    # Enough procedures in force for the procedure list to have a second page.
    for n in range(52):
        f.procedure(f"9.1{n:05d}", f"Thủ tục đất đai {n}", land, dept_b, receive=n % 3 == 0)

    month_days = [date(2025, m, d) for m in range(1, 7) for d in (1, 9, 15, 22, 28)]
    first_last = [START, START, END, END]
    shorts = _dossiers(short, month_days + first_last)
    shorts += _dossiers(short, [date(2025, 2, 3), date(2025, 4, 4), END], "bcci")
    shorts += _dossiers(short, [date(2025, 3, 3)] * 4, "truc_tuyen", date(2025, 4, 1), "bcci")
    shorts += _dossiers(short, [date(2025, 5, 5)] * 2, returned=END, return_channel="truc_tiep")
    shorts += _dossiers(short, [date(2025, 6, 6)], returned=date(2025, 7, 1), return_channel="bcci")
    _dossiers(short, [date(2024, 12, 31), date(2025, 7, 1)], "bcci")
    longs = _dossiers(long_, [START, date(2025, 2, 2), date(2025, 3, 3), END])
    _dossiers(long_, [date(2025, 4, 4)], "bcci")
    _dossiers(long_, [date(2024, 12, 31)], "bcci", date(2025, 1, 2), "bcci")
    ret_dossiers = _dossiers(returns, [date(2025, 2, 10), date(2025, 5, 20)])
    _dossiers(returns, [date(2024, 12, 20)], returned=START, return_channel="bcci")
    nevers = _dossiers(never, [date(2025, 3, 15), date(2025, 3, 16)])
    _dossiers(outreach, [date(2025, 1, 20), date(2025, 6, 1), END], "truc_tuyen")
    retireds = _dossiers(retired, [START, date(2025, 3, 1), END])
    _dossiers(retired, [date(2025, 4, 1)], "bcci", date(2025, 4, 20), "bcci")
    _dossiers(retired, [date(2024, 10, 1), date(2024, 11, 1)], "bcci")
    _dossiers(
        retired_alone,
        [date(2025, 2, 14), date(2025, 6, 29)],
        returned=date(2025, 6, 30),
        return_channel="bcci",
    )
    _dossiers(retired_outside, [date(2024, 6, 1), date(2025, 8, 1)])
    _dossiers(retired_return, [date(2024, 11, 5)], "bcci", date(2025, 2, 1), "bcci")

    # Shipments, through the services so the effective values follow: one received by post,
    # one moved out of the period, one moved to another dossier, one cancelled each way, one for
    # a procedure not flagged eligible (the reconciliation lists it).
    def log(dossier, direction, day):
        return postal.log_shipment(
            tracking_number=f.tracking_number(),
            direction=direction,
            dossier=dossier,
            date=day,
            today=date(2026, 1, 1),
        )

    log(shorts[0], "tiep_nhan", START)
    moved_out = log(longs[1], "tra_ket_qua", date(2025, 3, 10))
    postal.update_shipment(
        moved_out, {"date": date(2025, 7, 15)}, "Sai ngày", today=date(2026, 1, 1)
    )
    moved_over = log(longs[2], "tiep_nhan", date(2025, 3, 3))
    postal.update_shipment(
        moved_over, {"dossier_id": longs[3].id}, "Nhầm hồ sơ", today=date(2026, 1, 1)
    )
    postal.cancel_shipment(log(retireds[1], "tiep_nhan", date(2025, 3, 1)), "Khách rút hồ sơ")
    postal.cancel_shipment(log(ret_dossiers[0], "tra_ket_qua", date(2025, 2, 20)), "Nhập nhầm")
    log(nevers[0], "tra_ket_qua", date(2025, 3, 20))
    log(ret_dossiers[1], "tra_ket_qua", date(2025, 5, 25))
    log(retireds[2], "tra_ket_qua", END)

    settings = get_settings()
    settings.default_period_from, settings.default_period_to = START, END
    db.session.add(settings)
    db.session.commit()
    return dept_a


# --- Walking the links --------------------------------------------------------------------------


def linked_numbers(html):
    """``[(url, number)]`` of every number on the page that links to a list."""
    out = []
    for href, text in re.findall(r'<a href="([^"]+)"[^>]*>\s*(\d[\d.]*)\s*</a>', html):
        url = unescape(href)
        if url.split("?")[0] in LISTS and re.fullmatch(r"\d{1,3}(\.\d{3})*", text):
            out.append((url, _int(text)))
    return out


def follow(client, url):
    """Every page of the list ``url`` opens: ``(rows counted, count the list shows)``."""
    row_mark, shown_mark = LISTS[url.split("?")[0]]
    seen, shown, pages = set(), None, 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        ids = re.findall(row_mark, response.text)
        assert not seen.intersection(ids), f"a row shown twice: {url}"
        seen.update(ids)
        if shown is None:
            shown = _int(re.search(shown_mark, response.text, re.S).group(1))
        tag = re.search(r'<a\b[^>]*\brel="next"[^>]*>', response.text)
        url = unescape(re.search(r'href="([^"]+)"', tag.group(0)).group(1)) if tag else None
        pages += 1
        assert pages < 50
    return len(seen), shown


def pages_for(role):
    pages = [
        DASHBOARD,
        f"/dashboard/breakdown/field?preset=custom&{SPAN}",
        f"/dashboard/breakdown/department?preset=custom&{SPAN}",
        "/",
        f"/procedures?{SPAN}",
        f"/procedures?{SPAN}&page=2",
        f"/procedures/outreach?{SPAN}",
        f"/procedures/fields?{SPAN}",
    ]
    if role in ("admin", "centre", "department"):
        pages.append("/reconciliation")
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_linked_number_opens_exactly_that_many_rows(client, auth, role):
    department = build_ward()
    auth.login(role, department=department if role == "department" else None)
    opened, walked = {}, 0
    for page in pages_for(role):
        response = client.get(page)
        assert response.status_code == 200, page
        links = linked_numbers(response.text)
        if page.startswith("/dashboard") or page == "/":
            assert links, f"{role} sees no linked number on {page}"
        for url, number in links:
            if url not in opened:
                opened[url] = follow(client, url)
            rows, shown = opened[url]
            assert (rows, shown) == (number, number), (role, page, url, number, rows, shown)
            walked += 1
    # Department staff do not open the dossier list: their links are to procedures.
    assert walked >= (40 if role == "department" else 150), walked
    lists = {url.split("?")[0] for url in opened}
    assert lists >= ({"/procedures"} if role == "department" else {"/procedures", "/dossiers"})
    if role in ("admin", "centre"):
        assert "/shipments" in lists  # the reconciliation's and the home panel's shipments


def test_links_filter_by_procedure_id_never_by_code_prefix(client, auth):
    build_ward()
    auth.login("leader")
    from models import Procedure

    short = db.session.query(Procedure).filter_by(code="9.001108").one()
    html = client.get(f"/procedures?{SPAN}&q=9.001108").text
    links = dict(
        (url, n)
        for url, n in linked_numbers(html)
        if f"procedure_id={short.id}&" in url or url.endswith(f"procedure_id={short.id}")
    )
    assert links, "the procedure list's counts link to their dossiers"
    for url, number in links.items():
        listed = client.get(url).text
        assert "9.001108.000.00.00.H56" not in _text(listed.split('id="dossier-results"')[1])
        assert follow(client, url) == (number, number)
        # The link's filter stays on the form, so changing another filter keeps it.
        assert f'<input type="hidden" name="procedure_id" value="{short.id}">' in listed
    narrowed = client.get(f"/dossiers?{SPAN}&procedure_id={short.id}&channel=bcci").text
    assert "9.001108.000.00.00.H56" not in _text(narrowed.split('id="dossier-results"')[1])
    assert "9.001108 " in _text(narrowed.split('id="dossier-results"')[1])


# --- Total rows and the brief ---------------------------------------------------------------------


def _cell(td):
    """A table cell's numbers as shown: an int, or ``(numerator, denominator, percent text)``."""
    text = _text(td)
    if re.fullmatch(r"\d[\d.]*", text):
        return _int(text)
    ratio = re.fullmatch(r"(\S+%) \((\d[\d.]*)/(\d[\d.]*)\)", text)
    if ratio:
        return _int(ratio.group(2)), _int(ratio.group(3)), ratio.group(1)
    undefined = re.fullmatch(r"— \((?:(\d[\d.]*); )?[^()]+\)", text)
    assert undefined, text
    return _int(undefined.group(1) or "0"), 0, "—"


def dashboard_table(html, by):
    """``{row key: {column: value}}`` of the dashboard's table by field or department, read from
    what it shows (the total row as ``"total"``)."""
    section = re.search(rf'<section[^>]*id="breakdown-{by}".*?</section>', html, re.S).group(0)
    out = {}
    for key, row in re.findall(r'<tr[^>]*data-key="([^"]+)"[^>]*>(.*?)</tr>', section, re.S):
        cells = [_cell(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        procedures, eligible, c1, received, c2, c3 = cells
        assert c1[1] == procedures and c2[1] == c3[1] == received, (by, key, cells)
        out[key] = {
            "procedures": procedures,
            "eligible": eligible,
            "with_postal": c1[0],
            "received": received,
            "received_postal": c2[0],
            "returned_postal": c3[0],
            "returned_postal_percent": c3[2],
        }
    return out


# The count columns of the brief's tables by field and by department after the name (docs/figures.md,
# *Tables by field and by department*), before the percentage returned by post.
BRIEF_COUNT_COLUMNS = (
    "procedures eligible with_postal received received_postal returned_postal".split()
)


def brief_table(html, by):
    table = re.search(rf'<table class="data groups" data-by="{by}">.*?</table>', html, re.S).group(
        0
    )
    out = {}
    for key, row in re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', table, re.S):
        cells = [_text(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][2:]
        out[key] = {
            **{n: _int(v) for n, v in zip(BRIEF_COUNT_COLUMNS, cells)},
            "returned_postal_percent": cells[6],
        }
    return out


def test_total_rows_are_the_periods_figures_and_rows_add_up(client, auth):
    build_ward()
    auth.login("leader")
    api = client.get(f"/api/summary?{SPAN}").get_json()
    expected = {
        "procedures": api["procedures_total"],
        "with_postal": api["procedures_with_postal"],
        "received": api["dossiers_received"],
        "received_postal": api["dossiers_received_postal"],
        "returned_postal": api["results_returned_postal"],
    }
    # The ward has what the issue asks for: retired procedures' dossiers and a count whose
    # denominator is zero in its row.
    assert api["dossiers_received"] > 0 and api["results_returned_postal"] > 0
    pages = [DASHBOARD] + [
        f"/dashboard/breakdown/{by}?preset=custom&{SPAN}" for by in ("field", "department")
    ]
    for page in pages:
        html = client.get(page).text
        for by in ("field", "department"):
            if f'id="breakdown-{by}"' not in html:
                continue
            table = dashboard_table(html, by)
            total = table.pop("total")
            assert {k: total[k] for k in expected} == expected, (page, by)
            for column in ("procedures", "eligible") + tuple(expected):
                assert sum(row[column] for row in table.values()) == total[column], (
                    page,
                    by,
                    column,
                )
    field_rows = dashboard_table(client.get(DASHBOARD).text, "field")
    assert any(r["procedures"] == 0 and r["received"] for r in field_rows.values())  # retired only
    assert any(r["received"] == 0 and r["returned_postal"] for r in field_rows.values())
    card = re.search(r'data-criterion="C2".*?</section>', client.get(DASHBOARD).text, re.S).group(0)
    assert f"{api['dossiers_received_postal']} / {api['dossiers_received']}" in _text(card)


def test_the_brief_shows_the_dashboards_tables_row_by_row(client, auth):
    build_ward()
    auth.login("leader")
    dashboard = client.get(DASHBOARD).text
    brief = client.get(f"/briefs/preview?{SPAN}").text
    for by in ("field", "department"):
        ours, theirs = dashboard_table(dashboard, by), brief_table(brief, by)
        assert "total" in theirs, by
        assert set(ours) == set(theirs), by
        for key, row in ours.items():
            assert theirs[key] == row, (by, key)
