"""Forms of the administration screens."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from models import ROLES, UNIT_KINDS, UNIT_LEVELS
from utils.fields import CodeField, DateField, IntegerField, StringField
from utils.labels import department_label, role_label, unit_kind_label, unit_level_label


def role_choices():
    return [(role, role_label(role)) for role in ROLES]


def unit_choices(units):
    return [("", _l("— none —"))] + [(u.code, f"{u.code} – {u.name}") for u in units]


def department_choices(departments):
    return [("", _l("— none —"))] + [(d.code, department_label(d)) for d in departments]


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    full_name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    department = SelectField(_l("Belongs to"), validate_choice=False)
    unit = SelectField(_l("Unit"), validate_choice=False)
    province_wide = BooleanField(_l("Sees every unit of the province"))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class UserEditForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    department = SelectField(_l("Belongs to"), validate_choice=False)
    unit = SelectField(_l("Unit"), validate_choice=False)
    province_wide = BooleanField(_l("Sees every unit of the province"))


def unit_level_choices():
    return [(level, unit_level_label(level)) for level in UNIT_LEVELS]


def unit_kind_choices():
    return [(kind, unit_kind_label(kind)) for kind in UNIT_KINDS]


class UnitEditForm(FlaskForm):
    """A unit's name, level and kind; the service refuses a bad value (``utils.units``)."""

    name = StringField(_l("Unit name"))
    level = SelectField(_l("Unit level"), validate_choice=False)
    kind = SelectField(_l("Kind of unit"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = unit_level_choices()
        self.kind.choices = unit_kind_choices()


class UnitCreateForm(UnitEditForm):
    code = StringField(_l("Unit code"))


class UnitProcedureForm(FlaskForm):
    """A procedure added for a unit (``handled`` "1") or removed for it ("0")."""

    procedure = StringField(_l("Procedure code"))
    handled = SelectField(_l("The unit"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.handled.choices = [("1", _l("handles it")), ("0", _l("does not handle it"))]


class PasswordResetForm(FlaskForm):
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class DepartmentCreateForm(FlaskForm):
    code = CodeField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Department name"), validators=[DataRequired(), Length(max=200)])


class DepartmentRenameForm(FlaskForm):
    name = StringField(_l("Department name"), validators=[DataRequired(), Length(max=200)])


class FieldForm(FlaskForm):
    name = StringField(_l("Field name"), validators=[DataRequired(), Length(max=200)])
    postal_note = TextAreaField(
        _l("The centre's note on postal handling"), validators=[Length(max=2000)]
    )


class SettingsForm(FlaskForm):
    parent_agency = StringField(_l("Parent agency"), validators=[Length(max=200)])
    unit_name = StringField(_l("Unit name"), validators=[Length(max=200)])
    place_name = StringField(_l("Place name (document date line)"), validators=[Length(max=100)])
    signer_name = StringField(_l("Signer's name"), validators=[Length(max=120)])
    signer_title = StringField(_l("Signer's title"), validators=[Length(max=120)])
    doc_prefix = StringField(
        _l("Document-number prefix"), validators=[DataRequired(), Length(max=40)]
    )
    recipients = TextAreaField(_l("Recipients (one per line)"), validators=[Length(max=4000)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    opening_hours = StringField(_l("Centre opening hours"), validators=[Length(max=300)])
    retention_months = IntegerField(
        _l("Keep citizens' personal data for (months)"),
        validators=[InputRequired(), NumberRange(min=1, max=240)],
    )
    public_list_enabled = BooleanField(
        _l("Publish the list of postal procedures on the public page")
    )
    default_period_from = DateField(
        _l("Default reporting period: first day"), validators=[Optional()]
    )
    default_period_to = DateField(_l("Default reporting period: last day"), validators=[Optional()])


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    user = SelectField(_l("Who"), validate_choice=False, validators=[Optional()])
    action = SelectField(_l("Action"), validate_choice=False, validators=[Optional()])
    object_type = SelectField(_l("Object type"), validate_choice=False, validators=[Optional()])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=80)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
