"""The province benchmark (``bench/run.py --province``): 100 units over five years, built through
the product's own services, measured beside a one-unit centre of 1.000.000 dossiers built and
measured in the same run.

    .venv/bin/python bench/run.py --province --postgres --dossiers 2000000

The province: unit 1 and 98 more commune-level units (``xa``) and the province's centre
(``tinh``); volumes fall off with the unit's rank (the largest unit about a tenth of the
province, the smallest a third of a percent); the benchmark catalogue with canonical levels (one
procedure in ten the province's, one in ten both tiers'). Each unit's dossiers come from its own
generator over the procedures it handles, through the dossier import service with the unit (one
file per unit and 100.000 rows); the shipments through the postal import service, which gives each
its dossier's unit.

Measured in a fresh child process (like one web worker): the roll-up of every unit for nine
months (``figures.unit_summaries``, and the roll-up page when it exists), one unit's figures,
the dashboard as a leader bound to the largest unit and to a median one, the province's
dashboard as a province-wide leader, the peak memory; then the one-unit dashboard the same way
on the one-unit database. The ratios to the one unit come from measurements taken in turn, so
that a busy spell of a shared machine falls on both sides: the unit leaders' dashboards beside
the one-unit centre's (``measure_dashboards``), and one file imported into a fresh one-unit
centre and into a fresh province's unit 1 (``measure_imports``). Nothing here is a test: no
time is asserted anywhere.
"""

import inspect
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

UNITS = 100
ONE_UNIT_DATABASE = "bench_one_unit"  # the one-unit centre's database, beside the province's
PROVINCE_CENTRE = 2  # the unit number of the province's centre (level tinh)
FALL_OFF = 0.7  # unit k receives in proportion to 1 / k ** FALL_OFF
USERS = {
    "province": "bench-leader",  # province-wide
    "largest": "bench-unit-leader",  # bound to unit 1, the largest
    "median": "bench-median-leader",  # bound to the unit of median volume
}
# Who walks every page (``--walk``): label -> (role, username, unit number or None for every
# unit). The unit-bound staff of the largest unit, the department staff (the province's one
# catalogue, every unit), and the province-wide leader and administrator.
WALKERS = {
    "unit-leader": ("leader", USERS["largest"], 1),
    "unit-centre": ("centre", "bench-unit-centre", 1),
    "unit-admin": ("admin", "bench-unit-admin", 1),
    "department": ("department", "bench-department", None),
    "prov-leader": ("leader", USERS["province"], None),
    "prov-admin": ("admin", "bench-province-admin", None),
}


def unit_code(number):
    return f"DV{number:02d}" if number < 100 else f"DV{number}"


def unit_sizes(total, units=UNITS):
    """Each unit's dossiers (largest remainder of ``total`` by ``1 / k ** FALL_OFF``)."""
    from utils.demo import _allocate

    return _allocate(total, [1 / k**FALL_OFF for k in range(1, units + 1)])


def median_unit(sizes):
    return sorted(range(1, len(sizes) + 1), key=lambda k: sizes[k - 1])[len(sizes) // 2]


def log(message):
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- Building ------------------------------------------------------------------------------------


def set_levels():
    """The catalogue's canonical levels: one procedure in ten the province's, one in ten both
    tiers' (by their place in the catalogue), the rest the communes' (the procedures import does
    not read a canonical level)."""
    from sqlalchemy import select

    from extensions import db
    from models import Procedure

    for index, proc in enumerate(db.session.scalars(select(Procedure).order_by(Procedure.code))):
        proc.unit_level = ("tinh", "xa", "xa", "xa", "xa", "ca_hai", "xa", "xa", "xa", "xa")[
            index % 10
        ]
    db.session.commit()


def create_units(sizes):
    """Units 2 … 100 through ``utils.units.create_unit`` (unit 1 exists)."""
    from extensions import db
    from models import Unit
    from utils.units import create_unit

    first = db.session.get(Unit, 1)
    first.code, first.name, first.name_folded = unit_code(1), "Phường Một", "phuong mot"
    for number in range(2, len(sizes) + 1):
        if number == PROVINCE_CENTRE:
            create_unit(unit_code(number), "Trung tâm Phục vụ hành chính công tỉnh", "tinh")
        else:
            create_unit(unit_code(number), f"Xã Số {number}", "xa")
    db.session.commit()


def create_users(sizes):
    from blueprints.auth import services
    from extensions import db

    services.create_user(USERS["province"], "leader", common.PASSWORD, province_wide=True)
    services.create_user(USERS["largest"], "leader", common.PASSWORD, unit_code=unit_code(1))
    services.create_user(
        USERS["median"], "leader", common.PASSWORD, unit_code=unit_code(median_unit(sizes))
    )
    db.session.commit()


def handled(unit_id):
    """(code, postal-eligible) of the procedures in force the unit handles, by code."""
    from sqlalchemy import select

    from extensions import db
    from models import Procedure, Unit
    from utils.units import handled_by

    unit = db.session.get(Unit, unit_id)
    return [
        (code, er or rr)
        for code, er, rr in db.session.execute(
            select(Procedure.code, Procedure.eligible_receive, Procedure.eligible_return)
            .where(Procedure.in_force.is_(True), handled_by(unit))
            .order_by(Procedure.code)
        )
    ]


class UnitImport:
    """The dossier import service with a unit (``unit=`` id) when it takes one; otherwise core
    inserts with the unit (tallied by the session), and a note saying so."""

    def __init__(self, notes):
        from bench import run

        self.service = run.dossier_service()
        takes_unit = (
            self.service is not None and "unit" in inspect.signature(self.service).parameters
        )
        self.via = "service" if takes_unit else "core"
        notes.append(
            "dossiers: the dossier import service with the unit, 100.000-row files per unit"
            if takes_unit
            else "dossiers: core inserts with the unit (the dossier import service takes no unit yet)"
        )

    def prepare(self, gen, dossiers):
        """What ``write`` takes: the CSV file of ``dossiers`` for the service, or the rows."""
        if self.via == "service":
            return common.to_csv(common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in dossiers))
        return dossiers

    def refused(self, unit_id, data, first_code, filename):
        """``data`` with one bad row at its end through the service: refused, nothing written
        (as the one-unit benchmark does before its timed import, in the same conditions)."""
        from extensions import db

        bad = data + f"{first_code}-X,9.999999,01/01/2024,truc_tiep,,\n".encode()
        report = self.service(filename, bad, unit=unit_id)
        db.session.rollback()
        if report.ok:
            raise SystemExit("a file with a bad row was imported")

    def write(self, unit_id, prepared, filename):
        """Write ``prepared`` (``prepare``) into the unit ``unit_id``, committed."""
        from extensions import db

        if self.via == "service":
            report = self.service(filename, prepared, unit=unit_id)
            if not report.ok:
                db.session.rollback()
                raise SystemExit(f"dossier import refused: {report.sorted_problems()[:5]}")
            db.session.commit()
            return
        core_insert(unit_id, prepared)


def core_insert(unit_id, dossiers):
    from sqlalchemy import insert, select

    from extensions import db
    from models import Dossier, Procedure

    ids = dict(db.session.execute(select(Procedure.code, Procedure.id)).all())
    db.session.execute(
        insert(Dossier),
        [
            {"code": code, "procedure_id": ids[proc], "unit_id": unit_id}
            | Dossier.as_recorded(ch, rd, rch, td)
            for code, proc, rd, ch, td, rch in dossiers
        ],
    )
    db.session.commit()


def load_dossiers(sizes, results, notes):
    """Every unit's dossiers, the largest unit first: its first 100.000-row file timed as the
    import rate, measured as the one-unit benchmark measures its own (``bench.run
    .load_dossiers``): the file built before the clock starts, and imported once with a bad row
    at its end (refused, nothing written) just before."""
    from bench import run

    importer = UnitImport(notes)
    end = common.vn_end_date()
    done = 0
    for number, size in enumerate(sizes, start=1):
        agencies = tuple(f"{number:03d}.{j:02d}.31.H56" for j in range(3))
        gen = common.DossierGenerator(
            handled(number), size, end, seed=common.SEED + number, agencies=agencies
        )
        for offset in range(0, size, run.CHUNK):
            chunk = list(gen.rows(offset, min(run.CHUNK, size - offset)))
            prepared = importer.prepare(gen, chunk)
            filename = f"bench-{unit_code(number)}-{offset}.csv"
            timed = number == 1 and offset == 0
            if timed and importer.via == "service":
                importer.refused(number, prepared, chunk[0][0], filename)
            with run.Clock() as c:
                importer.write(number, prepared, filename)
            if timed:
                results["import"] = {
                    "rows": len(chunk),
                    "via": importer.via,
                    "seconds": round(c.wall, 2),
                    "rows_per_s": round(len(chunk) / c.wall),
                    "cpu_rows_per_s": round(len(chunk) / c.cpu),
                }
                log(f"import (unit 1, first file): {results['import']}")
        done += size
        if number % 10 == 0:
            log(f"dossiers: {done:,} of {sum(sizes):,} ({number} units)")


def units_with_dossiers():
    from sqlalchemy import func, select

    from extensions import db
    from models import Dossier

    return db.session.scalar(select(func.count(func.distinct(Dossier.unit_id))))


def build(url, total):
    from bench import run

    results, notes = {}, []
    log(f"province: fresh database, migrated to head: {url.split('@')[-1]}")
    common.reset_database(url)
    app = common.make_app(url)
    sizes = unit_sizes(total)
    with app.app_context():
        run.load_procedures(notes)
        set_levels()
        create_units(sizes)
        create_users(sizes)
        start = time.perf_counter()
        load_dossiers(sizes, results, notes)
        results["dossiers_loaded_s"] = round(time.perf_counter() - start, 1)
        results["shipments"] = load_shipments(notes)
        results["dossiers"] = run.count_dossiers()
        results["units"] = len(sizes)
        results["units_with_dossiers"] = units_with_dossiers()
        results["unit_sizes"] = {"largest": sizes[0], "median": sizes[median_unit(sizes) - 1]}
        results["analyze_s"] = run.optimise(url)
        from extensions import db

        db.session.remove()
        db.engine.dispose()
    results["build_peak_rss_mb"] = run.maxrss_mb()
    return results, notes


def load_shipments(notes):
    """One shipment per dossier received or returned by post, through the postal import
    service: a manifest per unit, with the unit when the service takes one."""
    from sqlalchemy import or_, select

    from bench import run
    from extensions import db
    from models import Dossier
    from utils.validators import s10_check_digit

    service = run._service("blueprints.postal.services", "import_postal")
    takes_unit = "unit" in inspect.signature(service).parameters
    rows = db.session.execute(
        select(
            Dossier.unit_id,
            Dossier.code,
            Dossier.receive_channel,
            Dossier.receive_date,
            Dossier.return_channel,
            Dossier.return_date,
        )
        .where(or_(Dossier.receive_channel == "bcci", Dossier.return_channel == "bcci"))
        .order_by(Dossier.unit_id, Dossier.id)
    ).all()
    by_unit, serial = {}, 10_000_000
    for unit_id, code, rch, rd, tch, td in rows:
        for direction, channel, when in (("tiep_nhan", rch, rd), ("tra_ket_qua", tch, td)):
            if channel == "bcci" and when is not None:
                serial += 1
                digits = f"{serial:08d}"
                by_unit.setdefault(unit_id, []).append(
                    (f"RR{digits}{s10_check_digit(digits)}VN", direction, code, when)
                )
    start = time.perf_counter()
    for unit_id, shipments in by_unit.items():
        for i in range(0, len(shipments), run.CHUNK):
            data = common.to_csv(
                common.SHIPMENT_COLUMNS,
                (
                    (t, d, code, when.strftime("%d/%m/%Y"), "Nguyễn Văn An", "Số 1, xã Một")
                    + ("0912345678", "25.000")
                    for t, d, code, when in shipments[i : i + run.CHUNK]
                ),
            )
            extra = {"unit": unit_id} if takes_unit else {}
            report = service(f"bench-postal-{unit_id}.csv", data, **extra)
            if not report.ok:
                raise SystemExit(f"postal import refused: {report.sorted_problems()[:5]}")
            db.session.commit()
    notes.append(
        "shipments: the postal import service, a manifest per unit"
        + (" with the unit" if takes_unit else " (the service takes no unit yet)")
    )
    total = sum(len(s) for s in by_unit.values())
    return {"shipments": total, "seconds": round(time.perf_counter() - start, 1)}


# --- Measuring (child processes) -----------------------------------------------------------------


def page(app, username, path, repeat):
    """GET ``path`` as ``username``: p50 and p95 over ``repeat * 4`` warm requests."""
    return pages_in_turn({"page": (app, username, path)}, repeat)["page"]


def pages_in_turn(visits, repeat):
    """``{label: (app, username, path)}``: each GET ``path`` as ``username`` (logged in on its
    application), the labels taken in turn ``repeat * 4`` times after two untimed rounds, so
    that a busy spell of the machine falls on every label alike; ``{label: p50 and p95}``."""
    from bench import run

    clients = {}
    for label, (app, username, _path) in visits.items():
        client = clients[label] = app.test_client()
        response = client.post("/login", data={"username": username, "password": common.PASSWORD})
        assert response.status_code == 303, (username, response.status_code)
    times = {label: ([], [], set()) for label in visits}
    for i in range(repeat * 4 + 2):
        for label, (_app, _username, path) in visits.items():
            walls, cpus, statuses = times[label]
            with run.Clock() as c:
                r = clients[label].get(path)
            statuses.add(r.status_code)
            if i >= 2:
                walls.append(c.wall)
                cpus.append(c.cpu)
    return {
        label: {"path": path, "user": username, "status": sorted(times[label][2])}
        | run.percentiles(*times[label][:2])
        for label, (_app, username, path) in visits.items()
    }


def rollup_path(app):
    """The province's roll-up page for the nine months, when it exists (``dashboard.show_units``,
    or a GET rule without arguments whose endpoint names a roll-up)."""
    start, end = common.DEMO_PERIOD
    query = f"?preset=custom&from={start.isoformat()}&to={end.isoformat()}"
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            if rule.endpoint == "dashboard.show_units" or "rollup" in rule.endpoint:
                return rule.rule + query
    return None


def measure_province(url, repeat):
    from bench import run
    from utils import figures
    from utils.dates import Period

    app = common.make_app(url)
    period = Period(*common.DEMO_PERIOD)
    out = {}
    with app.app_context():
        from extensions import db

        summaries = getattr(figures, "unit_summaries", None)
        out["rollup_9_months"] = run.timed(lambda: summaries(period), repeat) if summaries else None
        rollup = getattr(figures, "rollup", None)
        out["rollup_page_data_9_months"] = (
            run.timed(lambda: rollup(period), repeat) if rollup else None
        )
        if "unit" in inspect.signature(figures.summary).parameters:
            from models import Unit

            unit = db.session.get(Unit, 1)
            out["unit_summary_9_months"] = run.timed(
                lambda: figures.summary(period, unit=unit), repeat
            )
            out["unit_1_counts"] = figures.counts(period, unit=unit)
        out.update(figure_times(period, repeat))
        out["province_counts"] = figures.counts(period)
        db.session.remove()
    log("province figures measured")
    out["dashboard_province"] = page(app, USERS["province"], "/dashboard", repeat)
    path = rollup_path(app)
    out["rollup_page"] = page(app, USERS["province"], path, repeat) if path else None
    out["peak_rss_mb"] = run.maxrss_mb()
    log("province pages measured")
    return out


def figure_times(period, repeat):
    """The whole deployment's figures the dashboard reads, for ``period``."""
    from bench import run
    from utils import figures

    return {
        "province_summary_9_months": run.timed(lambda: figures.summary(period), repeat),
        "breakdown_department_9_months": run.timed(
            lambda: figures.breakdown(period, "department"), repeat
        ),
        "monthly_trend_9_months": run.timed(lambda: figures.monthly_trend(period), repeat),
        "outreach_10_9_months": run.timed(lambda: figures.outreach(period, limit=10), repeat),
    }


def ensure_walkers():
    """The walkers' users that an older province database lacks."""
    from sqlalchemy import select

    from blueprints.auth import services
    from bench.walk import DEPARTMENT_CODE
    from extensions import db
    from models import User

    for role, username, unit in WALKERS.values():
        if db.session.execute(select(User.id).where(User.username == username)).first():
            continue
        if role == "department":
            services.create_user(username, role, common.PASSWORD, DEPARTMENT_CODE)
        elif unit is None:
            services.create_user(username, role, common.PASSWORD, province_wide=True)
        else:
            services.create_user(username, role, common.PASSWORD, unit_code=unit_code(unit))
    db.session.commit()


def measure_walk(url, repeat):
    """The walk of every page (``bench/walk.py``) as each of ``WALKERS``."""
    from bench import walk

    app = common.make_app(url)
    with app.app_context():
        from extensions import db

        ensure_walkers()
        db.session.remove()
    users = {label: (role, username) for label, (role, username, _) in WALKERS.items()}
    out = walk.walk(app, repeat, log=log, users=users)
    from bench import run

    out["peak_rss_mb"] = run.maxrss_mb()
    return out


def measure_dashboards(url, repeat):
    """The dashboard as a leader of the largest unit and of a median one, and the one-unit
    centre's (``second_database(url, "bench_one_unit")``) as its leader, taken in turn in one
    process (``pages_in_turn``): their ratio does not depend on when each was measured."""
    from bench import run

    province_app = common.make_app(url)
    one_app = common.make_app(second_database(url, ONE_UNIT_DATABASE))
    out = pages_in_turn(
        {
            "dashboard_unit_largest": (province_app, USERS["largest"], "/dashboard"),
            "dashboard_unit_median": (province_app, USERS["median"], "/dashboard"),
            "dashboard_one_unit": (one_app, "bench-leader", "/dashboard"),
        },
        repeat,
    )
    out["peak_rss_mb"] = run.maxrss_mb()
    return out


def measure_imports(url, repeat, rows=None):
    """The dossier import rate of the province and of the one-unit centre on the same file (the
    one-unit benchmark's first ``rows`` dossiers, 100.000 by default): into a fresh one-unit
    database, and into the largest unit of a fresh province (its units and catalogue, no
    dossiers), the two taken in turn three times (once in a smoke run, ``repeat`` 1), each on a
    database made anew; ``{"one_unit", "province"}``: the median rows/s and CPU rows/s of each.
    The file goes the way the page and the command line send it, checked before the write
    (``import_checked_first``), where the service has that path."""
    from bench import run

    service = run._service(
        "blueprints.dossiers.services", "import_checked_first", "import_dossiers"
    )

    data = None
    walls = {"one_unit": [], "province": []}
    cpus = {"one_unit": [], "province": []}
    for _ in range(3 if repeat > 1 else 1):
        for kind in walls:
            target = second_database(url, f"bench_import_{kind}")
            common.reset_database(target)
            app = common.make_app(target)
            with app.app_context():
                from extensions import db

                run.load_procedures([])
                if data is None:  # the catalogue is the same in every database
                    gen = common.DossierGenerator(
                        run.generator_procedures(), 1_000_000, common.vn_end_date()
                    )
                    rows = int(rows or run.IMPORT_SAMPLE)
                    data = common.to_csv(
                        common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in gen.rows(0, rows))
                    )
                unit = {}
                if kind == "province":
                    set_levels()
                    create_units([0] * UNITS)
                    unit = {"unit": 1}
                with run.Clock() as c:
                    report = service("bench-dossiers.csv", data, **unit)
                    if not report.ok:
                        raise SystemExit(f"dossier import refused: {report.sorted_problems()[:5]}")
                    db.session.commit()
                walls[kind].append(c.wall)
                cpus[kind].append(c.cpu)
                db.session.remove()
                db.engine.dispose()
    return {
        kind: {
            "rows": rows,
            "runs": len(walls[kind]),
            "rows_per_s": round(rows / statistics.median(walls[kind])),
            "cpu_rows_per_s": round(rows / statistics.median(cpus[kind])),
        }
        for kind in walls
    }


def measure_one_unit(url, repeat):
    from bench import run
    from utils.dates import Period

    app = common.make_app(url)
    with app.app_context():
        from extensions import db

        out = figure_times(Period(*common.DEMO_PERIOD), repeat)
        db.session.remove()
    out["dashboard"] = page(app, "bench-leader", "/dashboard", repeat)
    out["peak_rss_mb"] = run.maxrss_mb()
    return out


def child(kind, url, repeat, *extra):
    """The measurements of ``kind`` (``MEASURES``) in a fresh process; ``extra``: more
    arguments of its function."""
    result = subprocess.run(
        [sys.executable, __file__, kind, url, str(repeat), *map(str, extra)],
        capture_output=True,
        text=True,
        cwd=common.ROOT,
        env=dict(os.environ, SECRET_KEY="bench-secret-key"),
    )
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise SystemExit(f"measuring {kind} failed (exit {result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- The run -------------------------------------------------------------------------------------


def second_database(url, name):
    """A database named ``name`` beside ``url``'s (PostgreSQL), or a file beside it (SQLite)."""
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite"):
        return url.replace(".sqlite3", f"-{name}.sqlite3")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def reused_build(url):
    """What a reused database holds (``--reuse``): its dossiers and units; nothing was built."""
    from bench import run

    app = common.make_app(url)
    with app.app_context():
        from extensions import db
        from models import Unit

        out = {
            "dossiers": run.count_dossiers(),
            "units": db.session.query(Unit).count(),
            "units_with_dossiers": units_with_dossiers(),
            "build_peak_rss_mb": 0,
        }
        db.session.remove()
        db.engine.dispose()
    return out


def run_province(url, total, baseline, repeat, reuse=False, walk_only=False):
    """Build and measure the province, then the one-unit centre of ``baseline`` dossiers
    (``reuse``: measure the databases an earlier run built, as they are now; ``walk_only``:
    only walk every page of the province as its unit-bound and province-wide users)."""
    from bench import run

    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    result = {
        "database": kind,
        "province": True,
        "dossiers_requested": total,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    if reuse:
        result["build"], result["notes"] = reused_build(url), ["databases reused"]
    else:
        result["build"], result["notes"] = build(url, total)
    if walk_only:
        log("walking the province's pages in a fresh process")
        result["walk"] = child("walk", url, max(2, repeat // 3))
        result["load_average_after"] = os.getloadavg()
        return result
    log("measuring the province in a fresh process")
    result["measure"] = child("province", url, repeat)
    one_url = second_database(url, ONE_UNIT_DATABASE)
    if reuse:
        one_build, one_notes = reused_build(one_url), ["database reused"]
    else:
        log(f"one unit: {baseline:,} dossiers")
        one_build, one_notes = run.build(one_url, baseline, "service")
    result["one_unit"] = {"build": one_build, "notes": one_notes}
    result["one_unit"]["measure"] = child("one_unit", one_url, repeat)
    log("the unit dashboards and the one-unit dashboard in turn, in a fresh process")
    result["dashboards"] = child("dashboards", url, repeat)
    log("the import of one file into a fresh one-unit centre and a fresh province, in turn")
    result["imports"] = child("imports", url, repeat, min(run.IMPORT_SAMPLE, baseline))
    result["load_average_after"] = os.getloadavg()
    return result


def table(result):
    """The province's numbers beside the one-unit centre's and the issue's targets."""
    m, one = result["measure"], result["one_unit"]
    rows = []

    def add(what, value, target=""):
        rows.append((what, value, target))

    def p50(entry):
        if not entry:
            return "not available"
        status = "" if entry.get("status", [200]) == [200] else f" (status {entry['status']})"
        return f"{entry['p50_ms']:.1f} ms{status}"

    dashboards = result["dashboards"]
    one_dash = dashboards["dashboard_one_unit"]["p50_ms"]
    add(
        "roll-up of every unit, 9 months (figures.unit_summaries)",
        p50(m["rollup_9_months"]),
        "≤ 100 ms",
    )
    add("roll-up page's figures (figures.rollup)", p50(m.get("rollup_page_data_9_months")))
    add("roll-up page p50 (/dashboard/units, 9 months)", p50(m.get("rollup_page")), "≤ 100 ms")
    add("one unit's figures.summary, 9 months", p50(m.get("unit_summary_9_months")))
    for key, label in (
        ("province_summary_9_months", "figures.summary"),
        ("breakdown_department_9_months", "figures.breakdown by department"),
        ("monthly_trend_9_months", "figures.monthly_trend"),
        ("outreach_10_9_months", "figures.outreach (10)"),
    ):
        add(f"province {label}, 9 months", p50(m[key]), f"one unit {p50(one['measure'].get(key))}")
    for key in ("largest", "median"):
        entry = dashboards[f"dashboard_unit_{key}"]
        add(
            f"dashboard, leader of the {key} unit, p50 (in turn)",
            f"{p50(entry)} ({entry['p50_ms'] / one_dash:.2f}× one unit)",
            "≤ 1,2× one unit",
        )
    add("dashboard, province-wide leader, p50", p50(m["dashboard_province"]), "≤ 150 ms")
    dossiers = f"{one['build']['dossiers']:,}".replace(",", ".")
    add(
        f"one-unit dashboard p50 ({dossiers} dossiers, in turn)",
        p50(dashboards["dashboard_one_unit"]),
    )
    add(f"one-unit dashboard p50 ({dossiers} dossiers, alone)", p50(one["measure"]["dashboard"]))
    imports = result["imports"]
    province_rate, one_rate = imports["province"]["rows_per_s"], imports["one_unit"]["rows_per_s"]
    add(
        f"dossier import, rows/s (same file, in turn, {imports['province']['runs']} runs)",
        f"{province_rate} ({province_rate / one_rate:.2f}× one unit)",
        "≥ one unit",
    )
    add("one-unit dossier import, rows/s (same runs)", str(one_rate))
    imp = result["build"].get("import")
    if imp:
        add(f"build: unit 1's first file, rows/s ({imp['via']})", str(imp["rows_per_s"]))
    add("peak memory of the measuring worker", f"{m['peak_rss_mb']} MB", "≤ 300 MB")
    add("one-unit worker's peak memory", f"{one['measure']['peak_rss_mb']} MB")
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{w:<{width}}  {v:>32}  {t}" for w, v, t in rows)


MEASURES = {
    "province": measure_province,
    "one_unit": measure_one_unit,
    "dashboards": measure_dashboards,
    "imports": measure_imports,
    "walk": measure_walk,
}

if __name__ == "__main__":  # a measuring child: KIND URL REPEAT [MORE]
    kind, url, repeat, *extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:]
    print(json.dumps(MEASURES[kind](url, repeat, *extra), default=str))
