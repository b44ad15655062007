"""Keep a throwaway PostgreSQL 15 cluster running (the test runner's, on a free port of 127.0.0.1)
so that one dataset can be built once and measured several times:

    .venv/bin/python bench/pg_cluster.py --minutes 60 &        # prints the URL
    DATABASE_URL=postgresql://postgres@127.0.0.1:PORT/postgres .venv/bin/python bench/run.py
    DATABASE_URL=… .venv/bin/python bench/run.py --reuse
    kill %1                                                     # stops and deletes the cluster

It stops by itself after ``--minutes``; SIGTERM or Ctrl-C stop it earlier. Either way the cluster
is stopped and its directory removed.
"""

import argparse
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from run_tests import postgres_cluster  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60, help="stop after this long (60)")
    args = parser.parse_args()

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with postgres_cluster() as url:
        print(url, flush=True)
        deadline = time.monotonic() + args.minutes * 60
        try:
            while time.monotonic() < deadline:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
