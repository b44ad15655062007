"""Forms for recording a review meeting, assigning a task, and updating a task's status."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from models import TASK_STATUSES
from utils.fields import DateField, StringField, UnitField


class MeetingForm(FlaskForm):
    date = DateField(_l("Date of the meeting"), validators=[DataRequired()])
    chair = StringField(_l("Chaired by"), validators=[DataRequired(), Length(max=200)])
    participants = TextAreaField(_l("Participants"), validators=[Length(max=4000)])
    conclusions = TextAreaField(_l("Conclusions"), validators=[DataRequired(), Length(max=20000)])
    unit = UnitField()  # a new meeting's, for a user who sees every unit


class TaskForm(FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int, validators=[DataRequired()])
    description = TextAreaField(_l("What to do"), validators=[DataRequired(), Length(max=4000)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])


class TaskStatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s, s) for s in TASK_STATUSES],
        validators=[DataRequired()],
    )
    note = StringField(_l("Note"), validators=[Length(max=2000)])
