"""The rubric form: per criterion a maximum and up to four bands "from X% gives Y points"."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from blueprints.dashboard.services import MAX_BANDS, RUBRIC_MESSAGES
from utils.fields import StringField


def _number_text(value):
    """``Decimal("0.50")`` → ``"0,50"``: what a Vietnamese user types back."""
    return str(value).replace(".", ",")


class BandForm(Form):
    threshold = StringField(_l("From (%)"), validators=[Optional(), Length(max=12)])
    points = StringField(_l("Points"), validators=[Optional(), Length(max=12)])


class CriterionForm(Form):
    maximum = StringField(_l("Maximum points"), validators=[Length(max=12)])
    bands = FieldList(FormField(BandForm), min_entries=MAX_BANDS, max_entries=MAX_BANDS)


class RubricForm(FlaskForm):
    C1 = FormField(CriterionForm)
    C2 = FormField(CriterionForm)
    C3 = FormField(CriterionForm)
    note = TextAreaField(
        _l("Source (the province's criteria sheet, its number and date)"),
        validators=[Length(max=2000)],
    )
    # ``rubric_fingerprint`` of the year's latest version when the form was opened.
    based_on = HiddenField()

    @classmethod
    def from_rubric(cls, rubric):
        """The form filled with ``rubric`` (a ``figures.Rubric``)."""
        data = {"note": ""}
        for code in ("C1", "C2", "C3"):
            bands = [
                {"threshold": _number_text(b.threshold), "points": _number_text(b.points)}
                for b in rubric.bands[code]
            ][:MAX_BANDS]
            bands += [{"threshold": "", "points": ""}] * (MAX_BANDS - len(bands))
            data[code] = {"maximum": _number_text(rubric.maximum[code]), "bands": bands}
        return cls(data=data)

    def criteria(self):
        return ((code, getattr(self, code)) for code in ("C1", "C2", "C3"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for _code, crit in self.criteria():
            for band in crit.bands:
                t, p = (band.threshold.data or "").strip(), (band.points.data or "").strip()
                if bool(t) != bool(p):
                    band.threshold.errors = list(band.threshold.errors) + [
                        str(RUBRIC_MESSAGES["incomplete"])
                    ]
                    ok = False
        return ok

    def criteria_data(self):
        """``{"C1": {"max": ..., "bands": [[threshold, points], ...]}, ...}`` as typed."""
        out = {}
        for code, crit in self.criteria():
            out[code] = {
                "max": (crit.maximum.data or "").strip(),
                "bands": [
                    [b.threshold.data.strip(), b.points.data.strip()]
                    for b in crit.bands
                    if (b.threshold.data or "").strip()
                ],
            }
        return out

    def add_rubric_errors(self, refusal):
        """Show each of a ``Refusal``'s messages (``{criterion code: message}``) under its
        criterion's maximum field."""
        for code, message in refusal.errors.items():
            field = getattr(self, code).maximum
            field.errors = list(field.errors) + [str(message)]
