"""The counter's save, timed: a fresh SQLite centre (the 300-procedure catalogue, 20.000 dossiers),
then a centre user logs shipments through the log form as htmx does, one request each.

    .venv/bin/python bench/counter.py                 # 200 saves, in /tmp
    .venv/bin/python bench/counter.py --saves 500
    .venv/bin/python bench/counter.py --postgres      # on a throwaway PostgreSQL 15 cluster
    .venv/bin/python bench/counter.py --profile 30    # cProfile of the saves, 30 lines printed
    .venv/bin/python bench/counter.py --statements    # and the SQL statements of the last save
    .venv/bin/python bench/counter.py --typing        # each save after the checks typing sends

Prints the server time of a save (wall and this process's CPU, which on SQLite is the server's
own work; on PostgreSQL the application's part only) as p50/p95. Nothing here is a test: no
wall-clock time is asserted anywhere.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.run import create_users, load_dossiers, load_procedures, ms  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL 15 cluster (as tools/run_tests.py does)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="LINES",
        help="profile the saves (cProfile) and print the LINES costliest by own time",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="print the SQL statements the last save sends to the database, in order",
    )
    parser.add_argument(
        "--typing",
        action="store_true",
        help="before each save, the two checks htmx sends while the item is typed (the tracking "
        "number's and the dossier code's, not timed), as at the counter",
    )
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as tmp,
        common.database(
            "postgres-cluster" if args.postgres else os.environ.get("DATABASE_URL"),
            Path(tmp) / "counter.sqlite3",
        ) as url,
    ):
        common.reset_database(url)
        app = common.make_app(url)
        with app.app_context():
            from sqlalchemy import select

            from extensions import db
            from models import Dossier

            load_procedures([])
            create_users()
            load_dossiers(args.dossiers, {}, [], bulk=True)
            codes = (
                db.session.execute(
                    select(Dossier.code).order_by(Dossier.id.desc()).limit(args.saves + 5)
                )
                .scalars()
                .all()
            )
            db.session.remove()
        kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        timings = []
        inner = app.wsgi_app
        profiler = cProfile.Profile() if args.profile else None

        def timed_app(environ, start_response):
            # The server's own time: the application from the request's arrival to its answer,
            # without the test client's work of building and reading the request.
            if profiler is not None and environ["REQUEST_METHOD"] == "POST":
                profiler.enable()
            wall, cpu = time.perf_counter(), time.process_time()
            body = b"".join(inner(environ, start_response))
            if profiler is not None:
                profiler.disable()
            timings.append((time.perf_counter() - wall, time.process_time() - cpu))
            return [body]

        app.wsgi_app = timed_app
        statements = []  # the current save's, each [text, seconds]
        spent = {}  # every measured save's seconds, by statement text
        if args.statements:
            from sqlalchemy import event

            with app.app_context():
                from extensions import db

                engine = db.engine

            @event.listens_for(engine, "before_cursor_execute")
            def _statement(conn, cursor, statement, parameters, context, executemany):
                statements.append([" ".join(statement.split()), time.perf_counter()])

            @event.listens_for(engine, "after_cursor_execute")
            def _statement_done(conn, cursor, statement, parameters, context, executemany):
                statements[-1][1] = time.perf_counter() - statements[-1][1]

            @event.listens_for(engine, "commit")
            def _commit(conn):
                statements.append(["COMMIT", 0.0])

        client = app.test_client()
        response = client.post(
            "/login", data={"username": "bench-centre", "password": common.PASSWORD}
        )
        assert response.status_code == 303, response.status_code
        day = common.vn_end_date().isoformat()
        walls, cpus = [], []
        for i in range(args.saves + 5):
            digits = f"{50_000_000 + i:08d}"
            from utils.validators import s10_check_digit

            data = {
                "tracking_number": f"RR{digits}{s10_check_digit(digits)}VN",
                "direction": "tra_ket_qua",
                "dossier_code": codes[i],
                "date": day,
                "recipient_name": "Nguyễn Văn An",
                "address": "Số 1, phường Hồng Hà",
                "phone": "0912345678",
                "fee": "25.000",
            }
            if args.typing:
                for path, params in (
                    ("/shipments/check-tracking", ("tracking_number", "direction")),
                    ("/shipments/lookup-dossier", ("dossier_code", "direction")),
                ):
                    checked = client.get(
                        path,
                        query_string={k: data[k] for k in params},
                        headers={"HX-Request": "true"},
                    )
                    assert checked.status_code == 200, (path, checked.status_code)
                del timings[-2:]
            del statements[:]
            response = client.post("/shipments/new", data=data, headers={"HX-Request": "true"})
            wall, cpu = timings[-1]
            assert response.status_code == 200 and b'data-testid="saved"' in response.data, (
                response.status_code,
                response.data[:2000],
            )
            if i >= 5:  # the first saves warm the caches
                walls.append(wall)
                cpus.append(cpu)
                for text, seconds in statements:
                    spent.setdefault(text, []).append(seconds)
    ordered = sorted(walls)
    if profiler is not None:
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
    if args.statements:
        # The last save's statements in order, each with its median time over every save from
        # the driver's call to its answer (a commit's own time is not seen here).
        print(f"statements of the last save ({len(statements)}), median ms from send to answer:")
        for number, (text, _seconds) in enumerate(statements, 1):
            print(f"{number:3}. {ms(statistics.median(spent[text])):>6}  {text}")
    print(
        f"counter save, {len(walls)} saves{' after the typing checks' if args.typing else ''}, "
        f"{args.dossiers} dossiers ({kind}): "
        f"p50 {ms(statistics.median(walls))} ms, p95 {ms(ordered[int(0.95 * (len(ordered) - 1))])} ms, "
        f"CPU p50 {ms(statistics.median(cpus))} ms, response {len(response.data)} bytes"
    )


if __name__ == "__main__":
    main()
