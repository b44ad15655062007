"""Meeting briefs: the HTML preview and draft PDF of any period, issuing, issued briefs.

Centre staff, leaders and administrators prepare, preview and download drafts; only leaders and
administrators issue a brief (after a confirmation naming the number it takes) or withdraw one.
"""

import hashlib
import logging

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.briefs import services
from blueprints.briefs.forms import IssueForm, WithdrawForm
from extensions import db
from models import Brief
from utils import htmx
from utils.access import can, get_or_404, requires
from utils.dates import Period
from utils.errors import save
from utils.periods import default_period, period_from_request
from utils.transactions import outside_the_write_lock
from utils.units import unit_scope

bp = Blueprint("briefs", __name__, url_prefix="/briefs")
log = logging.getLogger("bcci.briefs")


def _pdf_response(data, filename, etag=None):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    if etag:
        response.set_etag(etag)
    return response


def _list_page(form, period, status=200):
    briefs = services.issued_briefs(unit_scope(current_user))
    return htmx.render(
        "briefs/list.html",
        "briefs/_issued.html",
        status=status,
        form=form,
        period=period,
        briefs=briefs,
        numbers=services.brief_numbers(briefs),
        can_issue=can(current_user, "issue_briefs"),
    )


@bp.route("")
@requires("read_briefs")
def list_briefs():
    period = period_from_request(request.args)
    form = IssueForm(formdata=None, start=period.start, end=period.end)
    return _list_page(form, period)


@bp.route("/preview")
@requires("read_briefs")
def preview_brief():
    period = period_from_request(request.args)
    context = services.brief_context(period, unit_id=unit_scope(current_user))
    return render_template(
        "briefs/preview.html",
        period=period,
        can_issue=can(current_user, "issue_briefs"),
        document=services.render_html(context),
    )


@bp.route("/draft.pdf")
@requires("read_briefs")
def download_draft():
    period = period_from_request(request.args)
    pdf = services.draft_pdf(period, unit_id=unit_scope(current_user))
    return _pdf_response(pdf, services.draft_filename(period))


def _confirmation(period, form=None, status=200, error=None):
    """The confirmation of issuing ``period``'s brief (page, or fragment for htmx): the number
    it takes, the period, the rubric version; or why it cannot be issued. The form always
    carries the number the brief would take now."""
    plan = services.issue_plan(period, user=current_user._get_current_object())
    if form is None:
        form = IssueForm(formdata=None, start=period.start, end=period.end, number=plan.number)
    return htmx.render(
        "briefs/confirm.html",
        "briefs/_confirm.html",
        status=status,
        plan=plan,
        form=form,
        error=error,
    )


@bp.route("/issue", methods=["GET", "POST"])
@requires("issue_briefs")
def issue_brief():
    """GET (``from``, ``to``): confirm issuing the brief of the period, naming the number it
    will take. POST (``start``, ``end``, ``number``): issue it under that number; when another
    brief took the number meanwhile, nothing is issued and the confirmation comes back (409)
    with the new number. Under the built-in illustrative rubric issuing is refused (409)."""
    if request.method == "GET":
        return _confirmation(period_from_request(request.args))
    form = IssueForm()
    if not form.validate():
        if (
            form.start.data
            and form.end.data
            and not form.start.errors
            and not form.end.errors
            and form.start.data <= form.end.data
        ):
            return _confirmation(Period(form.start.data, form.end.data), form, status=422)
        return _list_page(form, default_period(), status=422)
    period = Period(form.start.data, form.end.data)
    # The PDF is rendered first, without the write lock; the numbering transaction only stores.
    rendered = outside_the_write_lock(
        services.render_for_issue,
        period,
        confirmed_number=form.number.data,
        user=current_user._get_current_object(),
    )
    # A number taken meanwhile: the form comes back with the number the brief would take now.
    return save(
        lambda: services.issue_brief(
            period,
            user=current_user._get_current_object(),
            confirmed_number=form.number.data,
            rendered=rendered,
        ),
        None,
        lambda refusal: _confirmation(
            period, None if refusal.field == "number" else form, error=refusal
        ),
        lambda brief: _issued(brief, period),
    )


def _issued(brief, period):
    flash(_("Brief %(number)s issued.", number=services.brief_number(brief)), "success")
    return htmx.redirect(
        url_for(
            "briefs.list_briefs", **{"from": period.start.isoformat(), "to": period.end.isoformat()}
        )
    )


@bp.route("/<int:brief_id>/withdraw", methods=["GET", "POST"])
@requires("issue_briefs")
def withdraw_brief(brief_id):
    """Withdraw (thu hồi) an issued brief with a reason: it keeps its number and file, marked
    withdrawn; its replacement is issued as usual and takes the next number."""
    brief = get_or_404(Brief, brief_id)
    form = WithdrawForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            return save(
                lambda: services.withdraw_brief(
                    brief, form.reason.data, user=current_user._get_current_object()
                ),
                form,
                lambda refusal: _withdraw_form(brief, form, refused=True),
                lambda _result: _withdrawn(brief),
            )
    return _withdraw_form(brief, form, status=status)


def _withdrawn(brief):
    flash(
        _(
            "Brief %(number)s of %(year)s withdrawn. Its replacement takes the next number when issued.",
            number=services.brief_number(brief),
            year=brief.year,
        ),
        "success",
    )
    return htmx.redirect(url_for("briefs.list_briefs"))


def _withdraw_form(brief, form, status=200, refused=False):
    """The withdrawal form; after a refusal (``refused``: its status is the refusal's),
    ``brief`` is read again: someone else withdrew it meanwhile."""
    if refused:
        db.session.refresh(brief)
    return htmx.render(
        "briefs/withdraw.html",
        "briefs/_withdraw.html",
        status=status,
        brief=brief,
        form=form,
        number=services.brief_number(brief),
    )


@bp.route("/<int:brief_id>.pdf")
@requires("read_briefs")
def download_brief(brief_id):
    brief = get_or_404(Brief, brief_id)
    if hashlib.sha256(brief.pdf).hexdigest() != brief.sha256:
        # The stored file no longer matches the hash taken when it was issued: never serve it.
        log.error("issued brief %s: stored PDF does not match its SHA-256", brief.id)
        abort(500)
    response = _pdf_response(brief.pdf, services.issued_filename(brief), etag=brief.sha256)
    if brief.withdrawn:
        # The file stays byte for byte as issued; its name and a header say it was withdrawn.
        response.headers["X-Brief-Status"] = "withdrawn"
    return response
