"""The hashed locks ``make setup`` installs hold every pin of the requirement files, at the same
version (a pin added to requirements.txt without ``make lock`` would never be installed)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(name):
    return {
        re.sub(r"[-_.]+", "-", n).lower(): v
        for n, v in PIN.findall((ROOT / name).read_text(encoding="utf-8"))
    }


def test_each_lock_holds_its_files_pins_with_hashes():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    for lock, wanted in (
        ("requirements.lock", runtime),
        ("requirements-dev.lock", {**runtime, **dev}),
    ):
        locked = pins(lock)
        assert wanted, lock
        wrong = {n: (v, locked.get(n)) for n, v in wanted.items() if locked.get(n) != v}
        assert not wrong, f"run `make lock`: {lock} differs from its requirement files {wrong}"
        text = (ROOT / lock).read_text(encoding="utf-8")
        unhashed = [
            block.split()[0]
            for block in re.split(r"\n(?=[a-z0-9])", text)
            if PIN.match(block) and "--hash=sha256:" not in block
        ]
        assert not unhashed, f"{lock}: pins without hashes {unhashed}"


def test_test_tools_are_not_runtime_requirements():
    runtime = pins("requirements.txt")
    assert not {"pytest", "pytest-xdist", "playwright", "ruff"} & set(runtime)
