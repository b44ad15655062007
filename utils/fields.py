"""Form fields with the product's input limits (``docs/limits.md``), used instead of WTForms' own.

- ``StringField``: one line of text; line breaks and other control characters (tab aside) are a
  field error (a request with NUL never gets this far: ``app.py`` refuses it as a 400).
- ``CodeField``: a code (department, dossier, procedure): no tab either.
- ``DateField``: a date typed as ``dd/mm/yyyy`` in a text input, whatever the browser's language
  (a browser's own date input follows the browser's locale: ``12/02/2026`` for 2 December on an
  English Chrome); ``yyyy-mm-dd``, the form of URLs and scripts, is read too. ASCII digits,
  inside the supported date window.
- ``IntegerField``: ASCII digits only, at most ``utils.inputs.MAX_ID``.
- ``UnitField``: the unit a province-wide user picks for a new record (no picker otherwise).
"""

from flask_babel import lazy_gettext as _l
from wtforms import fields
from wtforms.validators import StopValidation, ValidationError

from utils.dates import parse_day

from utils.inputs import (
    CODE_ALLOWED,
    LINE_ALLOWED,
    MAX_ID,
    control_character_message,
    date_window_message,
    in_date_window,
    parse_int,
)
from utils.rules import CellError


def rule(check):
    """A form validator made of a rule of ``utils.rules``: the field shows the rule's message."""

    def validate(form, field):
        if field.data in (None, ""):
            return  # a blank field is DataRequired's or Optional's to judge
        try:
            check(field.data)
        except CellError as e:
            raise ValidationError(e.text()) from None

    return validate


class StringField(fields.StringField):
    allowed_controls = LINE_ALLOWED

    def pre_validate(self, form):
        message = control_character_message(self.data, self.allowed_controls)
        if message:
            raise StopValidation(message)


class CodeField(StringField):
    allowed_controls = CODE_ALLOWED


class DateField(fields.StringField):
    """A date as ``dd/mm/yyyy`` text; ``data`` is a ``date`` or ``None``.

    The checks run in ``pre_validate``, so that ``DataRequired`` (which clears the errors of
    an empty field) does not replace their message with "This field is required."."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {
            "inputmode": "numeric",
            "autocomplete": "off",
            "placeholder": _l("dd/mm/yyyy"),
            "maxlength": 10,
        }
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        raw = str(valuelist[0] or "") if valuelist else ""
        if not raw.strip() or not raw.isascii():
            return  # other scripts' digits are not a date; pre_validate says so
        try:
            self.data = parse_day(raw)
        except ValueError:
            raise ValueError(_l("Write the date as dd/mm/yyyy, for example 02/12/2026.")) from None

    def pre_validate(self, form):
        if self.process_errors:  # a malformed date: its own message, not "required" besides
            raise StopValidation()
        raw = (self.raw_data or [""])[0] or ""
        if not str(raw).isascii():
            raise StopValidation(self.gettext("Not a valid date value."))
        if self.data is not None and not in_date_window(self.data):
            raise StopValidation(date_window_message())

    def _value(self):
        if self.raw_data and self.data is None:
            return self.raw_data[0]  # what was typed, back on the form with its error
        return self.data.strftime("%d/%m/%Y") if self.data else ""


class IntegerField(fields.IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in (None, ""):
            self.data = None
            return
        self.data = parse_int(valuelist[0], maximum=MAX_ID)
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))


class UnitField(fields.SelectField):
    """The unit a new record (a meeting, a hand-over record, a dossier created at the counter)
    belongs to, picked by a user who sees every unit on a deployment of several units. Call
    ``offer(user)`` before validating: it fills the choices (``utils.units.picker_units``: the
    active units), the first unit chosen (while active) unless the form says otherwise; a unit-bound user, or a one-unit
    deployment, gets no choices, the form shows no picker and whatever was sent is ignored.
    ``unit_id(user)`` is the record's unit (``utils.units.new_record_unit``)."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label or _l("Unit"), choices=[], validate_choice=False, **kwargs)

    def offer(self, user, fallback=False):
        """Fill the choices; ``fallback``: a unit the form holds that is not offered gives way
        to the default too (a form filled from an address, not one sent to be saved, whose
        unit not offered is refused)."""
        from models import FIRST_UNIT_ID
        from utils.units import picker_units

        self.choices = [(str(u.id), f"{u.code} · {u.name}") for u in picker_units(user) or ()]
        offered = [value for value, _label in self.choices]
        if offered and (not self.data or (fallback and self.data not in offered)):
            self.data = str(FIRST_UNIT_ID) if str(FIRST_UNIT_ID) in offered else offered[0]

    def pre_validate(self, form):
        if self.choices and self.data not in {value for value, _label in self.choices}:
            raise StopValidation(_l("Choose one of the units offered."))

    def unit_id(self, user):
        from utils.units import new_record_unit

        return new_record_unit(user, int(self.data) if self.choices else None)
