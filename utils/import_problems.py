"""Every bad row of a refused import, as a CSV file to download (row, column, reason).

The page shows the first 500 problems and counts the rest (docs/limits.md); the whole list is
written to ``instance/import-problems/`` under an unguessable name and offered for an hour
(``main.import_problems``, to the roles that import). Each new file first removes those older
than that. The list names rows and reasons only, the same text the page shows.
"""

import re
import secrets
import time
from pathlib import Path

from flask import current_app

KEEP_SECONDS = 3600
SHOWN = 500  # problems listed on the page itself
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _folder():
    folder = Path(current_app.instance_path) / "import-problems"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def offer(report):
    """Store every problem of the refused ``report`` and set ``report.problems_token``."""
    from utils.tabular import write_csv

    if report.ok:
        return None
    folder = _folder()
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.csv"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another worker removed it meanwhile
            pass
    token = secrets.token_urlsafe(24)  # 32 characters
    rows = [(p.row, p.column, p.reason) for p in report.sorted_problems()]
    (folder / f"{token}.csv").write_bytes(write_csv(("dong", "cot", "ly_do"), rows))
    report.problems_token = token
    return token


def load(token):
    """The CSV stored under ``token``, or ``None`` (unknown, malformed or expired)."""
    if not _TOKEN.match(token or ""):
        return None
    path = _folder() / f"{token}.csv"
    try:
        if path.stat().st_mtime < time.time() - KEEP_SECONDS:
            return None
        return path.read_bytes()
    except OSError:
        return None
