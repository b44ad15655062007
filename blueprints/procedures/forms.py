"""Forms of the procedure catalogue; the rules themselves live in ``services``."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from blueprints.procedures.services import REASONS
from utils.fields import CodeField, StringField
from models import PROCEDURE_LEVELS
from utils.labels import department_label, unit_level_label
from utils.units import several_units

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
UNCHANGED_YES_NO = [SelectChoice("", _l("Leave unchanged"))] + YES_NO


def yes_no(value):
    """``"yes"`` → True, ``"no"`` → False, anything else → None."""
    return {"yes": True, "no": False}.get(value)


def details(form):
    """The details a procedure form (new, edit) gives, in the order the services take them:
    code, name, field id, department id, level."""
    return (
        form.code.data,
        form.name.data,
        form.field_number,
        form.department_number,
        form.level.data,
    )


def chosen_unit_level(form):
    """The canonical level the form chose (shown once units appear), or None: it follows the
    free-text level."""
    return (form.unit_level.data or None) if several_units() else None


def eligibility(form):
    """The eligibility a form (edit row, bulk, new procedure) asks for, in the order the services
    take it: receive by post, return by post (True, False or None), reason code, reason text."""
    return (
        yes_no(form.eligible_receive.data),
        yes_no(form.eligible_return.data),
        form.reason_code.data,
        form.reason_text.data,
    )


def _reason_choices(blank):
    return [SelectChoice("", blank)] + [SelectChoice(code, label) for code, label in REASONS]


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class EligibilityForm(FlaskForm):
    """The click-to-edit row: two flags, a reason, and the version the person saw."""

    eligible_receive = SelectField(_l("Receive by post"), choices=YES_NO, validate_choice=False)
    eligible_return = SelectField(_l("Return by post"), choices=YES_NO, validate_choice=False)
    reason_code = SelectField(_l("Reason when not by post"), validate_choice=False)
    reason_text = TextAreaField(_l("Details"), validators=[Optional()])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_code.choices = _reason_choices(_l("— choose a reason —"))

    def fill(self, procedure):
        self.eligible_receive.data = "yes" if procedure.eligible_receive else "no"
        self.eligible_return.data = "yes" if procedure.eligible_return else "no"
        self.reason_code.data = procedure.reason_code
        self.reason_text.data = procedure.reason_text
        self.version.data = str(procedure.version)

    @property
    def version_number(self):
        return _int_or_none(self.version.data)


class BulkForm(FlaskForm):
    """Set eligibility on the selected procedures, or on every one matching the filter."""

    scope = HiddenField(default="selected")
    eligible_receive = SelectField(
        _l("Receive by post"), choices=UNCHANGED_YES_NO, validate_choice=False
    )
    eligible_return = SelectField(
        _l("Return by post"), choices=UNCHANGED_YES_NO, validate_choice=False
    )
    reason_code = SelectField(_l("Reason when not by post"), validate_choice=False)
    reason_text = StringField(_l("Details"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_code.choices = _reason_choices(_l("— keep the current reason —"))


class ProcedureForm(FlaskForm):
    """Add a procedure, or change its code, name, field, department and level."""

    code = CodeField(_l("Procedure code"))
    name = TextAreaField(_l("Procedure name"))
    field_id = SelectField(_l("Field"), validate_choice=False)
    department_id = SelectField(_l("Department"), validate_choice=False)
    level = StringField(_l("Level"), validators=[Optional()])
    # Shown once units appear (``several_units``): blank follows the free-text level.
    unit_level = SelectField(_l("Carried out by"), validate_choice=False)
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_level.choices = [SelectChoice("", _l("— as the level says —"))] + [
            SelectChoice(level, unit_level_label(level)) for level in PROCEDURE_LEVELS
        ]

    def set_choices(self, fields, departments):
        self.field_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(f.id), f.name) for f in fields
        ]
        self.department_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(d.id), department_label(d)) for d in departments
        ]

    def fill(self, procedure):
        self.code.data = procedure.code
        self.name.data = procedure.name
        self.field_id.data = str(procedure.field_id)
        self.department_id.data = str(procedure.department_id)
        self.level.data = procedure.level
        self.unit_level.data = procedure.unit_level
        self.version.data = str(procedure.version)

    @property
    def field_number(self):
        return _int_or_none(self.field_id.data)

    @property
    def department_number(self):
        return _int_or_none(self.department_id.data)

    @property
    def version_number(self):
        return _int_or_none(self.version.data)


class NewProcedureForm(ProcedureForm, EligibilityForm):
    """A new procedure also takes its eligibility."""


class FieldNoteForm(FlaskForm):
    postal_note = TextAreaField(_l("Centre's note"), validators=[Optional()])


class ImportForm(FlaskForm):
    file = FileField(_l("File (.csv or .xlsx)"))
