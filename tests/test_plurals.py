"""English plurals are right: a message that counts something is a ``ngettext`` pair ("1 dossier
matches.", "2 dossiers match."), never one sentence with the plural noun ("1 dossiers")."""

import re
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale

from extensions import db
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
# A count placeholder followed by a countable noun in the plural.
COUNTED = re.compile(
    r"%\((\w+)\)s (?:more )?(?:\w+ )?(dossiers|procedures|shipments|results|problems|"
    r"warnings|rows|events|items|records|tasks|users|minutes|hours|fields|departments)\b"
)
# Counts that are never 1 (a file's limit of rows, the ten header rows, presets of 3 to 9 months).
NEVER_ONE = {"max", "columns"}
NEVER_ONE_MESSAGES = {
    "First %(n)s months of %(year)s",
    "No header row with the required columns (%(columns)s) in the first %(n)s rows.",
}


def singular_messages_with_a_counted_plural():
    out = []
    for po in [ROOT / "translations"] + sorted((ROOT / "blueprints").glob("*/translations")):
        path = po / "vi" / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            continue
        with path.open("rb") as fh:
            for message in read_po(fh):
                if not message.id or message.pluralizable or message.id in NEVER_ONE_MESSAGES:
                    continue
                for match in COUNTED.finditer(message.id):
                    if match.group(1) not in NEVER_ONE:
                        out.append(f"{path.relative_to(ROOT)}: {message.id!r}")
    return out


def test_every_counted_message_is_a_plural_pair():
    assert not singular_messages_with_a_counted_plural()


def test_one_reads_singular_and_two_plural_in_english(client, auth, app):
    from types import SimpleNamespace

    from utils.labels import next_band_text

    with force_locale("en"):
        band = SimpleNamespace(points=1)
        assert next_band_text(SimpleNamespace(code="C2", gap=1, next_band=band)).startswith(
            "1 more dossier received by post is needed"
        )
        assert next_band_text(SimpleNamespace(code="C2", gap=2, next_band=band)).startswith(
            "2 more dossiers received by post are needed"
        )
    procedure = f.procedure(code="1.000001")
    f.dossier(procedure, date(2024, 3, 1))
    db.session.commit()
    auth.login("centre", user=f.user("centre", locale="en"))
    page = client.get("/dossiers", query_string={"from": "2024-01-01", "to": "2024-12-31"}).text
    assert "1 dossier matches." in page
    page = client.get("/procedures", query_string={"from": "2024-01-01", "to": "2024-12-31"}).text
    assert "1 procedure matches;" in page and "1 procedures" not in page
    f.dossier(procedure, date(2024, 3, 2))
    db.session.commit()
    page = client.get("/dossiers", query_string={"from": "2024-01-01", "to": "2024-12-31"}).text
    assert "2 dossiers match." in page
