"""Data factories for tests: each adds, flushes and returns one record."""

import itertools
from datetime import date

from blueprints.auth.services import hash_password
from extensions import db
from models import Department, Dossier, Field, OrgSettings, Procedure, Shipment, User
from utils.text import fold
from utils.validators import s10_check_digit

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"
_hashes = {}  # scrypt is slow on purpose: hash each test password once per process


def password_hash(password):
    if password not in _hashes:
        _hashes[password] = hash_password(password)
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
    procedure_, received, channel="truc_tiep", returned=None, return_channel=None, code=None
):
    n = next(_seq)
    code = code or f"000.00.22.H56-{received:%y%m%d}-{n % 10000:04d}"
    d = Dossier(
        code=code,
        procedure_id=procedure_.id,
        **Dossier.as_recorded(channel, received, return_channel, returned),
    )
    db.session.add(d)
    db.session.flush()
    return d


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
        date=when or dossier_.receive_date or date(2024, 1, 1),
        cancelled=cancelled,
        **extra,
    )
    db.session.add(s)
    db.session.flush()
    return s


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
