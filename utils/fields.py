"""Form fields with the product's input limits (``docs/limits.md``), used instead of WTForms' own.

- ``StringField``: one line of text; line breaks and other control characters (tab aside) are a
  field error (a request with NUL never gets this far: ``app.py`` refuses it as a 400).
- ``CodeField``: a code (department, dossier, procedure): no tab either.
- ``DateField``: ``yyyy-mm-dd`` in ASCII digits, inside the supported date window.
- ``IntegerField``: ASCII digits only, at most ``utils.inputs.MAX_ID``.
"""
from wtforms import fields
from wtforms.validators import StopValidation

from utils.inputs import (CODE_ALLOWED, LINE_ALLOWED, MAX_ID, control_character_message,
                          date_window_message, in_date_window, parse_int)


class StringField(fields.StringField):
    allowed_controls = LINE_ALLOWED

    def pre_validate(self, form):
        message = control_character_message(self.data, self.allowed_controls)
        if message:
            raise StopValidation(message)


class CodeField(StringField):
    allowed_controls = CODE_ALLOWED


class DateField(fields.DateField):
    """The checks run in ``pre_validate``, so that ``DataRequired`` (which clears the errors of
    an empty field) does not replace their message with "This field is required."."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] and not str(valuelist[0]).isascii():
            self.data = None  # other scripts' digits are not a date; pre_validate says so
            return
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        raw = (self.raw_data or [""])[0] or ""
        if not str(raw).isascii():
            raise StopValidation(self.gettext("Not a valid date value."))
        if self.data is not None and not in_date_window(self.data):
            raise StopValidation(date_window_message())


class IntegerField(fields.IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in (None, ""):
            self.data = None
            return
        self.data = parse_int(valuelist[0], maximum=MAX_ID)
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))
