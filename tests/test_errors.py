"""The one service error (``utils/errors.py``): a refusal's message in the reader's language, on
the form field it names, answered with its status and nothing of the refused change kept."""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from extensions import db
from models import Department
from utils.errors import Refusal, add_error, refused, save


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()
    code = StringField()


def test_a_lazy_message_is_translated_when_shown_with_its_parameters(app):
    refusal = Refusal(_l("Shipment %(n)s is cancelled."), status=409, n="EB123456785VN")
    with app.test_request_context(), force_locale("en"):
        assert str(refusal) == "Shipment EB123456785VN is cancelled."
    with app.test_request_context(), force_locale("vi"):
        assert (
            "EB123456785VN" in str(refusal)
            and str(refusal) != "Shipment EB123456785VN is cancelled."
        )
    assert refusal.status == 409 and refusal.field is None


def test_the_message_goes_on_its_field_or_a_default_or_the_form(app):
    with app.test_request_context():
        form = _Form(formdata=None)
        add_error(form, Refusal("taken", "code"))
        add_error(form, Refusal("no field", "nothing_like_it"), default="name")
        add_error(form, Refusal("whole form"))
        assert form.code.errors == ["taken"]
        assert form.name.errors == ["no field"]
        assert form.form_errors == ["whole form"]


def _departments():
    return db.session.scalar(select(func.count()).select_from(Department))


def test_save_commits_what_succeeds_and_rolls_back_what_is_refused(app):
    def change(code):
        db.session.add(Department(code=code, name=code, name_folded=code.lower()))
        db.session.flush()
        if code == "NO":
            raise Refusal("refused", "code", status=409, conflict="the other one")
        return code

    with app.test_request_context(method="POST"):
        form = _Form(formdata=None)
        answered = {}

        def answer(refusal):
            answered["conflict"] = refusal.conflict
            return "the form again"

        r = save(lambda: change("NO"), form, answer, lambda result: f"saved {result}")
        assert r.status_code == 409 and r.get_data(as_text=True) == "the form again"
        assert answered == {"conflict": "the other one"} and form.code.errors == ["refused"]
        assert _departments() == 0
        assert (
            save(lambda: change("YES"), form, answer, lambda result: f"saved {result}")
            == "saved YES"
        )
    db.session.rollback()
    assert _departments() == 1


def test_refused_answers_422_by_default(app):
    with app.test_request_context(method="POST"):
        r = refused(Refusal("bad"), None, lambda refusal: str(refusal))
        assert r.status_code == 422 and r.get_data(as_text=True) == "bad"
