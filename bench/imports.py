"""The dossier import's throughput alone, as ``bench/run.py`` measures it (a fresh database with
the 300-procedure catalogue, one 100.000-row one-stop file through the import service, committed),
without building a million dossiers and walking the pages.

    .venv/bin/python bench/imports.py [--rows 100000] [--postgres] [--repeat 3] [--units N]

Each repetition starts from an empty database; it prints rows/s per run and the median, plus the
re-import of the same file (every row unchanged). ``--units N`` adds units 2 … N first (through
``utils.units.create_unit``, as ``bench/run.py --province`` does) and imports into the first with
the unit given, as a province's import: the same rows, so the two rates compare. On a busy machine compare rows per CPU second:
the CPU time of this process (on SQLite the database works in this process too) and, on a
PostgreSQL server on this machine, of the server process that served the import (read from
/proc; left out when the server runs elsewhere).
"""

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, run  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_process(db):
    """The PostgreSQL server process serving the session's connection, when it runs on this
    machine (its /proc entry readable), else None (SQLite: the database is this process)."""
    from sqlalchemy import text

    if db.session.get_bind().dialect.name != "postgresql":
        return None
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def cpu_seconds(pid):
    """User and system CPU seconds of process ``pid`` so far (0 for None)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def add_units(units):
    """Units 2 … ``units`` (unit 1 exists), communes, as the province benchmark creates them."""
    from extensions import db
    from utils.units import create_unit

    for number in range(2, units + 1):
        create_unit(f"XA{number:03d}", f"Xã Số {number}", "xa")
    db.session.commit()


def one(url, rows, units=1):
    """One import of ``rows`` rows into an empty database and its re-import: ``(wall seconds,
    re-import wall seconds, CPU seconds of this process, CPU seconds of the server or None)``.
    With ``units`` above 1, that many units exist and the import is the first unit's."""
    common.reset_database(url)
    app = common.make_app(url)
    with app.app_context():
        from extensions import db

        run.load_procedures([])
        add_units(units)
        gen = common.DossierGenerator(run.generator_procedures(), rows, common.vn_end_date())
        data = common.to_csv(common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in gen.rows(0, rows)))
        service = run.dossier_service()
        if units > 1:
            service = functools.partial(service, unit=1)
        server = server_process(db)
        db.session.commit()  # the import's transaction starts afresh, on the same connection
        server_cpu = cpu_seconds(server)
        start, cpu = time.perf_counter(), time.process_time()
        report = run.import_through_service(service, "bench-dossiers.csv", data)
        first = time.perf_counter() - start
        first_cpu = time.process_time() - cpu
        server_cpu = cpu_seconds(server) - server_cpu
        if not report.ok:
            raise SystemExit(f"refused: {report.sorted_problems()[:5]}")
        if server is not None and server_process(db) != server:
            server_cpu = None  # the import ran on another connection: its server time is unknown
        start = time.perf_counter()
        report = run.import_through_service(service, "bench-dossiers.csv", data)
        again = time.perf_counter() - start
        db.session.remove()
        db.engine.dispose()
    return first, again, first_cpu, server_cpu if server is not None else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=run.IMPORT_SAMPLE)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--units", type=int, default=1, help="units in the database (1)")
    parser.add_argument("--sqlite", default="/tmp/bcci-bench-imports.sqlite3")
    args = parser.parse_args(argv)

    url_arg = "postgres-cluster" if args.postgres else os.environ.get("DATABASE_URL")
    with common.database(url_arg, args.sqlite) as url:
        firsts, agains, cpus, totals = [], [], [], []
        for i in range(args.repeat):
            first, again, cpu, server_cpu = one(url, args.rows, args.units)
            firsts.append(args.rows / first)
            agains.append(args.rows / again)
            cpus.append(args.rows / cpu)
            line = (
                f"run {i + 1}: import {args.rows / first:,.0f} rows/s ({first:.2f} s; "
                f"{args.rows / cpu:,.0f} rows per CPU second of this process"
            )
            if server_cpu is not None:
                totals.append(args.rows / (cpu + server_cpu))
                line += (
                    f", server {server_cpu:.2f} CPU s, "
                    f"{args.rows / (cpu + server_cpu):,.0f} rows per CPU second of both"
                )
            print(f"{line}), re-import {args.rows / again:,.0f} rows/s ({again:.2f} s)", flush=True)
        both = f", {statistics.median(totals):,.0f} with the server's" if totals else ""
        print(
            f"median: import {statistics.median(firsts):,.0f} rows/s "
            f"({statistics.median(cpus):,.0f} per CPU second of this process{both}), "
            f"re-import {statistics.median(agains):,.0f} rows/s; load average {os.getloadavg()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
