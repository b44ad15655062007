"""Forms of the postal log: log a shipment, edit one, cancel one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from models import Channel, Direction
from utils import rules
from utils.dates import vn_today
from utils.fields import CodeField, DateField, StringField, UnitField, rule
from utils.tabular import CellError, parse_fee
from utils.validators import is_vn_phone

DIRECTION_CHOICES = [
    SelectChoice(Direction.RECEIVE.value, _l("Dossier received by post")),
    SelectChoice(Direction.RETURN.value, _l("Result returned by post")),
]
CHANNEL_CHOICES = [
    SelectChoice("", _l("— choose —")),
    SelectChoice(Channel.IN_PERSON.value, _l("In person")),
    SelectChoice(Channel.ONLINE.value, _l("Online")),
    SelectChoice(Channel.POST.value, _l("By post (BCCI)")),
]


not_in_future = rule(rules.not_in_future)
tracking_well_formed = rule(rules.tracking_number)


def vn_phone(form, field):
    if field.data and not is_vn_phone(field.data):
        raise ValidationError(_l("Not a Vietnamese phone number."))


def fee_in_dong(form, field):
    try:
        field.fee = parse_fee(field.data)
    except CellError as e:
        raise ValidationError(e.text()) from None


class RecipientMixin:
    recipient_name = StringField(
        _l("Name of the sender or recipient"), validators=[DataRequired(), Length(max=200)]
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=400)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), vn_phone, Length(max=30)])
    fee = StringField(_l("Fee (đồng)"), validators=[Optional(), fee_in_dong])


class ShipmentForm(RecipientMixin, FlaskForm):
    tracking_number = CodeField(
        _l("Tracking number"), validators=[DataRequired(), tracking_well_formed, Length(max=30)]
    )
    direction = RadioField(
        _l("Direction"),
        choices=DIRECTION_CHOICES,
        default=Direction.RETURN.value,
        validators=[DataRequired()],
    )
    dossier_code = CodeField(_l("Dossier code"), validators=[DataRequired(), Length(max=60)])
    date = DateField(_l("Date"), default=vn_today, validators=[DataRequired(), not_in_future])
    confirm_check_digit = BooleanField(_l("I have checked: the item carries this number"))
    # Only for a dossier the product does not know yet: it is created with the shipment.
    procedure_code = CodeField(_l("Procedure code"), validators=[Optional(), Length(max=40)])
    receive_channel = SelectField(
        _l("Receive channel"), choices=CHANNEL_CHOICES, validators=[Optional()]
    )
    receive_date = DateField(_l("Receive date"), validators=[Optional(), not_in_future])
    unit = UnitField(_l("Unit of the dossier"))  # for a user who sees every unit

    def fee_value(self):
        return getattr(self.fee, "fee", None)


class EditShipmentForm(RecipientMixin, FlaskForm):
    tracking_number = CodeField(
        _l("Tracking number"), validators=[DataRequired(), tracking_well_formed, Length(max=30)]
    )
    dossier_code = CodeField(_l("Dossier code"), validators=[DataRequired(), Length(max=60)])
    date = DateField(_l("Date"), validators=[DataRequired(), not_in_future])
    reason = TextAreaField(
        _l("Reason for the change"), validators=[DataRequired(), Length(max=1000)]
    )

    def fee_value(self):
        return getattr(self.fee, "fee", None)


class PurgedEditShipmentForm(EditShipmentForm):
    """Editing a shipment whose personal data was purged: those fields are not asked again."""

    recipient_name = None
    address = None
    phone = None


class CancelShipmentForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the cancellation"), validators=[DataRequired(), Length(max=1000)]
    )
