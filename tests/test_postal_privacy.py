"""No citizen's personal data leaks to leaders or department staff: every GET route and every
default export is visited with a unique name, phone and address seeded, and the logs captured."""

import logging
from datetime import date

import pytest

from extensions import db
from tests import factories as f
from utils.dates import vn_today

NAME = "Khổng Minh Triết Ưng"
PHONE = "0987001234"
STREET = "Ngõ 77 Hẻm Độc Nhất"
ADDRESS = f"{STREET}, phường Hồng Gai, thành phố Hạ Long"
SECRETS = (NAME, PHONE, "987001234", "0987 001 234", STREET, "Hẻm Độc Nhất")


def _urls(app, values):
    """Every GET route of the application whose arguments we can fill."""
    out = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            if any(arg not in values for arg in rule.arguments):
                continue
            args = {arg: values[arg] for arg in rule.arguments}
            out.append(url_for(rule.endpoint, **args))
            if rule.endpoint.startswith(("postal.", "dossiers.")) and not rule.arguments:
                out.append(
                    url_for(
                        rule.endpoint,
                        q="",
                        status="active",
                        direction="tra_ket_qua",
                        **{"from": "2024-01-01", "to": vn_today().isoformat()},
                    )
                )
    return sorted(set(out))


@pytest.mark.slow  # walks every page and export
@pytest.mark.parametrize("role", ["leader", "department"])
def test_no_personal_data_for_leaders_and_departments(app, client, auth, caplog, role):
    proc = f.procedure(code="1.001108", ret=False)
    d = f.dossier(proc, date(2024, 3, 1), channel="bcci")
    s = f.shipment(
        d,
        "tra_ket_qua",
        date(2024, 3, 9),
        recipient_name=NAME,
        phone=PHONE,
        address=ADDRESS,
        fee=25000,
        eligibility_warning=True,
    )
    from blueprints.dossiers.services import recompute_effective

    recompute_effective([d.id])
    db.session.commit()
    auth.login(role, department=proc.department)
    caplog.set_level(logging.DEBUG)
    values = {"dossier_id": d.id, "shipment_id": s.id, "fmt": "csv"}
    urls = _urls(app, values) + _urls(app, {**values, "fmt": "xlsx"})
    assert any("/shipments/export.csv" in u for u in urls) and any(
        f"/shipments/{s.id}" in u for u in urls
    )
    seen_ok = 0
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            seen_ok += response.status_code == 200
            body = response.data
            if response.mimetype.endswith("sheet"):
                import io

                from openpyxl import load_workbook

                ws = load_workbook(io.BytesIO(body)).active
                body = "\n".join(
                    ",".join(str(c) for c in row if c is not None)
                    for row in ws.iter_rows(values_only=True)
                ).encode()
            text = body.decode("utf-8", "replace")
            for secret in SECRETS:
                assert secret not in text, (url, secret)
    assert seen_ok >= 6
    logs = caplog.text
    for secret in SECRETS:
        assert secret not in logs
