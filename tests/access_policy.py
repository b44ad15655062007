"""Who may call which endpoint: the allow-list the access tests check, written by hand.

Every endpoint of ``app.url_map`` (``static`` aside) has one ``Rule`` here; an endpoint that is
not listed fails ``tests/test_access_matrix.py`` until it is, and the application refuses anything a
role is not allowed (deny by default, ``utils/access.py``). The tests log in as each role (and as
nobody) and check that roles outside ``Rule.roles`` are refused (401, 403 or a redirect to the login
page) and roles inside are not; they also walk every GET endpoint as each role and check the
database did not change, and send every non-GET endpoint a request without a CSRF token, or with
another session's, and check it is refused and changes nothing.

How to add your endpoints
-------------------------
Each blueprint has its own section below: one dict named after it (``PROCEDURES``, ``POSTAL``…),
keyed by endpoint. Add your entries inside your own dict only, so that engineers working at the same
time never touch the same lines. A new blueprint adds a new dict at the end of the file; every
module-level dict whose name ends in ``_RULES`` is collected (an endpoint listed twice is an error).

    "procedures.edit_procedure": Rule(EDITORS, args=lambda s: {"procedure_id": s.procedure.id},
                                      data=lambda s: {"name": "Tên mới"}),

- ``roles``: who may call it: any of ``admin``, ``centre``, ``department``, ``leader``, plus
  ``anonymous`` for a public endpoint (``ALL`` and ``EVERYONE`` below are shorthands). Department
  staff are logged in as staff of ``s.department``, the department owning ``s.procedure``; a rule's
  roles say what they may do with their own department's records.
- ``write_roles``: the roles for the non-GET methods of an endpoint that also answers GET, when they
  differ from ``roles``.
- ``args``: a function of the ``Samples`` (``s``) returning the URL values; ``query``: query-string
  values for GET (a dict or a function of ``s``); ``data``: the form data of non-GET requests (a dict
  or a function of ``s``). Allowed roles must get neither 401/403/404/405 nor a server error: a 422
  from minimal form data is fine, and is what most POST entries get.
- ``audited_read``: the GET records an audit event (an export with personal data): the GET walk then
  allows new ``audit_event`` rows, and nothing else, for that endpoint.
- ``unit_query``: the GET also answers a unit asked by its code (``unit=CODE``, as a unit's brief
  is asked by who sees every unit): the access tests call it with the samples' unit's code too,
  and on two units a unit-bound user asking for the other unit's gets 404 and changes nothing.

``Samples`` holds realistic records built from ``tests/factories.py``; a blueprint whose records are
not there builds its own once per test with ``s.once("batch", lambda: ...)``.
"""

from dataclasses import dataclass
from datetime import date
from typing import Callable, Optional

from extensions import db
from models import FIRST_UNIT_ID
from tests import factories as f

ANONYMOUS = "anonymous"
ROLES = ("admin", "centre", "department", "leader")
ALL = ROLES
EVERYONE = ROLES + (ANONYMOUS,)
EDITORS = ("admin", "centre")
ADMIN = ("admin",)


@dataclass(frozen=True)
class Rule:
    """The roles allowed on one endpoint, and how to call it (see the module docstring)."""

    roles: tuple
    args: Optional[Callable] = None
    query: object = None
    data: object = None
    write_roles: Optional[tuple] = None
    audited_read: bool = False
    unit_query: bool = False

    def allowed(self, role, method):
        if method != "GET" and self.write_roles is not None:
            return role in self.write_roles
        return role in self.roles

    def url_values(self, samples):
        return dict(self.args(samples)) if self.args else {}

    def query_values(self, samples):
        return dict(self.query(samples) if callable(self.query) else (self.query or {}))

    def form_data(self, samples):
        return dict(self.data(samples) if callable(self.data) else (self.data or {}))


class Samples:
    """One realistic record of each kind, from the factories, for URL arguments and form data.

    The records that belong to a unit are the first unit's (``unit_id``); ``OtherUnitSamples``
    holds the same kinds of records in a second unit. ``tag`` marks the texts of the records
    built inside a test (a meeting's chair, a task), so that a page showing them can be told."""

    unit_id = FIRST_UNIT_ID
    tag = ""

    def __init__(self):
        self.department = f.department(name="Phòng Tài chính – Kế hoạch")
        self.other_department = f.department(name="Phòng Quản lý đô thị")
        self.field = f.field(name="Tài chính – Kế hoạch", note="Trả kết quả qua bưu điện được.")
        self.procedure = f.procedure(
            field_=self.field, department_=self.department, receive=True, ret=True
        )
        self.other_procedure = f.procedure(field_=self.field, department_=self.other_department)
        self.dossier = f.dossier(
            self.procedure, date(2024, 3, 4), returned=date(2024, 3, 18), return_channel="bcci"
        )
        self.shipment = f.shipment(
            self.dossier,
            "tra_ket_qua",
            when=date(2024, 3, 18),
            recipient_name="Nguyễn Văn An",
            address="12 Lê Lợi, Hạ Long",
            phone="0912345678",
            fee=25000,
        )
        self.managed_user = f.user("centre")  # a user administrators manage
        self._built = {}
        db.session.flush()

    def unit_code(self):
        """The code of the unit these samples' records belong to."""
        from models import Unit

        return db.session.get(Unit, self.unit_id).code

    def once(self, key, build):
        """``build()`` the first time ``key`` is asked for in this test, then the same record."""
        if key not in self._built:
            self._built[key] = build()
            db.session.flush()
        return self._built[key]

    def kept(self):
        """What these samples hold (their records as identities), for ``restore``."""
        return {name: _identity(value) for name, value in vars(self).items() if name != "_built"}, {
            key: _identity(value) for key, value in self._built.items()
        }

    def restore(self, kept):
        """The samples as ``kept`` held them, their records loaded again by the current session:
        after the database was put back as it was then (``conftest.SharedDataset``)."""
        attributes, built = kept
        for name, value in attributes.items():
            setattr(self, name, _loaded(value))
        self._built = {key: _loaded(value) for key, value in built.items()}

    def user_for(self, role, **extra):
        """A new user of ``role`` (department staff belong to ``self.department``; the
        administrator is the province's, who alone manages units, unless ``extra`` says
        otherwise)."""
        department_ = self.department if role == "department" else None
        values = {"province_wide": role == "admin", **extra}
        if values.get("unit_id") is not None:
            values["province_wide"] = False
        return f.user(role, department_=department_, **values)


class _Identity(tuple):
    """A record kept by its class and primary key (``Samples.kept``)."""


def _identity(value):
    from sqlalchemy import inspect
    from sqlalchemy.orm import InstanceState

    state = inspect(value, raiseerr=False)
    if isinstance(state, InstanceState) and state.identity is not None:
        return _Identity((type(value), state.identity))
    return value


def _loaded(value):
    if isinstance(value, _Identity):
        model, identity = value
        return db.session.get(model, identity)
    return value


# The other unit's dossier code and tracking number: texts no page of the first unit shows.
OTHER_DOSSIER_CODE = "000.00.31.K07-240304-0777"
OTHER_TRACKING = f.tracking_number("EE", 77007700)
OTHER_UNLOGGED_CODE = "000.00.31.K07-240305-0778"


class OtherUnitSamples(Samples):
    """A second unit (created here, which binds every user bound to none to the first unit)
    holding a record of every kind that belongs to a unit (a dossier, its shipment, and built
    when asked: a meeting with a task, an issued brief, a hand-over record), the province's
    records (departments, field, procedures, users) shared with ``base``."""

    tag = " (xã Tân Lập)"

    def __init__(self, base):
        from utils.units import create_unit

        self.unit_id = create_unit("DV02", "Trung tâm phục vụ hành chính công xã Tân Lập", "xa").id
        for name in (
            "department",
            "other_department",
            "field",
            "procedure",
            "other_procedure",
            "managed_user",
        ):
            setattr(self, name, getattr(base, name))
        self.dossier = f.dossier(
            self.procedure,
            date(2024, 3, 4),
            returned=date(2024, 3, 18),
            return_channel="bcci",
            code=OTHER_DOSSIER_CODE,
            unit_id=self.unit_id,
        )
        self.shipment = f.shipment(
            self.dossier,
            "tra_ket_qua",
            when=date(2024, 3, 18),
            tracking_number=OTHER_TRACKING,
            recipient_name="Trần Thị Bình",
            address="5 Trần Phú, Tân Lập",
            phone="0987654321",
            fee=25000,
        )
        # Its source says it went by post, and no shipment is recorded: left to reconcile.
        self.unlogged = f.dossier(
            self.procedure,
            date(2024, 3, 5),
            returned=date(2024, 3, 19),
            return_channel="bcci",
            code=OTHER_UNLOGGED_CODE,
            unit_id=self.unit_id,
        )
        self._built = {}
        self._base = base
        db.session.flush()

    # Records built when asked that belong to the province, not to a unit: the base's own.
    PROVINCE_KEYS = ("problems", "rubric", "public_list_on")

    def once(self, key, build):
        if key in self.PROVINCE_KEYS:
            return self._base.once(key, build)
        return super().once(key, build)

    def build_all(self):
        """Every record built when asked (a meeting, its task, an issued brief, a hand-over
        record), so that lists hold them."""
        _task(self)
        _issued_brief(self)
        _handover_draft(self)

    def markers(self):
        """Texts only this unit's records show (dossier codes, tracking number, meeting chair,
        task, links to each record): a page of the first unit's users must show none."""
        self.build_all()
        links = (
            f'/dossiers/{self.dossier.id}"',
            f'/dossiers/{self.unlogged.id}"',
            f'/shipments/{self.shipment.id}"',
            f'/meetings/{_meeting(self).id}"',
            f'/briefs/{_issued_brief(self)["brief_id"]}.pdf"',
            f'/handover/{_handover_draft(self).id}"',
        )
        texts = (
            OTHER_DOSSIER_CODE,
            OTHER_UNLOGGED_CODE,
            OTHER_TRACKING,
            "Chủ tịch UBND" + self.tag,
            "Rà soát thủ tục" + self.tag,
        )
        return links + texts


def collect():
    """``{endpoint: Rule}`` from every ``*_RULES`` dict of this module."""
    out = {}
    for name, section in globals().items():
        if not (name.endswith("_RULES") and isinstance(section, dict)):
            continue
        for endpoint, rule in section.items():
            if endpoint in out:
                raise AssertionError(f"{endpoint} is listed twice (second time in {name})")
            out[endpoint] = rule
    return out


# --- auth (blueprints/auth) -------------------------------------------------------------------

AUTH_RULES = {
    "auth.login": Rule(EVERYONE, data={"username": "", "password": ""}),
    "auth.logout": Rule(ALL),
    "auth.resume_form": Rule(ALL),
    "auth.change_password": Rule(ALL, data={"current": "", "new": "", "confirm": ""}),
    "auth.set_language": Rule(EVERYONE, data={"lang": "vi", "next": "/"}),
}


# --- main (blueprints/main) -------------------------------------------------------------------


def _stored_problems():
    """A refused import's problems, stored as the import pages store them: the token."""
    from utils import import_problems
    from utils.tabular import ImportReport

    report = ImportReport()
    report.bad(2, "ma_ho_so", "Bad code")
    return import_problems.offer(report)


MAIN_RULES = {
    "main.home": Rule(ALL),
    "main.import_sample": Rule(ALL, args=lambda s: {"key": "mau-ho-so", "fmt": "xlsx"}),
    "main.import_problems": Rule(
        ("admin", "centre", "department"),
        args=lambda s: {"token": s.once("problems", _stored_problems)},
    ),
}


# --- admin (blueprints/admin) -----------------------------------------------------------------


def _user(s):
    return {"user_id": s.managed_user.id}


def _department(s):
    return {"department_id": s.department.id}


def _field(s):
    return {"field_id": s.field.id}


def _unit(s):
    from models import FIRST_UNIT_ID

    return {"unit_id": FIRST_UNIT_ID}


ADMIN_RULES = {
    "admin.index": Rule(ADMIN),
    "admin.list_users": Rule(ADMIN),
    "admin.create_user": Rule(ADMIN, data={"username": ""}),
    "admin.edit_user": Rule(ADMIN, args=_user, data={"role": ""}),
    "admin.reset_password": Rule(ADMIN, args=_user, data={"new": "short"}),
    "admin.set_user_active": Rule(ADMIN, args=_user, data={"active": "1"}),
    "admin.list_departments": Rule(ADMIN),
    "admin.create_department": Rule(ADMIN, data={"code": ""}),
    "admin.department_row": Rule(ADMIN, args=_department),
    "admin.edit_department": Rule(ADMIN, args=_department, data={"name": ""}),
    "admin.set_department_active": Rule(ADMIN, args=_department, data={"active": "1"}),
    "admin.list_fields": Rule(ADMIN),
    "admin.create_field": Rule(ADMIN, data={"name": ""}),
    "admin.field_row": Rule(ADMIN, args=_field),
    "admin.edit_field": Rule(ADMIN, args=_field, data={"name": ""}),
    "admin.edit_settings": Rule(ADMIN, data={"doc_prefix": ""}),
    "admin.list_audit": Rule(ADMIN, query={"action": "login", "date_from": "2024-01-01"}),
    # units: province-wide administrators only (the samples' administrator is one)
    "admin.list_units": Rule(ADMIN),
    "admin.create_unit": Rule(ADMIN, data={"code": ""}),
    "admin.show_unit": Rule(ADMIN, args=_unit, data={"name": ""}),
    "admin.set_unit_procedure": Rule(ADMIN, args=_unit, data={"procedure": ""}),
    "admin.set_unit_active": Rule(ADMIN, args=_unit, data={"active": "1"}),
}


# --- procedures (blueprints/procedures) -------------------------------------------------------

_PROCEDURE = lambda s: {"procedure_id": s.procedure.id}  # noqa: E731
_CATALOGUE_EDITORS = ("admin", "centre", "department")

PROCEDURES_RULES = {
    "procedures.list_procedures": Rule(ALL, query={"q": "tai chinh"}),
    "procedures.export_procedures": Rule(ALL, query={"format": "csv"}),
    "procedures.show_procedure": Rule(ALL, args=_PROCEDURE),
    "procedures.show_row": Rule(ALL, args=_PROCEDURE),
    "procedures.list_fields": Rule(ALL),
    "procedures.outreach": Rule(ALL),
    "procedures.edit_procedure": Rule(
        _CATALOGUE_EDITORS,
        args=_PROCEDURE,
        data=lambda s: {
            "eligible_receive": "yes",
            "eligible_return": "no",
            "reason_code": "",
            "version": str(s.procedure.version),
        },
    ),
    "procedures.edit_details": Rule(
        _CATALOGUE_EDITORS,
        args=_PROCEDURE,
        data=lambda s: {"code": s.procedure.code, "name": "", "version": str(s.procedure.version)},
    ),
    "procedures.bulk_update": Rule(
        _CATALOGUE_EDITORS,
        data=lambda s: {"scope": "selected", "ids": [s.procedure.id], "eligible_receive": "no"},
    ),
    "procedures.new_procedure": Rule(_CATALOGUE_EDITORS, data={"code": "1.2"}),
    "procedures.retire_procedure": Rule(_CATALOGUE_EDITORS, args=_PROCEDURE),
    "procedures.reinstate_procedure": Rule(_CATALOGUE_EDITORS, args=_PROCEDURE),
    "procedures.import_procedures": Rule(_CATALOGUE_EDITORS, data={}),
    "procedures.edit_field_note": Rule(
        ("admin", "centre"),
        args=lambda s: {"field_id": s.field.id},
        data={"postal_note": "Trả kết quả qua bưu điện được."},
    ),
}


# --- dossiers (blueprints/dossiers) -----------------------------------------------------------

DOSSIERS_RULES = {
    "dossiers.list_dossiers": Rule(("admin", "centre", "leader"), query={"q": "000"}),
    "dossiers.export_dossiers": Rule(("admin", "centre", "leader"), args=lambda s: {"fmt": "csv"}),
    "dossiers.show_dossier": Rule(ALL, args=lambda s: {"dossier_id": s.dossier.id}),
    "dossiers.import_dossiers": Rule(EDITORS),
}


# --- postal (blueprints/postal) ---------------------------------------------------------------


def _shipment(s):
    return {"shipment_id": s.shipment.id}


POSTAL_RULES = {
    "postal.list_shipments": Rule(("admin", "centre", "leader")),
    "postal.export_shipments": Rule(("admin", "centre", "leader"), args=lambda s: {"fmt": "csv"}),
    "postal.export_shipments_personal": Rule(EDITORS, args=lambda s: {"fmt": "csv"}),
    "postal.new_shipment": Rule(EDITORS),
    "postal.check_tracking": Rule(EDITORS, query={"tracking_number": "RR473124829VN"}),
    "postal.lookup_dossier": Rule(EDITORS, query=lambda s: {"dossier_code": s.dossier.code}),
    "postal.show_shipment": Rule(ALL, args=_shipment),
    "postal.edit_shipment": Rule(EDITORS, args=_shipment),
    "postal.cancel_shipment": Rule(EDITORS, args=_shipment),
    "postal.import_shipments": Rule(EDITORS),
    "postal.reconciliation": Rule(("admin", "centre", "department")),
}


# --- dashboard (blueprints/dashboard) ---------------------------------------------------------


def _committed(record):
    """Samples built inside a test are committed at once, so the CSRF test's snapshot of the
    database, taken after the URL is built, already holds them."""
    db.session.commit()
    return record


def _meeting(s):
    from blueprints.meetings import services

    def build():
        meeting = services.create_meeting(
            date_=date(2024, 9, 21),
            chair="Chủ tịch UBND" + s.tag,
            participants="Các phòng",
            conclusions="Đưa thủ tục lên BCCI",
        )
        meeting.unit_id = s.unit_id
        return _committed(meeting)

    return s.once("meeting", build)


def _task(s):
    from blueprints.meetings import services

    return s.once(
        "task",
        lambda: _committed(
            services.add_task(
                _meeting(s),
                department_id=s.department.id,
                description="Rà soát thủ tục" + s.tag,
                deadline=date(2024, 12, 31),
            )
        ),
    )


def _rubric(s):
    from models import RubricVersion
    from utils.figures import DEFAULT_RUBRIC

    s.once(
        "rubric",
        lambda: _committed(
            db.session.add(
                RubricVersion(year=2024, version=1, criteria=DEFAULT_RUBRIC, is_illustration=True)
            )
        ),
    )
    return {"year": 2024}


DASHBOARD_RULES = {
    "dashboard.show_dashboard": Rule(
        ALL, query={"preset": "months", "year": "2024", "months": "9"}
    ),
    "dashboard.show_breakdown": Rule(
        ALL, args=lambda s: {"by": "department"}, query={"from": "2024-01-01", "to": "2024-09-30"}
    ),
    "dashboard.api_summary": Rule(ALL, query={"from": "2024-01-01", "to": "2024-09-30"}),
    # Province-wide administrators and leaders (the samples' administrator is one).
    "dashboard.show_units": Rule(ADMIN, query={"preset": "months", "year": "2024", "months": "9"}),
    "dashboard.show_units_outreach": Rule(
        ADMIN, query={"preset": "months", "year": "2024", "months": "9"}
    ),
    "dashboard.list_rubrics": Rule(ALL),
    "dashboard.show_rubric": Rule(ALL, args=_rubric),
    "dashboard.edit_rubric_for": Rule(ADMIN, query={"year": "2024"}),
    "dashboard.edit_rubric": Rule(ADMIN, args=_rubric, data={"note": ""}),
}


# --- meetings (blueprints/meetings) -----------------------------------------------------------

MEETINGS_RULES = {
    "meetings.list_meetings": Rule(ALL),
    "meetings.create_meeting": Rule(("admin", "centre", "leader"), data={"date": "", "chair": ""}),
    "meetings.show_meeting": Rule(ALL, args=lambda s: {"meeting_id": _meeting(s).id}),
    "meetings.edit_meeting": Rule(
        ("admin", "centre", "leader"),
        args=lambda s: {"meeting_id": _meeting(s).id},
        data={"chair": ""},
    ),
    "meetings.add_task": Rule(
        ("admin", "centre", "leader"),
        args=lambda s: {"meeting_id": _meeting(s).id},
        data={"description": ""},
    ),
    # department staff update their own department's tasks (the sample task is theirs)
    "meetings.update_task_status": Rule(
        ALL,
        args=lambda s: {"task_id": _task(s).id},
        data=lambda s: {f"task{_task(s).id}-status": "bogus"},
    ),
}


# --- briefs (blueprints/briefs) ---------------------------------------------------------------

BRIEF_READERS = ("admin", "centre", "leader")
BRIEF_ISSUERS = ("admin", "leader")  # centre staff prepare, preview and download drafts
BRIEF_PERIOD = {"from": "2024-01-01", "to": "2024-03-31"}


def _issued_brief(s):
    """A stored brief (its PDF bytes stand in for a rendered file; the hash matches them)."""
    import hashlib

    from models import Brief

    def build():
        pdf = b"%PDF-1.7 sample brief" + s.tag.encode()
        brief = Brief(
            unit_id=s.unit_id,
            year=2024,
            number=1,
            period_from=date(2024, 1, 1),
            period_to=date(2024, 3, 31),
            figures={},
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        db.session.add(brief)
        return _committed(brief)

    return {"brief_id": s.once("brief", build).id}


BRIEFS_RULES = {
    "briefs.list_briefs": Rule(BRIEF_READERS),
    # Who sees every unit previews and downloads the draft of any unit's brief (unit=CODE);
    # a unit-bound user only his own unit's.
    "briefs.preview_brief": Rule(BRIEF_READERS, query=BRIEF_PERIOD, unit_query=True),
    "briefs.download_draft": Rule(BRIEF_READERS, query=BRIEF_PERIOD, unit_query=True),
    "briefs.issue_brief": Rule(BRIEF_ISSUERS, query=BRIEF_PERIOD, data={}),
    "briefs.withdraw_brief": Rule(BRIEF_ISSUERS, args=_issued_brief, data={"reason": ""}),
    "briefs.download_brief": Rule(BRIEF_READERS, args=_issued_brief),
    # The province's brief: province-wide users only (the samples' administrator; on one unit,
    # a 303 to the unit's brief).
    "briefs.preview_province_brief": Rule(ADMIN, query=BRIEF_PERIOD),
    "briefs.download_province_draft": Rule(ADMIN, query=BRIEF_PERIOD),
    "briefs.issue_province_brief": Rule(ADMIN, query=BRIEF_PERIOD, data={}),
}


# --- handover (blueprints/handover) -----------------------------------------------------------


def _handover_draft(s):
    """A draft hand-over record holding the sample shipment (a result returned on 18/03/2024)."""
    from blueprints.handover import services

    def build():
        draft = services.propose_batch("tra_ket_qua", date(2024, 3, 18), unit_id=s.unit_id)
        db.session.commit()  # built while URLs are made: committed before any table is compared
        return draft

    return s.once("handover_draft", build)


def _handover_item(s):
    draft = _handover_draft(s)
    return {"batch_id": draft.id, "item_id": draft.items[0].id}


HANDOVER_RULES = {
    "handover.list_batches": Rule(EDITORS),
    "handover.create_batch": Rule(EDITORS, data={"direction": "tra_ket_qua", "day": "2024-03-18"}),
    "handover.show_batch": Rule(EDITORS, args=lambda s: {"batch_id": _handover_draft(s).id}),
    "handover.add_item": Rule(
        EDITORS,
        args=lambda s: {"batch_id": _handover_draft(s).id},
        data=lambda s: {"shipment_id": s.shipment.id},
    ),
    "handover.remove_item": Rule(EDITORS, args=_handover_item),
    "handover.save_counts": Rule(
        EDITORS,
        args=lambda s: {"batch_id": _handover_draft(s).id},
        data=lambda s: {
            f"originals-{_handover_item(s)['item_id']}": "1",
            f"copies-{_handover_item(s)['item_id']}": "2",
        },
    ),
    "handover.sign_batch": Rule(EDITORS, args=lambda s: {"batch_id": _handover_draft(s).id}),
    "handover.void_batch": Rule(
        EDITORS,
        args=lambda s: {"batch_id": _handover_draft(s).id},
        data={"reason": "Ghi nhầm ngày"},
    ),
    "handover.discard_batch": Rule(EDITORS, args=lambda s: {"batch_id": _handover_draft(s).id}),
    # The record names citizens: every print is an audit event.
    "handover.print_batch": Rule(
        EDITORS, args=lambda s: {"batch_id": _handover_draft(s).id}, audited_read=True
    ),
}


# --- publication (blueprints/publication) -----------------------------------------------------


def _public_list_on(s):
    """The public list answers 404 while switched off: the samples switch it on."""
    from models import OrgSettings

    s.once("public_list_on", lambda: db.session.merge(OrgSettings(id=1, public_list_enabled=True)))
    return {}


PUBLICATION_RULES = {
    "publication.show_list": Rule(ALL),
    "publication.public_list": Rule(EVERYONE, query=_public_list_on),
    "publication.download_list": Rule(
        EVERYONE, args=lambda s: {"fmt": "csv"}, query=_public_list_on
    ),
}
