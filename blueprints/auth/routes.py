"""Logging in and out, changing one's password, choosing the language."""

import logging

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from blueprints.auth import services, sessions, throttle
from blueprints.auth.forms import LoginForm, PasswordForm
from extensions import db
from utils.access import public
from utils.errors import save
from utils.inputs import safe_next
from utils.text import nfc

bp = Blueprint("auth", __name__)
security_log = logging.getLogger("bcci.security")


def _throttled(until, form_template, form, **context):
    """A 429 that says when to try again (and ``Retry-After`` in seconds)."""
    wait = throttle.seconds_until(until)
    minutes = max(1, -(-wait // 60))
    message = ngettext(
        "Too many failed attempts. Try again at %(time)s (in %(num)s minute).",
        "Too many failed attempts. Try again at %(time)s (in %(num)s minutes).",
        minutes,
        time=throttle.local_time(until),
    )
    response = make_response(
        render_template(form_template, form=form, throttled=message, **context), 429
    )
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Log in. Failed attempts are counted in the database (``throttle``): against the username
    and the address, or, from a browser that logged in as that user before, against that
    browser alone; over the limit, a 429 says when to try again."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username = nfc(form.username.data or "").lower()
        keys = throttle.login_keys(username)
        until = throttle.blocked_until(keys)
        if until is not None:
            security_log.warning("login throttled: addr=%s", request.remote_addr)
            return _throttled(until, "auth/login.html", form)
        user = services.authenticate(username, form.password.data)
        if user is not None:
            throttle.forget(keys)
            session.clear()  # a new session id at every login
            services.start_session(user)
            db.session.commit()
            login_user(user)
            security_log.info("login ok: user=%s", user.username)
            target = safe_next(request.args.get("next"))
            kept = request.args.get("kept")
            if kept:
                target = url_for("auth.resume_form", kept=kept, next=target)
            return throttle.set_device_cookie(redirect(target, code=303), user.username)
        throttle.record_failure(keys)
        db.session.commit()
        security_log.warning("login failed: user=%s addr=%s", username[:80], request.remote_addr)
        flash(_("Wrong username or password."), "danger")
        return render_template("auth/login.html", form=form), 401
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/login/kept")
def resume_form():
    """After a login that a form's sending ended in: what was typed, to send again (the form kept
    for this user only; another user's or an old one shows nothing)."""
    back = safe_next(request.args.get("next"))
    kept = sessions.kept_form(request.args.get("kept"), current_user)
    if kept is None:
        return redirect(back, code=303)
    return render_template(
        "auth/kept_form.html", kept=kept, action=safe_next(kept.path, back), back=back
    )


@bp.route("/logout", methods=["POST"])
def logout():
    services.end_session(getattr(current_user, "session_id", None), user=current_user)
    sessions.forget_kept_forms(current_user.id)
    db.session.commit()
    security_log.info("logout: user=%s", current_user.username)
    lang = current_user.locale
    logout_user()
    session.clear()
    session["lang"] = lang  # the login page stays in the language the person was using
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password; wrong current passwords are throttled like logins."""
    form = PasswordForm()
    if form.validate_on_submit():
        keys = throttle.password_keys(current_user)
        until = throttle.blocked_until(keys)
        if until is not None:
            security_log.warning("password change throttled: user=%s", current_user.username)
            return _throttled(until, "auth/password.html", form)
        return save(
            lambda: services.change_password(current_user, form.current.data, form.new.data),
            form,
            lambda refusal: _password_refused(refusal, keys, form),
            lambda _result: _password_changed(keys),
            field="current",
        )
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


def _password_refused(refusal, keys, form):
    """A wrong current password counts as a failed attempt (committed: the refusal rolled the
    change back)."""
    if refusal.field == "current":
        throttle.record_failure(keys)
        db.session.commit()
    return render_template("auth/password.html", form=form)


def _password_changed(keys):
    throttle.forget(keys)
    db.session.commit()
    flash(_("Your password has been changed."), "success")
    return redirect(url_for("main.home"), code=303)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang")
    if lang not in ("vi", "en"):
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        services.set_locale(current_user, lang)
        db.session.commit()
    return redirect(safe_next(request.form.get("next")), code=303)
