"""Regenerate the golden files of ``tests/test_golden.py`` (``tests/golden/``), on SQLite.

    .venv/bin/python tools/golden.py [pytest arguments, e.g. -k brief]

Only for a deliberate change of behaviour: the golden files pin what a refactoring must keep (the
brief's bytes, the command line's JSON, the access matrix). Run the test afterwards, on both
databases, and say in the commit message what changed and why.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(args):
    env = dict(os.environ, GOLDEN_UPDATE="1", APP_ENV="testing")
    env.pop("TEST_DATABASE_URL", None)
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "tests/test_golden.py", *args]
    written = subprocess.run(command, cwd=ROOT, env=env).returncode
    if written:
        return written
    env.pop("GOLDEN_UPDATE")
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
