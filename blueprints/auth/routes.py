"""Logging in and out, changing one's password, choosing the language."""
import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from blueprints.auth import services
from blueprints.auth.forms import LoginForm, PasswordForm
from extensions import db, limiter
from utils.access import public
from utils.inputs import safe_next

bp = Blueprint("auth", __name__)
security_log = logging.getLogger("bcci.security")

PASSWORD_MESSAGES = {
    "wrong_current_password": lambda: _("The current password is not correct."),
    "password_too_short": lambda: _("The new password must have at least 10 characters."),
}


def _login_failed(response):
    """Only failed attempts count against the limits; a successful login never does."""
    return response.status_code == 401


def _failure_limit():
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _username_key():
    return "login-user:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_failure_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_failure_limit, key_func=_username_key, methods=["POST"],
               deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a new session id at every login
            services.start_session(user)
            db.session.commit()
            login_user(user)
            security_log.info("login ok: user=%s", user.username)
            return redirect(safe_next(request.args.get("next")), code=303)
        security_log.warning("login failed: user=%s addr=%s",
                             (form.username.data or "")[:80], request.remote_addr)
        flash(_("Wrong username or password."), "danger")
        return render_template("auth/login.html", form=form), 401
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    services.end_session(getattr(current_user, "session_id", None), user=current_user)
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
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.UserError as e:
            db.session.rollback()
            form.current.errors.append(PASSWORD_MESSAGES[str(e)]())
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


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
