"""The pages people open all day cost the same at ten dossiers and at ten thousand: the number of
SQL statements a page issues does not grow with the dossiers, none of them reads the dossiers
table whole (read from the database's own plan; on PostgreSQL with sequential scans disabled for
the check, since its planner rightly scans small tables), and a deep page of a long list is
found the way the first is (the key of the row before it, never a growing OFFSET). No time is
measured here: ``bench/run.py`` times the same pages at a million dossiers."""

import random
import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import insert, select

from extensions import db
from models import Dossier, Shipment
from tests import factories as f
from tests.statements import TRANSACTION, recorded

# The module's tests share their datasets (``shared_dataset``): one test process runs them all
# (``ONE_PROCESS`` in tests/conftest.py).
pytestmark = pytest.mark.slow

AGENCIES = ("000.17.22.H56", "000.18.22.H56")
FIRST_DAY = date(2024, 1, 1)
DAYS = 400


def catalogue():
    """Twelve procedures of three departments."""
    departments = [f.department() for _ in range(3)]
    procs = [
        f.procedure(
            code=f"1.0000{i:02d}",
            department_=departments[i % 3],
            receive=i % 4 != 0,
            ret=i % 3 != 0,
        )
        for i in range(12)
    ]
    db.session.commit()
    return departments, procs


def add_dossiers(n, procs, seed=3, units=None):
    """``n`` more dossiers over 400 days, and a shipment for nine in ten of those the source
    says went by post; then fresh statistics. ``units``: unit ids the dossiers (and their
    shipments) belong to in turn (the first unit's by default)."""
    rng = random.Random(seed + n)
    start = db.session.execute(select(db.func.count()).select_from(Dossier)).scalar_one()
    start_id = db.session.execute(select(db.func.max(Dossier.id))).scalar() or 0
    rows = []
    for i in range(start, start + n):
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        channel = ("truc_tiep", "truc_tuyen", "bcci")[i % 3]
        returned = day + timedelta(days=rng.randrange(3, 20)) if rng.random() < 0.9 else None
        return_channel = rng.choice(("truc_tiep", "bcci")) if returned else None
        rows.append(
            {
                "code": f"{AGENCIES[i % 2]}-{day:%y%m%d}-{i:05d}",
                "procedure_id": procs[i % len(procs)].id,
                **Dossier.as_recorded(channel, day, return_channel, returned),
                **({"unit_id": units[i % len(units)]} if units else {}),
            }
        )
    db.session.execute(insert(Dossier), rows)
    new = db.session.execute(
        select(
            Dossier.id,
            Dossier.receive_channel,
            Dossier.receive_date,
            Dossier.return_channel,
            Dossier.return_date,
            Dossier.unit_id,
        )
        .where(Dossier.id > start_id)
        .order_by(Dossier.id)
    ).all()
    serial = db.session.execute(select(db.func.count()).select_from(Shipment)).scalar_one()
    shipments = []
    for k, (did, rch, rd, tch, td, unit_id) in enumerate(new):
        for direction, channel, when in (("tiep_nhan", rch, rd), ("tra_ket_qua", tch, td)):
            # Every tenth from the sixth on is not logged: even ten dossiers leave something to
            # reconcile, and some are shipments of procedures not flagged eligible.
            if channel == "bcci" and k % 10 != 5:
                serial += 1
                shipments.append(
                    {
                        "tracking_number": f.tracking_number(serial=serial),
                        "direction": direction,
                        "dossier_id": did,
                        "date": when,
                        "fee": 25000,
                        **({"unit_id": unit_id} if units else {}),
                    }
                )
    if shipments:
        db.session.execute(insert(Shipment), shipments)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def build(n):
    departments, procs = catalogue()
    add_dossiers(n, procs)
    return departments, procs


PAGES = [  # (role, URL or a function of the data giving it, an htmx fragment)
    *((role, "/", False) for role in ("centre", "admin", "department", "leader")),
    *((role, "/reconciliation", False) for role in ("centre", "admin", "department")),
    ("centre", "/dossiers", False),
    ("leader", "/dossiers", True),
    ("centre", "/dossiers?q=000", True),
    ("centre", "/dossiers?q=000.17.22.H56-2403", True),
    ("centre", "/dossiers?q=240301", True),
    ("centre", lambda d: f"/dossiers?q={d['code']}", True),
    ("leader", "/dossiers?from=2024-01-01&to=2024-09-30&direction=tra_ket_qua&channel=bcci", False),
    ("leader", "/dossiers?from=2024-01-01&to=2024-09-30", False),
    (
        "leader",
        lambda d: f"/dossiers?department={d['department']}&from=2024-01-01&to=2024-09-30",
        False,
    ),
    ("centre", "/dossiers?procedure=1.000003", True),
    ("centre", "/shipments", False),
    ("leader", "/shipments?direction=tra_ket_qua&from=2024-01-01&to=2024-06-30", False),
    ("centre", "/shipments/new", False),
    ("centre", "/procedures", False),
    ("centre", "/procedures?q=1.0000", True),
]


def recorded_get(client, url, fragment=False):
    """The page at ``url`` (its fragment with ``fragment``) and the statements it sent, each with
    its parameters (transaction statements left out)."""
    with recorded(leave_out=TRANSACTION, parameters=True) as statements:
        r = client.get(url, headers={"HX-Request": "true"} if fragment else {})
    assert r.status_code == 200, (url, r.status_code)
    return r, statements


def shape(lines):
    """A plan without the planner's estimates (PostgreSQL's costs and row counts), the values
    PostgreSQL's driver writes into the statement, or the reading direction (the last page
    reads from the other end)."""
    out = []
    for line in lines:
        line = re.sub(r"\s*\(cost=[^)]*\)", "", line)
        line = re.sub(r"'[^']*'(::[a-z ]+)?", "?", line)
        line = re.sub(r"\b\d+\b", "?", line)
        out.append(line.replace(" Backward", "").replace(" DESC", ""))
    return out


def plan(statement, parameters):
    """The database's plan for a statement, as lines."""
    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()
    try:
        if db.engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return [str(r[-1]) for r in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        return [r[0] for r in cursor.fetchall()]
    finally:
        cursor.close()


def whole_scans(statement, lines):
    """The plan lines reading the dossiers table whole. On SQLite ``SCAN dossier`` without an
    index, or through an index without a LIMIT to stop it; on PostgreSQL a sequential scan."""
    out = []
    for line in lines:
        if re.search(r"\bSeq Scan on dossier\b", line):
            out.append(line)
        elif re.search(r"\bSCAN dossier\b", line) and (
            "USING" not in line or " LIMIT " not in statement.upper()
        ):
            out.append(line)
    return out


def login(app, role, department):
    client = app.test_client()
    user = f.user(role, department_=department if role == "department" else None)
    db.session.commit()
    r = client.log_in(user.username, f.PASSWORD)
    assert r.status_code == 303
    return client


def walk(app, data, clients, pages=PAGES):
    """``{(role, url): (statement count, [(statement, plan)])}`` of ``pages``."""
    out = {}
    for role, url, fragment in pages:
        url = url(data) if callable(url) else url
        if role not in clients:
            clients[role] = login(
                app, role, data["departments"][2]
            )  # dossiers 5 and 8: to reconcile
        client = clients[role]
        recorded_get(client, url, fragment)  # once first: caches filled as in use
        _, statements = recorded_get(client, url, fragment)
        out[(role, url)] = (
            len(statements),
            [
                (s, plan(s, p))
                for s, p in statements
                if s.lstrip().upper().startswith(("SELECT", "WITH"))
            ],
        )
        db.session.rollback()
    return out


def check_at_10_and_10000(small, large, reads=lambda _statement, _lines: []):
    """Walks of the same pages at ten dossiers and at ten thousand: no statement's plan reads the
    dossiers whole or has ``reads(statement, plan lines)``, and no page sends more statements at
    ten thousand dossiers than at ten."""
    for walked in (small, large):
        for (role, url), (count, plans) in walked.items():
            for statement, lines in plans:
                assert not whole_scans(statement, lines), (role, url, statement, lines)
                assert not reads(statement, lines), (role, url, statement, lines)
            assert count <= small[(role, url)][0], (role, url, count, small[(role, url)][0])


SHIPMENT_SEARCHES = [  # the shipment list searched by a tracking number or its start
    ("centre", lambda d: f"/shipments?q={d['tracking']}", True),
    ("centre", lambda d: f"/shipments?q={d['tracking'][:9].lower()}", True),
    ("centre", lambda d: f"/shipments?q={d['tracking'][:4]}", False),
    ("leader", lambda d: f"/shipments?q={d['tracking'][:7]}&direction=tra_ket_qua", False),
]


def shipment_scans(_statement, lines):
    """The plan lines reading the shipments table through all its rows: on SQLite a ``SCAN``
    of it (by an index or not: a search must seek its rows), on PostgreSQL a sequential scan."""
    return [
        line
        for line in lines
        if re.search(r"\bSeq Scan on shipment\b", line) or re.search(r"\bSCAN shipment\b", line)
    ]


def _link(html, rel):
    m = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return unescape(m.group(1)) if m else None


def _list_statement(statements):
    """The statement reading the page's dated rows (with a LIMIT of 51; rows without a date,
    read after them, have their own)."""
    for statement, parameters in statements:
        values = (
            list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
        )
        if "LIMIT" in statement.upper() and 51 in values and " IS NULL " not in statement + " ":
            return statement, parameters
    raise AssertionError([s for s, _ in statements])


def _indexes(lines):
    return sorted(set(re.findall(r"(?:INDEX|using) (\w+)", " ".join(lines))))


@pytest.mark.parametrize(
    "start",
    [
        "/dossiers",
        "/dossiers?from=2024-01-01&to=2024-12-31&direction=tra_ket_qua",
        "/dossiers?q=000",
        "/shipments",
    ],
)
def test_a_deep_page_is_found_like_the_first(six_thousand, start):
    with six_thousand.restored() as app:
        _deep_page_is_found_like_the_first(app, start)


@pytest.fixture(scope="module")
def six_thousand(shared_dataset):
    """Six thousand dossiers (``build``), built once per test process."""
    return shared_dataset("plan_six_thousand", lambda: build(6_000))


def _deep_page_is_found_like_the_first(app, start):
    client = login(app, "centre", None)
    r, first = recorded_get(client, start)
    page2_url = _link(r.text, "next")
    assert page2_url and "after=" in page2_url and "page=2" in page2_url
    r, page2 = recorded_get(client, page2_url)
    url = page2_url
    for _ in range(3):  # three pages further, by the pager's own links
        url = _link(r.text, "next")
        r, deep = recorded_get(client, url)
    assert "page=5" in url
    last_url = _link(r.text, "last")
    r, last = recorded_get(client, last_url)
    assert _link(r.text, "next") is None and _link(r.text, "prev")
    plans = {}
    for name, statements in (("first", first), ("page2", page2), ("deep", deep), ("last", last)):
        statement, parameters = _list_statement(statements)
        # No rows skipped (SQLite's dialect writes "OFFSET ?" with 0 after every LIMIT).
        assert "OFFSET" not in statement.upper() or list(parameters)[-1] == 0, (name, statement)
        plans[name] = plan(statement, parameters)
        assert not whole_scans(statement, plans[name]), (name, plans[name])
    # Page five's plan is page two's, and the first page reads the same index.
    assert shape(plans["deep"]) == shape(plans["page2"])
    assert _indexes(plans["deep"]) == _indexes(plans["first"])
    assert shape(plans["last"]) == shape(plans["first"])


def test_the_pager_walks_every_row_once_in_order_both_ways(app):
    """Keyset pages cover the list exactly: forward to the end, back to the start, with rows
    whose date is missing at the end; the counts shown are exact (from the tallies)."""
    procs = [f.procedure(code="1.000001"), f.procedure(code="1.000002")]
    rng = random.Random(5)
    for i in range(130):
        f.dossier(
            rng.choice(procs),
            FIRST_DAY + timedelta(days=rng.randrange(9)),
            returned=FIRST_DAY + timedelta(days=20) if i % 3 else None,
            return_channel="bcci" if i % 3 else None,
        )
    db.session.commit()
    client = login(app, "centre", None)
    for start, column in (
        ("/dossiers", Dossier.receive_date),
        ("/dossiers?direction=tra_ket_qua&channel=bcci", Dossier.return_date),
    ):
        stmt = select(Dossier.id, column)
        if "channel" in start:
            stmt = stmt.where(Dossier.return_channel == "bcci")
        expected = [
            i
            for i, _ in sorted(
                db.session.execute(stmt).all(),
                key=lambda r: (r[1] is not None, r[1], r[0]),
                reverse=True,
            )
        ]
        seen, url, pages = [], start, []
        while url:
            r = client.get(url)
            ids = [int(i) for i in re.findall(r'<tr data-dossier="(\d+)"', r.text)]
            pages.append(ids)
            seen += ids
            url = _link(r.text, "next")
        assert seen == expected
        assert f"{len(expected)} hồ sơ" in r.text or f"{len(expected)} dossiers" in r.text
        back, url = [], _link(r.text, "prev")
        while url:
            r = client.get(url)
            back.insert(0, [int(i) for i in re.findall(r'<tr data-dossier="(\d+)"', r.text)])
            url = _link(r.text, "prev")
        assert back == pages[:-1]


SHIPMENT_LIST = [  # the shipment list as its links and its filter form open it
    ("centre", "/shipments", False),
    ("leader", "/shipments", True),
    ("centre", "/shipments?direction=tiep_nhan&from=2024-03-01&to=2024-03-01", False),  # home
    ("centre", lambda d: f"/shipments?department={d['department']}&status=not_eligible", False),
    ("centre", "/shipments?status=not_eligible", False),  # the reconciliation's links
    (
        "admin",
        lambda d: (
            f"/shipments?q=&direction=tra_ket_qua&from=2024-01-15&to=2024-11-20"
            f"&status=active&department={d['department']}&field={d['field']}"
        ),
        True,
    ),  # the filter form, every field sent
    ("centre", "/shipments?q=&direction=&from=&to=&status=cancelled&department=&field=", True),
    ("leader", "/shipments?from=2024-02-01&to=2024-05-31&status=eligibility_warning", True),
    ("centre", "/shipments?status=check_digit_warning&direction=tiep_nhan", True),
    ("centre", lambda d: f"/shipments?field={d['field']}&from=2024-01-01&to=2024-12-31", True),
    # Searched by a dossier code: whole, its start, the start of its date and serial part.
    ("centre", lambda d: f"/shipments?q={d['code']}", True),
    ("centre", "/shipments?q=000.17.22.H56-2403", True),
    ("leader", "/shipments?q=240301&direction=tiep_nhan", True),
]


def shipment_whole_scans(statement, lines):
    """The plan lines reading the shipments table whole: on SQLite a ``SCAN`` of it without an
    index, or through one without a LIMIT to stop it; on PostgreSQL a sequential scan."""
    return [
        line
        for line in lines
        if re.search(r"\bSeq Scan on shipment\b", line)
        or (
            re.search(r"\bSCAN shipment\b", line)
            and ("USING" not in line or " LIMIT " not in statement.upper())
        )
    ]


PROCEDURE_ACTIVITY = [  # the procedure list filtered by activity in a period, as its links do
    (
        "department",
        "/procedures?department=all&postal=yes&sort=name&from=2024-01-01&to=2024-12-31",
        True,
    ),
    ("department", "/procedures?department=all&postal=no&from=2024-02-11&to=2024-09-30", True),
    ("centre", "/procedures?dossiers=yes&from=2024-03-01&to=2024-03-31", False),
    ("leader", "/procedures?dossiers=no&postal=yes&from=2024-01-05&to=2025-01-31", True),
]


def dossier_reads(_statement, lines):
    """The plan lines reading the dossiers, by an index or not."""
    return [
        line
        for line in lines
        if re.search(r"\b(SCAN|SEARCH) dossier\b", line) or re.search(r" on dossier\b", line)
    ]


WALKS = {
    "pages": PAGES,
    "shipment searches": SHIPMENT_SEARCHES,
    "shipment list": SHIPMENT_LIST,
    "procedure activity": PROCEDURE_ACTIVITY,
}


def _walk_at_10_and_10000():
    """Every walk of ``WALKS`` on ten dossiers, then again with 9.990 more: ``(small, large)``,
    each ``{walk name: walk(...)}``. One dataset serves the four tests below."""
    from flask import current_app

    app = current_app._get_current_object()
    departments, procs = catalogue()
    add_dossiers(10, procs)
    data = {
        "code": db.session.execute(select(Dossier.code).order_by(Dossier.id)).scalars().first(),
        "tracking": db.session.execute(select(Shipment.tracking_number).order_by(Shipment.id))
        .scalars()
        .first(),
        "department": departments[0].id,
        "field": procs[0].field_id,
        "departments": departments,
    }
    clients = {}
    small = {name: walk(app, data, clients, pages) for name, pages in WALKS.items()}
    add_dossiers(9_990, procs)
    large = {name: walk(app, data, clients, pages) for name, pages in WALKS.items()}
    return small, large


@pytest.fixture(scope="module")
def walked(shared_dataset):
    """``(small, large)`` of ``_walk_at_10_and_10000``, walked once per test process."""
    return shared_dataset("plan_walks", _walk_at_10_and_10000).value


def test_pages_issue_as_many_statements_and_never_scan_the_dossiers_at_10_and_10000(walked):
    small, large = walked
    check_at_10_and_10000(small["pages"], large["pages"])


def test_the_shipment_search_seeks_its_rows_at_10_and_10000(walked):
    """The shipment list searched by tracking number (whole or its start): the list, its totals
    and the rest of the page read the shipments found through the tracking number index, never
    the shipments or dossiers whole, in as many statements at ten dossiers as at ten thousand."""
    small, large = walked
    check_at_10_and_10000(
        small["shipment searches"], large["shipment searches"], reads=shipment_scans
    )


def test_the_shipment_list_and_its_filters_read_kept_totals_at_10_and_10000(walked):
    """The shipment list with every filter its links and form set: its totals come from the
    counts kept per date, procedure, direction and status (a search's from the index it
    searches), so no statement reads the shipments or dossiers whole, and the page issues no
    more statements at ten thousand dossiers than at ten."""
    small, large = walked
    check_at_10_and_10000(
        small["shipment list"], large["shipment list"], reads=shipment_whole_scans
    )
    # Without a search nothing reads the shipments but the page of rows (the LIMIT).
    for (role, url), (_count, plans) in large["shipment list"].items():
        if "q=" in url and "q=&" not in url:
            continue
        for statement, _lines in plans:
            reads_shipments = re.search(r"\bFROM shipment\b", statement)
            assert not reads_shipments or " LIMIT " in statement.upper(), (role, url, statement)


def test_the_procedure_list_filtered_by_activity_reads_the_tallies_at_10_and_10000(walked):
    """The procedure list's filters "by post" and "with dossiers" in a period find their
    procedures in the dossier tallies: the list and its counts read no dossier, whatever the
    number of dossiers; only the page's own rows' "by post" figure reads the few dossiers both
    received and returned by post (``figures.procedure_activity``)."""
    small, large = walked
    check_at_10_and_10000(small["procedure activity"], large["procedure activity"])
    for (role, url), (_count, plans) in large["procedure activity"].items():
        for statement, lines in plans:
            if "activity" in statement:  # the page's rows' figures (procedure ids bound)
                continue
            assert not dossier_reads(statement, lines), (role, url, statement, lines)


# --- one unit's pages (issue 18): a user bound to a unit ---------------------------------------

UNIT_PAGES = [
    ("centre", "/", False),
    ("centre", "/dossiers", False),
    ("leader", "/dossiers", True),
    ("centre", "/dossiers?q=000", True),
    ("leader", "/dossiers?from=2024-01-01&to=2024-09-30&direction=tra_ket_qua&channel=bcci", False),
    ("leader", "/dossiers?from=2024-01-01&to=2024-09-30", False),
    ("centre", "/dossiers?procedure=1.000003", True),
    ("centre", "/shipments", False),
    ("leader", "/shipments?direction=tra_ket_qua&from=2024-01-01&to=2024-06-30", False),
    ("centre", "/shipments/new", False),
    ("centre", "/reconciliation", False),
]


def _second_unit():
    from utils.units import create_unit

    unit = create_unit("DV02", "Trung tâm xã Tân Lập", "xa")
    db.session.commit()
    return unit.id


def test_one_units_pages_seek_their_rows_at_10_and_10000(app):
    """A user bound to one of two units: every page reads that unit's rows through indexes, in
    as many statements at ten dossiers as at ten thousand."""
    departments, procs = catalogue()
    unit_id = _second_unit()
    units = (1, unit_id)
    add_dossiers(10, procs, units=units)
    clients = {}
    for role in ("centre", "leader"):
        user = f.user(role, unit_id=unit_id)
        db.session.commit()
        clients[role] = app.test_client()
        assert clients[role].log_in(user.username, f.PASSWORD).status_code == 303
    data = {"departments": departments}
    small = walk(app, data, clients, UNIT_PAGES)
    add_dossiers(9_990, procs, units=units)
    large = walk(app, data, clients, UNIT_PAGES)
    for walked in (small, large):
        for (role, url), (count, plans) in walked.items():
            for statement, lines in plans:
                assert not whole_scans(statement, lines), (role, url, statement, lines)
            assert count <= small[(role, url)][0], (role, url, count, small[(role, url)][0])


@pytest.mark.parametrize(
    "start,index",
    [
        ("/dossiers", "ix_dossier_unit_receive"),
        ("/dossiers?from=2024-01-01&to=2024-12-31&direction=tra_ket_qua", "ix_dossier_unit_return"),
        ("/shipments", "ix_shipment_unit_date"),
    ],
)
def test_a_units_list_is_read_from_its_unit_index_and_the_provinces_is_not(two_units, start, index):
    """A bound user's list page is read in order from the index leading with the unit; the
    same list for a user who sees every unit keeps its plan (no unit index)."""
    with two_units.restored() as app:
        _units_list_is_read_from_its_unit_index(app, two_units.value, start, index)


def test_a_units_latest_shipments_are_read_from_its_unit_index(two_units):
    """The log form's latest shipments of a bound user's unit are read newest first from the
    index by unit and id, however many shipments the other units logged since (a third unit
    holding a few of them); a user who sees every unit reads the newest of all (no unit
    index)."""
    from models import Procedure
    from utils.units import create_unit

    with two_units.restored() as app:
        unit_id = create_unit("DV03", "Trung tâm xã Tân Hòa", "xa").id
        db.session.commit()
        add_dossiers(60, db.session.scalars(select(Procedure)).all(), units=(unit_id,))
        used = {}
        for name, user in (
            ("bound", f.user("centre", unit_id=unit_id)),
            ("province", f.user("centre", province_wide=True)),
        ):
            db.session.commit()
            client = app.test_client()
            assert client.log_in(user.username, f.PASSWORD).status_code == 303
            _r, statements = recorded_get(client, "/shipments/new")
            latest = [
                (s, p) for s, p in statements if "FROM shipment" in s and "shipment.id DESC" in s
            ]
            assert len(latest) == 1, [s for s, _ in statements]
            used[name] = _indexes(plan(*latest[0]))
        assert "ix_shipment_unit_id" in used["bound"], used
        assert not any("unit" in i for i in used["province"]), used


def _two_units():
    _departments, procs = catalogue()
    unit_id = _second_unit()
    add_dossiers(3_000, procs, units=(1, unit_id))
    return unit_id


@pytest.fixture(scope="module")
def two_units(shared_dataset):
    """Three thousand dossiers shared by two units (the second's id is the value), built once
    per test process."""
    return shared_dataset("plan_units", _two_units)


def _units_list_is_read_from_its_unit_index(app, unit_id, start, index):
    bound_user = f.user("centre", unit_id=unit_id)
    province_user = f.user("centre", province_wide=True)
    db.session.commit()
    used = {}
    for name, user in (("bound", bound_user), ("province", province_user)):
        client = app.test_client()
        assert client.log_in(user.username, f.PASSWORD).status_code == 303
        r, statements = recorded_get(client, start)
        assert _link(r.text, "next"), (name, start)
        r, page2 = recorded_get(client, _link(r.text, "next"))
        for label, walked in (("first", statements), ("page2", page2)):
            statement, parameters = _list_statement(walked)
            lines = plan(statement, parameters)
            assert not whole_scans(statement, lines), (name, label, lines)
            used[(name, label)] = _indexes(lines)
    assert index in used[("bound", "first")] and index in used[("bound", "page2")], used
    assert not any("unit" in i for i in used[("province", "first")] + used[("province", "page2")])
