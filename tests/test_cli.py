"""The command line of docs/cli.md."""

import json

import pytest

from extensions import db
from models import User

# The keys of `report summary --json` (docs/cli.md), in its order: the nine counts, the period and
# the criteria.
JSON_KEYS = (
    "procedures_total procedures_eligible_receive procedures_eligible_return procedures_with_dossiers "
    "procedures_with_postal dossiers_received dossiers_received_postal results_returned "
    "results_returned_postal from to criteria"
).split()


@pytest.mark.slow  # loads the demo (45.000 dossiers)
def test_reference_case_through_the_cli(runner):
    r = runner.invoke(args=["demo", "load"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        args=["report", "summary", "--from", "2024-01-01", "--to", "2024-09-30", "--json"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert list(data) == JSON_KEYS
    assert data["procedures_total"] == 299
    assert data["procedures_with_postal"] == 29
    assert data["dossiers_received"] == 44865
    assert data["dossiers_received_postal"] == 0
    assert data["results_returned_postal"] == 120
    assert data["procedures_with_dossiers"] >= 250
    assert data["criteria"] == [
        {"code": "C1", "numerator": 29, "denominator": 299, "percent": "9.70", "points": "0.00"},
        {"code": "C2", "numerator": 0, "denominator": 44865, "percent": "0.00", "points": "0.00"},
        {"code": "C3", "numerator": 120, "denominator": 44865, "percent": "0.27", "points": "0.00"},
    ]
    assert data["from"] == "2024-01-01" and data["to"] == "2024-09-30"
    # Loading twice changes nothing.
    r = runner.invoke(args=["demo", "load"])
    assert r.exit_code == 0 and "không thay đổi gì" in r.output
    again = json.loads(
        runner.invoke(
            args=["report", "summary", "--from", "2024-01-01", "--to", "2024-09-30", "--json"]
        ).output
    )
    assert again == data
    text = runner.invoke(args=["report", "summary", "--from", "2024-01-01", "--to", "2024-09-30"])
    assert "9,70%" in text.output and "44.865" in text.output


@pytest.mark.slow  # loads the demo (45.000 dossiers)
def test_demo_spread_is_realistic(demo_app):
    from datetime import date

    from sqlalchemy import func, select

    from models import Dossier, Procedure, Shipment
    from utils import figures
    from utils.dates import Period
    from utils.validators import check_tracking_number

    for month in range(1, 10):
        p = Period(date(2024, month, 1), date(2024, month, 28))
        share = (
            figures.monthly_trend(Period(date(2024, 1, 1), date(2024, 9, 30)))[month - 1][
                "received"
            ]
            / 44865
        )
        assert 0.08 <= share <= 0.14, (month, share)
        assert p
    by_dept = figures.breakdown(Period(date(2024, 1, 1), date(2024, 9, 30)), "department")
    assert len(by_dept) >= 10
    assert max(r["received"] for r in by_dept) / 44865 <= 0.30
    before = db.session.scalar(
        select(func.count()).select_from(Dossier).where(Dossier.receive_date < date(2024, 1, 1))
    )
    after = db.session.scalar(
        select(func.count()).select_from(Dossier).where(Dossier.receive_date > date(2024, 9, 30))
    )
    assert before > 0 and after > 0
    shipments = db.session.scalars(select(Shipment)).all()
    assert len(shipments) == 120
    assert all(check_tracking_number(s.tracking_number).check_digit_ok for s in shipments)
    fields = {db.session.get(Procedure, s.dossier.procedure_id).field.name for s in shipments}
    assert fields == {"Tài chính – Kế hoạch", "Xây dựng"}


def test_demo_is_refused_in_production(app, runner):
    app.config["DEMO_ALLOWED"] = False
    r = runner.invoke(args=["demo", "load"])
    assert r.exit_code != 0 and "production" in r.output
    r = runner.invoke(args=["demo", "logins"])
    assert r.exit_code != 0


def test_production_config_refuses_demo(monkeypatch):
    from config import load_config

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert load_config().DEMO_ALLOWED is False


def test_users_create(runner):
    r = runner.invoke(
        args=["users", "create", "an.nguyen", "--role", "leader", "--password", "long-enough-pw"]
    )
    assert r.exit_code == 0, r.output
    assert db.session.query(User).filter_by(username="an.nguyen").one().role == "leader"
    r = runner.invoke(
        args=["users", "create", "x", "--role", "department", "--password", "long-enough-pw"]
    )
    assert r.exit_code != 0 and "Cán bộ phòng, ban phải thuộc một phòng, ban." in r.output
    r = runner.invoke(
        args=["users", "create", "an.nguyen", "--role", "leader", "--password", "long-enough-pw"]
    )
    assert r.exit_code != 0 and "đã có người dùng" in r.output
    r = runner.invoke(args=["users", "create", "y", "--role", "leader", "--password", "short"])
    assert r.exit_code != 0


def test_report_summary_refuses_bad_dates(runner):
    r = runner.invoke(args=["report", "summary", "--from", "2024-13-01", "--to", "2024-09-30"])
    assert r.exit_code != 0 and "YYYY-MM-DD" in r.output
    r = runner.invoke(args=["report", "summary", "--from", "2024-10-01", "--to", "2024-09-30"])
    assert r.exit_code != 0 and "sau --to" in r.output
