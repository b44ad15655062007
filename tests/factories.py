"""Data factories for tests: each adds, flushes and returns one record."""

import itertools
from datetime import date

from blueprints.dossiers.services import import_dossiers
from blueprints.meetings import services as meetings
from blueprints.postal import services as postal
from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from extensions import db
from models import AuditEvent, Department, Dossier, Field, OrgSettings, Procedure, Shipment, User
from utils.text import fold
from utils.validators import s10_check_digit

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"
_hashes = {}
# scrypt is slow on purpose (``hash_password``: N = 32.768, about 0,1 s of CPU to check). A test user
# logs in through the same check, which reads its cost from the stored hash: test users' hashes
# are made at N = 1.024 (a few milliseconds), and each once per process. Passwords set through the
# application (``hash_password``) keep the full cost.
TEST_HASH_METHOD = "scrypt:1024:8:1"


def password_hash(password):
    if password not in _hashes:
        _hashes[password] = generate_password_hash(password, method=TEST_HASH_METHOD)
    return _hashes[password]


def department(code=None, name=None):
    n = next(_seq)
    code = code or f"D{n}"
    name = name or f"Phòng thử nghiệm {n}"
    dept = Department(code=code, name=name, name_folded=fold(name))
    db.session.add(dept)
    db.session.flush()
    return dept


def field(name=None, note=""):
    name = name or f"Lĩnh vực {next(_seq)}"
    f = Field(name=name, name_folded=fold(name), postal_note=note)
    db.session.add(f)
    db.session.flush()
    return f


def procedure(
    code=None,
    name=None,
    field_=None,
    department_=None,
    in_force=True,
    receive=False,
    ret=False,
    **extra,
):
    n = next(_seq)
    code = code or f"1.{n:06d}"
    name = name or f"Thủ tục số {n}"
    proc = Procedure(
        code=code,
        name=name,
        name_folded=fold(name),
        field_id=(field_ or field()).id,
        department_id=(department_ or department()).id,
        in_force=in_force,
        eligible_receive=receive,
        eligible_return=ret,
        **extra,
    )
    db.session.add(proc)
    db.session.flush()
    return proc


def dossier(
    procedure_,
    received,
    channel="truc_tiep",
    returned=None,
    return_channel=None,
    code=None,
    unit_id=None,
):
    n = next(_seq)
    code = code or f"000.00.22.H56-{received:%y%m%d}-{n % 10000:04d}"
    d = Dossier(
        code=code,
        procedure_id=procedure_.id,
        **({"unit_id": unit_id} if unit_id is not None else {}),
        **Dossier.as_recorded(channel, received, return_channel, returned),
    )
    db.session.add(d)
    db.session.flush()
    return d


def manifest_imported(*rows, user=None):
    """The postal manifest import (docs/formats.md, the shipments file) of ``rows`` under the
    four required columns' header: its report."""
    header = "so_hieu_buu_gui,chieu,ma_ho_so,ngay"
    return postal.import_postal("m.csv", "\n".join((header, *rows, "")).encode(), user=user)


def dossiers_inserted(procedure_, days, channel="bcci"):
    """Dossiers of ``procedure_`` received on ``days`` through ``channel``, written by one INSERT
    statement (as the imports write them, no ORM object), coded X-0, X-1, …"""
    rows = [
        {
            "code": f"X-{i}",
            "procedure_id": procedure_.id,
            "receive_channel_src": channel,
            "receive_channel": channel,
            "receive_date": day,
        }
        for i, day in enumerate(days)
    ]
    db.session.execute(insert(Dossier), rows)


def stored_dossier(code):
    """The dossier stored under ``code`` (exactly one)."""
    return db.session.execute(select(Dossier).where(Dossier.code == code)).scalar_one()


def dossiers_imported(*rows, user=None, unit=None):
    """The one-stop import (docs/formats.md, the dossiers file) of ``rows`` under the six columns'
    header, for ``unit`` (an id) when given: its report."""
    header = "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan,ngay_tra,kenh_tra"
    data = "\n".join((header, *rows, "")).encode()
    return import_dossiers("ho-so.csv", data, user=user, unit=unit)


def audit_event(action, at, user=None, object_type="", object_id="", old=None, new=None):
    """An audit event as stored, at ``at`` (UTC), by ``user`` or nobody."""
    event = AuditEvent(
        action=action,
        at=at,
        user_id=user.id if user else None,
        username=user.username if user else "",
        object_type=object_type,
        object_id=str(object_id),
        old_values=old,
        new_values=new,
    )
    db.session.add(event)
    return event


# The centre that signs the briefs of the test data: its name, place and signer.
CENTRE = {
    "unit_name": "Trung tâm Hành chính công",
    "place_name": "Hạ Long",
    "signer_name": "Vũ Thị Thanh Hương",
    "signer_title": "GIÁM ĐỐC",
}


def org_settings(**fields):
    """The organisation's settings (the one row, id 1) with the given fields; flushes nothing."""
    settings = OrgSettings(id=1, **fields)
    db.session.add(settings)
    return settings


def tracking_number(prefix="RR", serial=None):
    serial = serial if serial is not None else next(_seq) * 7919
    digits = f"{serial % 10**8:08d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}VN"


def shipment(dossier_, direction="tra_ket_qua", when=None, cancelled=False, **extra):
    """A shipment stored as is; effective values are the caller's business (see services)."""
    s = Shipment(
        tracking_number=extra.pop("tracking_number", tracking_number()),
        direction=direction,
        dossier_id=dossier_.id,
        unit_id=extra.pop("unit_id", dossier_.unit_id),
        date=when or dossier_.receive_date or date(2024, 1, 1),
        cancelled=cancelled,
        **extra,
    )
    db.session.add(s)
    db.session.flush()
    return s


# A citizen's result sent home: the personal data of a shipment logged at the counter.
RECIPIENT = {
    "recipient_name": "Nguyễn Văn An",
    "address": "12 Lê Lợi, phường Hồng Gai, Hạ Long",
    "phone": "0912345678",
    "fee": 25000,
}


def logged_shipment(dossier_, direction="tra_ket_qua", day=None, user=None, **extra):
    """A shipment logged through the postal service, as the counter logs it (effective values,
    tallies and audit follow): a fresh tracking number unless one is given, dated on the
    dossier's receive date unless ``day`` is given."""
    return postal.log_shipment(
        tracking_number=extra.pop("tracking_number", None) or tracking_number(),
        direction=direction,
        dossier=dossier_,
        date=day or dossier_.receive_date,
        user=user,
        **extra,
    )


def meeting(day=date(2024, 9, 21), user=None, **values):
    """A meeting recorded through the meetings service (the chair, participants and conclusions
    given or plain defaults)."""
    values = {
        "chair": "Chủ tịch UBND",
        "participants": "Các phòng",
        "conclusions": "Đưa thủ tục lên BCCI",
        **values,
    }
    return meetings.create_meeting(date_=day, user=user, **values)


def user(
    role="leader",
    department_=None,
    username=None,
    password=PASSWORD,
    locale="vi",
    full_name=None,
    **extra,
):
    n = next(_seq)
    if role == "department" and department_ is None:
        department_ = department()
    u = User(
        username=username or f"{role}{n}",
        role=role,
        full_name=full_name or f"Người dùng {n}",
        department_id=department_.id if department_ else None,
        password_hash=password_hash(password),
        locale=locale,
        **extra,
    )
    db.session.add(u)
    db.session.flush()
    return u
