"""Run the test suite on SQLite, then on a throwaway PostgreSQL 15 cluster (initdb and pg_ctl run
as the ``postgres`` user; the data lives in a temporary directory; the server listens on a free
port of 127.0.0.1 and is stopped at the end, even when tests fail).

    python tools/run_tests.py [pytest arguments]

``TEST_DATABASES=sqlite`` or ``=postgres`` runs only one of them. When PostgreSQL is asked for
and its server cannot be started (Debian's ``postgresql-15`` missing, which ``make setup``
installs, or initdb or pg_ctl failing), the run fails: a suite that passed on one database only
must not look green.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class ClusterError(RuntimeError):
    """The throwaway cluster could not be created or started."""


@contextmanager
def postgres_cluster():
    """Start a throwaway PostgreSQL cluster; yields its URL and stops it on the way out."""
    tmp = Path(tempfile.mkdtemp(prefix="bcci-pg-"))
    data = tmp / "data"
    port = free_port()
    log = tmp / "server.log"
    started = False
    try:
        try:
            if os.geteuid() == 0:
                shutil.chown(tmp, "postgres", "postgres")
            subprocess.run(
                _as_postgres(
                    [
                        str(PG_BIN / "initdb"),
                        "-D",
                        str(data),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            opts = (
                f"-p {port} -h 127.0.0.1 -k {tmp} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off"
            )
            subprocess.run(
                _as_postgres(
                    [
                        str(PG_BIN / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(log),
                        "-o",
                        opts,
                        "-w",
                        "start",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        except (OSError, LookupError, subprocess.CalledProcessError) as e:
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(f"{e}\n{detail}".strip()) from None
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(tmp, ignore_errors=True)


def pytest(args, env_extra=None, label=""):
    env = dict(os.environ, APP_ENV="testing", PYTHONPATH=str(ROOT), **(env_extra or {}))
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "pytest", "-n", os.environ.get("TEST_WORKERS", "2"), *args]
    print(f"\n=== tests on {label} ===", flush=True)
    start = time.monotonic()
    code = subprocess.call(command, cwd=ROOT, env=env)
    print(f"=== {label}: exit {code} in {time.monotonic() - start:.0f} s ===", flush=True)
    return code


def main(args):
    # The application loads compiled catalogs; build them from the .po files first.
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "i18n.py"), "compile"], check=True, cwd=ROOT
    )
    which = os.environ.get("TEST_DATABASES", "sqlite,postgres").split(",")
    codes = []
    if "sqlite" in which:
        codes.append(pytest(args, label="SQLite"))
    if "postgres" in which:
        codes.append(run_on_postgres(args))
    return max(codes) if codes else 0


def run_on_postgres(args):
    """The suite on a throwaway cluster; exit code 3 when the server cannot be started."""
    if not (PG_BIN / "initdb").exists():
        print(
            f"\n=== FAILED: PostgreSQL 15 is not installed ({PG_BIN}/initdb is missing): run "
            "`make setup` (it installs Debian's postgresql-15), or set TEST_DATABASES=sqlite "
            "to test on SQLite alone ===",
            flush=True,
        )
        return 3
    try:
        with postgres_cluster() as url:
            return pytest(args, {"TEST_DATABASE_URL": url}, label="PostgreSQL 15")
    except ClusterError as e:
        print(f"\n=== FAILED: the PostgreSQL 15 server could not be started: {e} ===", flush=True)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
