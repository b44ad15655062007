"""Refusals: the one exception a service raises when a rule refuses what a user asked, and the one
way a view answers it.

A service raises ``Refusal(message, field=None, status=422, conflict=None, **params)``:

- ``message``: the translated message, or a lazy one (``lazy_gettext``) translated when it is
  shown, in the reader's language; ``params`` fill its ``%(name)s`` placeholders then;
- ``field``: the form field the message belongs to (``None``: the form's first field or its
  top, as the view decides);
- ``status``: 422 for a value a rule refuses, 409 for a conflict with what is stored (a
  duplicate, a record a signed document holds, a change made by someone else meanwhile); 403
  for a record the user may not change and 404 for one that does not exist (the view aborts);
- ``conflict``: what a 409 shows next to the message (the existing record, the newer version).

Views answer with ``save`` (run the service, commit, answer) or ``refused`` (inside their own
``try``): the transaction is rolled back, the message goes on the form's field, and the form is
rendered again with the refusal's status; the caller's ``answer`` renders it, the whole page for a
plain form and the fragment for htmx (``utils.htmx.render``). The command line prints ``str(e)``.
"""

from flask import abort, flash, make_response, redirect

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from extensions import db

CHANGED_MEANWHILE = _l("Someone else saved this record meanwhile. Reload and try again.")


class Refusal(ValueError):
    """A rule refused a change; ``str(e)`` is the message in the reader's language."""

    def __init__(self, message, field=None, status=422, conflict=None, **params):
        super().__init__(message)
        self.text = message
        self.field = field
        self.status = status
        self.conflict = conflict
        self.params = params
        self.others = {}

    @classmethod
    def of(cls, errors, status=422):
        """One refusal of several fields at once: ``errors`` maps field names to messages (the
        first is the refusal's own ``message``)."""
        (field, message), *others = errors.items()
        refusal = cls(message, field, status)
        refusal.others = dict(others)
        return refusal

    @property
    def message(self):
        text = str(self.text)
        return text % self.params if self.params else text

    @property
    def errors(self):
        """``{field: message}`` of every field the refusal names (``of``); lazy messages stay
        lazy."""
        return {self.field: self.message, **self.others}

    def __str__(self):
        return "; ".join([self.message, *(str(m) for m in self.others.values())])


def add_error(form, refusal, default=None):
    """Put each of ``refusal``'s messages on the form's field it names (or ``default``, a field
    name); with neither, on the form itself (``form.form_errors``)."""
    for name, message in refusal.errors.items():
        field = getattr(form, name or "", None) or (getattr(form, default) if default else None)
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(str(message))
        else:
            field.errors = list(field.errors or []) + [str(message)]


def refused(refusal, form, answer, field=None):
    """Answer ``refusal``: roll the transaction back, put its message on ``form`` (see
    ``add_error``) and return ``answer(refusal)`` with the refusal's status (422 or 409).

    :param answer: renders the form again (``utils.htmx.render``: the page, or the fragment for
        htmx); it may show ``refusal.conflict``. A 403 or 404 refusal aborts instead (a record
        the user may not change, or that does not exist).
    """
    db.session.rollback()
    if refusal.status == 403:
        from utils.access import refuse

        refuse(403)
    if refusal.status == 404:
        abort(404)
    if form is not None:
        add_error(form, refusal, field)
    response = make_response(answer(refusal))
    response.status_code = refusal.status
    return response


def save(change, form, answer, done, field=None):
    """Run ``change()`` (a service call) and commit: ``done(its result)``; a ``Refusal`` is
    answered by ``refused`` (rolled back, message on the form, ``answer`` with its status). An
    optimistic lock that finds its record changed meanwhile (SQLAlchemy's ``StaleDataError``,
    at the service's flush or at the commit) is a 409 refusal too."""
    try:
        try:
            result = change()
            db.session.commit()
        except StaleDataError:
            raise Refusal(CHANGED_MEANWHILE, status=409) from None
    except Refusal as refusal:
        return refused(refusal, form, answer, field)
    return done(result)


def saved(fragment, message, url):
    """The answer to a saved change: htmx requests get ``fragment()`` (the row or region they
    swap), plain forms ``message`` flashed and a 303 to ``url``."""
    from utils.htmx import wants_fragment

    if wants_fragment():
        return fragment()
    flash(message, "success")
    return redirect(url, code=303)
