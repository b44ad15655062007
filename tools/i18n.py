"""Translation catalogs: one shared, and one per feature blueprint, so features never collide.

Message ids are English; the Vietnamese catalog (``vi``) translates every one of them.

    python tools/i18n.py extract   # refresh every catalog from the code and templates
    python tools/i18n.py compile   # build the .mo files the application loads
    python tools/i18n.py check     # missing, fuzzy or conflicting Vietnamese translations (exit 1)
    python tools/i18n.py todo DIR  # the untranslated ids of catalog DIR as JSON {"id": ""}
    python tools/i18n.py fill DIR FILE.json   # set translations from {"id": "bản dịch"}

The shared catalog (``translations/``) covers ``app.py``, ``utils/``, ``commands/``, the
``auth`` and ``main`` blueprints and the top-level templates; a blueprint ``X`` owns
``blueprints/X/translations/`` for ``blueprints/X/`` and ``templates/X/``.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SHARED_BLUEPRINTS = ("auth", "main")
LOCALE = "vi"


def catalogs():
    """``[(catalog_dir, [source paths])]`` for every catalog."""
    shared_sources = [ROOT / "app.py", ROOT / "utils", ROOT / "commands"]
    shared_sources += [p for p in (ROOT / "templates").glob("*.html")]
    shared_sources += [ROOT / "templates" / "errors"]
    shared_sources += [ROOT / "blueprints" / name for name in SHARED_BLUEPRINTS]
    shared_sources += [ROOT / "templates" / name for name in SHARED_BLUEPRINTS]
    out = [(ROOT / "translations", [p for p in shared_sources if p.exists()])]
    for package in sorted((ROOT / "blueprints").iterdir()):
        if (
            not package.is_dir()
            or package.name in SHARED_BLUEPRINTS
            or package.name.startswith("_")
        ):
            continue
        sources = [package] + [p for p in [ROOT / "templates" / package.name] if p.exists()]
        out.append((package / "translations", sources))
    return out


def _pybabel(*args):
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *map(str, args)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def _extract_to(pot, sources):
    _pybabel(
        "extract",
        "-F",
        ROOT / "babel.cfg",
        "-k",
        "_l",
        "--no-location",
        "--omit-header",
        "--ignore-dirs",
        "translations",
        "-o",
        pot,
        *sources,
    )


def extract():
    for directory, sources in catalogs():
        directory.mkdir(parents=True, exist_ok=True)
        pot = directory / "messages.pot"
        _extract_to(pot, sources)
        po = directory / LOCALE / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel("update", "-i", pot, "-d", directory, "-l", LOCALE, "--no-fuzzy-matching")
        else:
            _pybabel("init", "-i", pot, "-d", directory, "-l", LOCALE)
        pot.unlink()
        print(f"{po.relative_to(ROOT)}")


def compile_all():
    for directory, _ in catalogs():
        if (directory / LOCALE / "LC_MESSAGES" / "messages.po").exists():
            _pybabel("compile", "-d", directory, "-l", LOCALE, "--use-fuzzy")


def problems():
    """Every message in the code without a Vietnamese translation, as strings."""
    out = []
    for directory, sources in catalogs():
        po_path = directory / LOCALE / "LC_MESSAGES" / "messages.po"
        translated = {}
        if po_path.exists():
            with po_path.open("rb") as fh:
                for message in read_po(fh):
                    if message.id:
                        ok = (
                            bool(
                                message.string
                                if isinstance(message.string, str)
                                else all(message.string)
                            )
                            and not message.fuzzy
                        )
                        translated[message.id] = ok
        with tempfile.TemporaryDirectory() as tmp:
            pot = Path(tmp) / "messages.pot"
            _extract_to(pot, sources)
            with pot.open("rb") as fh:
                for message in read_po(fh):
                    if not message.id:
                        continue
                    if not translated.get(message.id):
                        key = message.id if isinstance(message.id, str) else message.id[0]
                        state = "fuzzy or empty" if message.id in translated else "missing"
                        out.append(f"{po_path.relative_to(ROOT)}: {state}: {key!r}")
    return out


def _po_path(directory):
    return Path(directory).resolve() / LOCALE / "LC_MESSAGES" / "messages.po"


def todo(directory):
    import json

    with _po_path(directory).open("rb") as fh:
        catalog = read_po(fh)
    missing = {m.id: "" for m in catalog if m.id and (not m.string or m.fuzzy)}
    print(json.dumps(missing, ensure_ascii=False, indent=1))


def fill(directory, json_file):
    import json

    from babel.messages.pofile import write_po

    values = json.loads(Path(json_file).read_text(encoding="utf-8"))
    path = _po_path(directory)
    with path.open("rb") as fh:
        catalog = read_po(fh)
    unknown = [k for k in values if k not in catalog]
    for key, value in values.items():
        if key in catalog and value:
            message = catalog[key]
            message.string = value
            message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, width=100)
    for key in unknown:
        print(f"not in the catalog (run extract first): {key!r}")


def conflicts():
    """Message ids translated differently in two catalogs: Flask-Babel merges the catalogs and
    the last one loaded wins, so every catalog must agree on a shared id."""
    seen = {}
    for directory, _ in catalogs():
        po_path = directory / LOCALE / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    value = message.string if isinstance(message.string, str) else message.string[0]
                    seen.setdefault(key, {}).setdefault(value, []).append(
                        str(po_path.relative_to(ROOT))
                    )
    return [
        f"{key!r} is translated differently: {values}"
        for key, values in seen.items()
        if len(values) > 1
    ]


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "compile":
        compile_all()
    elif command == "todo":
        todo(argv[2])
    elif command == "fill":
        fill(argv[2], argv[3])
    elif command == "check":
        found = problems() + conflicts()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
