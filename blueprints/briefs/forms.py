"""The forms that issue a brief for a period and withdraw an issued one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from utils.fields import DateField, IntegerField


class IssueForm(FlaskForm):
    """Issue the brief of a period: the first and last day, both included."""

    start = DateField(_l("From"), validators=[DataRequired(message=_l("Give the first day."))])
    end = DateField(_l("To"), validators=[DataRequired(message=_l("Give the last day."))])
    # The number the confirmation named: issuing under another one is refused and asked again.
    number = IntegerField(
        _l("Number"),
        validators=[
            DataRequired(message=_l("Confirm the number the brief will take.")),
            NumberRange(min=1, max=99999),
        ],
    )

    def validate_end(self, field):
        if self.start.data and field.data and self.start.data > field.data:
            raise ValidationError(_l("The first day of the period is after its last day."))


class WithdrawForm(FlaskForm):
    """Withdraw an issued brief: why (kept in the record and the audit log)."""

    reason = TextAreaField(
        _l("Reason for withdrawal"),
        validators=[
            DataRequired(message=_l("Give the reason for withdrawing the brief.")),
            Length(max=2000),
        ],
    )
