"""Hand-over record pages: access, htmx and plain forms, printing (audited), the PDF's text."""

import re
from datetime import date

import pytest

from blueprints.handover import services
from extensions import db
from models import AuditEvent, HandoverBatch
from tests import factories as f
from tests.pdf import pdf_text

DAY = date(2024, 3, 18)


@pytest.fixture()
def shipments(app):
    building = f.field("Xây dựng")
    procedure = f.procedure(name="Cấp giấy phép xây dựng nhà ở riêng lẻ", field_=building, ret=True)
    dossiers = [
        f.dossier(procedure, date(2024, 3, 1), code=f"000.17.22.H56-240301-{n:04d}")
        for n in (1, 2, 3)
    ]
    # Three results sent on DAY: full details, no phone, no address and no fee.
    sent = (
        ("EB123456785VN", f.RECIPIENT),
        (
            "RR473124829VN",
            {
                "recipient_name": "Trần Thị Bình",
                "address": "5 Trần Phú, phường Bạch Đằng",
                "fee": 1024000,
            },
        ),
        ("RR000000080VN", {"recipient_name": "Lê Văn Cường", "fee": None}),
    )
    out = [
        f.shipment(d, "tra_ket_qua", when=DAY, tracking_number=number, **details)
        for d, (number, details) in zip(dossiers, sent)
    ]
    f.org_settings(
        parent_agency="UBND thành phố Hạ Long",
        unit_name="Trung tâm Hành chính công",
        place_name="Hạ Long",
        doc_prefix="TTHCC",
    )
    db.session.flush()
    return out


def _draft():
    batch = services.propose_batch("tra_ket_qua", DAY)
    db.session.commit()
    return batch


@pytest.mark.parametrize(
    "role,allowed", [("admin", True), ("centre", True), ("department", False), ("leader", False)]
)
def test_only_centre_staff_and_administrators(client, auth, shipments, role, allowed):
    batch = _draft()
    auth.login(role)
    for url in ("/handover", f"/handover/{batch.id}", f"/handover/{batch.id}/record.pdf"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    r = client.post(f"/handover/{batch.id}/sign")
    assert r.status_code == (303 if allowed else 403)
    prints = db.session.query(AuditEvent).filter_by(action="handover.print").count()
    assert prints == (1 if allowed else 0)


def test_menu_shows_hand_over_records_to_centre_staff_only(client, auth):
    auth.login("centre")
    assert "/handover" in client.get("/").text
    auth.logout()
    auth.login("leader")
    assert 'href="/handover"' not in client.get("/").text


def test_create_a_batch_with_a_plain_form_and_with_htmx(client, auth, shipments):
    auth.login("centre")
    r = client.post("/handover/new", data={"direction": "tra_ket_qua", "day": "2024-03-18"})
    assert r.status_code == 303
    batch = db.session.query(HandoverBatch).one()
    assert r.headers["Location"].endswith(f"/handover/{batch.id}")
    page = client.get(r.headers["Location"])
    assert all(s.tracking_number in page.text for s in shipments)
    r = client.post(
        "/handover/new",
        data={"direction": "tiep_nhan", "day": "2024-03-18"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/handover/")


def test_create_refuses_a_future_day(client, auth):
    auth.login("centre")
    r = client.post(
        "/handover/new",
        data={"direction": "tra_ket_qua", "day": "2999-01-01"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    assert "<html" not in r.text and 'id="new-batch"' in r.text
    assert db.session.query(HandoverBatch).count() == 0


def test_batch_page_masks_names(client, auth, shipments):
    batch = _draft()
    auth.login("centre")
    r = client.get(f"/handover/{batch.id}")
    assert "Nguyễn V. A." in r.text
    assert (
        "Nguyễn Văn An" not in r.text and "12 Lê Lợi" not in r.text and "0912345678" not in r.text
    )


def test_htmx_gets_the_fragment_and_plain_requests_the_page(client, auth, shipments):
    batch = _draft()
    auth.login("centre")
    full = client.get(f"/handover/{batch.id}")
    fragment = client.get(f"/handover/{batch.id}", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="batch"')
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in full.headers["Vary"]
    listing = client.get("/handover?status=draft", headers={"HX-Request": "true"})
    assert listing.text.lstrip().startswith('<div id="batches"')


def test_remove_and_add_items_with_and_without_htmx(client, auth, shipments):
    batch = _draft()
    item = batch.items[0]
    auth.login("centre")
    r = client.post(f"/handover/{batch.id}/items/{item.id}/remove", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert 'data-testid="candidates"' in r.text and "EB123456785VN" in r.text
    r = client.post(f"/handover/{batch.id}/items", data={"shipment_id": shipments[0].id})
    assert r.status_code == 303
    db.session.expire_all()
    assert len(services.batch_items(batch)) == 3
    # The same shipment twice: a conflict, shown in the fragment.
    other = services.propose_batch("tra_ket_qua", DAY)
    db.session.commit()
    r = client.post(
        f"/handover/{other.id}/items",
        data={"shipment_id": shipments[0].id},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 409 and 'data-testid="batch-error"' in r.text
    r = client.post(f"/handover/{batch.id}/items", data={"shipment_id": 987654})
    assert r.status_code == 404


def test_item_counts(client, auth, shipments):
    batch = _draft()
    item = batch.items[0]
    auth.login("centre")
    r = client.post(
        f"/handover/{batch.id}/counts",
        data={f"originals-{item.id}": "1", f"copies-{item.id}": "2"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    db.session.expire_all()
    assert (item.originals, item.copies) == (1, 2)
    r = client.post(
        f"/handover/{batch.id}/counts",
        data={f"originals-{item.id}": "-3"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422


def test_sign_then_void_through_the_pages(client, auth, shipments):
    batch = _draft()
    auth.login("centre")
    r = client.post(f"/handover/{batch.id}/sign", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-testid="handed-over"' in r.text
    db.session.expire_all()
    assert batch.status == "signed" and all(s.handed_over_at for s in shipments)
    assert client.post(f"/handover/{batch.id}/sign").status_code == 409
    r = client.post(
        f"/handover/{batch.id}/void", data={"reason": ""}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 422
    r = client.post(f"/handover/{batch.id}/void", data={"reason": "Bưu điện trả lại"})
    assert r.status_code == 303
    db.session.expire_all()
    assert batch.status == "voided" and not any(s.handed_over_at for s in shipments)
    actions = [
        e.action
        for e in db.session.query(AuditEvent).order_by(AuditEvent.id)
        if e.action.startswith("handover.")
    ]
    assert actions == ["handover.create", "handover.sign", "handover.void"]


def test_discard_a_draft(client, auth, shipments):
    batch = _draft()
    auth.login("admin")
    r = client.post(f"/handover/{batch.id}/discard", headers={"HX-Request": "true"})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/handover"
    db.session.expire_all()
    assert batch.status == "voided"


@pytest.mark.pdf
def test_the_printed_record(client, auth, shipments):
    batch = _draft()
    services.set_item_counts(batch, batch.items[0].id, 1, 2)
    user = auth.login("centre")
    draft = pdf_text(client.get(f"/handover/{batch.id}/record.pdf").data, layout=True)
    assert "DỰ THẢO" in draft and "Số:" in draft and "/BB-TTHCC" in draft
    r = client.post(f"/handover/{batch.id}/sign")
    assert r.status_code == 303
    r = client.get(f"/handover/{batch.id}/record.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Cache-Control"] == "no-store"
    text = pdf_text(r.data, layout=True)
    flat = " ".join(text.split())
    assert "DỰ THẢO" not in text
    assert "Số: 01/BB-TTHCC" in flat
    assert "UBND THÀNH PHỐ HẠ LONG" in flat and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat
    assert re.search(r"Hạ Long, ngày \d\d tháng \d+ năm \d{4}", flat)
    assert "BIÊN BẢN GIAO NHẬN KẾT QUẢ GIẢI QUYẾT TTHC" in flat
    for s in shipments:
        assert s.tracking_number in text
    assert "Nguyễn Văn An" in text  # the record names the citizen, by necessity
    assert "Tổng cộng: 3 bưu gửi" in flat
    assert "1.049.000" in flat  # 25.000 + 1.024.000; one fee unknown
    assert "tổng cước phí: 1.049.000 đồng (chưa ghi cước phí của 1 bưu gửi)" in flat
    assert "ĐẠI DIỆN BÊN GIAO" in flat and "ĐẠI DIỆN BÊN NHẬN" in flat
    assert "Cán bộ trả kết quả" in flat and "Nhân viên bưu chính" in flat
    assert user.full_name in flat
    prints = db.session.query(AuditEvent).filter_by(action="handover.print").all()
    assert len(prints) == 2 and all(e.user_id == user.id for e in prints)
    assert prints[-1].new_values == {"status": "signed", "number": 1}


@pytest.mark.pdf
def test_the_record_of_dossiers_received(client, auth, shipments):
    procedure = shipments[0].dossier.procedure
    incoming = f.shipment(
        f.dossier(procedure, DAY),
        "tiep_nhan",
        when=DAY,
        tracking_number="EE000000005VN",
        recipient_name="Phạm Thị Dung",
    )
    batch = services.propose_batch("tiep_nhan", DAY)
    services.sign_batch(batch)
    auth.login("admin")
    record = client.get(f"/handover/{batch.id}/record.pdf").data
    flat = " ".join(pdf_text(record, layout=True).split())
    assert "BIÊN BẢN GIAO NHẬN HỒ SƠ" in flat and "KẾT QUẢ GIẢI QUYẾT TTHC" not in flat
    assert incoming.tracking_number in flat and "Người gửi" in flat
    assert "Cán bộ tiếp nhận hồ sơ" in flat and "Nhân viên bưu chính" in flat


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("action", ["remove", "counts", "sign", "discard"])
def test_each_action_with_and_without_htmx(client, auth, shipments, action, htmx):
    batch = _draft()
    item = batch.items[0]
    auth.login("centre")
    url, data = {
        "remove": (f"/handover/{batch.id}/items/{item.id}/remove", {}),
        "counts": (
            f"/handover/{batch.id}/counts",
            {f"originals-{item.id}": "2", f"copies-{item.id}": ""},
        ),
        "sign": (f"/handover/{batch.id}/sign", {}),
        "discard": (f"/handover/{batch.id}/discard", {}),
    }[action]
    r = client.post(url, data=data, headers={"HX-Request": "true"} if htmx else {})
    if not htmx:
        assert r.status_code == 303
        target = "/handover" if action == "discard" else f"/handover/{batch.id}"
        assert r.headers["Location"] == target
    elif action == "discard":
        assert r.status_code == 204 and r.headers["HX-Redirect"] == "/handover"
    else:
        assert r.status_code == 200 and r.text.lstrip().startswith('<div id="batch"')
        assert "HX-Request" in r.headers["Vary"]
    db.session.expire_all()
    done = {
        "remove": lambda: len(batch.items) == 2,
        "counts": lambda: (item.originals, item.copies) == (2, None),
        "sign": lambda: batch.status == "signed",
        "discard": lambda: batch.status == "voided",
    }[action]
    assert done()


def test_a_shipment_cancelled_after_signing_is_flagged_on_the_record(client, auth, shipments):
    batch = _draft()
    services.sign_batch(batch)
    shipments[0].cancelled = True
    auth.login("centre")
    r = client.get(f"/handover/{batch.id}")
    assert r.text.count('data-testid="cancelled"') == 1


def test_candidate_search_by_tracking_number_and_bad_input(client, auth, shipments):
    batch = services.propose_batch("tra_ket_qua", date(2024, 3, 17))  # another day: empty
    db.session.commit()
    auth.login("centre")
    r = client.get(f"/handover/{batch.id}?tracking=rr 4731&day=")
    assert r.status_code == 200
    listed = re.findall(r'<tr data-tracking="([^"]+)"', r.text)
    assert listed == ["RR473124829VN"]
    assert (
        client.get(f"/handover/{batch.id}?day=not-a-date&tracking=" + "X" * 50).status_code == 200
    )
    assert client.get("/handover/999999").status_code == 404


def test_a_draft_saves_every_count_at_once_and_refuses_them_together(client, auth, shipments):
    batch = _draft()
    first, second = batch.items[0], batch.items[1]
    auth.login("centre")
    page = client.get(f"/handover/{batch.id}").text
    # every box has a visible label; one save button for the draft, none per row
    for item in batch.items:
        for name in ("originals", "copies"):
            assert f'<label class="small text-nowrap" for="{name}-{item.id}">' in page
            assert f'form="counts-form" id="{name}-{item.id}"' in page
    assert (
        page.count('data-testid="save-counts"') == 1 and "/items/" + str(first.id) + '"' not in page
    )
    r = client.post(
        f"/handover/{batch.id}/counts",
        data={
            f"originals-{first.id}": "1",
            f"copies-{first.id}": "2",
            f"originals-{second.id}": "3",
            f"copies-{second.id}": "",
        },
    )
    assert r.status_code == 303
    db.session.expire_all()
    assert [(i.originals, i.copies) for i in (first, second)] == [(1, 2), (3, None)]
    events = db.session.query(AuditEvent).filter_by(action="handover.item_counts").count()
    assert events == 2
    # one bad box: nothing of the save is kept
    r = client.post(
        f"/handover/{batch.id}/counts",
        data={f"originals-{first.id}": "5", f"originals-{second.id}": "1000"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422 and 'data-testid="batch-error"' in r.text
    r = client.post(f"/handover/{batch.id}/counts", data={f"originals-{first.id}": "x"})
    assert r.status_code == 422
    db.session.expire_all()
    assert [(i.originals, i.copies) for i in (first, second)] == [(1, 2), (3, None)]


def test_signing_asks_first_and_the_record_reads_the_same_on_screen_and_in_print(
    client, auth, shipments
):
    from blueprints.handover.document import record_context, render_html

    batch = _draft()
    auth.login("centre")
    page = client.get(f"/handover/{batch.id}").text
    sign = page[page.index('data-testid="sign-form"') - 600 : page.index('data-testid="sign-form"')]
    assert 'hx-confirm="Ký biên bản này? 3 bưu gửi' in sign
    assert 'hx-confirm="Bỏ bản nháp này?"' in page
    # no internal id: a draft is named by its day
    listing = client.get("/handover").text
    for text in (page, listing):
        assert not re.search(r"#\s?\d", re.sub(r"<[^>]+>", " ", text)), "an internal id shows"
        assert "Bản nháp ngày 18/03/2024" in text
    client.post(f"/handover/{batch.id}/sign")
    db.session.expire_all()
    page = client.get(f"/handover/{batch.id}").text
    listing = client.get("/handover").text
    record = render_html(record_context(batch))
    assert "Số: 01/BB-TTHCC" in record and "số 01/BB-TTHCC" in record  # title and header
    assert 'data-testid="batch-number">01/BB-TTHCC<' in page and "Số 01/BB-TTHCC" in listing
    # the centre's name as the settings give it in running text, in capitals in the header
    flat = " ".join(record.split())
    assert "tại Trung tâm Hành chính công, chúng tôi gồm" in flat
    assert "Bên giao: Trung tâm Hành chính công" in flat
    assert '<span class="unit">TRUNG TÂM HÀNH CHÍNH CÔNG</span>' in record
    assert "Trung tâm hành chính công" not in flat
