"""Input has limits, not crashes: bounded integers, Unicode digits, the date window, JSON errors
on /api/*, one ``safe_next``, and production that refuses to run with the debugger."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Department
from tests import factories as f
from utils.inputs import MAX_ID, parse_int, safe_next

HUGE = str(2**63)


# --- integers ---------------------------------------------------------------------------------


def test_parse_int_takes_ascii_digits_within_bounds_only():
    assert parse_int("42") == 42 and parse_int(" 7 ") == 7
    assert parse_int(str(MAX_ID)) == MAX_ID
    for bad in (HUGE, "9" * 5000, "²", "١٢", "-1", "+3", "1e3", "", None, "4 2"):
        assert parse_int(bad) is None, bad


@pytest.mark.parametrize(
    "path",
    [
        f"/procedures/{HUGE}",
        f"/dossiers/{HUGE}",
        f"/shipments/{HUGE}/edit",
        "/procedures/١٢",
        f"/admin/users/{HUGE}",
        f"/rubric/{HUGE}",
    ],
)
def test_ids_beyond_the_database_or_in_other_scripts_are_404(client, auth, path):
    auth.login("admin")
    assert client.get(path).status_code == 404


@pytest.mark.slow  # a hostile-input sweep: left to `make test`, out of `make check`
@pytest.mark.parametrize(
    "query",
    [
        f"page={HUGE}",
        "page=²",
        "page=١٢",
        "per_page=" + "9" * 30,
        f"department={HUGE}",
        f"field={HUGE}",
        "department=²",
        f"page=2&after=2024-01-01.{HUGE}",
        "page=2&before=2024-01-01.²",
    ],
)
def test_list_parameters_out_of_range_fall_back_to_the_default(client, auth, query):
    auth.login("admin")
    f.procedure()
    for path in ("/procedures", "/dossiers", "/shipments", "/meetings"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 200, (path, query, r.status_code)
    assert client.get(f"/admin/audit?{query}&user={HUGE}").status_code == 200


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,end",
    [("0001-01-01", "9999-12-31"), ("1999-12-31", "2024-01-01"), ("2024-01-01", "2100-01-01")],
)
def test_dates_outside_the_window_are_a_400_with_a_message(client, auth, start, end):
    auth.login("admin")
    for path in ("/dashboard", "/procedures", "/briefs/preview", "/dossiers", "/shipments"):
        r = client.get(f"{path}?from={start}&to={end}")
        assert r.status_code == 400, (path, r.status_code)
        assert "31/12/2099" in r.text, path


def test_the_window_is_a_setting(app, client, auth):
    app.config["DATE_WINDOW"] = (1990, 2030)
    auth.login("admin")
    assert client.get("/dashboard?from=1995-01-01&to=1995-12-31").status_code == 200
    r = client.get("/dashboard?from=2031-01-01&to=2031-12-31")
    assert r.status_code == 400 and "31/12/2030" in r.text


def test_form_dates_outside_the_window_are_field_errors(client, auth):
    auth.login("admin")
    r = client.get("/admin/audit?date_from=0001-01-01&date_to=9999-12-31")
    assert r.status_code == 200 and "31/12/2099" in r.text
    r = client.post("/meetings/new", data={"date": "9999-12-31", "chair": "Chủ tịch"})
    assert r.status_code == 422 and "31/12/2099" in r.text


def test_unicode_digits_in_a_date_are_not_a_date(client, auth):
    auth.login("admin")
    assert client.get("/dashboard?from=２０２４-01-01&to=2024-02-01").status_code == 400
    assert client.get("/dashboard?from=20240101&to=20240201").status_code == 400


# --- /api/* answers JSON ----------------------------------------------------------------------


def test_api_errors_are_json(app, client, auth):
    r = client.get("/api/summary?from=2024-01-01&to=2024-02-01")
    assert r.status_code == 401 and r.is_json and r.json["status"] == 401
    auth.login("leader")
    r = client.get("/api/summary?from=0001-01-01&to=9999-12-31")
    assert r.status_code == 400 and r.is_json and "31/12/2099" in r.json["error"]
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.is_json
    r = client.post("/api/summary")
    assert r.status_code == 405 and r.is_json


def test_an_api_crash_is_json_too(app, client, auth):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/api/broken", "broken_api", broken)
    auth.login("leader")
    r = client.get("/api/broken")
    assert r.status_code == 500 and r.is_json and "boom" not in r.text


# --- safe_next --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\x00/evil.example",
        " //evil.example",
        "evil.example",
    ],
)
def test_safe_next_keeps_only_paths_of_this_site(app, target):
    with app.test_request_context():
        assert safe_next(target, "/home") == "/home"


def test_safe_next_keeps_a_path_and_drops_control_characters(app):
    with app.test_request_context():
        assert safe_next("/procedures?page=2", "/") == "/procedures?page=2"
        assert safe_next("/shipments\r\nSet-Cookie: x=1", "/") == "/shipmentsSet-Cookie: x=1"


def test_there_is_one_safe_next():
    root = Path(__file__).resolve().parent.parent
    copies = [p for p in root.glob("blueprints/**/*.py") if "def _safe_next" in p.read_text()]
    assert copies == []


@pytest.mark.parametrize(
    "next_",
    ["%2F%09%2Fevil.example", "%2F%0D%0A%2Fevil.example", "%2Fprocedures%0D%0ASet-Cookie:%20x=1"],
)
def test_login_never_redirects_off_site_nor_fails(client, next_):
    user = f.user("centre")
    db.session.commit()
    r = client.post(
        f"/login?next={next_}", data={"username": user.username, "password": f.PASSWORD}
    )
    assert r.status_code == 303
    location = r.headers["Location"]
    assert not location.startswith("//") and "evil.example" not in location.split("?")[0][:20]
    assert "\r" not in location and "\n" not in location


# --- control characters -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Phòng\x00", "\x1b[2J", "x\x85", "\x7f", "a\x0bb"])
def test_control_characters_in_a_form_are_refused_with_a_message(client, auth, value):
    auth.login("admin")
    before = db.session.scalar(select(func.count()).select_from(Department))
    r = client.post("/admin/departments/new", data={"code": "TC", "name": value})
    assert r.status_code == 400
    assert "U+" in r.text
    assert db.session.scalar(select(func.count()).select_from(Department)) == before


def test_control_characters_in_a_search_box_are_refused(client, auth):
    auth.login("admin")
    for path in ("/procedures?q=a%00b", "/dossiers?q=%00", "/shipments?q=%C2%85"):
        r = client.get(path)
        assert r.status_code == 400 and "U+" in r.text, path
    r = client.get("/api/summary?from=2024-01-01%00&to=2024-02-01")
    assert r.status_code == 400 and r.is_json


def test_line_breaks_only_in_multi_line_text_and_tabs_never_in_codes(client, auth):
    auth.login("admin")
    r = client.post("/admin/departments/new", data={"code": "TC", "name": "Phòng\nTài chính"})
    assert r.status_code == 422
    r = client.post("/admin/departments/new", data={"code": "T\tC", "name": "Phòng Tài chính"})
    assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0
    meeting = client.post(
        "/meetings/new",
        data={
            "date": "2024-09-21",
            "chair": "Chủ tịch",
            "participants": "Các phòng\r\nVăn phòng",
            "conclusions": "Một\tHai\nBa",
        },
    )
    assert meeting.status_code == 303


# --- production -------------------------------------------------------------------------------


def test_production_refuses_to_start_with_debug_on(monkeypatch):
    from app import create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("FLASK_DEBUG", "0")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["APP_ENV"] == "production"


def test_the_nginx_example_hides_its_version():
    conf = (Path(__file__).resolve().parent.parent / "docs" / "nginx.conf").read_text()
    assert any(line.strip() == "server_tokens off;" for line in conf.splitlines())
