"""The dossier import's throughput alone, as ``bench/run.py`` measures it (a fresh database with
the 300-procedure catalogue, one 100.000-row one-stop file through the import service, committed),
without building a million dossiers and walking the pages.

    .venv/bin/python bench/imports.py [--rows 100000] [--postgres] [--repeat 3]

Each repetition starts from an empty database; it prints rows/s per run and the median, plus the
re-import of the same file (every row unchanged).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, run  # noqa: E402


def one(url, rows):
    common.reset_database(url)
    app = common.make_app(url)
    with app.app_context():
        from extensions import db

        run.load_procedures([])
        from sqlalchemy import select

        from models import Procedure

        procs = [(code, er or rr) for code, er, rr in db.session.execute(
            select(Procedure.code, Procedure.eligible_receive, Procedure.eligible_return)
            .where(Procedure.in_force.is_(True)).order_by(Procedure.code))]
        gen = common.DossierGenerator(procs, rows, common.vn_end_date())
        data = common.to_csv(common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in gen.rows(0, rows)))
        service = run.dossier_service()
        start = time.perf_counter()
        report = run.import_through_service(service, "bench-dossiers.csv", data)
        first = time.perf_counter() - start
        if not report.ok:
            raise SystemExit(f"refused: {report.sorted_problems()[:5]}")
        start = time.perf_counter()
        report = run.import_through_service(service, "bench-dossiers.csv", data)
        again = time.perf_counter() - start
        db.session.remove()
        db.engine.dispose()
    return first, again


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=run.IMPORT_SAMPLE)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--sqlite", default="/tmp/bcci-bench-imports.sqlite3")
    args = parser.parse_args(argv)
    import os

    url_arg = "postgres-cluster" if args.postgres else os.environ.get("DATABASE_URL")
    with common.database(url_arg, args.sqlite) as url:
        firsts, agains = [], []
        for i in range(args.repeat):
            first, again = one(url, args.rows)
            firsts.append(args.rows / first)
            agains.append(args.rows / again)
            print(f"run {i + 1}: import {args.rows / first:,.0f} rows/s ({first:.2f} s), "
                  f"re-import {args.rows / again:,.0f} rows/s ({again:.2f} s)", flush=True)
        print(f"median: import {statistics.median(firsts):,.0f} rows/s, "
              f"re-import {statistics.median(agains):,.0f} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
