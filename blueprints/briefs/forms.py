"""The form that issues a brief for a period."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, ValidationError

from utils.fields import DateField


class IssueForm(FlaskForm):
    """Issue the brief of a period: the first and last day, both included."""

    start = DateField(_l("From"), validators=[DataRequired(message=_l("Give the first day."))])
    end = DateField(_l("To"), validators=[DataRequired(message=_l("Give the last day."))])

    def validate_end(self, field):
        if self.start.data and field.data and self.start.data > field.data:
            raise ValidationError(_l("The first day of the period is after its last day."))
