"""The dossier import's throughput alone, as ``bench/run.py`` measures it (a fresh database with
the 300-procedure catalogue, one 100.000-row one-stop file through the import service, committed),
without building a million dossiers and walking the pages.

    .venv/bin/python bench/imports.py [--rows 100000] [--postgres] [--repeat 3]

Each repetition starts from an empty database; it prints rows/s per run and the median, plus the
re-import of the same file (every row unchanged). On a busy machine compare the rows per CPU
second of this process (on SQLite the database works in this process too; on PostgreSQL the
server's own time is not in it).
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
        gen = common.DossierGenerator(run.generator_procedures(), rows, common.vn_end_date())
        data = common.to_csv(common.DOSSIER_COLUMNS, (gen.csv_row(d) for d in gen.rows(0, rows)))
        service = run.dossier_service()
        start, cpu = time.perf_counter(), time.process_time()
        report = run.import_through_service(service, "bench-dossiers.csv", data)
        first = time.perf_counter() - start
        first_cpu = time.process_time() - cpu
        if not report.ok:
            raise SystemExit(f"refused: {report.sorted_problems()[:5]}")
        start = time.perf_counter()
        report = run.import_through_service(service, "bench-dossiers.csv", data)
        again = time.perf_counter() - start
        db.session.remove()
        db.engine.dispose()
    return first, again, first_cpu


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
        firsts, agains, cpus = [], [], []
        for i in range(args.repeat):
            first, again, cpu = one(url, args.rows)
            firsts.append(args.rows / first)
            agains.append(args.rows / again)
            cpus.append(args.rows / cpu)
            print(
                f"run {i + 1}: import {args.rows / first:,.0f} rows/s ({first:.2f} s; "
                f"{args.rows / cpu:,.0f} rows per CPU second of this process), "
                f"re-import {args.rows / again:,.0f} rows/s ({again:.2f} s)",
                flush=True,
            )
        print(
            f"median: import {statistics.median(firsts):,.0f} rows/s "
            f"({statistics.median(cpus):,.0f} per CPU second), "
            f"re-import {statistics.median(agains):,.0f} rows/s; load average {os.getloadavg()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
