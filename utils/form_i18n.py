"""WTForms' built-in validation messages, in the user's language from our own catalogs.

WTForms ships no Vietnamese catalog, so Flask-WTF (which reads only WTForms' own catalogs) would
show "This field is required." on a Vietnamese page. ``install()`` makes every ``FlaskForm``
translate those messages through Flask-Babel instead; the messages are listed below so that
``tools/i18n.py extract`` puts them in the shared catalog.
"""

from flask import has_request_context
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext

# The messages of the validators and fields this product uses (from WTForms' own catalog).
MESSAGES = (
    _l("This field is required."),
    _l("Field must be equal to %(other_name)s."),
    ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        2,
    ),
    ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        2,
    ),
    ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        2,
    ),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)


class BabelTranslations:
    """The ``gettext``/``ngettext`` pair WTForms asks for, answered from our catalogs.

    WTForms formats the result itself (``%(min)d``…), so nothing is formatted here.
    """

    def gettext(self, string):
        if not has_request_context():
            return string
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        if not has_request_context():
            return singular if n == 1 else plural
        return get_translations().ungettext(singular, plural, n)


def install():
    """Make Flask-WTF forms use ``BabelTranslations`` (its ``WTF_I18N_ENABLED`` path)."""
    import flask_wtf.form

    flask_wtf.form.translations = BabelTranslations()
