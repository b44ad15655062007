"""Meeting briefs: the HTML preview and draft PDF of any period, issuing, issued briefs."""
import hashlib
import logging

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.briefs import services
from blueprints.briefs.forms import IssueForm
from extensions import db
from models import Brief
from utils import htmx
from utils.access import roles_required
from utils.dates import Period
from utils.periods import default_period, period_from_request
from utils.settings import get_settings

bp = Blueprint("briefs", __name__, url_prefix="/briefs")
log = logging.getLogger("bcci.briefs")

BRIEF_ROLES = ("admin", "centre", "leader")


def _pdf_response(data, filename, etag=None):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    if etag:
        response.set_etag(etag)
    return response


def _list_page(form, period, status=200):
    return htmx.render("briefs/list.html", "briefs/_issued.html", status=status, form=form,
                       period=period, briefs=services.issued_briefs(),
                       settings=get_settings())


@bp.route("")
@roles_required(*BRIEF_ROLES)
def list_briefs():
    period = period_from_request(request.args)
    form = IssueForm(formdata=None, start=period.start, end=period.end)
    return _list_page(form, period)


@bp.route("/preview")
@roles_required(*BRIEF_ROLES)
def preview_brief():
    period = period_from_request(request.args)
    context = services.brief_context(period)
    form = IssueForm(formdata=None, start=period.start, end=period.end)
    return render_template("briefs/preview.html", period=period, form=form,
                           document=services.render_html(context))


@bp.route("/draft.pdf")
@roles_required(*BRIEF_ROLES)
def download_draft():
    period = period_from_request(request.args)
    return _pdf_response(services.draft_pdf(period), services.draft_filename(period))


@bp.route("/issue", methods=["POST"])
@roles_required(*BRIEF_ROLES)
def issue_brief():
    form = IssueForm()
    if not form.validate():
        period = default_period()
        return _list_page(form, period, status=422)
    period = Period(form.start.data, form.end.data)
    try:
        brief = services.issue_brief(period, user=current_user._get_current_object())
    except services.BriefError as e:
        db.session.rollback()
        flash(str(e), "danger")
        return _list_page(form, period, status=409)
    db.session.commit()
    flash(_("Brief no. %(number)s of %(year)s issued.", number=f"{brief.number:02d}", year=brief.year),
          "success")
    return htmx.redirect(url_for("briefs.list_briefs", **{"from": period.start.isoformat(),
                                                          "to": period.end.isoformat()}))


@bp.route("/<int:brief_id>.pdf")
@roles_required(*BRIEF_ROLES)
def download_brief(brief_id):
    brief = db.session.get(Brief, brief_id) or abort(404)
    if hashlib.sha256(brief.pdf).hexdigest() != brief.sha256:
        # The stored file no longer matches the hash taken when it was issued: never serve it.
        log.error("issued brief %s: stored PDF does not match its SHA-256", brief.id)
        abort(500)
    return _pdf_response(brief.pdf, services.issued_filename(brief), etag=brief.sha256)
