"""Forms of the hand-over records."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from models import Direction
from utils.dates import vn_today
from utils.fields import DateField, IntegerField, StringField, UnitField


class NewBatchForm(FlaskForm):
    direction = SelectField(
        _l("Direction"),
        choices=[
            SelectChoice(Direction.RETURN.value, _l("Results handed to the postal worker")),
            SelectChoice(Direction.RECEIVE.value, _l("Dossiers received from the postal worker")),
        ],
        validators=[InputRequired()],
    )
    day = DateField(_l("Day"), default=vn_today, validators=[InputRequired()])
    unit = UnitField()  # for a user who sees every unit

    def validate_day(self, field):
        if field.data and field.data > vn_today():
            raise ValidationError(_l("The day of a hand-over record cannot be in the future."))


class AddItemForm(FlaskForm):
    shipment_id = IntegerField(validators=[InputRequired()])


class SearchForm(FlaskForm):
    """The candidates' filter (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    tracking = StringField(_l("Tracking number contains"), validators=[Optional(), Length(max=20)])
    day = DateField(_l("Shipment day"), validators=[Optional()])


class VoidForm(FlaskForm):
    reason = TextAreaField(_l("Reason for voiding"), validators=[DataRequired(), Length(max=2000)])


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""

    confirm = HiddenField(default="1")
