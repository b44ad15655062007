"""The load check: gunicorn with several workers on a fresh database, about 20 people at once
logging postal shipments and editing procedures' eligibility for 20 seconds, then checks.

    .venv/bin/python bench/load.py                  # SQLite file in /tmp
    .venv/bin/python bench/load.py --postgres       # a throwaway PostgreSQL 15 cluster
    DATABASE_URL=postgresql://… bench/load.py       # that (empty) PostgreSQL database

Everything stays on 127.0.0.1 and stops by itself (the run is bounded by ``--seconds``; gunicorn
is stopped at the end, also on errors). Each simulated person logs in through the login form and
takes the CSRF token from the page's ``csrf-token`` meta tag, as the browser's htmx does, then
sends the forms' own fields. Checks afterwards:

- no response with a 5xx status, no connection error;
- no "database is locked" (nor any traceback) in gunicorn's log, and no citizen's name or phone;
- every acknowledged shipment is stored exactly once, with one ``shipment.create`` audit event;
- every acknowledged procedure edit left one ``procedure_eligibility`` audit event, and each
  procedure's version moved on by exactly its acknowledged edits;
- the dossier tallies the figures read still equal a count over the dossiers.

``--during-import web`` runs the same people while one more person uploads the largest dossier
file the web import accepts (``IMPORT_MAX_ROWS`` rows, CSV) a few seconds into the window; the
window lasts until the import has answered and a few seconds more. Every check above holds, with
no 5xx at all, and the import must be accepted with every row stored. ``--during-import cli`` does
the same while ``flask import dossiers`` loads a 1.000.000-row file (``--cli-rows``) from the
command line: a 503 ("the system is busy", when a wait for the write lock outlasts the budget) is
allowed there and counted, any other 5xx is a failure, and nothing acknowledged may be lost.
``--during-import both`` runs the two, each on a fresh database.

``--units N`` spreads the people and the dossiers over N units (docs/units.md): each person is
bound to one unit and works on that unit's dossiers, and now and then tries another unit's (opens
one of its dossiers, logs a shipment on one of its codes): that must answer 404 or a refusal and
store nothing. ``--instances K`` runs K gunicorn servers on the one database, each person talking
to one of them (nothing kept per process may break that). Checks added: every acknowledged
shipment is stored in its person's unit, on a dossier of that unit; no probe of another unit's
record was answered with it. The server's own time per request
kind is read from the ``Server-Timing`` header (``SERVER_TIMING=1``) and printed beside the
client's; the import's read and write phases come from that header (the web import) or its output
(the command line).

Conflicts (409: someone saved the same procedure meanwhile) are the product working as designed:
they are counted, not errors. Prints requests per second, p50/p95 per kind, and the verdict; exits
non-zero when a check fails.
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

HOST = "127.0.0.1"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')
SELECTED = re.compile(r'<select[^>]*name="eligible_return".*?</select>', re.S)
YES_SELECTED = re.compile(
    r'<option[^>]*\bselected\b[^>]*value="yes"|<option[^>]*value="yes"[^>]*\bselected\b'
)
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")
IMPORT_LOG = re.compile(
    r"dossier import: (\d+) rows read and checked in ([0-9.]+) s, "
    r"written in ([0-9.]+) s"
)
CITIZEN_NAME = "Nguyễn Thị Tải"
CITIZEN_PHONE = "0912000111"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Browser:
    """One person's browser: a cookie, the CSRF token of its session, timed requests."""

    def __init__(self, port, stats):
        self.port = port
        self.cookies = {}
        self.csrf = None
        self.stats = stats

    def request(self, kind, method, path, form=None, htmx=False, upload=None, timeout=300):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if upload is not None:  # (field, filename, bytes): a multipart form with the CSRF token
            boundary = "----bcci-load-boundary"
            field, filename, data = upload
            body = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                    f"{self.csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                    f'name="{field}"; filename="{filename}"\r\n'
                    f"Content-Type: text/csv\r\n\r\n"
                ).encode()
                + data
                + (f"\r\n--{boundary}--\r\n").encode()
            )
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        if method == "POST" and self.csrf:
            headers["X-CSRFToken"] = self.csrf  # hx-headers on <body>
        start = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            self.stats.record(kind, None, time.perf_counter() - start, repr(e))
            return None, "", {}
        finally:
            conn.close()
        elapsed = time.perf_counter() - start
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        server = SERVER_TIMING.search(response.getheader("Server-Timing") or "")
        self.stats.record(
            kind, response.status, elapsed, server=float(server.group(1)) / 1000 if server else None
        )
        return response.status, text, dict(response.getheaders())

    def take_csrf(self, html):
        match = CSRF_META.search(html)
        if match:
            self.csrf = match.group(1)

    def login(self, username):
        status, html, _ = self.request("login page", "GET", "/login")
        self.take_csrf(html)
        status, _, headers = self.request(
            "login",
            "POST",
            "/login",
            form={"username": username, "password": common.PASSWORD, "csrf_token": self.csrf},
        )
        if status != 303:
            raise RuntimeError(f"login of {username} failed: {status}")
        # The session changed at login: the token of the new session comes with the next page.
        status, html, _ = self.request("home", "GET", headers.get("Location", "/"))
        self.take_csrf(html)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = {}
        self.server = {}
        self.statuses = {}
        self.errors = []

    def record(self, kind, status, elapsed, error=None, server=None):
        with self.lock:
            self.times.setdefault(kind, []).append(elapsed)
            if server is not None:
                self.server.setdefault(kind, []).append(server)
            self.statuses.setdefault(kind, {}).setdefault(status, 0)
            self.statuses[kind][status] += 1
            if error:
                self.errors.append((kind, error))


class Acks:
    """What the server acknowledged, to check against the database afterwards."""

    def __init__(self):
        self.lock = threading.Lock()
        self.shipments = []  # (tracking number, direction)
        self.new_dossiers = []  # dossier codes created with their shipment
        self.edits = {}  # procedure id -> acknowledged edits
        self.conflicts = 0
        self.refused = []  # unexpected 4xx with the body's first line
        # With several units (``--units``):
        self.unit_of = []  # (tracking number, direction, the person's unit id)
        self.probes = []  # a try at another unit's record (1 each)
        self.probe_numbers = []  # tracking numbers tried on another unit's dossier
        self.leaks = []  # another unit's record shown or changed

    def add(self, attr, value):
        with self.lock:
            if attr == "edits":
                self.edits[value] = self.edits.get(value, 0) + 1
            elif attr == "conflicts":
                self.conflicts += 1
            else:
                getattr(self, attr).append(value)


class Window:
    """The measured window: it opens when every person has logged in, and lasts ``seconds``."""

    def __init__(self, people, seconds, hold=False):
        self.stats = Stats()
        self.seconds = seconds
        self.hold_at_start = hold
        self.deadline = self.started = None
        self.ready = threading.Barrier(people + 1, action=self._open)

    def _open(self):
        self.started = time.monotonic()
        self.deadline = self.started + self.seconds
        self.held = threading.Event()  # set while an import keeps the window open
        if self.hold_at_start:
            self.held.set()

    def release(self, after=3.0):
        self.deadline = max(self.deadline, time.monotonic() + after)
        self.held.clear()

    def open(self):
        return self.held.is_set() or time.monotonic() < self.deadline


def tracking_number(serial):
    from utils.validators import s10_check_digit

    digits = f"{serial:08d}"
    return f"EB{digits}{s10_check_digit(digits)}VN"


def person(index, port, window, urls, dossier_codes, procedure_ids, stats, acks, seed, units=None):
    """One person: logs in (before the clock starts), then works until the window closes.

    :param units: with several units, ``(own, others)``: the person's unit id, and for probing,
        dossiers of other units as ``(id, code)`` pairs; ``dossier_codes`` are then the own
        unit's."""
    rng = random.Random(seed + index)
    browser = Browser(port, stats)
    try:
        browser.login(f"load-{index:02d}")
    finally:
        window.ready.wait()
    browser.stats = window.stats
    serial = 20_000_000 + index * 100_000
    created = 0
    today = date.today().isoformat()
    while window.open():
        if units is not None and rng.random() < 0.05:
            probe_other_unit(browser, rng, urls, units, acks, index)
        elif rng.random() < 0.7 and urls["shipment"]:
            serial += 1
            number = tracking_number(serial)
            direction = rng.choice(("tiep_nhan", "tra_ket_qua"))
            form = {
                "csrf_token": browser.csrf,
                "tracking_number": number,
                "direction": direction,
                "date": today,
                "recipient_name": CITIZEN_NAME,
                "address": "Số 5, phường Hồng Gai",
                "phone": CITIZEN_PHONE,
                "fee": "25.000",
            }
            new_code = None
            if rng.random() < 0.2:
                created += 1
                new_code = f"{index:03d}.99.22.H56-{date.today():%y%m%d}-{created:04d}"
                form.update(
                    dossier_code=new_code,
                    procedure_code=rng.choice(urls["procedure_codes"]),
                    receive_channel="bcci",
                    receive_date=today,
                )
            else:
                form["dossier_code"] = rng.choice(dossier_codes)
            status, body, headers = browser.request(
                "log shipment", "POST", urls["shipment"], form=form, htmx=True
            )
            if status == 200 and "shipment-logged" in headers.get("HX-Trigger", ""):
                acks.add("shipments", (number, direction))
                if units is not None:
                    acks.add("unit_of", (number, direction, units[0]))
                if new_code:
                    acks.add("new_dossiers", new_code)
            elif status is not None and status < 500:
                acks.add("refused", ("log shipment", status, _first_error(body)))
        elif urls["edit"]:
            pid = rng.choice(procedure_ids)
            path = urls["edit"].replace("/0/", f"/{pid}/")
            status, html, _ = browser.request("edit form", "GET", path, htmx=True)
            if status != 200:
                continue
            version = VERSION_INPUT.search(html)
            select = SELECTED.search(html)
            if not version or not select:
                acks.add("refused", ("edit form", status, "no version or select in the form"))
                continue
            currently_yes = bool(YES_SELECTED.search(select.group(0)))
            form = {
                "csrf_token": browser.csrf,
                "eligible_receive": "no",
                "eligible_return": "no" if currently_yes else "yes",
                "reason_code": "originals",
                "reason_text": "Tải kiểm tra.",
                "version": version.group(1) or version.group(2),
            }
            status, body, _ = browser.request("save procedure", "POST", path, form=form, htmx=True)
            if status == 200:
                acks.add("edits", pid)
            elif status == 409:
                acks.add("conflicts", pid)
            elif status is not None and status < 500:
                acks.add("refused", ("save procedure", status, _first_error(body)))
        else:
            time.sleep(0.05)


def probe_other_unit(browser, rng, urls, units, acks, index):
    """Try another unit's record: open one of its dossiers, or log a shipment on one of its
    codes. Either must be refused (404, or a form refusal) with nothing stored."""
    _own, others = units
    dossier_id, code = rng.choice(others)
    if rng.random() < 0.5 or not urls["shipment"]:
        status, body, _ = browser.request(
            "other unit's dossier",
            "GET",
            urls["dossier"].replace("/0", f"/{dossier_id}"),
            htmx=False,
        )
        acks.add("probes", 1)
        if status != 404 or code in body:
            acks.add("leaks", ("open dossier", dossier_id, status))
        return
    number = tracking_number(90_000_000 + index * 100_000 + rng.randrange(100_000))
    form = {
        "csrf_token": browser.csrf,
        "tracking_number": number,
        "direction": "tra_ket_qua",
        "date": date.today().isoformat(),
        "dossier_code": code,
        "recipient_name": CITIZEN_NAME,
        "address": "Số 5, phường Hồng Gai",
        "phone": CITIZEN_PHONE,
        "fee": "25.000",
    }
    status, body, headers = browser.request(
        "other unit's log", "POST", urls["shipment"], form=form, htmx=True
    )
    acks.add("probes", 1)
    acks.add("probe_numbers", number)
    if status == 200 and "shipment-logged" in headers.get("HX-Trigger", ""):
        acks.add("leaks", ("logged on another unit's dossier", code, status))


def _first_error(body):
    match = re.search(r'class="invalid-feedback[^"]*"[^>]*>\s*([^<]+)', body)
    return match.group(1).strip() if match else body[:120]


def prepare(url, dossiers, import_rows=0, units=1):
    """A fresh database with the catalogue, ``dossiers`` dossiers and 25 users; and, when
    ``import_rows``, the CSV of that many more dossiers (new codes) for the import to load.

    With ``units`` above 1, that many units (the first and ``LOAD-02``…), the users bound to them
    in turn (``load-00`` to the first unit, ``load-01`` to the second…) and the dossiers imported
    into them in turn, through the import service with each unit."""
    from bench import run

    common.reset_database(url)
    app = common.make_app(url)
    with app.app_context():
        from sqlalchemy import select

        from blueprints.auth import services
        from extensions import db
        from models import Procedure

        notes = []
        run.load_procedures(notes)
        unit_ids = [1]
        if units > 1:
            from models import Unit
            from utils import units as unit_service

            for n in range(2, units + 1):
                unit_service.create_unit(f"LOAD-{n:02d}", f"Đơn vị tải {n}", "xa")
            db.session.flush()
            unit_codes = [u.code for u in db.session.scalars(select(Unit).order_by(Unit.id))]
            unit_ids = list(db.session.scalars(select(Unit.id).order_by(Unit.id)))
        for i in range(25):
            services.create_user(
                f"load-{i:02d}",
                "centre",
                common.PASSWORD,
                unit_code=unit_codes[i % units] if units > 1 else None,
            )
        db.session.commit()
        procs = [
            (code, True)
            for code in db.session.scalars(
                select(Procedure.code).where(Procedure.in_force.is_(True)).order_by(Procedure.code)
            )
        ]
        gen = common.DossierGenerator(procs, dossiers + import_rows, common.vn_end_date(), days=365)
        rows = list(gen.rows(0, dossiers))
        import_file = (
            common.to_csv(
                common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in gen.rows(dossiers, import_rows))
            )
            if import_rows
            else None
        )
        service = run.dossier_service()
        if units > 1:  # each unit's share (every units-th dossier) imported into it
            for k, unit_id in enumerate(unit_ids):
                data = common.to_csv(
                    common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in rows[k::units])
                )
                report = run.import_through_service(
                    lambda name, data_, unit=unit_id: service(name, data_, unit=unit),
                    f"load-dossiers-{k}.csv",
                    data,
                )
                if not report.ok:
                    raise SystemExit(f"dossier import refused: {report.sorted_problems()[:3]}")
        elif service is not None:
            data = common.to_csv(common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in rows))
            report = run.import_through_service(service, "load-dossiers.csv", data)
            if not report.ok:
                raise SystemExit(f"dossier import refused: {report.sorted_problems()[:3]}")
        else:
            run.core_insert_dossiers(rows)
        ids = list(db.session.scalars(select(Procedure.id).where(Procedure.in_force.is_(True))))
        codes = [r[0] for r in rows]
        by_unit = None
        if units > 1:  # each unit's dossiers as (id, code)
            from models import Dossier

            by_unit = {unit_id: [] for unit_id in unit_ids}
            for dossier_id, code, unit_id in db.session.execute(
                select(Dossier.id, Dossier.code, Dossier.unit_id)
            ):
                by_unit[unit_id].append((dossier_id, code))
        proc_codes = [c for c, _ in procs]
        urls = {}
        with app.test_request_context():
            from flask import url_for

            for key, endpoint, kwargs in (
                ("shipment", "postal.new_shipment", {}),
                ("edit", "procedures.edit_procedure", {"procedure_id": 0}),
                ("dossier", "dossiers.show_dossier", {"dossier_id": 0}),
            ):
                try:
                    urls[key] = url_for(endpoint, **kwargs)
                except Exception:  # that feature has not landed
                    urls[key] = None
        db.session.remove()
        db.engine.dispose()
    urls["procedure_codes"] = proc_codes
    urls["by_unit"] = by_unit
    urls["unit_ids"] = unit_ids
    return urls, codes, ids, notes, import_file


def verify(url, acks, log_text, before, dossiers_expected=None):
    """The checks against the database and the log; returns a list of failures.

    :param dossiers_expected: how many dossiers there must be besides those the people created
        with a shipment (the loaded ones plus an accepted import's).
    """
    from sqlalchemy import func, select, tuple_

    failures = []
    for needle in ("database is locked", "Traceback", "OperationalError"):
        if needle in log_text:
            failures.append(f'gunicorn log contains "{needle}"')
    for needle in (CITIZEN_NAME, CITIZEN_PHONE):
        if needle in log_text:
            failures.append(f"gunicorn log contains a citizen's personal data ({needle})")
    app = common.make_app(url)
    with app.app_context():
        from extensions import db
        from models import AuditEvent, Dossier, Procedure, Shipment

        if acks.shipments:
            stored = {}
            for i in range(0, len(acks.shipments), 500):
                chunk = acks.shipments[i : i + 500]
                for number, direction, n in db.session.execute(
                    select(Shipment.tracking_number, Shipment.direction, func.count())
                    .where(tuple_(Shipment.tracking_number, Shipment.direction).in_(chunk))
                    .group_by(Shipment.tracking_number, Shipment.direction)
                ):
                    stored[(number, direction)] = n
            missing = [s for s in acks.shipments if stored.get(s, 0) != 1]
            if missing:
                failures.append(
                    f"{len(missing)} acknowledged shipments not stored exactly once, "
                    f"e.g. {missing[:3]}"
                )
            if len(set(acks.shipments)) != len(acks.shipments):
                failures.append("a tracking number was acknowledged twice")
            total = db.session.execute(select(func.count()).select_from(Shipment)).scalar_one()
            if total != len(acks.shipments):
                failures.append(f"{total} shipments stored, {len(acks.shipments)} acknowledged")
        created = db.session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "shipment.create")
        ).scalar_one()
        if created != len(acks.shipments):
            failures.append(
                f"{created} shipment.create audit events for {len(acks.shipments)} shipments"
            )
        if acks.new_dossiers:
            found = db.session.execute(
                select(func.count()).select_from(Dossier).where(Dossier.code.in_(acks.new_dossiers))
            ).scalar_one()
            events = db.session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "dossier.create")
            ).scalar_one()
            if found != len(acks.new_dossiers) or events != len(acks.new_dossiers):
                failures.append(
                    f"{len(acks.new_dossiers)} dossiers created with a shipment: "
                    f"{found} stored, {events} dossier.create audit events"
                )
        if dossiers_expected is not None:
            total = db.session.execute(select(func.count()).select_from(Dossier)).scalar_one()
            want = dossiers_expected + len(acks.new_dossiers)
            if total != want:
                failures.append(
                    f"{total} dossiers stored, {want} expected (loaded, imported and acknowledged)"
                )
        edits = sum(acks.edits.values())
        events = db.session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "procedure_eligibility")
        ).scalar_one()
        if events != edits:
            failures.append(f"{events} procedure_eligibility audit events for {edits} edits")
        versions = dict(db.session.execute(select(Procedure.id, Procedure.version)).all())
        wrong = [pid for pid, n in acks.edits.items() if versions[pid] != before[pid] + n]
        if wrong:
            failures.append(f"{len(wrong)} procedures whose version did not move by their edits")
        failures += _unit_checks(db, acks)
        from utils import tally

        off = tally.differences(limit=3)
        if off:
            failures.append(f"the dossier tallies differ from the dossiers, e.g. {off}")
        db.session.remove()
        db.engine.dispose()
    return failures


def _unit_checks(db, acks):
    """With several units: every acknowledged shipment is in its person's unit, on a dossier of
    that unit; no try at another unit's record stored anything or was answered with it."""
    from sqlalchemy import select, tuple_

    from models import Dossier, Shipment

    failures = []
    wrong = 0
    for i in range(0, len(acks.unit_of), 500):
        chunk = acks.unit_of[i : i + 500]
        expected = {(number, direction): unit for number, direction, unit in chunk}
        for number, direction, unit, dossier_unit in db.session.execute(
            select(Shipment.tracking_number, Shipment.direction, Shipment.unit_id, Dossier.unit_id)
            .join(Dossier, Dossier.id == Shipment.dossier_id)
            .where(tuple_(Shipment.tracking_number, Shipment.direction).in_(list(expected)))
        ):
            if not unit == dossier_unit == expected[(number, direction)]:
                wrong += 1
    if wrong:
        failures.append(f"{wrong} acknowledged shipments not in their person's unit")
    if acks.probe_numbers:
        stored = db.session.execute(
            select(Shipment.tracking_number).where(Shipment.tracking_number.in_(acks.probe_numbers))
        ).all()
        if stored:
            failures.append(f"{len(stored)} shipments stored on another unit's dossier")
    if acks.leaks:
        failures.append(
            f"{len(acks.leaks)} answers gave another unit's record, e.g. {acks.leaks[:3]}"
        )
    return failures


def versions(url):
    app = common.make_app(url)
    with app.app_context():
        from sqlalchemy import select

        from extensions import db
        from models import Procedure

        out = dict(db.session.execute(select(Procedure.id, Procedure.version)).all())
        db.session.remove()
        db.engine.dispose()
    return out


def start_gunicorn(url, port, workers, log_path):
    env = dict(
        os.environ,
        DATABASE_URL=url,
        APP_ENV="production",
        SECRET_KEY="load-secret-key",
        BIND=f"{HOST}:{port}",
        TRUSTED_PROXIES="0",
        GUNICORN_MAX_REQUESTS="1000",
        HTMX_LOCAL_ONLY="1",
        SERVER_TIMING="1",
        PYTHONPATH=str(common.ROOT),
    )
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=common.ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {log_path}") from None
            time.sleep(0.3)
    stop(proc)
    raise SystemExit("gunicorn did not start within 60 s")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def web_import(port, window, data, result):
    """One more person uploads ``data`` to the dossier import page three seconds into the
    window; the window stays open until the answer, and a few seconds more."""
    browser = result.pop("browser")
    while window.started is None:
        time.sleep(0.05)
    time.sleep(3)
    browser.stats = window.stats
    start = time.monotonic()
    try:
        status, body, headers = browser.request(
            "import (web)",
            "POST",
            "/dossiers/import",
            upload=("file", "largest.csv", data),
            timeout=600,
        )
        timing = headers.get("Server-Timing", "")
        for phase in ("read", "write"):
            match = re.search(phase + r";dur=([0-9.]+)", timing)
            if match:
                result[f"{phase}_s"] = round(float(match.group(1)) / 1000, 2)
        result.update(
            status=status,
            seconds=round(time.monotonic() - start, 2),
            accepted='data-testid="import-ok"' in body or status == 303,
            body=body[:300] if status not in (200, 303) else "",
        )
    finally:
        window.release()


def cli_import(url, path, rows, window, result):
    """``flask import dossiers`` of ``rows`` rows three seconds into the window; the window stays
    open until it ends, and a few seconds more."""
    while window.started is None:
        time.sleep(0.05)
    time.sleep(3)
    env = dict(
        os.environ,
        DATABASE_URL=url,
        APP_ENV="production",
        SECRET_KEY="load-secret-key",
        PYTHONPATH=str(common.ROOT),
    )
    start = time.monotonic()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "import",
                "dossiers",
                str(path),
                "--max-rows",
                str(rows),
            ],
            cwd=common.ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        result.update(
            exit=done.returncode,
            seconds=round(time.monotonic() - start, 2),
            output=(done.stdout + done.stderr)[-600:],
        )
    finally:
        window.release()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="people at once (default 20)")
    parser.add_argument("--seconds", type=float, default=20, help="how long (default 20)")
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)"
    )
    parser.add_argument("--dossiers", type=int, default=20000, help="dossiers loaded first")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL 15 cluster")
    parser.add_argument("--sqlite", default="/tmp/bcci-load.sqlite3", help="the SQLite file")
    parser.add_argument("--output", help="also write the result as JSON to this file")
    parser.add_argument(
        "--units", type=int, default=1, help="units the people and dossiers are spread over"
    )
    parser.add_argument(
        "--instances", type=int, default=1, help="gunicorn servers on the one database"
    )
    parser.add_argument(
        "--during-import",
        choices=("web", "cli", "both"),
        help="while the largest web import, or a command-line import, runs",
    )
    parser.add_argument(
        "--web-rows",
        type=int,
        default=None,
        help="rows of the web import (default: IMPORT_MAX_ROWS, the largest accepted)",
    )
    parser.add_argument(
        "--cli-rows",
        type=int,
        default=1_000_000,
        help="rows of the command-line import (default 1.000.000)",
    )
    args = parser.parse_args(argv)
    modes = {"both": ["web", "cli"], None: [None]}.get(args.during_import, [args.during_import])
    url_arg = "postgres-cluster" if args.postgres else os.environ.get("DATABASE_URL")
    code = 0
    results = []
    with common.database(url_arg, args.sqlite) as url:
        for mode in modes:
            outcome = run(args, url, mode)
            results.append(outcome)
            code = code or (1 if outcome["failures"] else 0)
    if args.output:
        Path(args.output).write_text(
            json.dumps(results if len(results) > 1 else results[0], indent=2, ensure_ascii=False)
        )
    return code


def run(args, url, mode):
    """One load run (``mode``: ``None``, ``"web"`` or ``"cli"``); prints it, returns it."""
    from config import Config

    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    web_rows = args.web_rows or Config.IMPORT_MAX_ROWS
    import_rows = {"web": web_rows, "cli": args.cli_rows}.get(mode, 0)
    urls, codes, ids, notes, import_file = prepare(url, args.dossiers, import_rows, args.units)
    for name, label in (
        ("shipment", "log-shipment POST (postal.new_shipment)"),
        ("edit", "procedure inline-edit POST (procedures.edit_procedure)"),
    ):
        if not urls[name]:
            notes.append(f"not driven: {label} has not landed")
    if not urls["shipment"] and not urls["edit"]:
        raise SystemExit("neither write endpoint exists yet: nothing to drive")
    before = versions(url)
    ports = [free_port() for _ in range(args.instances)]
    port = ports[0]
    log_paths = [Path(f"/tmp/bcci-load-gunicorn-{p}.log") for p in ports]
    procs = []
    try:
        for p, path_ in zip(ports, log_paths):
            procs.append(start_gunicorn(url, p, args.workers, path_))
    except BaseException:
        for proc_ in procs:
            stop(proc_)
        raise
    logins, acks = Stats(), Acks()
    window = Window(args.users, args.seconds, hold=mode is not None)
    stats = window.stats
    imported = {}
    try:
        threads = []
        if mode == "web":
            importer = Browser(port, logins)
            importer.login("load-24")
            imported["browser"] = importer
            threads.append(
                threading.Thread(
                    target=_guard,
                    args=(web_import, logins, port, window, import_file, imported),
                    daemon=True,
                )
            )
        elif mode == "cli":
            path = Path(f"/tmp/bcci-load-import-{port}.csv")
            path.write_bytes(import_file)
            threads.append(
                threading.Thread(
                    target=_guard,
                    args=(cli_import, logins, url, path, import_rows, window, imported),
                    daemon=True,
                )
            )
        del import_file
        for t in threads:
            t.start()
        for i in range(args.users):
            own_codes, units = codes, None
            if urls["by_unit"]:
                own = urls["unit_ids"][i % args.units]
                own_codes = [code for _, code in urls["by_unit"][own]]
                others = [d for u, ds in urls["by_unit"].items() if u != own for d in ds[:50]]
                units = (own, others)
            t = threading.Thread(
                target=_guard,
                args=(
                    person,
                    logins,
                    i,
                    ports[i % len(ports)],
                    window,
                    urls,
                    own_codes,
                    ids,
                    logins,
                    acks,
                    8,
                    units,
                ),
                daemon=True,
            )
            t.start()
            threads.append(t)
        window.ready.wait()
        load_before = os.getloadavg()
        for t in threads:
            t.join(args.seconds + 1800)
        elapsed = time.monotonic() - window.started
    finally:
        for proc_ in procs:
            stop(proc_)
        if mode == "cli":
            path.unlink(missing_ok=True)
    log_text = "".join(path_.read_text(errors="replace") for path_ in log_paths)
    accepted = (
        imported.get("accepted")
        if mode == "web"
        else imported.get("exit") == 0
        if mode == "cli"
        else False
    )
    failures = verify(
        url,
        acks,
        log_text,
        before,
        dossiers_expected=args.dossiers + (import_rows if accepted else 0),
    )
    if mode and not accepted:
        failures.insert(0, f"the {mode} import was not accepted: {imported}")

    total = sum(len(v) for v in stats.times.values())
    busy = sum(n for kind_ in stats.statuses.values() for s, n in kind_.items() if s == 503)
    other_5xx = sum(
        n
        for st in (stats, logins)
        for kind_ in st.statuses.values()
        for s, n in kind_.items()
        if s is None or (s >= 500 and s != 503)
    )
    if mode == "cli":
        if other_5xx:
            failures.insert(0, f"{other_5xx} responses with a 5xx status other than 503, or none")
    elif other_5xx + busy:
        failures.insert(0, f"{other_5xx + busy} responses with a 5xx status or no response")
    errors = stats.errors + logins.errors
    if errors:
        failures.append(f"{len(errors)} connection errors or crashed people, e.g. {errors[:2]}")
    workers = args.workers or (os.cpu_count() + 1)
    during = {
        "web": f", during a {web_rows:,}-row web import",
        "cli": f", during a {args.cli_rows:,}-row command-line import",
    }.get(mode, "")
    spread = f", {args.units} units" if args.units > 1 else ""
    servers = f"{args.instances} gunicorn servers" if args.instances > 1 else "gunicorn"
    print(
        f"\n{kind}: {args.users} people{spread}, {servers} with {workers} sync workers each, "
        f"{args.dossiers:,} dossiers{during}".replace(",", ".")
    )
    if args.units > 1:
        print(
            f"tries at another unit's record: {len(acks.probes)}, answered with it: "
            f"{len(acks.leaks)}"
        )
    for note in notes:
        print(f"  - {note}")
    login_times = [t for v in logins.times.values() for t in v]
    if login_times:
        print(
            f"logging in first (not in the window): {len(login_times)} requests, "
            f"p50 {statistics.median(login_times) * 1000:.0f} ms"
        )
    print(
        f"{'request':<16} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'server p50':>10} {'server p95':>10}  statuses"
    )
    per_kind = {}
    for name, values in stats.times.items():
        statuses = ", ".join(
            f"{s}: {n}"
            for s, n in sorted(
                stats.statuses[name].items(), key=lambda x: (x[0] is None, x[0] or 0)
            )
        )
        server = stats.server.get(name) or []
        sp50 = statistics.median(server) * 1000 if server else None
        sp95 = percentile(server, 0.95) * 1000 if server else None
        fmt = lambda v: f"{v:>10.1f}" if v is not None else f"{'—':>10}"
        print(
            f"{name:<16} {len(values):>6} {statistics.median(values) * 1000:>8.1f} "
            f"{percentile(values, 0.95) * 1000:>8.1f} {max(values) * 1000:>8.1f} "
            f"{fmt(sp50)} {fmt(sp95)}  {statuses}"
        )
        per_kind[name] = {
            "count": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "server_p50_ms": sp50 and round(sp50, 1),
            "server_p95_ms": sp95 and round(sp95, 1),
            "statuses": {str(s): n for s, n in stats.statuses[name].items()},
        }
    writes = len(acks.shipments) + sum(acks.edits.values())
    print(
        f"{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s; "
        f"{writes} acknowledged writes ({writes / elapsed:.1f}/s): {len(acks.shipments)} shipments "
        f"({len(acks.new_dossiers)} with a new dossier), {sum(acks.edits.values())} procedure edits; "
        f"{acks.conflicts} edit conflicts (409); {busy} answered 503 (busy)"
    )
    phases = None
    if mode == "web":
        match = IMPORT_LOG.search(log_text)
        phases = (
            {"read_s": imported["read_s"], "write_s": imported["write_s"]}
            if "write_s" in imported
            else match and {"read_s": float(match.group(2)), "write_s": float(match.group(3))}
        )
        print(
            f"web import: status {imported.get('status')} after {imported.get('seconds')} s; "
            + (
                f"read and checked in {phases['read_s']} s without the write lock, written in "
                f"{phases['write_s']} s"
                if phases
                else "no phases in its Server-Timing header nor in the log"
            )
        )
    elif mode == "cli":
        match = re.search(r"([0-9.]+) s[^;]*; [^0-9]*([0-9.]+) s", imported.get("output", ""))
        phases = match and {"read_s": float(match.group(1)), "write_s": float(match.group(2))}
        print(
            f"command-line import: exit {imported.get('exit')} after {imported.get('seconds')} s; "
            + (
                f"read and checked in {phases['read_s']} s without the write lock, written in "
                f"{phases['write_s']} s"
                if phases
                else imported.get("output", "")[-300:]
            )
        )
    if acks.refused:
        print(f"refused (4xx other than 409): {len(acks.refused)}, e.g. {acks.refused[:3]}")
    print(f"load average before/after: {load_before} / {os.getloadavg()}")
    print("checks: " + ("all passed" if not failures else "FAILED"))
    for failure in failures:
        print(f"  - {failure}")
    return {
        "database": kind,
        "mode": mode,
        "users": args.users,
        "workers": workers,
        "requests": total,
        "elapsed_s": round(elapsed, 2),
        "requests_per_s": round(total / elapsed, 1),
        "acknowledged_writes": writes,
        "shipments": len(acks.shipments),
        "procedure_edits": sum(acks.edits.values()),
        "conflicts": acks.conflicts,
        "busy_503": busy,
        "refused": len(acks.refused),
        "units": args.units,
        "instances": args.instances,
        "other_unit_probes": len(acks.probes),
        "other_unit_leaks": len(acks.leaks),
        "per_kind": per_kind,
        "import": {k: v for k, v in imported.items() if k != "browser"},
        "import_phases": phases,
        "failures": failures,
        "notes": notes,
        "load_average_before": load_before,
    }


def _guard(target, stats, *args):
    """A person whose thread fails is an error of the run, not a silent gap."""
    try:
        target(*args)
    except Exception as e:  # reported as a failure of the check, never swallowed
        stats.record("person crashed", None, 0.0, repr(e))


if __name__ == "__main__":
    sys.exit(main())
