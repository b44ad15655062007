"""``bench/run.py`` works end to end on a small SQLite dataset (a smoke run: no time is asserted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]  # runs the benchmark scripts


def test_benchmark_smoke_run(tmp_path):
    output = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "APP_ENV")}
    r = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--dossiers",
            "2000",
            "--quick",
            "--repeat",
            "1",
            "--sqlite",
            str(tmp_path / "bench.sqlite3"),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "figures.summary, 9 months" in r.stdout
    result = json.loads(output.read_text())
    assert result["database"] == "sqlite"
    assert result["build"]["dossiers"] == 2000
    assert result["build"]["shipments"]["shipments"] > 0
    five_years = result["measure"]["figures"]["5_years"]["counts"]
    assert five_years["dossiers_received"] == 2000
    assert 0 < five_years["procedures_with_postal"] < five_years["procedures_total"] == 297
    assert result["measure"]["home"]["status"] == [200]
    assert result["measure"]["peak_rss_mb"] > 0
    # The walk opened pages as every role, each with its statements counted.
    walk = result["measure"]["walk"]
    roles = {p["role"] for p in walk["pages"]}
    assert roles == {"leader", "centre", "admin", "department"}
    assert all(p["status"] == [200] and p["statements"] for p in walk["pages"])
    assert any(
        p["shape"].startswith("dossiers.list_dossiers") and "[deep]" in p["shape"]
        for p in walk["pages"]
    )
    assert "slowest 20" in r.stdout


def test_province_benchmark_smoke_run(tmp_path):
    """``--province``: 100 units built, each with dossiers, measured beside a one-unit centre."""
    output = tmp_path / "province.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "APP_ENV")}
    r = subprocess.run(
        [sys.executable, "bench/run.py", "--province", "--quick", "--dossiers", "3000"]
        + ["--repeat", "1", "--sqlite", str(tmp_path / "bench.sqlite3"), "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "dashboard, province-wide leader, p50" in r.stdout
    result = json.loads(output.read_text())
    assert result["build"]["units"] == result["build"]["units_with_dossiers"] == 100
    assert result["build"]["dossiers"] == 3000
    assert result["build"]["shipments"]["shipments"] > 0
    assert result["build"]["import"]["rows_per_s"] > 0
    measure = result["measure"]
    assert measure["dashboard_province"]["status"] == [200]
    # The unit leaders' dashboards beside the one-unit centre's, and one file imported into a
    # fresh one-unit centre and a fresh province, each side in turn with the other.
    for page in ("dashboard_unit_largest", "dashboard_unit_median", "dashboard_one_unit"):
        assert result["dashboards"][page]["status"] == [200], page
    for kind in ("one_unit", "province"):
        assert result["imports"][kind]["rows"] == 2000 and result["imports"][kind]["rows_per_s"] > 0
    assert "× one unit)  ≥ one unit" in r.stdout
    assert measure["province_counts"]["dossiers_received"] > 0
    # The roll-up of every unit and one unit's figures (utils.figures with a unit) were timed.
    assert measure["rollup_9_months"]["runs"] == 1
    assert measure["rollup_page"]["status"] == [200]
    assert 0 < measure["unit_1_counts"]["dossiers_received"]
    assert (
        measure["unit_1_counts"]["dossiers_received"]
        < measure["province_counts"]["dossiers_received"]
    )
    assert measure["peak_rss_mb"] > 0
    assert result["one_unit"]["build"]["dossiers"] == 2000
    assert result["one_unit"]["measure"]["dashboard"]["status"] == [200]
