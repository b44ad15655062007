"""The procedure catalogue: list, search, inline edit with optimistic locking, bulk update,
procedure page, fields, outreach, add/edit/retire, export."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from blueprints.procedures import services
from extensions import db
from models import AuditEvent, Procedure
from tests import factories as f
from tests.statements import recorded
from utils import figures
from utils.dates import Period

PERIOD = Period(date(2024, 1, 1), date(2024, 9, 30))
Q = "from=2024-01-01&to=2024-09-30"
HX = {"HX-Request": "true"}


def post_edit(client, procedure, version, htmx=True, **fields):
    """The eligibility edit form of a procedure, posted with the version it was read at."""
    return client.post(
        f"/procedures/{procedure.id}/edit",
        headers=HX if htmx else {},
        data={**fields, "version": str(version)},
    )


def events(action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


# --- Figures for the page's procedures --------------------------------------------------------


def test_procedure_activity_counts_received_and_postal_in_one_query(app):
    a, b, c = f.procedure(), f.procedure(), f.procedure()
    f.dossier(a, date(2024, 2, 1))
    f.dossier(a, date(2024, 3, 1), channel="bcci")
    f.dossier(a, date(2024, 4, 1), returned=date(2024, 4, 9), return_channel="bcci")
    f.dossier(
        a, date(2023, 12, 20), returned=date(2024, 1, 3), return_channel="bcci"
    )  # return only
    f.dossier(a, date(2024, 10, 2), channel="bcci")  # outside
    f.dossier(b, date(2024, 5, 5))
    f.dossier(c, date(2024, 5, 5))  # not asked for
    with recorded() as statements:
        result = figures.procedure_activity(PERIOD, [a.id, b.id])
    assert result == {a.id: (3, 3), b.id: (1, 0)}
    assert len(statements) == 1
    assert figures.procedure_activity(PERIOD, []) == {}


def test_outreach_by_department_orders_by_dossiers(app):
    small, big = f.department(), f.department()
    p1 = f.procedure(department_=small, ret=True)
    p2 = f.procedure(department_=big, ret=True)
    p3 = f.procedure(department_=big, receive=True)
    f.procedure(department_=big)  # not eligible
    for _ in range(2):
        f.dossier(p1, date(2024, 2, 1))
    for _ in range(2):
        f.dossier(p2, date(2024, 2, 1))
    f.dossier(p3, date(2024, 2, 1))
    assert figures.outreach_by_department(PERIOD) == [(big.id, 2, 3), (small.id, 1, 2)]


# --- List, search, filters --------------------------------------------------------------------


def test_list_shows_flags_and_counts_for_the_period(client, auth):
    p = f.procedure(name="Đăng ký khai sinh", ret=True, receive=False, reason_code="originals")
    f.dossier(p, date(2024, 2, 1), returned=date(2024, 2, 9), return_channel="bcci")
    f.dossier(p, date(2024, 3, 1))
    f.dossier(p, date(2025, 3, 1))
    auth.login("leader")
    r = client.get(f"/procedures?{Q}")
    assert r.status_code == 200 and "<html" in r.text
    row = r.text.split(f'id="procedure-{p.id}"')[1].split("</tr>")[0]
    assert p.code in row and "Đăng ký khai sinh" in row and p.field.name in row
    # The counts link to their dossiers by procedure id, for the period.
    assert f'procedure_id={p.id}">2</a></td>' in row and re.search(
        rf'href="/dossiers\?postal=yes&amp;[^"]*procedure_id={p.id}">1</a></td>', row
    )
    assert "Phải đối chiếu bản chính" in row or "Bản chính phải được kiểm tra" in row
    assert r.headers["Vary"] == "HX-Request" or "HX-Request" in r.headers["Vary"]


def test_list_fragment_for_htmx_and_page_otherwise(client, auth):
    f.procedure()
    auth.login("leader")
    page = client.get("/procedures")
    fragment = client.get("/procedures", headers=HX)
    assert "<html" in page.text and 'id="procedure-filters"' in page.text
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith("{#") is False
    assert 'id="procedure-table"' in fragment.text and 'id="procedure-filters"' not in fragment.text
    boosted = client.get("/procedures", headers={**HX, "HX-Boosted": "true"})
    assert "<html" in boosted.text


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ho tich", {"Thay đổi hộ tịch"}),
        ("HỘ TỊCH", {"Thay đổi hộ tịch"}),
        ("dat dai", {"Đăng ký Đất đai"}),
        ("Đất", {"Đăng ký Đất đai"}),
        ("1.0011", {"Thay đổi hộ tịch"}),
        ("%", set()),
        ("_", set()),
    ],
)
def test_search_folds_case_and_diacritics(client, auth, query, expected):
    f.procedure(code="1.001108", name="Thay đổi hộ tịch")
    f.procedure(code="2.000001", name="Đăng ký Đất đai")
    auth.login("leader")
    r = client.get("/procedures", query_string={"q": query}, headers=HX)
    found = {name for name in ("Thay đổi hộ tịch", "Đăng ký Đất đai") if name in r.text}
    assert found == expected


def test_filters(client, auth):
    d1, d2 = f.department(), f.department()
    fl = f.field()
    a = f.procedure(department_=d1, field_=fl, receive=True, ret=True)
    b = f.procedure(department_=d2, ret=True, reason_code="in_person")
    c = f.procedure(department_=d2, in_force=False, reason_code="in_person")
    f.dossier(b, date(2024, 2, 1), returned=date(2024, 2, 3), return_channel="bcci")
    auth.login("leader")

    def codes(**args):
        r = client.get(
            "/procedures",
            query_string={"from": "2024-01-01", "to": "2024-09-30", **args},
            headers=HX,
        )
        assert r.status_code == 200
        return {p.code for p in (a, b, c) if f'id="procedure-{p.id}"' in r.text}

    assert codes() == {a.code, b.code}
    assert codes(department=d2.id) == {b.code}
    assert codes(field=fl.id) == {a.code}
    assert codes(receive="yes") == {a.code}
    assert codes(receive="no") == {b.code}
    assert codes(**{"return": "yes"}) == {a.code, b.code}
    assert codes(eligible="no", in_force="all") == {c.code}
    assert codes(postal="yes") == {b.code}
    assert codes(postal="no") == {a.code}
    assert codes(dossiers="yes") == {b.code}
    assert codes(in_force="no") == {c.code}
    assert codes(in_force="all") == {a.code, b.code, c.code}
    # Malformed values are ignored rather than failing.
    assert codes(department="abc", page="-1", per_page="7", sort="evil") == {a.code, b.code}


def test_bad_period_is_a_400(client, auth):
    auth.login("leader")
    assert client.get("/procedures?from=2024-13-01&to=2024-01-01").status_code == 400


def test_sort_and_pagination(client, auth):
    for n in range(30):
        f.procedure(code=f"1.{n + 100000:06d}", name=f"Thủ tục {n:02d}")
    auth.login("leader")
    r = client.get("/procedures?per_page=25&page=2", headers=HX)
    assert "1.100025" in r.text and "1.100024" not in r.text
    r = client.get("/procedures?sort=code&dir=desc&per_page=25", headers=HX)
    assert "1.100029" in r.text and "1.100004" not in r.text
    r = client.get("/procedures?sort=name&per_page=25&page=99", headers=HX)
    assert "Thủ tục 29" in r.text  # past the end: the last page


# --- Inline edit ------------------------------------------------------------------------------


def test_edit_row_fragment_and_page(client, auth):
    p = f.procedure()
    auth.login("centre")
    r = client.get(f"/procedures/{p.id}/edit", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text
    assert r.text.lstrip().startswith("<tr") or '<tr id="procedure-' in r.text
    assert 'name="version" type="hidden" value="1"' in r.text or 'value="1"' in r.text
    r = client.get(f"/procedures/{p.id}/edit")
    assert r.status_code == 200 and "<html" in r.text and 'name="eligible_receive"' in r.text


def test_edit_requires_a_reason_when_either_flag_is_no(client, auth):
    p = f.procedure(receive=True, ret=True)
    auth.login("centre")
    data = {"eligible_receive": "no", "eligible_return": "yes", "reason_code": "", "version": "1"}
    r = client.post(f"/procedures/{p.id}/edit", data=data, headers=HX)
    assert r.status_code == 422 and "<html" not in r.text
    assert "is-invalid" in r.text and "Nêu lý do" in r.text
    r = client.post(f"/procedures/{p.id}/edit", data={**data, "reason_code": "other"}, headers=HX)
    assert r.status_code == 422 and "Mô tả lý do" in r.text
    db.session.expire_all()
    assert db.session.get(Procedure, p.id).eligible_receive is True
    assert events("procedure_eligibility") == []
    r = client.post(
        f"/procedures/{p.id}/edit", data={**data, "reason_code": "in_person"}, headers=HX
    )
    assert r.status_code == 200 and r.text.lstrip().startswith("{#") is False
    assert f'id="procedure-{p.id}"' in r.text and "editing" not in r.text
    db.session.expire_all()
    p = db.session.get(Procedure, p.id)
    assert (p.eligible_receive, p.eligible_return, p.reason_code, p.version) == (
        False,
        True,
        "in_person",
        2,
    )
    [event] = events("procedure_eligibility")
    assert event.old_values == {"eligible_receive": True, "reason_code": ""}
    assert event.new_values == {"eligible_receive": False, "reason_code": "in_person"}


def test_edit_without_htmx_redirects_303(client, auth):
    p = f.procedure()
    auth.login("centre")
    r = post_edit(
        client,
        p,
        1,
        htmx=False,
        eligible_receive="yes",
        eligible_return="yes",
        next="/procedures?q=x",
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("/procedures?q=x")
    r = post_edit(
        client,
        p,
        2,
        htmx=False,
        eligible_receive="yes",
        eligible_return="yes",
        next="//evil.example",
    )
    assert r.status_code == 303 and "evil" not in r.headers["Location"]
    r = post_edit(client, p, 2, htmx=False, eligible_receive="no", eligible_return="yes")
    assert r.status_code == 422 and "<html" in r.text


def test_both_yes_clears_the_reason(app):
    user = f.user("centre")
    p = f.procedure(reason_code="originals", reason_text="x")
    services.update_eligibility(p, user, 1, True, True, "originals", "x")
    assert (p.reason_code, p.reason_text) == ("", "")


def test_optimistic_lock_conflict_shows_their_values(client, auth):
    p = f.procedure(receive=True, ret=True)
    other = f.user("centre")
    auth.login("department", department=p.department)
    # The other person saves first (version 1 → 2).
    services.update_eligibility(p, other, 1, False, True, "originals", "Bản gốc giấy tờ")
    db.session.commit()
    r = post_edit(
        client, p, 1, eligible_receive="yes", eligible_return="no", reason_code="in_person"
    )
    assert r.status_code == 409
    assert 'data-testid="conflict"' in r.text and "Bản gốc giấy tờ" in r.text
    assert 'value="2"' in r.text  # saving again is a deliberate overwrite
    db.session.expire_all()
    p = db.session.get(Procedure, p.id)
    assert (p.eligible_receive, p.eligible_return, p.reason_text) == (
        False,
        True,
        "Bản gốc giấy tờ",
    )
    r = post_edit(
        client, p, 2, eligible_receive="yes", eligible_return="no", reason_code="in_person"
    )
    assert r.status_code == 200


def test_the_version_check_is_in_the_update_where_clause(app):
    """A save racing another between load and flush fails at the UPDATE (StaleDataError)."""
    from sqlalchemy.orm.exc import StaleDataError

    from sqlalchemy.orm.attributes import set_committed_value

    user = f.user("centre")
    pid = f.procedure().id
    db.session.commit()
    with db.engine.begin() as conn:  # someone else's committed save
        conn.execute(
            update(Procedure.__table__)
            .where(Procedure.__table__.c.id == pid)
            .values(version=2, eligible_receive=True)
        )
    # This session still holds the procedure as it was loaded before their save.
    p = db.session.get(Procedure, pid)
    set_committed_value(p, "version", 1)
    with pytest.raises(StaleDataError):
        services.update_eligibility(p, user, 1, True, True, "", "")
    db.session.rollback()


def test_stale_write_is_a_409_in_the_view(client, auth, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    p = f.procedure()
    auth.login("centre")

    def racing(*args, **kwargs):
        raise StaleDataError("raced")

    monkeypatch.setattr(services, "update_eligibility", racing)
    r = post_edit(client, p, 1, eligible_receive="yes", eligible_return="yes")
    assert r.status_code == 409 and 'data-testid="conflict"' in r.text


def test_show_row_for_cancel(client, auth):
    p = f.procedure()
    auth.login("centre")
    r = client.get(f"/procedures/{p.id}/row", headers=HX)
    assert r.status_code == 200 and f'id="procedure-{p.id}"' in r.text and "<html" not in r.text
    r = client.get(f"/procedures/{p.id}/row")
    assert r.status_code == 303 and f"/procedures/{p.id}" in r.headers["Location"]


# --- Bulk update ------------------------------------------------------------------------------


def post_bulk(client, ids=None, htmx=False, **fields):
    """The list's bulk form: the selected procedures (``ids``) or, without them, every procedure
    the filter in ``fields`` matches, set to the eligibility in ``fields``."""
    scope = {"scope": "selected", "ids": ids} if ids is not None else {"scope": "filter"}
    return client.post("/procedures/bulk", headers=HX if htmx else {}, data=scope | fields)


def test_bulk_update_selected(client, auth):
    a = f.procedure(receive=True, ret=True)
    b = f.procedure(receive=False, ret=True, reason_code="originals")
    c = f.procedure(receive=True, ret=True)
    auth.login("centre")
    r = post_bulk(
        client,
        [a.id, b.id],
        htmx=True,
        eligible_receive="no",
        eligible_return="",
        reason_code="in_person",
        reason_text="",
    )
    assert r.status_code == 200 and 'data-testid="bulk-summary"' in r.text and "<html" not in r.text
    assert "2 thủ tục đã thay đổi, 0" in r.text
    db.session.expire_all()
    assert [
        (p.eligible_receive, p.reason_code)
        for p in (db.session.get(Procedure, i) for i in (a.id, b.id, c.id))
    ] == [(False, "in_person"), (False, "in_person"), (True, "")]
    assert len(events("procedure_bulk_eligibility")) == 2
    # The same again changes nothing and records nothing.
    r = post_bulk(client, [a.id, b.id], eligible_receive="no", reason_code="in_person")
    assert r.status_code == 303
    assert len(events("procedure_bulk_eligibility")) == 2


def test_bulk_update_everything_matching_the_filter(client, auth):
    d = f.department()
    a = f.procedure(department_=d, name="Cấp phép xây dựng A")
    b = f.procedure(department_=d, name="Cấp phép xây dựng B")
    c = f.procedure(department_=d, name="Khác")
    auth.login("department", department=d)
    r = post_bulk(client, htmx=True, q="xay dung", eligible_receive="yes", eligible_return="yes")
    assert r.status_code == 200
    db.session.expire_all()
    assert [db.session.get(Procedure, p.id).eligible_return for p in (a, b, c)] == [
        True,
        True,
        False,
    ]


def test_bulk_update_validation(client, auth):
    a = f.procedure()
    auth.login("centre")
    r = post_bulk(client, [a.id], htmx=True, eligible_receive="no")
    assert r.status_code == 422 and "Nêu lý do" in r.text and "<html" not in r.text
    r = post_bulk(client, [], eligible_receive="yes")
    assert r.status_code == 422 and "<html" in r.text and "Chọn ít nhất một thủ tục" in r.text


def test_department_bulk_touching_another_department_is_refused_whole(client, auth):
    own, other = f.department(), f.department()
    a = f.procedure(department_=own)
    b = f.procedure(department_=other)
    auth.login("department", department=own)
    r = post_bulk(client, [a.id, b.id], eligible_receive="yes", eligible_return="yes")
    assert r.status_code == 403
    r = post_bulk(client, eligible_receive="yes", eligible_return="yes")
    assert r.status_code == 403
    db.session.expire_all()
    assert not db.session.get(Procedure, a.id).eligible_receive
    assert events("procedure_bulk_eligibility") == []


# --- Procedure page, fields, outreach --------------------------------------------------------


def test_procedure_page_counts_and_history(client, auth):
    p = f.procedure(receive=True, ret=True)
    f.dossier(p, date(2024, 2, 1), returned=date(2024, 2, 5), return_channel="bcci")
    f.dossier(p, date(2024, 3, 1))
    editor = f.user("centre")
    services.update_eligibility(p, editor, 1, False, True, "originals", "")
    db.session.commit()
    auth.login("leader")
    r = client.get(f"/procedures/{p.id}?{Q}")
    assert r.status_code == 200
    assert re.search(
        rf'data-testid="received"><a href="/dossiers\?[^"]*procedure_id={p.id}">2</a></dd>', r.text
    )
    assert re.search(
        rf'data-testid="postal"><a href="/dossiers\?[^"]*procedure_id={p.id}&amp;postal=yes">1</a></dd>',
        r.text,
    )
    # people by name, values as labels
    assert editor.full_name in r.text and editor.username not in r.text
    assert (
        '<del>Có</del> <span aria-hidden="true">→</span>' in r.text and "<ins>Không</ins>" in r.text
    )
    from utils.formats import dmy_hm

    assert dmy_hm(events("procedure_eligibility")[0].at) in r.text
    assert client.get(f"/procedures/{p.id}", headers=HX).text.count("<html") == 0
    assert client.get("/procedures/999999").status_code == 404


def test_fields_page(client, auth):
    fl = f.field(name="Xây dựng", note="Trả giấy phép qua BCCI")
    a = f.procedure(field_=fl, ret=True)
    f.procedure(field_=fl)
    f.procedure(field_=fl, in_force=False, ret=True)
    f.dossier(a, date(2024, 2, 1), returned=date(2024, 2, 3), return_channel="bcci")
    auth.login("leader")
    r = client.get(f"/procedures/fields?{Q}")
    assert r.status_code == 200 and "Trả giấy phép qua BCCI" in r.text
    row = r.text.split(f'id="field-{fl.id}"')[1].split("</tr>")[0]
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num">(.*?)</td>', row)
    ]
    assert cells == ["2", "1", "1"]  # in force, eligible, with postal activity
    assert "postal=yes" in row and "eligible=yes" in row
    fragment = client.get(f"/procedures/fields?{Q}", headers=HX)
    assert 'id="fields-table"' in fragment.text and "<html" not in fragment.text


def test_field_note_by_centre(client, auth):
    fl = f.field()
    auth.login("centre")
    r = client.post(
        f"/procedures/fields/{fl.id}/note",
        headers=HX,
        data={"postal_note": "Chỉ trả thông báo thuế"},
    )
    assert r.status_code == 200 and "Chỉ trả thông báo thuế" in r.text and "<html" not in r.text
    r = client.post(f"/procedures/fields/{fl.id}/note", data={"postal_note": "Khác"})
    assert r.status_code == 303
    assert len(events("field_note")) == 2


def test_outreach_grouped_by_department(client, auth):
    small, big = f.department(name="Phòng Nhỏ"), f.department(name="Phòng Lớn")
    p1 = f.procedure(department_=small, ret=True, name="Thủ tục nhỏ")
    p2 = f.procedure(department_=big, ret=True, name="Thủ tục lớn")
    quiet = f.procedure(department_=big, ret=True, name="Đã có bưu chính")
    f.dossier(p1, date(2024, 2, 1))
    for _ in range(3):
        f.dossier(p2, date(2024, 2, 1))
    f.dossier(quiet, date(2024, 2, 1), returned=date(2024, 2, 2), return_channel="bcci")
    auth.login("department")
    r = client.get(f"/procedures/outreach?{Q}")
    assert r.status_code == 200
    assert r.text.index("Phòng Lớn") < r.text.index("Phòng Nhỏ")
    assert "Thủ tục lớn" in r.text and "Đã có bưu chính" not in r.text
    fragment = client.get(f"/procedures/outreach?{Q}", headers=HX)
    assert 'id="outreach"' in fragment.text and "<html" not in fragment.text


# --- Add, edit, retire ------------------------------------------------------------------------


def test_add_procedure(client, auth):
    d, fl = f.department(), f.field()
    auth.login("department", department=d)
    assert client.get("/procedures/new").status_code == 200
    data = {
        "code": "1.012345",
        "name": "  Thủ tục mới  ",
        "field_id": fl.id,
        "department_id": d.id,
        "level": "Cấp huyện",
        "eligible_receive": "yes",
        "eligible_return": "no",
        "reason_code": "",
    }
    r = client.post("/procedures/new", data=data)
    assert r.status_code == 422 and "Nêu lý do" in r.text
    r = client.post("/procedures/new", data={**data, "code": "1.12"})
    assert r.status_code == 422 and "1.001108" in r.text
    r = client.post("/procedures/new", data={**data, "reason_code": "result_in_person"})
    assert r.status_code == 303
    p = db.session.scalars(select(Procedure).where(Procedure.code == "1.012345")).one()
    assert p.name == "Thủ tục mới" and p.name_folded == "thu tuc moi" and p.department_id == d.id
    assert events("procedure_create")[0].object_id == str(p.id)
    r = client.post("/procedures/new", data={**data, "reason_code": "in_person"})
    assert r.status_code == 422 and "Một thủ tục khác đã có mã này" in r.text


def test_edit_details_and_forged_department(client, auth):
    own, other = f.department(), f.department()
    fl = f.field()
    p = f.procedure(department_=own, field_=fl)
    auth.login("department", department=own)
    assert client.get(f"/procedures/{p.id}/details").status_code == 200
    data = {
        "code": p.code,
        "name": "Tên mới",
        "field_id": fl.id,
        "department_id": own.id,
        "level": "",
        "version": "1",
    }
    r = client.post(f"/procedures/{p.id}/details", data={**data, "department_id": other.id})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Procedure, p.id).department_id == own.id
    r = client.post(f"/procedures/{p.id}/details", data=data)
    assert r.status_code == 303
    db.session.expire_all()
    p = db.session.get(Procedure, p.id)
    assert p.name == "Tên mới" and p.name_folded == "ten moi" and p.version == 2
    r = client.post(f"/procedures/{p.id}/details", data={**data, "name": "Khác", "version": "1"})
    assert r.status_code == 409 and 'data-testid="conflict"' in r.text


def test_retire_and_reinstate_never_delete(client, auth):
    p = f.procedure()
    f.dossier(p, date(2024, 2, 1))
    auth.login("centre")
    r = client.post(f"/procedures/{p.id}/retire")
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Procedure, p.id).in_force is False
    r = client.post(f"/procedures/{p.id}/reinstate", headers=HX)
    assert r.status_code == 204 and r.headers["HX-Redirect"].endswith(f"/procedures/{p.id}")
    db.session.expire_all()
    assert db.session.get(Procedure, p.id).in_force is True
    assert [e.action for e in events()][-2:] == ["procedure_retire", "procedure_reinstate"]


# --- Export -----------------------------------------------------------------------------------


def test_export_current_filter_csv_and_xlsx_with_formulas_neutralised(client, auth):
    d = f.department(code="TP", name="Phòng Tư pháp")
    fl = f.field(name="Tư pháp – Hộ tịch")
    f.procedure(
        code="1.000001",
        name='=HYPERLINK("http://x")',
        department_=d,
        field_=fl,
        ret=True,
        reason_code="other",
        reason_text="+cmd",
    )
    f.procedure(code="1.000002", name="Khác", receive=True, ret=True)
    auth.login("leader")
    r = client.get(f"/procedures/export?format=csv&department={d.id}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == list(services.EXPORT_COLUMNS)
    assert rows[1] == [
        "1.000001",
        '\'=HYPERLINK("http://x")',
        "Tư pháp – Hộ tịch",
        "TP",
        "Phòng Tư pháp",
        "",
        "không",
        "có",
        "'+cmd",
        "có",
    ]
    assert len(rows) == 2
    r = client.get(f"/procedures/export?format=xlsx&department={d.id}")
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][1] == '\'=HYPERLINK("http://x")' and sheet.cell(2, 2).data_type == "s"
    assert client.get("/procedures/export?format=pdf").status_code == 400


def test_export_reimports_unchanged(client, auth, runner, tmp_path):
    d = f.department(code="TP")
    f.procedure(code="1.000001", department_=d, reason_code="originals", ret=True)
    f.procedure(code="1.000002", department_=d, reason_code="other", reason_text="Lý do riêng")
    f.procedure(code="1.000003", department_=d, receive=True, ret=True, in_force=False)
    auth.login("centre")
    data = client.get("/procedures/export?format=csv&in_force=all").data
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    r = runner.invoke(args=["import", "procedures", str(path)])
    assert r.exit_code == 0, r.output
    assert "0 thêm mới, 0 thay đổi, 3 không đổi" in r.output


def _statements(client, url, headers=HX):
    with recorded() as statements:
        assert client.get(url, headers=headers).status_code == 200
    return statements


@pytest.mark.parametrize("role", ["leader", "centre", "department"])
def test_queries_are_few_on_the_list(client, auth, role):
    """The page's counts are one query, not one per row; the rows, their fields and departments
    and the number of matches one more; the same few statements for 1 row as for 30."""
    department = f.department()
    p = f.procedure(department_=department)
    f.dossier(p, date(2024, 2, 1))
    auth.login(role, department=department if role == "department" else None)
    one = _statements(client, f"/procedures?{Q}")
    for _ in range(29):
        p = f.procedure(department_=department)
        f.dossier(p, date(2024, 2, 1))
    many = _statements(client, f"/procedures?{Q}")
    assert len(many) == len(one)
    assert sum("FROM dossier" in s for s in many) == 1
    assert sum("FROM procedure" in s for s in many) == (3 if role == "department" else 2)
    # The filter menus belong to the page, not to the table an htmx request swaps.
    assert not any("FROM field ORDER BY" in s for s in many)
    page = _statements(client, f"/procedures?{Q}", headers={})
    assert any("FROM field ORDER BY" in s for s in page)


def _row_html(text, procedure):
    """The ``<tr>`` of ``procedure`` in ``text``, whitespace collapsed."""
    start = text.index(f'<tr id="procedure-{procedure.id}"')
    return " ".join(text[start : text.index("</tr>", start) + 5].split())


def test_list_row_is_the_row_swapped_back_after_an_edit(client, auth):
    """The table and the single row (cancel, save) render through one macro: same cells, links,
    htmx attributes and escaping, the edit controls only where the user may edit."""
    own, other = f.department(), f.department()
    mine = f.procedure(
        department_=own, name="Cấp <giấy> phép", receive=True, reason_code="originals"
    )
    theirs = f.procedure(
        department_=other, in_force=False, reason_code="other", reason_text="Lý do & <riêng>"
    )
    f.dossier(mine, date(2024, 2, 1), channel="bcci")
    f.dossier(mine, date(2024, 3, 1))
    auth.login("department", department=own)
    listed = client.get(f"/procedures?{Q}&in_force=all", headers=HX).text
    for p in (mine, theirs):
        alone = client.get(f"/procedures/{p.id}/row?{Q}", headers=HX)
        assert alone.status_code == 200
        # The same macro; the row swapped back only takes the cursor (its Edit button).
        assert _row_html(alone.text, p).replace(" autofocus", "") == _row_html(listed, p)
    row = _row_html(listed, mine)
    period = "from=2024-01-01&amp;to=2024-09-30"
    assert f'<a href="/procedures/{mine.id}?{period}">{mine.code}</a>' in row
    edit = f"/procedures/{mine.id}/edit?{period}"
    assert (
        f'href="{edit}" hx-get="{edit}" hx-target="closest tr" hx-swap="outerHTML">Sửa</a>' in row
    )
    assert f'name="ids" value="{mine.id}" form="bulk-form" aria-label="Chọn {mine.code}"' in row
    assert "Cấp &lt;giấy&gt; phép" in row and 'title="' + own.name + '"' in row
    assert '<td class="num">2</td> <td class="num">1</td>' in row
    assert '<span class="badge text-bg-success">Có</span>' in row
    row = _row_html(listed, theirs)
    assert 'class="text-muted"' in row and "Hết hiệu lực" in row
    assert "Lý do &amp; &lt;riêng&gt;" in row and 'name="ids"' not in row and "/edit" not in row
    assert f'<a href="/procedures/{theirs.id}?{period}">' in row


@pytest.mark.parametrize(
    "locale, received, postal, words",
    [
        (
            "vi",
            "12.345",
            "1.234",
            ("Có", "Không", "Sửa", "Chọn", "Người yêu cầu phải có mặt trực tiếp"),
        ),
        (
            "en",
            "12,345",
            "1,234",
            ("Yes", "No", "Edit", "Select", "The applicant must appear in person"),
        ),
    ],
)
def test_list_rows_in_the_users_language(
    client, auth, monkeypatch, locale, received, postal, words
):
    p = f.procedure(receive=True, reason_code="in_person")
    monkeypatch.setattr(
        figures,
        "procedure_activity",
        lambda period, ids, unit=None: {i: (12345, 1234) for i in ids},
    )
    auth.login(user=f.user(role="centre", locale=locale))
    row = _row_html(client.get(f"/procedures?{Q}", headers=HX).text, p)
    assert (
        f'">{received}</a></td> <td class="num"><a href="' in row and f'">{postal}</a></td>' in row
    )
    yes, no, edit, select, reason = words
    assert f">{yes}</span>" in row and f">{no}</span>" in row and f">{edit}</a>" in row
    assert f'aria-label="{select} {p.code}"' in row
    assert f'<div class="small text-muted reason">{reason}</div>' in row


def test_reason_labels(app):
    assert services.reason_label("in_person") == "Người yêu cầu phải có mặt trực tiếp"
    assert services.reason_label("") == ""
    labels = services.reason_labels()
    assert labels["in_person"] == services.reason_label("in_person")
    assert labels["unknown_code"] == "unknown_code" and labels[""] == ""


def test_reason_text_without_a_reason_code_is_shown_alone(client, auth):
    p = f.procedure(reason_code="", reason_text="Lý do từ tệp nhập")
    auth.login("leader")
    row = (
        client.get("/procedures", headers=HX)
        .text.split(f'id="procedure-{p.id}"')[1]
        .split("</tr>")[0]
    )
    assert '<div class="small text-muted reason">Lý do từ tệp nhập</div>' in row


def test_department_staff_get_apply_to_all_only_for_their_own_matches(client, auth):
    own, other = f.department(), f.department()
    f.procedure(department_=own)
    f.procedure(department_=other)
    auth.login("department", department=own)
    r = client.get("/procedures?department=all", headers=HX)
    assert 'value="filter"' not in r.text and "1 thủ tục phù hợp thuộc đơn vị khác" in r.text
    r = client.get(f"/procedures?department={own.id}", headers=HX)
    assert 'value="filter"' in r.text
    r = client.get("/procedures", headers=HX)  # the menu's list: their own department
    assert 'value="filter"' in r.text


def test_new_and_details_with_and_without_htmx(client, auth):
    d, fl = f.department(), f.field()
    p = f.procedure(department_=d, field_=fl)
    auth.login("centre")
    r = client.get("/procedures/new", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'id="new-procedure-form"' in r.text
    data = {
        "code": "1.054321",
        "name": "Mới",
        "field_id": fl.id,
        "department_id": d.id,
        "eligible_receive": "yes",
        "eligible_return": "yes",
    }
    r = client.post("/procedures/new", data={**data, "name": ""}, headers=HX)
    assert r.status_code == 422 and "<html" not in r.text and "is-invalid" in r.text
    r = client.post("/procedures/new", data=data, headers=HX)
    assert r.status_code == 204 and "/procedures/" in r.headers["HX-Redirect"]
    r = client.get(f"/procedures/{p.id}/details", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'id="details-form"' in r.text
    details = {
        "code": p.code,
        "name": "Tên",
        "field_id": fl.id,
        "department_id": d.id,
        "version": "1",
    }
    r = client.post(f"/procedures/{p.id}/details", data={**details, "code": "x"}, headers=HX)
    assert r.status_code == 422 and "<html" not in r.text
    r = client.post(f"/procedures/{p.id}/details", data=details, headers=HX)
    assert r.status_code == 204 and r.headers["HX-Redirect"].endswith(f"/procedures/{p.id}")
    r = client.get("/procedures/import", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'id="import-region"' in r.text


# --- Department staff: their own procedures first ----------------------------------------------


def test_department_list_from_the_menu_shows_their_own_department(client, auth):
    own, other = f.department(code="TP", name="Phòng Tư pháp"), f.department()
    mine = f.procedure(department_=own, name="Chứng thực bản sao")
    theirs = f.procedure(department_=other, name="Cấp giấy phép xây dựng")
    auth.login("department", department=own)
    # The menu's link (no query string), or one with only page, sort or period: their own.
    for query in ("", "?page=1&sort=name&dir=desc", "?from=2024-01-01&to=2024-09-30"):
        r = client.get("/procedures" + query)
        assert r.status_code == 200
        assert mine.name in r.text and theirs.name not in r.text, query
        assert 'data-testid="own-department"' in r.text
    # One click shows every department's, and the choice survives paging and sorting.
    r = client.get("/procedures?department=all")
    assert mine.name in r.text and theirs.name in r.text
    assert 'data-testid="own-department"' not in r.text and "department=all" in r.text
    # A link with any other filter keeps it as given.
    r = client.get("/procedures?q=giay+phep")
    assert theirs.name in r.text and mine.name not in r.text
    r = client.get(f"/procedures?department={other.id}")
    assert theirs.name in r.text and mine.name not in r.text
    # Other roles open on everything, as before.
    auth.logout()
    auth.login("leader")
    r = client.get("/procedures")
    assert mine.name in r.text and theirs.name in r.text


@pytest.mark.parametrize(
    "receive, ret, under",
    [
        (False, True, ["receive"]),
        (True, False, ["return"]),
        (False, False, ["receive", "return"]),
    ],
)
def test_the_reason_sits_under_the_direction_it_explains(client, auth, receive, ret, under):
    p = f.procedure(receive=receive, ret=ret, reason_code="in_person")
    auth.login("centre")
    r = client.get("/procedures")
    row = re.search(rf'<tr id="procedure-{p.id}".*?</tr>', r.text, re.S).group(0)
    cells = dict(re.findall(r'<td data-direction="(\w+)">(.*?)</td>', row, re.S))
    assert [
        d for d in ("receive", "return") if 'class="small text-muted reason"' in cells[d]
    ] == under


def test_a_saved_row_says_so(client, auth):
    p = f.procedure(receive=True, ret=True)
    auth.login("centre")
    r = post_edit(
        client, p, 1, eligible_receive="yes", eligible_return="no", reason_code="in_person"
    )
    assert r.status_code == 200 and 'data-testid="row-saved"' in r.text
    assert 'id="row-status"' in r.text and 'hx-swap-oob="true"' in r.text and p.code in r.text
    r = client.get(f"/procedures/{p.id}/row", headers={"HX-Request": "true"})
    assert 'data-testid="row-saved"' not in r.text and 'id="row-status"' not in r.text
