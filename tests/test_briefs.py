"""The meeting brief (docs/brief.md): its text, layout and fonts, privacy, the static-only
resource fetcher, drafts, issuing with a number, and byte-identical issued files.

The demo organisation's brief is rendered once per module (the demo load takes seconds); tests
that change data use factories on their own database.
"""

import hashlib
import socket
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, Brief, Meeting, RubricVersion, Shipment, Task
from tests import factories as f
from tests.pdf import pdf_fonts, pdf_page_image, pdf_text
from utils.dates import Period

DEMO_PERIOD = Period(date(2024, 1, 1), date(2024, 9, 30))
DOC_DATE = date(2025, 1, 5)
HOSTILE_NAMES = ('<img src="http://169.254.169.254/">', "file:///etc/passwd")


@pytest.fixture(scope="module")
def demo_brief(_demo):
    """The demo period's draft brief, dated 05/01/2025, with the demo's personal data to look for
    (the demo is loaded once per test process: ``demo_app`` in tests/conftest.py)."""
    from blueprints.briefs import services
    from utils.pdf import render_pdf

    with _demo.restored():
        context = services.brief_context(DEMO_PERIOD, DOC_DATE)
        html = services.render_document(context)
        pdf = render_pdf(html, services.STYLESHEETS)
        personal = db.session.execute(
            select(Shipment.recipient_name, Shipment.phone, Shipment.address)
        ).all()
        settings = context["settings"]
        # The header writes both names in capitals, whatever case the settings give them.
        names = (settings.parent_agency.upper(), settings.unit_name.upper())
    return {"pdf": pdf, "html": html, "text": pdf_text(pdf), "personal": personal, "names": names}


# --- The demo brief -----------------------------------------------------------------------------


@pytest.mark.pdf
def test_demo_brief_carries_the_reference_figures(demo_brief):
    text = demo_brief["text"]
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO",
        "44.865",
        "9,70%",
        "0,27%",
        "29/299",
        "120/44.865",
        "0/44.865",
        "299 thủ tục hành chính",
        "29 TTHC",
        "2.124",
        "Nơi nhận:",
        "GIÁM ĐỐC",
        "Vũ Thị Thanh Hương",
        "DỰ THẢO",
        "/BC-TTHCC",
        "từ ngày 01/01/2024 đến ngày 30/09/2024",
    ):
        assert expected in text, expected
    # The section headings of docs/brief.md, in order.
    positions = [
        text.index(h)
        for h in ("I. KẾT QUẢ", "II. TỒN TẠI", "III. NHIỆM VỤ", "IV. ĐỀ XUẤT", "Nơi nhận:")
    ]
    assert positions == sorted(positions)
    # A draft has no number: "Số:" is followed by blank space, then "/BC-".
    assert "Số: /BC-TTHCC" in " ".join(text.split())


@pytest.mark.pdf
def test_demo_brief_uses_only_the_vendored_fonts(demo_brief, tmp_path):
    fonts = pdf_fonts(demo_brief["pdf"])
    assert fonts, "no font listed"
    assert all(name.split("+")[-1].startswith("Tinos") for name in fonts), fonts
    assert {"Tinos", "Tinos-Bold", "Tinos-Italic"} <= {name.split("+")[-1] for name in fonts}


@pytest.mark.pdf
def test_demo_brief_has_no_personal_data(demo_brief):
    text = demo_brief["text"]
    html = demo_brief["html"]
    assert demo_brief["personal"], "the demo has shipments with recipients"
    for name, phone, address in demo_brief["personal"]:
        for value in (name, phone, address):
            if value:
                assert value not in text and value not in html, value


@pytest.mark.pdf
def test_header_is_two_columns_on_the_same_lines(demo_brief):
    # the header writes the settings' names in capitals, as the decree asks
    parent, unit = (name.upper() for name in demo_brief["names"])
    lines = pdf_text(demo_brief["pdf"], 1, layout=True).splitlines()
    assert any(parent in line and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in lines)
    assert any(unit in line and "Độc lập - Tự do - Hạnh phúc" in line for line in lines)
    # The place-and-date line sits beside the number, with section 8's leading zeros.
    assert any("Số:" in line and "Hạ Long, ngày 05 tháng 01 năm 2025" in line for line in lines)


@pytest.mark.pdf
def test_page_numbers_start_on_page_two(demo_brief):
    pdf = demo_brief["pdf"]
    first = [line.strip() for line in pdf_text(pdf, 1).splitlines() if line.strip()]
    second = [line.strip() for line in pdf_text(pdf, 2).splitlines() if line.strip()]
    assert first[0] != "1" and "1" not in first[:2]
    assert second[0] == "2"


@pytest.mark.pdf
def test_first_page_renders_as_a_page_with_content(demo_brief):
    image = pdf_page_image(demo_brief["pdf"], 1)
    width, height = image.size
    assert 0.70 < width / height < 0.72  # A4 portrait
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * width * height, dark


def test_document_dates_take_leading_zeros_below_ten_and_in_january_february():
    from utils.formats import document_date

    assert document_date(date(2025, 1, 5), "Hạ Long") == "Hạ Long, ngày 05 tháng 01 năm 2025"
    assert document_date(date(2024, 2, 9)) == "ngày 09 tháng 02 năm 2024"
    assert document_date(date(2024, 9, 21)) == "ngày 21 tháng 9 năm 2024"
    assert document_date(date(2024, 12, 1)) == "ngày 01 tháng 12 năm 2024"


# --- Resources: only files under static/ --------------------------------------------------------


@pytest.mark.slow  # renders the brief to PDF
def test_fetcher_serves_static_files_and_refuses_everything_else():
    from utils import pdf

    fetcher = pdf.fetcher()
    font = (pdf.STATIC_ROOT / "fonts" / "Tinos-Regular.ttf").as_uri()
    response = fetcher.fetch(font)
    assert response.read(4) == b"\x00\x01\x00\x00"
    response.close()
    outside = pdf.STATIC_ROOT.as_uri() + "/../app.py"
    for url in (
        "http://169.254.169.254/",
        "https://example.org/x.css",
        "file:///etc/passwd",
        outside,
        "data:text/css,body{}",
        "ftp://example.org/x",
        "file://evil/static/x",
        pdf.STATIC_ROOT.as_uri() + "/fonts",
    ):
        with pytest.raises(pdf.ResourceRefused):
            fetcher.fetch(url)


@pytest.fixture()
def recorded_fetches(monkeypatch):
    """Every URL the renderer asks for, and every network connection attempted."""
    from utils import pdf

    pdf.warm_up(("css/brief.css",))  # the fonts load once per process, maybe before this test
    fetcher = pdf.fetcher()
    asked, connections = [], []
    original = type(fetcher).fetch

    def recording(url, headers=None):
        asked.append(url)
        return original(fetcher, url, headers)

    def no_connection(self, address):
        connections.append(address)
        raise OSError("no network in document rendering")

    monkeypatch.setattr(fetcher, "fetch", recording)
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    return asked, connections


@pytest.mark.slow  # renders the brief to PDF
def test_render_refuses_markup_that_reaches_out(app, recorded_fetches):
    from utils import pdf

    asked, connections = recorded_fetches
    html = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd">'
        '<link rel="stylesheet" href="http://169.254.169.254/latest.css"></head>'
        '<body class="document"><p>x</p><img src="http://169.254.169.254/">'
        '<img src="../../etc/passwd"><img src="fonts/LICENSE-Tinos.txt"></body></html>'
    )
    data = pdf.render_pdf(html)
    assert data.startswith(b"%PDF")
    assert connections == []
    assert "http://169.254.169.254/" in asked and "file:///etc/passwd" in asked
    # Only the static file was served; the rest was refused before any I/O.
    served = [url for url in asked if pdf.static_path(url) is not None]
    assert served == [(pdf.STATIC_ROOT / "fonts" / "LICENSE-Tinos.txt").as_uri()]


@pytest.mark.pdf
def test_hostile_procedure_names_print_as_text_and_fetch_nothing(app, recorded_fetches):
    from blueprints.briefs import services
    from utils import pdf

    asked, connections = recorded_fetches
    dept = f.department(name="Phòng Thử nghiệm")
    for name in HOSTILE_NAMES:
        proc = f.procedure(name=name, department_=dept, receive=True, ret=True)
        f.dossier(proc, date(2024, 3, 4))
    db.session.commit()
    data = services.draft_pdf(Period(date(2024, 1, 1), date(2024, 3, 31)), DOC_DATE)
    text = " ".join(pdf_text(data).split())
    for name in HOSTILE_NAMES:
        assert name in text
    assert connections == []
    assert all(pdf.static_path(url) is not None for url in asked), asked


# --- Drafts, previews and access ----------------------------------------------------------------


def _small_catalogue():
    dept = f.department(name="Phòng Tài chính – Kế hoạch")
    field = f.field(name="Tài chính – Kế hoạch")
    posted = f.procedure(field_=field, department_=dept, receive=True, ret=True)
    idle = f.procedure(
        name="Đăng ký hộ kinh doanh", field_=field, department_=dept, receive=True, ret=True
    )
    for day in range(1, 9):
        f.dossier(idle, date(2024, 2, day))
    d = f.dossier(posted, date(2024, 3, 4), returned=date(2024, 3, 18), return_channel="bcci")
    f.shipment(
        d,
        "tra_ket_qua",
        when=date(2024, 3, 18),
        recipient_name="Nguyễn Văn An",
        address="12 Lê Lợi, Hạ Long",
        phone="0912345678",
    )
    db.session.commit()
    return dept


QUERY = {"from": "2024-01-01", "to": "2024-03-31"}


def own_rubric(year=2024):
    """Save the illustration's bands as the organisation's own rubric of ``year`` (through the
    rubric screen's service): a brief is never issued under the built-in illustration."""
    from blueprints.dashboard.services import save_rubric
    from utils.figures import DEFAULT_RUBRIC

    version, _created = save_rubric(year, DEFAULT_RUBRIC, "Bộ tiêu chí của tỉnh (kiểm thử)")
    db.session.commit()
    return version


@pytest.mark.parametrize("hx", [False, True])
def test_preview_shows_the_draft_document(client, auth, hx):
    _small_catalogue()
    auth.login("leader")
    headers = {"HX-Request": "true"} if hx else {}
    r = client.get("/briefs/preview", query_string=QUERY, headers=headers)
    assert r.status_code == 200
    body = r.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in body and "DỰ THẢO" in body
    assert "Đăng ký hộ kinh doanh" in body
    assert "Nguyễn Văn An" not in body and "0912345678" not in body
    assert 'href="/briefs/issue?from=2024-01-01&amp;to=2024-03-31"' in body


@pytest.mark.parametrize("hx", [False, True])
def test_list_page_and_its_fragment(client, auth, hx):
    auth.login("centre")
    r = client.get("/briefs", headers={"HX-Request": "true"} if hx else {})
    assert r.status_code == 200
    assert "HX-Request" in r.headers.get("Vary", "")
    assert 'id="issued-briefs"' in r.text
    assert ("<html" in r.text) is (not hx)


@pytest.mark.slow  # renders the brief to PDF
def test_draft_pdf_download(client, auth):
    _small_catalogue()
    auth.login("admin")
    r = client.get("/briefs/draft.pdf", query_string=QUERY)
    assert r.status_code == 200
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    # One unit: the name it had before units.
    assert r.headers["Content-Disposition"] == (
        'attachment; filename="du-thao-bao-cao-bcci-20240101-20240331.pdf"'
    )
    assert db.session.scalar(select(func.count()).select_from(Brief)) == 0
    assert (
        client.get("/briefs/draft.pdf", query_string={"from": "2024-13-01", "to": "x"}).status_code
        == 400
    )


def test_department_staff_cannot_reach_briefs(client, auth):
    auth.login("department")
    for url in ("/briefs", "/briefs/preview", "/briefs/draft.pdf"):
        assert client.get(url).status_code == 403
    assert (
        client.post("/briefs/issue", data={"start": "2024-01-01", "end": "2024-03-31"}).status_code
        == 403
    )


def test_tasks_and_conclusions_appear_in_the_brief(app):
    from blueprints.briefs import services

    dept = _small_catalogue()
    meeting = Meeting(
        date=date(2024, 10, 2),
        chair="Chủ tịch UBND",
        conclusions="Các phòng rà soát danh mục TTHC.\nTăng cường tuyên truyền.",
    )
    db.session.add(meeting)
    db.session.flush()
    db.session.add_all(
        [
            Task(
                meeting_id=meeting.id,
                department_id=dept.id,
                description="Rà soát 20 TTHC lĩnh vực đất đai",
                deadline=date(2024, 11, 30),
                status="open",
            ),
            Task(
                meeting_id=meeting.id,
                department_id=dept.id,
                description="Việc đã xong",
                status="done",
            ),
        ]
    )
    db.session.commit()
    html = services.render_html(
        services.brief_context(Period(date(2024, 1, 1), date(2024, 12, 31)), DOC_DATE)
    )
    assert "Rà soát 20 TTHC lĩnh vực đất đai" in html and "Quá hạn" in html
    assert "Việc đã xong" not in html
    assert "Kết luận tại cuộc họp ngày 02/10/2024" in html
    assert "Tăng cường tuyên truyền." in html


# --- Issuing ------------------------------------------------------------------------------------


@pytest.mark.slow  # renders the brief to PDF
def test_issue_numbers_stores_and_serves_the_identical_file(client, auth):
    _small_catalogue()
    own_rubric()
    user = auth.login("leader")
    r = client.post(
        "/briefs/issue", data={"start": "2024-01-01", "end": "2024-03-31", "number": "1"}
    )
    assert r.status_code == 303
    brief = db.session.scalars(select(Brief)).one()
    assert brief.number == 1 and brief.issued_by_id == user.id
    assert brief.sha256 == hashlib.sha256(brief.pdf).hexdigest()
    assert brief.figures["dossiers_received"] == 9 and brief.figures["results_returned_postal"] == 1
    # The rubric it used is stored and frozen; the issue is audited.
    version = db.session.get(RubricVersion, brief.rubric_version_id)
    assert version.frozen
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "brief.issue")).one()
    assert event.new_values["number"] == 1 and event.user_id == user.id

    first = client.get(f"/briefs/{brief.id}.pdf")
    assert first.status_code == 200 and first.data == brief.pdf
    # The data change; the issued brief does not, a new draft does.
    proc = f.procedure(receive=True, ret=True)
    f.dossier(proc, date(2024, 3, 5), channel="bcci")
    db.session.commit()
    again = client.get(f"/briefs/{brief.id}.pdf")
    assert again.data == first.data
    draft = client.get("/briefs/draft.pdf", query_string=QUERY).data
    assert draft != first.data

    listing = client.get("/briefs")
    assert "01/BC-TTHCC" in listing.text
    r = client.post(
        "/briefs/issue", data={"start": "2024-01-01", "end": "2024-03-31", "number": "2"}
    )
    assert r.status_code == 303
    assert sorted(db.session.scalars(select(Brief.number))) == [1, 2]


@pytest.mark.slow  # renders the brief to PDF
def test_numbers_run_per_year_and_skip_a_taken_number(app, monkeypatch):
    from blueprints.briefs import services

    _small_catalogue()
    own_rubric()
    period = Period(date(2024, 1, 1), date(2024, 3, 31))
    first = services.issue_brief(period, today=date(2024, 12, 30))
    db.session.commit()
    new_year = services.issue_brief(period, today=date(2025, 1, 2))
    db.session.commit()
    assert (first.year, first.number) == (2024, 1) and (new_year.year, new_year.number) == (2025, 1)
    # Another issuer takes the number while this one renders its PDF (between drawing the number
    # and storing the brief): the next one is drawn.
    render, others = services.render_pdf, []

    def render_while_another_issues(*args, **kwargs):
        if not others:
            others.append(None)
            others[0] = services.issue_brief(period, today=date(2025, 1, 3))
        return render(*args, **kwargs)

    monkeypatch.setattr(services, "render_pdf", render_while_another_issues)
    retried = services.issue_brief(period, today=date(2025, 1, 3))
    db.session.commit()
    assert (others[0].year, others[0].number) == (2025, 2)
    assert (retried.year, retried.number) == (2025, 3)


@pytest.mark.pdf
def test_issued_brief_prints_its_number_and_no_draft_mark(app):
    from blueprints.briefs import services

    _small_catalogue()
    own_rubric()
    brief = services.issue_brief(
        Period(date(2024, 1, 1), date(2024, 3, 31)), today=date(2024, 4, 2)
    )
    db.session.commit()
    text = pdf_text(brief.pdf)
    assert "Số: 01/BC-TTHCC" in " ".join(text.split())
    assert "DỰ THẢO" not in text
    assert "ngày 02 tháng 4 năm 2024" in text


def test_invalid_issue_form_is_refused_with_422(client, auth):
    auth.login("admin")
    r = client.post("/briefs/issue", data={"start": "2024-05-01", "end": "2024-01-01"})
    assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Brief)) == 0


def test_issue_needs_the_csrf_token(client, auth):
    auth.login("leader")
    r = client.post("/briefs/issue", data={"start": "2024-01-01", "end": "2024-03-31"}, csrf=False)
    assert r.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Brief)) == 0


# --- Command line -------------------------------------------------------------------------------


@pytest.mark.slow  # renders the brief to PDF
def test_report_brief_writes_a_draft(runner, tmp_path):
    _small_catalogue()
    out = tmp_path / "brief.pdf"
    r = runner.invoke(
        args=["report", "brief", "--from", "2024-01-01", "--to", "2024-03-31", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF") and "brief.pdf" in r.output
    r = runner.invoke(
        args=["report", "brief", "--from", "2024-04-01", "--to", "2024-03-31", "-o", str(out)]
    )
    assert r.exit_code != 0 and "--from" in r.output


@pytest.mark.slow  # renders the brief to PDF
def test_concurrent_issues_draw_distinct_numbers(app):
    """Two leaders confirm number 01 at the same moment: one brief takes it, the other leader is
    told it was taken and asked again with 02, which then issues."""
    import threading

    from tests.conftest import Auth

    _small_catalogue()
    own_rubric()
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        Auth(client).login("leader")
    barrier = threading.Barrier(2)
    statuses = []

    def issue(client):
        with app.app_context():
            barrier.wait()
            r = client.post(
                "/briefs/issue", data={"start": "2024-01-01", "end": "2024-03-31", "number": "1"}
            )
            statuses.append((r.status_code, client, r.text))

    threads = [threading.Thread(target=issue, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(code for code, _c, _t in statuses) == [303, 409]
    _code, late, text = next(s for s in statuses if s[0] == 409)
    assert "Số: 02/BC-TTHCC" in text
    db.session.expire_all()
    assert list(db.session.scalars(select(Brief.number))) == [1]
    r = late.post("/briefs/issue", data={"start": "2024-01-01", "end": "2024-03-31", "number": "2"})
    assert r.status_code == 303
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Brief.number))) == [1, 2]
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "brief.issue")
        )
        == 2
    )


def test_an_empty_period_renders_dashes_not_errors(app):
    from blueprints.briefs import services

    f.procedure(receive=True, ret=True)
    db.session.commit()
    html = services.render_html(
        services.brief_context(Period(date(2030, 1, 1), date(2030, 1, 31)), DOC_DATE)
    )
    assert "Không có số liệu trong kỳ." in html and "—" in html
    # A zero denominator is named, never printed as "n/0".
    assert "/0<" not in html and "0 (mẫu số bằng 0)" in html
    assert "không tính được tỷ lệ vì không có hồ sơ tiếp nhận trong kỳ" in html


@pytest.mark.slow  # renders the brief to PDF
def test_a_stored_file_that_no_longer_matches_its_hash_is_not_served(client, auth):
    from blueprints.briefs import services

    _small_catalogue()
    own_rubric()
    brief = services.issue_brief(Period(date(2024, 1, 1), date(2024, 3, 31)))
    db.session.commit()
    auth.login("leader")
    assert client.get(f"/briefs/{brief.id}.pdf").status_code == 200
    brief.pdf = brief.pdf + b"%tampered"
    db.session.commit()
    assert client.get(f"/briefs/{brief.id}.pdf").status_code == 500
    assert client.get("/briefs/99999.pdf").status_code == 404


def test_the_document_stays_vietnamese_for_an_english_reader(client, auth):
    _small_catalogue()
    user = f.user("leader", locale="en")
    auth.login(user=user)
    r = client.get("/briefs/preview", query_string=QUERY)
    assert r.status_code == 200
    assert "Issue this brief" in r.text  # the page around it is in the reader's language
    assert "11,11%" in r.text and "11.11%" not in r.text  # 1 result by post of 9 dossiers
    assert "I. KẾT QUẢ THỰC HIỆN" in r.text


@pytest.mark.slow  # renders the brief to PDF
def test_the_pdf_is_rendered_before_the_numbering_transaction(client, auth, monkeypatch):
    """Issuing renders the PDF without the write lock (a transaction that takes no lock), then
    only stores it in the short numbering transaction."""
    from blueprints.briefs import services
    from utils import transactions

    locking = []
    render = services.render_pdf

    def watched(*args, **kwargs):
        # Whether a transaction beginning while the PDF renders would take the write lock.
        locking.append(transactions.begins_writing())
        return render(*args, **kwargs)

    monkeypatch.setattr(services, "render_pdf", watched)
    _small_catalogue()
    own_rubric()
    auth.login("leader")
    r = client.post(
        "/briefs/issue", data={"start": "2024-01-01", "end": "2024-03-31", "number": "1"}
    )
    assert r.status_code == 303
    assert locking == [False]  # rendered once, in transactions that take no write lock
    brief = db.session.scalars(select(Brief)).one()
    assert brief.number == 1 and brief.pdf.startswith(b"%PDF")
