"""The product's data: organisation, catalogue, dossiers, postal shipments, users and audit.

Schema changes go through ``migrations/``; ``db.create_all()`` is used only by the tests.
Text columns that people search have a ``*_folded`` twin (lower case, no diacritics, đ→d) kept in
step by the services through ``utils.text.fold``.
"""

from datetime import datetime, timezone
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    UniqueConstraint,
    case,
    event,
    text,
)

from extensions import db


class _Words(StrEnum):
    @classmethod
    def pick(cls, value, default=""):
        """``value`` when it is one of the words (a URL's or a form's text), else ``default``."""
        return value if isinstance(value, str) and value in cls._value2member_map_ else default


class Role(_Words):
    """A user's role (docs/roles.md, *The four roles*); who may do what is ``utils.access``."""

    ADMIN = "admin"
    CENTRE = "centre"
    DEPARTMENT = "department"
    LEADER = "leader"


class Direction(_Words):
    """Which way a dossier travels by post: sent in to be received, or its result sent out."""

    RECEIVE = "tiep_nhan"
    RETURN = "tra_ket_qua"


class Channel(_Words):
    """How a dossier was received or its result returned (the one-stop system's channels)."""

    IN_PERSON = "truc_tiep"
    ONLINE = "truc_tuyen"
    POST = "bcci"


# The plain values, in the enums' order (for choices, CHECK constraints and ``IN`` filters).
CHANNELS = tuple(c.value for c in Channel)
DIRECTIONS = tuple(d.value for d in Direction)
ROLES = tuple(r.value for r in Role)
TASK_STATUSES = ("open", "in_progress", "done")


class UnitLevel(_Words):
    """The tier of government a unit serves (since 1 July 2025: the province and its communes,
    wards and special zones)."""

    PROVINCE = "tinh"
    COMMUNE = "xa"


class UnitKind(_Words):
    """What a unit is: a public service centre, a centre's branch, or a service point."""

    CENTRE = "trung_tam"
    BRANCH = "chi_nhanh"
    SERVICE_POINT = "diem"


class ProcedureLevel(_Words):
    """The tier(s) a procedure is carried out at: which units handle it (``utils.units``)."""

    PROVINCE = "tinh"
    COMMUNE = "xa"
    BOTH = "ca_hai"


UNIT_LEVELS = tuple(v.value for v in UnitLevel)
UNIT_KINDS = tuple(v.value for v in UnitKind)
PROCEDURE_LEVELS = tuple(v.value for v in ProcedureLevel)
# The unit every deployment starts with (the migration and an empty schema create it): every
# record made before a second unit exists belongs to it (the columns' server default).
FIRST_UNIT_ID = 1


def utcnow():
    """Now, in UTC, without tzinfo (stored as naive UTC on every database)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _unit_column(index=True):
    """The unit a record belongs to (``Unit``): the first unit unless set."""
    return db.Column(
        db.Integer,
        db.ForeignKey("unit.id"),
        nullable=False,
        server_default=str(FIRST_UNIT_ID),
        index=index,
    )


class Unit(db.Model):
    """A unit (đơn vị) that receives dossiers and returns results: the province's centre, a
    commune-level centre, a branch or a service point. A deployment has at least one; with one,
    no unit appears anywhere (docs/units.md). Units are deactivated, never deleted."""

    __tablename__ = "unit"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(20), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    name_folded = db.Column(db.String(200), nullable=False, default="")
    level = db.Column(db.String(8), nullable=False, default=UnitLevel.COMMUNE.value)
    kind = db.Column(db.String(12), nullable=False, default=UnitKind.CENTRE.value)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("level IN ('tinh', 'xa')", name="level"),
        CheckConstraint("kind IN ('trung_tam', 'chi_nhanh', 'diem')", name="kind"),
    )

    def __repr__(self):
        return f"<Unit {self.code}>"


@event.listens_for(Unit.__table__, "after_create")
def _first_unit(target, connection, **kw):
    """An empty schema (``create_all``) gets the first unit, as the migration creates it."""
    connection.execute(
        target.insert().values(
            id=FIRST_UNIT_ID,
            code="DV01",
            name="",
            name_folded="",
            level=UnitLevel.COMMUNE.value,
            kind=UnitKind.CENTRE.value,
            active=True,
            created_at=utcnow(),
        )
    )
    if connection.dialect.name == "postgresql":  # the id was given: the sequence moves past it
        connection.execute(text("SELECT setval('unit_id_seq', :id)"), {"id": FIRST_UNIT_ID})


class UnitProcedure(db.Model):
    """A unit's exception to the procedures its level gives it: ``handled`` true adds a
    procedure of another level, false removes one of its own level (``utils.units``)."""

    __tablename__ = "unit_procedure"
    unit_id = db.Column(db.Integer, db.ForeignKey("unit.id"), primary_key=True)
    procedure_id = db.Column(db.Integer, db.ForeignKey("procedure.id"), primary_key=True)
    handled = db.Column(db.Boolean, nullable=False)
    __table_args__ = (Index("ix_unit_procedure_procedure", "procedure_id"),)


class OrgSettings(db.Model):
    """A unit's names for document headers and its rules; one row per unit (the first unit's
    is id 1)."""

    __tablename__ = "org_settings"
    id = db.Column(db.Integer, primary_key=True)
    unit_id = db.Column(
        db.Integer,
        db.ForeignKey("unit.id"),
        nullable=False,
        unique=True,
        server_default=str(FIRST_UNIT_ID),
    )
    parent_agency = db.Column(db.String(200), nullable=False, default="")
    unit_name = db.Column(db.String(200), nullable=False, default="")
    place_name = db.Column(db.String(100), nullable=False, default="")
    signer_name = db.Column(db.String(120), nullable=False, default="")
    signer_title = db.Column(db.String(120), nullable=False, default="")
    doc_prefix = db.Column(db.String(40), nullable=False, default="TTHCC")
    recipients = db.Column(db.Text, nullable=False, default="")
    address = db.Column(db.String(300), nullable=False, default="")
    opening_hours = db.Column(db.String(300), nullable=False, default="")
    retention_months = db.Column(db.Integer, nullable=False, default=24)
    public_list_enabled = db.Column(db.Boolean, nullable=False, default=False)
    # The period every leaders' screen opens on (that of the next review meeting); both or none.
    default_period_from = db.Column(db.Date, nullable=True)
    default_period_to = db.Column(db.Date, nullable=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Department(db.Model):
    """A specialised department (phòng, ban chuyên môn) that owns procedures."""

    __tablename__ = "department"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(40), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    name_folded = db.Column(db.String(200), nullable=False, default="")
    active = db.Column(db.Boolean, nullable=False, default=True)

    def __repr__(self):
        return f"<Department {self.code}>"


class Field(db.Model):
    """A field (lĩnh vực) of procedures, with the centre's note on postal feasibility."""

    __tablename__ = "field"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, unique=True)
    name_folded = db.Column(db.String(200), nullable=False, default="")
    postal_note = db.Column(db.Text, nullable=False, default="")

    def __repr__(self):
        return f"<Field {self.name}>"


class Procedure(db.Model):
    """An administrative procedure (TTHC) with its two postal eligibility flags."""

    __tablename__ = "procedure"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(40), nullable=False, unique=True)
    name = db.Column(db.Text, nullable=False)
    name_folded = db.Column(db.Text, nullable=False, default="")
    field_id = db.Column(db.Integer, db.ForeignKey("field.id"), nullable=False, index=True)
    department_id = db.Column(
        db.Integer, db.ForeignKey("department.id"), nullable=False, index=True
    )
    level = db.Column(db.String(60), nullable=False, default="")
    # The tier(s) that carry it out (``ProcedureLevel``), read from ``level`` when not chosen.
    unit_level = db.Column(
        db.String(8), nullable=False, default=ProcedureLevel.BOTH.value, server_default="ca_hai"
    )
    in_force = db.Column(db.Boolean, nullable=False, default=True)
    eligible_receive = db.Column(db.Boolean, nullable=False, default=False)
    eligible_return = db.Column(db.Boolean, nullable=False, default=False)
    reason_code = db.Column(db.String(40), nullable=False, default="")
    reason_text = db.Column(db.Text, nullable=False, default="")
    version = db.Column(db.Integer, nullable=False, default=1)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)

    field = db.relationship("Field", lazy="joined")
    department = db.relationship("Department", lazy="joined")
    updated_by = db.relationship("User", foreign_keys=[updated_by_id])

    # The version check is part of every UPDATE's WHERE clause (optimistic locking).
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self):
        return f"<Procedure {self.code}>"


class Dossier(db.Model):
    """A dossier (hồ sơ) with, per direction, its source and effective channel and date.

    Imports and forms set the ``*_src`` values; shipments decide the effective ones
    (``utils.dossiers.recompute_effective``). Every figure reads the effective values.
    """

    __tablename__ = "dossier"
    id = db.Column(db.Integer, primary_key=True)
    # In byte order on PostgreSQL (collation "C", as SQLite compares): the unique index then
    # serves the code search too (``blueprints.dossiers.services.code_key``).
    code = db.Column(
        db.String(60).with_variant(db.String(60, collation="C"), "postgresql"),
        nullable=False,
        unique=True,
    )
    # A foreign key to the procedure on SQLite only (``__table_args__``): PostgreSQL guards the
    # procedures with a trigger instead (``utils.triggers.PROCEDURE_GUARD``).
    procedure_id = db.Column(db.Integer, nullable=False)
    # The unit that received it. No foreign key: adding one would rebuild this table on SQLite,
    # and units are never deleted; the services set it from a unit they have read.
    # The Python default too: a dossier added through the session knows its unit when
    # ``utils.tally`` counts it.
    unit_id = db.Column(
        db.Integer, nullable=False, default=FIRST_UNIT_ID, server_default=str(FIRST_UNIT_ID)
    )
    receive_channel_src = db.Column(db.String(12), nullable=False)
    receive_date_src = db.Column(db.Date, nullable=True)
    return_channel_src = db.Column(db.String(12), nullable=True)
    return_date_src = db.Column(db.Date, nullable=True)
    receive_channel = db.Column(db.String(12), nullable=False)
    receive_date = db.Column(db.Date, nullable=True)
    return_channel = db.Column(db.String(12), nullable=True)
    return_date = db.Column(db.Date, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    procedure = db.relationship("Procedure")
    # Read only (no foreign key to follow): the counter reads it with the dossier, to refuse
    # a shipment of a deactivated unit's dossier without another query.
    unit = db.relationship("Unit", primaryjoin="foreign(Dossier.unit_id) == Unit.id", viewonly=True)
    shipments = db.relationship("Shipment", back_populates="dossier", order_by="Shipment.date")

    @classmethod
    def channel_columns(cls):
        """The channel and date columns, as the export writes them: the source values
        (receive date and channel, return date and channel), then the effective ones alike."""
        return tuple(
            getattr(cls, f"{direction}_{what}{kind}")
            for kind in ("_src", "")
            for direction in ("receive", "return")
            for what in ("date", "channel")
        )

    @staticmethod
    def as_recorded(receive_channel, receive_date, return_channel=None, return_date=None):
        """The channel and date columns of a dossier as its source records them: the ``*_src``
        values, and the effective ones alike until a shipment moves them."""
        return {
            "receive_channel_src": receive_channel,
            "receive_date_src": receive_date,
            "receive_channel": receive_channel,
            "receive_date": receive_date,
            "return_channel_src": return_channel,
            "return_date_src": return_date,
            "return_channel": return_channel,
            "return_date": return_date,
        }

    __table_args__ = (
        ForeignKeyConstraint(
            ["procedure_id"], ["procedure.id"], name="fk_dossier_procedure_id_procedure"
        ).ddl_if(dialect="sqlite"),
        Index("ix_dossier_receive", "receive_date", "receive_channel"),
        Index("ix_dossier_return", "return_date", "return_channel"),
        # One unit's list, newest first (a user bound to a unit: utils.units.unit_scope).
        Index("ix_dossier_unit_receive", "unit_id", "receive_date", "receive_channel"),
        Index("ix_dossier_unit_return", "unit_id", "return_date", "return_channel"),
        # One unit's dossiers the one-stop export says went by post: its reconciliation.
        Index(
            "ix_dossier_unit_src_receive_bcci",
            "unit_id",
            "receive_date",
            "code",
            sqlite_where=text("receive_channel_src = 'bcci'"),
            postgresql_where=text("receive_channel_src = 'bcci'"),
        ),
        Index(
            "ix_dossier_unit_src_return_bcci",
            "unit_id",
            "return_date",
            "code",
            sqlite_where=text("return_channel_src = 'bcci'"),
            postgresql_where=text("return_channel_src = 'bcci'"),
        ),
        # One procedure's dossiers in date order (the list a procedure's number opens); a
        # filter on the channel is answered from the same index.
        Index("ix_dossier_proc_receive", "procedure_id", "receive_date", "receive_channel"),
        Index("ix_dossier_proc_return", "procedure_id", "return_date", "return_channel"),
        # Dossiers the one-stop export says went by post, by date: the reconciliation's lists.
        Index(
            "ix_dossier_src_receive_bcci",
            "receive_date",
            "code",
            sqlite_where=text("receive_channel_src = 'bcci'"),
            postgresql_where=text("receive_channel_src = 'bcci'"),
        ),
        Index(
            "ix_dossier_src_return_bcci",
            "return_date",
            "code",
            sqlite_where=text("return_channel_src = 'bcci'"),
            postgresql_where=text("return_channel_src = 'bcci'"),
        ),
    )

    def __repr__(self):
        return f"<Dossier {self.code}>"


class _DossierTally:
    """Counts of dossiers per procedure and per day, ten days, month or quarter, kept by
    ``utils.tally`` in the same transaction as every change to a dossier's procedure or effective
    channels and dates.

    A dossier counts on its receive date's row (``received``; ``received_postal`` when received
    by post; ``received_returned_postal`` when its result went by post) and on its return date's
    row (``returned``; ``returned_postal`` when by post). The figures read whole calendar
    quarters from the quarter table, other whole months from the month table, whole ten-day
    parts of a month (1–10, 11–20, 21–end) from the ten-day table and the other days from the
    day table, never the dossiers.
    """

    # No foreign key: these are derived rows, emptied rows are deleted, and a procedure's rows
    # never outlive its dossiers.
    procedure_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    # The dossiers' unit: one unit reads its own rows through the (unit, date) index; the
    # province's figures read the province tallies below, these rows summed over the units.
    unit_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    received = db.Column(db.Integer, nullable=False, default=0)
    received_postal = db.Column(db.Integer, nullable=False, default=0)
    received_returned_postal = db.Column(db.Integer, nullable=False, default=0)
    returned = db.Column(db.Integer, nullable=False, default=0)
    returned_postal = db.Column(db.Integer, nullable=False, default=0)


class _ProvinceTally:
    """The dossier tallies summed over every unit: per procedure and per day, ten days, month or
    quarter, without the unit (what the province's figures read: a range of dates holds one row per
    procedure, not one per unit and procedure). Kept by ``utils.tally`` beside the per-unit
    tallies, in the same statements' transaction; equal to them summed over the units."""

    procedure_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    received = db.Column(db.Integer, nullable=False, default=0)
    received_postal = db.Column(db.Integer, nullable=False, default=0)
    received_returned_postal = db.Column(db.Integer, nullable=False, default=0)
    returned = db.Column(db.Integer, nullable=False, default=0)
    returned_postal = db.Column(db.Integer, nullable=False, default=0)


class DossierDayTally(_DossierTally, db.Model):
    __tablename__ = "dossier_day_tally"
    # The date first: the figures read a range of days for every procedure at once.
    day = db.Column(db.Date, primary_key=True)
    __table_args__ = (
        db.PrimaryKeyConstraint("day", "unit_id", "procedure_id"),
        db.Index("ix_dossier_day_tally_unit", "unit_id", "day"),
        {"sqlite_with_rowid": False},
    )


class DossierTenDayTally(_DossierTally, db.Model):
    __tablename__ = "dossier_tenday_tally"
    # The first day of a ten-day part of a month: the 1st, the 11th or the 21st (to its end).
    tenday = db.Column(db.Date, primary_key=True)
    __table_args__ = (
        db.PrimaryKeyConstraint("tenday", "unit_id", "procedure_id"),
        db.Index("ix_dossier_tenday_tally_unit", "unit_id", "tenday"),
        {"sqlite_with_rowid": False},
    )


class DossierMonthTally(_DossierTally, db.Model):
    __tablename__ = "dossier_month_tally"
    month = db.Column(db.Date, primary_key=True)  # the first day of the month
    __table_args__ = (
        db.PrimaryKeyConstraint("month", "unit_id", "procedure_id"),
        db.Index("ix_dossier_month_tally_unit", "unit_id", "month"),
        {"sqlite_with_rowid": False},
    )


class DossierQuarterTally(_DossierTally, db.Model):
    __tablename__ = "dossier_quarter_tally"
    # The first day of a calendar quarter (1 January, April, July or October): a period of
    # whole quarters (a roll-up of nine months, the Units screen's dossiers of all time) reads a
    # third of the month rows.
    quarter = db.Column(db.Date, primary_key=True)
    __table_args__ = (
        db.PrimaryKeyConstraint("quarter", "unit_id", "procedure_id"),
        db.Index("ix_dossier_quarter_tally_unit", "unit_id", "quarter"),
        {"sqlite_with_rowid": False},
    )


class ProvinceDayTally(_ProvinceTally, db.Model):
    __tablename__ = "province_day_tally"
    day = db.Column(db.Date, primary_key=True)
    __table_args__ = (db.PrimaryKeyConstraint("day", "procedure_id"), {"sqlite_with_rowid": False})


class ProvinceTenDayTally(_ProvinceTally, db.Model):
    __tablename__ = "province_tenday_tally"
    tenday = db.Column(db.Date, primary_key=True)
    __table_args__ = (
        db.PrimaryKeyConstraint("tenday", "procedure_id"),
        {"sqlite_with_rowid": False},
    )


class ProvinceMonthTally(_ProvinceTally, db.Model):
    __tablename__ = "province_month_tally"
    month = db.Column(db.Date, primary_key=True)
    __table_args__ = (
        db.PrimaryKeyConstraint("month", "procedure_id"),
        {"sqlite_with_rowid": False},
    )


class ProvinceQuarterTally(_ProvinceTally, db.Model):
    __tablename__ = "province_quarter_tally"
    quarter = db.Column(db.Date, primary_key=True)
    __table_args__ = (
        db.PrimaryKeyConstraint("quarter", "procedure_id"),
        {"sqlite_with_rowid": False},
    )


class ReconcileTally(db.Model):
    """Per unit and procedure, how many of its dossiers the one-stop export says went by post
    with no shipment record in that direction, and its shipments not cancelled per direction:
    kept by database triggers in the same transaction as every change to dossiers and shipments
    (``utils.reconcile``). The province's counts are the sums of the units'."""

    __tablename__ = "reconcile_tally"
    # No foreign keys, as the dossier tallies: derived rows, recounted by ``flask tally rebuild``.
    unit_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    procedure_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    unlogged_receive = db.Column(db.Integer, nullable=False, default=0)
    unlogged_return = db.Column(db.Integer, nullable=False, default=0)
    # Shipments not cancelled, per direction: those of procedures not flagged eligible are the
    # reconciliation's other count (the flags are read when counting).
    live_receive = db.Column(db.Integer, nullable=False, default=0)
    live_return = db.Column(db.Integer, nullable=False, default=0)


class _ShipmentTally:
    """Shipments counted per date, unit, procedure (their dossier's), direction and status,
    with their fees: kept by database triggers in the same transaction as every change to a
    shipment or to its dossier's procedure (``utils.shipment_tally``). The shipment list's
    totals read whole months from the month table and the other days from the day table,
    never the shipments."""

    # No foreign key, as the dossier tallies: derived rows, recounted by ``flask tally rebuild``.
    # The unit is the shipment's own (``Shipment.unit_id``, its dossier's), as the list reads it.
    unit_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    procedure_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    direction = db.Column(db.String(12), primary_key=True)
    cancelled = db.Column(db.Boolean, primary_key=True)
    eligibility_warning = db.Column(db.Boolean, primary_key=True)
    check_digit_warning = db.Column(db.Boolean, primary_key=True)
    shipments = db.Column(db.Integer, nullable=False, default=0)
    fees = db.Column(db.BigInteger, nullable=False, default=0)  # đồng; NULL fees add nothing


_SHIPMENT_TALLY_KEY = (
    "unit_id",
    "procedure_id",
    "direction",
    "cancelled",
    "eligibility_warning",
    "check_digit_warning",
)


class ShipmentDayTally(_ShipmentTally, db.Model):
    __tablename__ = "shipment_day_tally"
    day = db.Column(db.Date, primary_key=True)
    __table_args__ = (
        db.PrimaryKeyConstraint("day", *_SHIPMENT_TALLY_KEY),
        db.Index("ix_shipment_day_tally_unit", "unit_id", "day"),
        {"sqlite_with_rowid": False},
    )


class ShipmentMonthTally(_ShipmentTally, db.Model):
    __tablename__ = "shipment_month_tally"
    month = db.Column(db.Date, primary_key=True)  # the first day of the month
    __table_args__ = (
        db.PrimaryKeyConstraint("month", *_SHIPMENT_TALLY_KEY),
        db.Index("ix_shipment_month_tally_unit", "unit_id", "month"),
        {"sqlite_with_rowid": False},
    )


@event.listens_for(db.metadata, "after_create")
def _reconcile_triggers(target, connection, **kw):
    """``create_all`` (the tests' schema) gets the triggers the migrations create."""
    from utils import reconcile, shipment_tally, triggers

    reconcile.create_triggers(connection)
    shipment_tally.create_triggers(connection)
    triggers.create_procedure_guard(connection)


class Shipment(db.Model):
    """A postal item (bưu gửi): a dossier sent in by post or a result sent out by post."""

    __tablename__ = "shipment"
    id = db.Column(db.Integer, primary_key=True)
    tracking_number = db.Column(db.String(20), nullable=False)
    direction = db.Column(db.String(12), nullable=False)
    dossier_id = db.Column(db.Integer, db.ForeignKey("dossier.id"), nullable=False, index=True)
    # Its dossier's unit, kept on the shipment for the unit's lists (no foreign key, as
    # ``Dossier.unit_id``).
    unit_id = db.Column(db.Integer, nullable=False, server_default=str(FIRST_UNIT_ID))
    date = db.Column(db.Date, nullable=False)
    recipient_name = db.Column(db.String(200), nullable=False, default="")
    address = db.Column(db.String(400), nullable=False, default="")
    phone = db.Column(db.String(30), nullable=False, default="")
    fee = db.Column(db.Integer, nullable=True)
    check_digit_warning = db.Column(db.Boolean, nullable=False, default=False)
    eligibility_warning = db.Column(db.Boolean, nullable=False, default=False)
    cancelled = db.Column(db.Boolean, nullable=False, default=False)
    cancel_reason = db.Column(db.Text, nullable=False, default="")
    personal_data_purged_at = db.Column(db.DateTime, nullable=True)
    handed_over_at = db.Column(db.DateTime, nullable=True)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    dossier = db.relationship("Dossier", back_populates="shipments")
    recorded_by = db.relationship("User")

    __table_args__ = (
        # A tracking number is logged once per direction among the shipments that count; a
        # cancelled one does not block logging the number again (a partial unique index).
        Index(
            "uq_shipment_tracking_active",
            "tracking_number",
            "direction",
            unique=True,
            sqlite_where=text("NOT cancelled"),
            postgresql_where=text("NOT cancelled"),
        ),
        CheckConstraint("direction IN ('tiep_nhan', 'tra_ket_qua')", name="direction"),
        Index("ix_shipment_date", "date", "direction"),
        Index("ix_shipment_unit_date", "unit_id", "date", "direction"),  # one unit's list
        Index("ix_shipment_unit_id", "unit_id", "id"),  # one unit's latest (the log form)
        # The list's search by the start of a tracking number, over all shipments (cancelled
        # ones too), in byte order (blueprints.postal.services.tracking_key).
        Index("ix_shipment_tracking", "tracking_number").ddl_if(dialect="sqlite"),
        Index("ix_shipment_tracking_bytes", text('tracking_number COLLATE "C"')).ddl_if(
            dialect="postgresql"
        ),
    )

    def __repr__(self):
        return f"<Shipment {self.tracking_number} {self.direction}>"


class User(UserMixin, db.Model):
    """A person who logs in; department staff are bound to one department."""

    __tablename__ = "user"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), nullable=False, unique=True)
    full_name = db.Column(db.String(200), nullable=False, default="")
    password_hash = db.Column(db.String(256), nullable=False)
    role = db.Column(db.String(20), nullable=False)
    department_id = db.Column(db.Integer, db.ForeignKey("department.id"), nullable=True)
    # The unit whose records the user sees and changes; none on a one-unit deployment (and for
    # department staff, who keep the province's catalogue). ``province_wide`` users see every
    # unit (``utils.units``).
    unit_id = db.Column(db.Integer, db.ForeignKey("unit.id"), nullable=True)
    province_wide = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    active = db.Column(db.Boolean, nullable=False, default=True)
    locale = db.Column(db.String(5), nullable=False, default="vi")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    department = db.relationship("Department")
    unit = db.relationship("Unit")

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'centre', 'department', 'leader')", name="role"),
    )

    # The login session this object was loaded for (set by ``blueprints.auth.services``);
    # Flask-Login stores it in the cookie instead of the user id.
    session_id = None

    def get_id(self):
        return self.session_id

    @property
    def is_active(self):
        return self.active

    def __repr__(self):
        return f"<User {self.username}>"


class LoginSession(db.Model):
    """A server-side login session: the cookie carries only its random id.

    Logging out revokes the row, so a cookie copied before logout is refused after it.
    """

    __tablename__ = "login_session"
    id = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    revoked_at = db.Column(db.DateTime, nullable=True)
    # When the session last answered a request, for the idle timeout: written at most once a
    # minute, in its own short transaction (``blueprints/auth/sessions.py``).
    last_seen_at = db.Column(db.DateTime, nullable=True)

    user = db.relationship("User")


class LoginFailure(db.Model):
    """One failed login or password check, under a keyed hash of what it counts against (a
    username, an address, a trusted device, a user's password change): every worker and server
    reads the same counts. Rows older than the longest throttling window are deleted."""

    __tablename__ = "login_failure"
    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(64), nullable=False)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_login_failure_key_at", "key", "at"),)


class KeptForm(db.Model):
    """What a person typed into a form posted after their session ended, kept for a few minutes
    so it can be shown again once that same person has logged in (never a password, never in a
    cookie or a log)."""

    __tablename__ = "kept_form"
    id = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(
        db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    path = db.Column(db.String(500), nullable=False)
    fields = db.Column(db.JSON, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class AuditEvent(db.Model):
    """Who changed what, when (UTC), with old and new values."""

    __tablename__ = "audit_event"
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True, index=True)
    username = db.Column(db.String(80), nullable=False, default="")
    action = db.Column(db.String(60), nullable=False, index=True)
    object_type = db.Column(db.String(40), nullable=False, default="")
    object_id = db.Column(db.String(80), nullable=False, default="")
    old_values = db.Column(db.JSON, nullable=True)
    new_values = db.Column(db.JSON, nullable=True)

    user = db.relationship("User")

    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)


class RubricVersion(db.Model):
    """Scoring bands for one year: ``criteria`` maps C1..C3 to ``{"max": "1.00",
    "bands": [["20", "0.50"], ["50", "1.00"]]}`` (percent threshold, points), as strings.

    A version used by an issued brief is frozen; editing it creates the next version.
    """

    __tablename__ = "rubric_version"
    id = db.Column(db.Integer, primary_key=True)
    year = db.Column(db.Integer, nullable=False)
    version = db.Column(db.Integer, nullable=False, default=1)
    criteria = db.Column(db.JSON, nullable=False)
    is_illustration = db.Column(db.Boolean, nullable=False, default=False)
    frozen = db.Column(db.Boolean, nullable=False, default=False)
    note = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)

    __table_args__ = (UniqueConstraint("year", "version"),)


class Meeting(db.Model):
    """A review meeting with its conclusions."""

    __tablename__ = "meeting"
    id = db.Column(db.Integer, primary_key=True)
    unit_id = _unit_column()
    date = db.Column(db.Date, nullable=False)
    chair = db.Column(db.String(200), nullable=False, default="")
    participants = db.Column(db.Text, nullable=False, default="")
    conclusions = db.Column(db.Text, nullable=False, default="")
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    tasks = db.relationship("Task", back_populates="meeting", order_by=lambda: task_order())


class Task(db.Model):
    """A follow-up task assigned to a department by a meeting."""

    __tablename__ = "task"
    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meeting.id"), nullable=False, index=True)
    department_id = db.Column(
        db.Integer, db.ForeignKey("department.id"), nullable=False, index=True
    )
    description = db.Column(db.Text, nullable=False)
    deadline = db.Column(db.Date, nullable=True)
    status = db.Column(db.String(20), nullable=False, default="open")
    status_note = db.Column(db.Text, nullable=False, default="")
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    meeting = db.relationship("Meeting", back_populates="tasks")
    department = db.relationship("Department")


def task_order():
    """Tasks by deadline, those without one last, then as assigned: explicit, because SQLite
    sorts NULLs first and PostgreSQL last. Every list of tasks orders by this."""
    return [case((Task.deadline.is_(None), 1), else_=0), Task.deadline, Task.id]


class Brief(db.Model):
    """An issued meeting brief: its number, the PDF as issued and a snapshot of its figures.

    A brief issued by mistake is withdrawn (thu hồi) with a reason: its number and file stay,
    marked withdrawn wherever they are listed or served, and the replacement takes a new number.
    """

    __tablename__ = "brief"
    id = db.Column(db.Integer, primary_key=True)
    unit_id = _unit_column(index=False)  # briefs are numbered per unit: (unit, year, number)
    # The province's brief (every unit's figures), issued and numbered by the province's centre
    # (``unit_id``); otherwise the brief of its unit.
    province = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    year = db.Column(db.Integer, nullable=False)
    number = db.Column(db.Integer, nullable=False)
    period_from = db.Column(db.Date, nullable=False)
    period_to = db.Column(db.Date, nullable=False)
    issued_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    issued_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)
    rubric_version_id = db.Column(db.Integer, db.ForeignKey("rubric_version.id"), nullable=True)
    figures = db.Column(db.JSON, nullable=False)
    pdf = db.Column(db.LargeBinary, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    withdrawn_at = db.Column(db.DateTime, nullable=True)
    withdrawn_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)
    withdraw_reason = db.Column(db.Text, nullable=False, default="")

    issued_by = db.relationship("User", foreign_keys=[issued_by_id])
    withdrawn_by = db.relationship("User", foreign_keys=[withdrawn_by_id])
    rubric_version = db.relationship("RubricVersion")

    @property
    def withdrawn(self):
        return self.withdrawn_at is not None

    __table_args__ = (UniqueConstraint("unit_id", "year", "number"),)


HANDOVER_STATUSES = ("draft", "signed", "voided")


class HandoverBatch(db.Model):
    """A hand-over record (biên bản giao nhận) between the centre and the postal worker.

    A draft collects shipments of one direction; signing numbers it (per year) and marks its
    shipments handed over; voiding a signed record, with a reason, frees them again; a discarded
    draft is voided too, never deleted, so the trail stays whole.
    """

    __tablename__ = "handover_batch"
    id = db.Column(db.Integer, primary_key=True)
    unit_id = _unit_column(index=False)  # numbered per unit: (unit, year, number)
    direction = db.Column(db.String(12), nullable=False)
    day = db.Column(db.Date, nullable=False)
    year = db.Column(db.Integer, nullable=True)
    number = db.Column(db.Integer, nullable=True)
    status = db.Column(db.String(10), nullable=False, default="draft")
    void_reason = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)
    signed_at = db.Column(db.DateTime, nullable=True)
    printed_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)
    voided_at = db.Column(db.DateTime, nullable=True)
    voided_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=True)

    created_by = db.relationship("User", foreign_keys=[created_by_id])
    printed_by = db.relationship("User", foreign_keys=[printed_by_id])
    voided_by = db.relationship("User", foreign_keys=[voided_by_id])
    items = db.relationship(
        "HandoverItem",
        back_populates="batch",
        order_by="HandoverItem.id",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        UniqueConstraint("unit_id", "year", "number"),
        CheckConstraint("direction IN ('tiep_nhan', 'tra_ket_qua')", name="direction"),
        CheckConstraint("status IN ('draft', 'signed', 'voided')", name="status"),
        # A signed record has its number and signing time, a draft neither; a voided one its
        # voiding time (a discarded draft was never numbered).
        CheckConstraint(
            "(status = 'draft' AND number IS NULL AND signed_at IS NULL) OR "
            "(status = 'signed' AND number IS NOT NULL AND year IS NOT NULL "
            "AND signed_at IS NOT NULL) OR (status = 'voided' AND voided_at IS NOT NULL)",
            name="signed_numbered",
        ),
        Index("ix_handover_batch_day", "day", "direction"),
    )

    def __repr__(self):
        return f"<HandoverBatch {self.id} {self.status}>"


class HandoverItem(db.Model):
    """A shipment in a hand-over record.

    ``held_shipment_id`` equals ``shipment_id`` while the record is not voided and is cleared
    when it is: its uniqueness is what keeps a shipment in one live record at a time.
    """

    __tablename__ = "handover_item"
    id = db.Column(db.Integer, primary_key=True)
    batch_id = db.Column(db.Integer, db.ForeignKey("handover_batch.id"), nullable=False, index=True)
    shipment_id = db.Column(db.Integer, db.ForeignKey("shipment.id"), nullable=False, index=True)
    held_shipment_id = db.Column(
        db.Integer, db.ForeignKey("shipment.id"), nullable=True, unique=True
    )
    originals = db.Column(db.Integer, nullable=True)
    copies = db.Column(db.Integer, nullable=True)

    batch = db.relationship("HandoverBatch", back_populates="items")
    shipment = db.relationship("Shipment", foreign_keys=[shipment_id])

    __table_args__ = (
        UniqueConstraint("batch_id", "shipment_id"),
        CheckConstraint("held_shipment_id IS NULL OR held_shipment_id = shipment_id", name="held"),
        CheckConstraint(
            "(originals IS NULL OR originals >= 0) AND (copies IS NULL OR copies >= 0)",
            name="counts",
        ),
    )
