"""The benchmark of a large centre: build a synthetic dataset through the product's own services,
then time the figures, the dashboard, the procedure search, the brief PDF and the dossier import,
and walk every page as each role (``bench/walk.py``).

    .venv/bin/python bench/run.py                      # 1.000.000 dossiers on SQLite (/tmp)
    .venv/bin/python bench/run.py --quick              # 50.000 dossiers, a smoke run
    .venv/bin/python bench/run.py --postgres           # on a throwaway PostgreSQL 15 cluster
    .venv/bin/python bench/run.py --reuse --walk-only  # only the walk, on the existing database
    DATABASE_URL=postgresql://… bench/run.py           # on that (empty) PostgreSQL database
    .venv/bin/python bench/run.py --province --postgres --dossiers 2000000   # 100 units
                                                       # (bench/province.py)

It prints a table and writes ``bench/results/<database>-<dossiers>-<time>.json``. The dataset is
built in this process; the measurements run in a fresh child process, like one web worker, whose
peak memory is reported. Nothing here is a test: no wall-clock time is asserted anywhere.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

RESULTS = common.ROOT / "bench" / "results"
IMPORT_SAMPLE = 100_000
CHUNK = 100_000


def log(message):
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def maxrss_mb():
    """This process's peak resident memory in MB.

    ``getrusage``'s ``ru_maxrss`` survives ``exec`` on Linux: a child started by a large parent
    reports the parent's size. The kernel's own high-water mark of this process (``VmHWM``) does
    not, so it is preferred where it exists.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def ms(seconds):
    return round(seconds * 1000, 2)


class Clock:
    """Wall time and this process's CPU time of one measured call.

    On a machine shared with other work, wall time grows with everyone else's load; the CPU
    time this process spent does not (on SQLite the database works inside this process, so it
    is the server's own work; PostgreSQL's share runs in its own processes and is not in it).
    """

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def timed(fn, repeat):
    """Run ``fn`` ``repeat`` times; the first run (cold) is kept apart from the others."""
    walls, cpus = [], []
    for _ in range(repeat):
        with Clock() as c:
            fn()
        walls.append(c.wall)
        cpus.append(c.cpu)
    warm, warm_cpu = walls[1:] or walls, cpus[1:] or cpus
    return {
        "cold_ms": ms(walls[0]),
        "p50_ms": ms(statistics.median(warm)),
        "max_ms": ms(max(warm)),
        "cpu_p50_ms": ms(statistics.median(warm_cpu)),
        "runs": len(walls),
    }


def percentiles(walls, cpus=None):
    ordered = sorted(walls)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    out = {
        "p50_ms": ms(statistics.median(ordered)),
        "p95_ms": ms(p95),
        "max_ms": ms(ordered[-1]),
        "requests": len(ordered),
    }
    if cpus:
        out["cpu_p50_ms"] = ms(statistics.median(cpus))
    return out


# --- Building the dataset ----------------------------------------------------------------------


def _service(module, *names):
    """The first of ``names`` that ``module`` defines, or None when the module has not landed."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    for name in names:
        if hasattr(mod, name):
            return getattr(mod, name)
    return None


def load_procedures(notes):
    """The 300-procedure catalogue: through the procedures import service when it exists."""
    from extensions import db

    rows = common.procedure_rows()
    data = common.to_csv(common.PROCEDURE_COLUMNS, rows)
    service = _service("blueprints.procedures.services", "import_procedures")
    if service is not None:
        report = service("bench-procedures.csv", data)
        if not report.ok:
            raise SystemExit(f"procedures import refused: {report.sorted_problems()[:5]}")
        db.session.commit()
        notes.append("procedures: through the procedures import service")
        return
    from models import Department, Field, Procedure
    from utils.text import fold

    departments, fields = {}, {}
    for r in rows:
        if r["don_vi"] not in departments:
            departments[r["don_vi"]] = Department(
                code=r["don_vi"], name=r["ten_don_vi"], name_folded=fold(r["ten_don_vi"])
            )
        if r["linh_vuc"] not in fields:
            fields[r["linh_vuc"]] = Field(name=r["linh_vuc"], name_folded=fold(r["linh_vuc"]))
    db.session.add_all([*departments.values(), *fields.values()])
    db.session.flush()
    for r in rows:
        db.session.add(
            Procedure(
                code=r["ma_tthc"],
                name=r["ten_tthc"],
                name_folded=fold(r["ten_tthc"]),
                field_id=fields[r["linh_vuc"]].id,
                department_id=departments[r["don_vi"]].id,
                level=r["cap_thuc_hien"],
                in_force=r["hieu_luc"] == "có",
                eligible_receive=r["tiep_nhan_bcci"] == "có",
                eligible_return=r["tra_ket_qua_bcci"] == "có",
                reason_text=r["ly_do_khong_bcci"],
            )
        )
    db.session.commit()
    notes.append("procedures: core inserts (the procedures import service has not landed)")


def create_users():
    from blueprints.auth import services
    from extensions import db

    for username, role in (
        ("bench-leader", "leader"),
        ("bench-centre", "centre"),
        ("bench-admin", "admin"),
    ):
        services.create_user(username, role, common.PASSWORD)
    db.session.commit()
    from bench.walk import ensure_department_user

    ensure_department_user()


def dossier_service():
    return _service("blueprints.dossiers.services", "import_dossiers")


def import_through_service(service, filename, data):
    """One file through the dossier import service, committed as the command commits it."""
    from extensions import db

    report = service(filename, data)
    if not report.ok:
        db.session.rollback()
        return report
    db.session.commit()
    return report


def core_insert_dossiers(dossiers):
    """Bulk insert in one transaction with ``executemany`` (source and effective values equal,
    as an import of dossiers without shipments leaves them)."""
    from sqlalchemy import insert, select

    from extensions import db
    from models import Dossier, Procedure

    ids = dict(db.session.execute(select(Procedure.code, Procedure.id)).all())
    rows = [
        {
            "code": code,
            "procedure_id": ids[proc],
            **Dossier.as_recorded(ch, rd, rch, td),
        }
        for code, proc, rd, ch, td, rch in dossiers
    ]
    db.session.execute(insert(Dossier), rows)
    db.session.commit()


def count_dossiers():
    from sqlalchemy import func, select

    from extensions import db
    from models import Dossier

    return db.session.execute(select(func.count()).select_from(Dossier)).scalar_one()


def generator_procedures():
    """(code, postal-eligible) of every procedure in force, by code: what the dossier generator
    draws from."""
    from sqlalchemy import select

    from extensions import db
    from models import Procedure

    return [
        (code, er or rr)
        for code, er, rr in db.session.execute(
            select(Procedure.code, Procedure.eligible_receive, Procedure.eligible_return)
            .where(Procedure.in_force.is_(True))
            .order_by(Procedure.code)
        )
    ]


def load_dossiers(total, results, notes, bulk):
    """The import throughput on a 100.000-row file (or all of them when fewer), an
    all-or-nothing check, then the rest of the volume in chunks."""
    procs = generator_procedures()
    end = common.vn_end_date()
    gen = common.DossierGenerator(procs, total, end)
    service = dossier_service()
    sample = min(IMPORT_SAMPLE, total)
    first = list(gen.rows(0, sample))
    data = common.to_csv(common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in first))
    if service is None:
        notes.append(
            "dossiers: core inserts (the dossier import service has not landed); "
            "import throughput not measured"
        )
        start = time.perf_counter()
        core_insert_dossiers(first)
        results["core_insert_rows_per_s"] = round(sample / (time.perf_counter() - start))
    else:
        # All or nothing: the same file with one bad row at its end writes nothing.
        bad = data + f"{first[0][0]}-X,9.999999,01/01/2024,truc_tiep,,\n".encode()
        start = time.perf_counter()
        report = import_through_service(service, "bench-dossiers-bad.csv", bad)
        refused_s = time.perf_counter() - start
        results["import_refused_file"] = {
            "rows": sample + 1,
            "refused": not report.ok,
            "bad_rows": len(report.problems),
            "dossiers_after": count_dossiers(),
            "seconds": round(refused_s, 2),
        }
        log(f"refused file: {results['import_refused_file']}")
        with Clock() as c:
            report = import_through_service(service, "bench-dossiers.csv", data)
        if not report.ok:
            raise SystemExit(f"dossier import refused: {report.sorted_problems()[:5]}")
        results["import"] = {
            "rows": sample,
            "seconds": round(c.wall, 2),
            "rows_per_s": round(sample / c.wall),
            "cpu_seconds": round(c.cpu, 2),
            "cpu_rows_per_s": round(sample / c.cpu),
            "created": report.created,
            "file_bytes": len(data),
        }
        log(f"import: {results['import']}")
        # Re-importing the same file changes nothing (rows upserted by code).
        start = time.perf_counter()
        report = import_through_service(service, "bench-dossiers.csv", data)
        seconds = time.perf_counter() - start
        results["reimport_unchanged"] = {
            "rows": sample,
            "seconds": round(seconds, 2),
            "rows_per_s": round(sample / seconds),
            "unchanged": report.unchanged,
            "created": report.created,
        }
        log(f"re-import: {results['reimport_unchanged']}")
    del first, data
    rest_via = "core" if service is None or bulk == "core" else "service"
    offset = sample
    start = time.perf_counter()
    while offset < total:
        count = min(CHUNK, total - offset)
        chunk = list(gen.rows(offset, count))
        if rest_via == "service":
            chunk_data = common.to_csv(common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in chunk))
            report = import_through_service(service, f"bench-dossiers-{offset}.csv", chunk_data)
            if not report.ok:
                raise SystemExit(f"dossier import refused: {report.sorted_problems()[:5]}")
        else:
            core_insert_dossiers(chunk)
        offset += count
        log(f"dossiers: {offset:,} of {total:,}")
    if total > sample:
        seconds = time.perf_counter() - start
        results["bulk_rest"] = {
            "rows": total - sample,
            "via": rest_via,
            "seconds": round(seconds, 1),
            "rows_per_s": round((total - sample) / seconds),
        }
        notes.append(
            f"dossiers beyond the first {sample:,}: "
            + (
                "the dossier import service, 100.000-row files"
                if rest_via == "service"
                else "core inserts (executemany), 100.000 rows a transaction"
            )
        )
    return gen


def load_shipments(notes):
    """One shipment per dossier received or returned by post: through the postal import service
    when it exists, otherwise core inserts (the dossiers' effective values are already ``bcci``:
    their source channel is)."""
    from sqlalchemy import insert, or_, select

    from extensions import db
    from models import Dossier, Shipment
    from utils.validators import s10_check_digit

    rows = db.session.execute(
        select(
            Dossier.id,
            Dossier.code,
            Dossier.receive_channel,
            Dossier.receive_date,
            Dossier.return_channel,
            Dossier.return_date,
        )
        .where(or_(Dossier.receive_channel == "bcci", Dossier.return_channel == "bcci"))
        .order_by(Dossier.id)
    ).all()
    shipments = []
    serial = 10_000_000
    for did, code, rch, rd, tch, td in rows:
        for direction, channel, when in (("tiep_nhan", rch, rd), ("tra_ket_qua", tch, td)):
            if channel == "bcci" and when is not None:
                serial += 1
                digits = f"{serial:08d}"
                shipments.append(
                    (f"RR{digits}{s10_check_digit(digits)}VN", direction, did, code, when)
                )
    service = _service("blueprints.postal.services", "import_shipments", "import_postal")
    start = time.perf_counter()
    if service is not None:
        columns = common.SHIPMENT_COLUMNS
        for i in range(0, len(shipments), CHUNK):
            chunk = shipments[i : i + CHUNK]
            data = common.to_csv(
                columns,
                (
                    (
                        t,
                        d,
                        code,
                        when.strftime("%d/%m/%Y"),
                        "Nguyễn Văn An",
                        "Số 1, phường Hồng Hà",
                        "0912345678",
                        "25.000",
                    )
                    for t, d, _, code, when in chunk
                ),
            )
            report = service("bench-postal.csv", data)
            if not report.ok:
                raise SystemExit(f"postal import refused: {report.sorted_problems()[:5]}")
            db.session.commit()
        notes.append("shipments: through the postal import service")
    else:
        for i in range(0, len(shipments), CHUNK):
            db.session.execute(
                insert(Shipment),
                [
                    {
                        "tracking_number": t,
                        "direction": d,
                        "dossier_id": did,
                        "date": when,
                        "recipient_name": "Nguyễn Văn An",
                        "address": "Số 1, phường Hồng Hà",
                        "phone": "0912345678",
                        "fee": 25000,
                    }
                    for t, d, did, _, when in shipments[i : i + CHUNK]
                ],
            )
            db.session.commit()
        notes.append("shipments: core inserts (the postal import service has not landed)")
    return {"shipments": len(shipments), "seconds": round(time.perf_counter() - start, 1)}


def optimise(url):
    """After a bulk load the planner needs fresh statistics: ANALYZE on both databases."""
    from sqlalchemy import text

    from extensions import db

    start = time.perf_counter()
    if url.startswith("sqlite"):
        db.session.execute(text("ANALYZE"))
        db.session.execute(text("PRAGMA optimize"))
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    else:
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    db.session.commit()
    return round(time.perf_counter() - start, 1)


def build(url, total, bulk):
    results, notes = {}, []
    log(f"fresh database, migrated to head: {url.split('@')[-1]}")
    common.reset_database(url)
    app = common.make_app(url)
    with app.app_context():
        load_procedures(notes)
        create_users()
        start = time.perf_counter()
        load_dossiers(total, results, notes, bulk)
        results["dossiers_loaded_s"] = round(time.perf_counter() - start, 1)
        results["shipments"] = load_shipments(notes)
        results["dossiers"] = count_dossiers()
        results["analyze_s"] = optimise(url)
        from extensions import db

        db.session.remove()
        db.engine.dispose()
    results["build_peak_rss_mb"] = maxrss_mb()
    return results, notes


# --- Measuring (in a child process, like one web worker) ---------------------------------------


def measure_walk(url, repeat, downloads=False):
    """The walk of every page as each role (``bench/walk.py``); links followed two deep, none in
    a smoke run: the menus' pages, their searches and pagers only (``BENCH_WALK_DEPTH``)."""
    from bench import walk

    app = common.make_app(url)
    depth = int(os.environ.get("BENCH_WALK_DEPTH", walk.MAX_DEPTH))
    return walk.walk(app, repeat, downloads=downloads, log=log, max_depth=depth)


def measure(url, repeat, walk_only=False, downloads=False):
    """Time the figures, pages and brief; returns a dict (printed as JSON by the child)."""
    from flask import url_for

    from utils import figures
    from utils.dates import Period

    if walk_only:
        return {"walk": measure_walk(url, max(2, repeat // 3), downloads)}
    app = common.make_app(url)
    out = {"figures": {}}
    end = common.vn_end_date()
    periods = {
        "9_months": Period(*common.DEMO_PERIOD),
        "12_months": Period(end - timedelta(days=364), end),
        "5_years": common.five_years(end),
    }
    with app.app_context():
        from extensions import db

        for name, period in periods.items():
            entry = {"from": period.start.isoformat(), "to": period.end.isoformat()}
            entry["summary"] = timed(lambda: figures.summary(period), repeat)
            entry["counts"] = figures.counts(period)
            for by in ("department", "field", "procedure"):
                entry[f"breakdown_{by}"] = timed(lambda: figures.breakdown(period, by), repeat)
            entry["monthly_trend"] = timed(lambda: figures.monthly_trend(period), repeat)
            entry["outreach_10"] = timed(lambda: figures.outreach(period, limit=10), repeat)
            out["figures"][name] = entry
            db.session.remove()
        log("figures measured")

    client = app.test_client()
    response = client.post("/login", data={"username": "bench-leader", "password": common.PASSWORD})
    assert response.status_code == 303, response.status_code
    pages = {"home": "main.home", "dashboard": "dashboard.show_dashboard"}
    for name, endpoint in pages.items():
        with app.test_request_context():
            try:
                path = url_for(endpoint)
            except Exception:  # the endpoint's blueprint has not landed
                out[name] = None
                continue
        times, cpus, statuses = [], [], set()
        for i in range(repeat * 4 + 2):
            with Clock() as c:
                r = client.get(path)
            statuses.add(r.status_code)
            if i >= 2:
                times.append(c.wall)
                cpus.append(c.cpu)
        out[name] = {"path": path, "status": sorted(statuses), **percentiles(times, cpus)}
        log(f"{name} measured")
    out["search"] = measure_search(app, client, repeat)
    if os.environ.get("BENCH_PLANS"):
        Path(os.environ["BENCH_PLANS"]).write_text(
            explain_figures(
                app, {k: v for k, v in periods.items() if k in ("12_months", "5_years")}
            )
        )
        log(f"plans written: {os.environ['BENCH_PLANS']}")
    out["brief"] = measure_brief(app, client)
    out["peak_rss_mb"] = maxrss_mb()
    out["walk"] = measure_walk(url, max(2, repeat // 3), downloads)
    log("walk measured")
    return out


def explain_figures(app, periods):
    """Every statement the figures issue for these periods, with the database's plan for it:
    ``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL (which runs
    it again, timed). Returns the text."""
    from sqlalchemy import event

    from extensions import db
    from utils import figures

    out = []
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        captured = []

        def before(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        calls = (
            ("summary", figures.summary),
            ("breakdown department", lambda p: figures.breakdown(p, "department")),
            ("monthly_trend", figures.monthly_trend),
            ("outreach", lambda p: figures.outreach(p, limit=10)),
            ("outreach_total", figures.outreach_total),
            ("target_pools", getattr(figures, "target_pools", None)),
            (
                "procedure_activity (50 procedures)",
                lambda p: (
                    figures.procedure_activity(p, range(1, 51))
                    if hasattr(figures, "procedure_activity")
                    else None
                ),
            ),
        )
        for name, period in periods.items():
            for label, fn in calls:
                if fn is None:
                    continue
                captured.clear()
                event.listen(engine, "before_cursor_execute", before)
                try:
                    fn(period)
                finally:
                    event.remove(engine, "before_cursor_execute", before)
                for statement, parameters in captured:
                    if statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT")):
                        continue
                    prefix = (
                        "EXPLAIN QUERY PLAN "
                        if dialect == "sqlite"
                        else "EXPLAIN (ANALYZE, BUFFERS) "
                    )
                    raw = db.session.connection().connection.driver_connection
                    cursor = raw.cursor()
                    cursor.execute(prefix + statement, parameters)
                    plan = [
                        str(row[-1] if dialect == "sqlite" else row[0]) for row in cursor.fetchall()
                    ]
                    cursor.close()
                    out.append(
                        f"=== {name} · {label}\n{statement}\n--- plan\n" + "\n".join(plan) + "\n"
                    )
            db.session.remove()
    return "\n".join(out)


def measure_search(app, client, repeat):
    """The procedure list's htmx fragment for a typed query, ignoring case and diacritics."""
    from flask import url_for

    with app.test_request_context():
        try:
            path = url_for("procedures.list_procedures")
        except Exception:
            return None
    out = {}
    # A broad query filling a 50-row page, a code prefix (about ten rows), a precise name (one).
    for query in ("giay phep", "1.01012", "so 123"):
        times, cpus, statuses, size = [], [], set(), 0
        for i in range(repeat * 4 + 2):
            with Clock() as c:
                r = client.get(
                    path,
                    query_string={"q": query},
                    headers={"HX-Request": "true", "HX-Target": "procedure-list"},
                )
            statuses.add(r.status_code)
            size = len(r.data)
            if i >= 2:
                times.append(c.wall)
                cpus.append(c.cpu)
        rows = r.data.count(b'<tr id="procedure-')
        out[query] = {
            "status": sorted(statuses),
            "bytes": size,
            "rows": rows,
            **percentiles(times, cpus),
        }
    return {
        "path": path,
        "queries": out,
        "p50_ms": max(v["p50_ms"] for v in out.values()),
        "cpu_p50_ms": max(v["cpu_p50_ms"] for v in out.values()),
    }


def measure_brief(app, client):
    """The demo-period brief PDF, through the brief service when it exists."""
    import importlib

    try:
        importlib.import_module("utils.pdf")
    except ImportError:
        return None
    from utils.dates import Period

    period = Period(*common.DEMO_PERIOD)
    render = None
    for module, names in (
        (
            "blueprints.briefs.services",
            ("draft_pdf", "render_brief_pdf", "brief_pdf", "render_pdf", "build_brief_pdf"),
        ),
        ("utils.pdf", ("render_brief", "brief_pdf")),
    ):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for name in names:
            if hasattr(mod, name):
                render = getattr(mod, name)
                break
        if render:
            break
    if render is None:
        return None
    times, cpus, size = [], [], 0
    with app.test_request_context():
        for _ in range(3):
            with Clock() as c:
                data = render(period)
            times.append(c.wall)
            cpus.append(c.cpu)
            size = len(data)
    log("brief measured")
    return {
        "cold_ms": ms(times[0]),
        "warm_ms": ms(min(times[1:])),
        "cpu_warm_ms": ms(min(cpus[1:])),
        "cpu_cold_ms": ms(cpus[0]),
        "bytes": size,
        "function": f"{render.__module__}.{render.__name__}",
    }


# --- Report -------------------------------------------------------------------------------------

TARGETS = {  # the targets on SQLite at 1.000.000 dossiers
    "figures_12m": 50,
    "figures_5y": 300,
    "dashboard_p50": 150,
    "search_p50": 20,
    "import_rows_per_s": 20000,
    "brief_ms": 2000,
    "worker_rss_mb": 300,
}


def table(result):
    """The results against the targets: wall time, and this process's CPU time beside it."""
    m = result["measure"]
    if "figures" not in m:
        return ""
    f = m["figures"]
    rows = []

    def add(what, value, target=None, unit="ms", higher_is_better=False, cpu=None):
        if value is None:
            rows.append((what, "not available", "", f"{target} {unit}" if target else "", ""))
            return
        verdict = ""
        if target is not None:
            ok = value >= target if higher_is_better else value <= target
            verdict = "ok" if ok else "MISSED"
            # The CPU time stands for the server's work only where the database runs in process.
            if (
                not ok
                and cpu is not None
                and result["database"] == "sqlite"
                and (cpu >= target if higher_is_better else cpu <= target)
            ):
                verdict = "MISSED (cpu ok)"
        fmt = (lambda v: f"{v:.0f}") if unit == "rows/s" else (lambda v: f"{v:.1f}")
        rows.append(
            (
                what,
                f"{fmt(value)} {unit}",
                "" if cpu is None else f"{fmt(cpu)} {unit}",
                (("≥ " if higher_is_better else "≤ ") + f"{target} {unit}")
                if target is not None
                else "",
                verdict,
            )
        )

    def add_measured(what, measure, key, target=None, unit="ms", higher_is_better=False):
        """``measure[key]`` with its CPU time ``measure["cpu_" + key]``, or "not available"
        when nothing was measured."""
        if not measure:
            add(what, None, target, unit, higher_is_better)
        else:
            add(what, measure[key], target, unit, higher_is_better, measure.get("cpu_" + key))

    add_measured(
        "dossier import (100.000-row CSV)",
        result["build"].get("import"),
        "rows_per_s",
        TARGETS["import_rows_per_s"],
        "rows/s",
        True,
    )
    refused = result["build"].get("import_refused_file")
    if refused:
        rows.append(
            (
                "  file with one bad row",
                "refused, nothing written"
                if refused["refused"] and refused["dossiers_after"] == 0
                else "NOT all or nothing",
                "",
                "",
                "",
            )
        )
    for name, label, target in (
        ("9_months", "figures.summary, 9 months", TARGETS["figures_12m"]),
        ("12_months", "figures.summary, 12 months", TARGETS["figures_12m"]),
        ("5_years", "figures.summary, 5 years", TARGETS["figures_5y"]),
    ):
        add(label, f[name]["summary"]["p50_ms"], target, cpu=f[name]["summary"]["cpu_p50_ms"])
        for key in (
            "breakdown_department",
            "breakdown_field",
            "breakdown_procedure",
            "monthly_trend",
            "outreach_10",
        ):
            add(f"  {key}", f[name][key]["p50_ms"], cpu=f[name][key]["cpu_p50_ms"])
    for page in ("dashboard", "home"):
        p = m.get(page)
        add_measured(
            f"{page} page p50",
            p,
            "p50_ms",
            TARGETS["dashboard_p50"] if page == "dashboard" else None,
        )
        if p:
            add(f"{page} page p95", p["p95_ms"])
    s = m.get("search")
    add_measured("procedure search fragment p50", s, "p50_ms", TARGETS["search_p50"])
    if s:
        for query, q in s["queries"].items():
            add_measured(f"  q={query!r} ({q['rows']} rows)", q, "p50_ms")
    b = m.get("brief")
    add_measured("brief PDF (demo period), warm", b, "warm_ms", TARGETS["brief_ms"])
    if b:
        add_measured("brief PDF, first in the process", b, "cold_ms")
    add("peak memory of the measuring worker", m["peak_rss_mb"], TARGETS["worker_rss_mb"], "MB")
    if result["build"].get("build_peak_rss_mb"):
        add("peak memory of the builder", result["build"]["build_peak_rss_mb"], None, "MB")
    width = max(len(r[0]) for r in rows)
    cpu_label = "cpu" if result["database"] == "sqlite" else "cpu (app only)"
    lines = [f"{'what':<{width}}  {'wall':>15}  {cpu_label:>14}  {'target':>16}"]
    for what, value, cpu, target, verdict in rows:
        lines.append(f"{what:<{width}}  {value:>15}  {cpu:>14}  {target:>16}  {verdict}")
    return "\n".join(lines)


# The command's on/off options.
SWITCHES = (
    ("--quick", "a smoke run: 50.000 dossiers, fewer repeats"),
    ("--postgres", "start a throwaway PostgreSQL 15 cluster (as tools/run_tests.py does)"),
    (
        "--reuse",
        "measure the existing database again, without rebuilding it (with --province: the "
        "province's and the one-unit centre's, given by DATABASE_URL)",
    ),
    ("--walk-only", "measure only the walk of every page as each role"),
    ("--downloads", "also time the walk's downloads (CSV, XLSX, PDF), once each"),
    (
        "--province",
        "100 units over five years, beside a one-unit centre built in the same run "
        "(bench/province.py; PostgreSQL is the province's database: use --postgres)",
    ),
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dossiers", type=int, help="how many dossiers (default 1.000.000; 50.000 with --quick)"
    )
    parser.add_argument("--sqlite", default="/tmp/bcci-bench.sqlite3", help="the SQLite file")
    parser.add_argument("--repeat", type=int, help="repetitions per measurement")
    parser.add_argument(
        "--bulk",
        choices=("service", "core"),
        default="service",
        help="how dossiers beyond the first 100.000 are loaded (default: the service)",
    )
    parser.add_argument("--output", help="the JSON file (default bench/results/…)")
    parser.add_argument(
        "--baseline-dossiers",
        type=int,
        help="with --province: the one-unit centre's dossiers (default 1.000.000; 2.000 with --quick)",
    )
    for switch, meaning in SWITCHES:
        parser.add_argument(switch, action="store_true", help=meaning)
    parser.add_argument("--measure-only", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)

    if args.measure_only:
        print(json.dumps(measure(args.measure_only, repeat, args.walk_only, args.downloads)))
        return 0

    total = args.dossiers or (50_000 if args.quick else 1_000_000)
    url_arg = "postgres-cluster" if args.postgres else os.environ.get("DATABASE_URL")
    if args.province:
        return province_main(args, total, url_arg, repeat)
    with common.database(url_arg, args.sqlite) as url:
        kind = "sqlite" if url.startswith("sqlite") else "postgresql"
        result = {
            "database": kind,
            "dossiers_requested": total,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "load_average_before": os.getloadavg(),
            "cpus": os.cpu_count(),
        }
        if args.reuse:
            result["build"], result["notes"] = {"build_peak_rss_mb": 0}, ["database reused"]
        else:
            result["build"], result["notes"] = build(url, total, args.bulk)
        log("measuring in a fresh process")
        RESULTS.mkdir(parents=True, exist_ok=True)
        plans = RESULTS / f"{kind}-{total}-plans.txt"
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure-only",
                url,
                "--repeat",
                str(repeat),
                *(["--walk-only"] if args.walk_only else []),
                *(["--downloads"] if args.downloads else []),
            ],
            capture_output=True,
            text=True,
            cwd=common.ROOT,
            env=dict(
                os.environ,
                SECRET_KEY="bench-secret-key",
                BENCH_PLANS=str(plans),
                **({"BENCH_WALK_DEPTH": "0"} if args.quick else {}),
            ),
        )
        sys.stderr.write(child.stderr)
        if child.returncode != 0:
            raise SystemExit(f"measuring failed (exit {child.returncode})")
        result["measure"] = json.loads(child.stdout.strip().splitlines()[-1])
        result["plans_file"] = str(plans)
        result["load_average_after"] = os.getloadavg()
    print(f"\n{kind}, {result['build'].get('dossiers', total):,} dossiers".replace(",", "."))
    for note in result["notes"]:
        print(f"  - {note}")
    print(table(result))
    if result["measure"].get("walk"):
        from bench.walk import report

        print()
        print(report(result["measure"]["walk"]))
    return _written(result, args, f"{kind}-{total}")


def _written(result, args, name):
    """Print the run's load average and write ``result`` as JSON (``--output``, or
    ``bench/results/NAME-DATE.json``); the exit code."""
    print(
        f"load average before/after: {result['load_average_before']} / "
        f"{result['load_average_after']}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = (
        Path(args.output)
        if args.output
        else RESULTS / f"{name}-{datetime.now():%Y%m%d-%H%M%S}.json"
    )
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(f"written: {output}")
    return 0


def province_main(args, total, url_arg, repeat):
    """``--province``: build and measure the province and the one-unit centre, print the table,
    write the JSON."""
    from bench import province

    baseline = args.baseline_dossiers or (2_000 if args.quick else 1_000_000)
    with common.database(url_arg, args.sqlite) as url:
        result = province.run_province(
            url, total, baseline, repeat, reuse=args.reuse, walk_only=args.walk_only
        )
    print(
        f"\n{result['database']}, province of {result['build']['units']} units, "
        f"{result['build']['dossiers']:,} dossiers".replace(",", ".")
    )
    for note in result["notes"]:
        print(f"  - {note}")
    if "walk" in result:
        from bench.walk import report

        print(report(result["walk"], limit=40))
    else:
        print(province.table(result))
    return _written(result, args, f"{result['database']}-province-{total}")


if __name__ == "__main__":
    sys.exit(main())
