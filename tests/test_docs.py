"""The repository explains itself (docs/README.md): every rule the code cites is in ``docs/``, and
no tracked file points to a document or path outside the repository."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Documents that were never part of the repository, and paths of the machine it was written on.
# Spelled in pieces so that this file does not match itself.
OUTSIDE = re.compile(
    "|".join(
        [
            r"\b" + "DOMAIN" + r"\.md\b",
            r"\b" + "STYLE" + r"\.md\b",
            r"\b" + "PERFORMANCE" + r"\.md\b",
            r"\b" + "DEVELOPERS" + r"\.md\b",
            r"\.\./" + "shared",
            r"(?<![\w.])" + "shared" + r"/[A-Z]\w*\.md",
            "/" + "work" + r"/\w",
        ]
    )
)
DOCS_CITATION = re.compile(r"\bdocs/([\w.-]+\.(?:md|conf))")
BINARY_SUFFIXES = {".ttf", ".png", ".ico", ".woff", ".woff2", ".xlsx", ".pdf", ".mo"}


def tracked_files():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in out.stdout.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and path.suffix not in BINARY_SUFFIXES:
            yield name, path.read_text(encoding="utf-8", errors="replace")


def test_no_file_points_outside_the_repository():
    found = [
        f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for name, text in tracked_files()
        for m in OUTSIDE.finditer(text)
    ]
    assert not found, "cite docs/ instead:\n" + "\n".join(found)


def test_every_cited_docs_file_exists():
    missing = sorted(
        {
            f"{name}: docs/{m.group(1)}"
            for name, text in tracked_files()
            for m in DOCS_CITATION.finditer(text)
            if not (ROOT / "docs" / m.group(1)).is_file()
        }
    )
    assert not missing, "\n".join(missing)


def test_docs_index_lists_every_page():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    pages = sorted(
        p.name for p in (ROOT / "docs").iterdir() if p.is_file() and p.name != "README.md"
    )
    assert pages, "docs/ holds no page"
    assert not [p for p in pages if f"]({p})" not in index], (
        "list each docs/ page in docs/README.md"
    )


def test_links_between_docs_pages_resolve():
    broken = []
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.name}: {target}")
    assert not broken, "\n".join(broken)


def test_the_pattern_catches_what_it_must():
    # The check above is only as good as its pattern: it must see each kind of outside reference.
    for text in (
        "see " + "DOMAIN" + ".md section 4",
        "../" + "shared/x",
        "/" + "work/main/app.py",
        "STYLE" + ".md",
    ):
        assert OUTSIDE.search(text), text
    assert not OUTSIDE.search("docs/figures.md, static/fonts/, shared helpers")
