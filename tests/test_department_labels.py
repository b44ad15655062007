"""Department codes appear with their names ("TP – Phòng Tư pháp") wherever a code is shown."""

from extensions import db
from tests import factories as f


def test_a_department_code_comes_with_its_name(client, auth):
    dept = f.department(code="TP", name="Phòng Tư pháp")
    staff = f.user("department", department_=dept)
    db.session.commit()
    label = "TP – Phòng Tư pháp"
    # the person's own line names the department
    auth.login(user=staff)
    assert f"{staff.full_name} · Cán bộ phòng, ban · {label}" in client.get("/").text
    auth.logout()
    auth.login("admin")
    users = client.get("/admin/users").text
    assert label in users and "TP · Phòng Tư pháp" not in users
    assert f'<option value="TP">{label}</option>' in client.get("/admin/users/new").text
    r = client.post("/admin/departments/new", data={"code": "KT", "name": "Phòng Kinh tế"})
    assert r.status_code in (200, 303)
    page = client.get("/admin/departments").text if r.status_code == 303 else r.text
    assert "KT – Phòng Kinh tế" in page
