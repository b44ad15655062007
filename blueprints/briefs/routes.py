"""Meeting briefs: the HTML preview and draft PDF of any period, issuing, issued briefs.

Centre staff, leaders and administrators prepare, preview and download drafts; only leaders and
administrators issue a brief (after a confirmation naming the number it takes) or withdraw one.
On a deployment of several units, a user bound to a unit makes that unit's brief, and users who
see every unit make the province's (``/briefs/province/…``, province-wide users only): the same
brief with a table of units, issued and numbered by the province's centre; they also preview and
download the draft of any unit's brief (``unit=CODE``). Each pair of a unit's and the province's
views is one view (``scoped_views``).
"""

import hashlib
import logging
from functools import partial

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.briefs import services
from blueprints.briefs.forms import IssueForm, WithdrawForm
from extensions import db
from models import Brief
from utils import htmx
from utils.access import can, get_or_404, refuse, requires
from utils.dates import Period
from utils.errors import save
from utils.periods import default_period, period_from_request
from utils.transactions import outside_the_write_lock
from utils.units import picker_units, several_units, unit_or_404, unit_scope

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


def _province_user():
    """Whether the logged-in user makes the province's brief: a deployment of several units,
    and a user who sees every unit."""
    return several_units() and unit_scope(current_user) is None


# The province's brief's view of each of a unit's brief's (and back, on one unit).
PROVINCE_VIEWS = {
    "briefs.preview_brief": "briefs.preview_province_brief",
    "briefs.download_draft": "briefs.download_province_draft",
    "briefs.issue_brief": "briefs.issue_province_brief",
}
TWIN_VIEWS = PROVINCE_VIEWS | {province: unit for unit, province in PROVINCE_VIEWS.items()}


def scoped_views(rule, endpoint, unit_action, province_action, methods=("GET",), any_unit=False):
    """Register the decorated ``view(province, unit)`` twice: as a unit's brief's ``endpoint``
    at ``rule``, allowed to who may ``unit_action``, and as the province's brief's at
    ``/province`` + ``rule`` (``PROVINCE_VIEWS``), allowed to who may ``province_action``.

    Each answers the brief the user makes (``_province_user``) and sends anyone else to its
    twin (303, the period kept): a province-wide user of several units to the province's, and
    on one unit the province's views to the unit's. With ``any_unit``, the unit's view answers
    the brief of a unit asked with ``unit=CODE`` instead (``_unit_asked``, given as ``unit``;
    ``None``: the user's own brief, or the province's), and the province's view sends a unit
    asked (the unit picker's choice) to the unit's view."""

    def register(view):
        def answer(province):
            unit = _unit_asked() if any_unit else None
            if province and unit is not None:
                return _elsewhere(TWIN_VIEWS[request.endpoint])
            if unit is None and province != _province_user():
                return _elsewhere(TWIN_VIEWS[request.endpoint])
            return view(province, unit)

        province_endpoint = PROVINCE_VIEWS[f"briefs.{endpoint}"].removeprefix("briefs.")
        for province, name, path, action in (
            (False, endpoint, rule, unit_action),
            (True, province_endpoint, f"/province{rule}", province_action),
        ):
            view_func = requires(action)(partial(answer, province))
            bp.add_url_rule(path, name, view_func, methods=list(methods))
        return view

    return register


def _unit_asked():
    """The unit whose brief the request asks for with ``unit=CODE`` (the unit dashboard's link
    to its brief carries it) on a deployment of several units: any unit for a user who sees
    every unit, only his own for a unit-bound user (another unit's, or an unknown code, is a
    404). ``None``: none asked."""
    code = (request.args.get("unit") or "").strip()
    if not code or not several_units():
        return None
    unit = unit_or_404(code)
    scope = unit_scope(current_user)
    if scope is not None and unit.id != scope:
        abort(404)
    return unit


def _elsewhere(endpoint):
    """303 to ``endpoint`` with the period asked (a form's ``start`` and ``end`` too) and the
    unit asked, if any (the unit picker's whole province is an empty ``unit``)."""
    period = {key: value for key, value in request.args.items() if key != "unit" or value}
    if request.method == "POST" and request.form.get("start") and request.form.get("end"):
        period = {"from": request.form["start"], "to": request.form["end"]}
    return redirect(url_for(endpoint, **period), code=303)


def _list_page(form, period, status=200):
    briefs = services.issued_briefs(unit_scope(current_user))
    province = _province_user()
    return htmx.render(
        "briefs/list.html",
        "briefs/_issued.html",
        status=status,
        form=form,
        period=period,
        briefs=briefs,
        numbers=services.brief_numbers(briefs),
        can_withdraw=_may_withdraw,
        province=province,
        # Who sees every unit's briefs is told each one's unit.
        unit_names=services.unit_names(briefs) if province else {},
        units=picker_units(current_user, every=True) if province else None,
    )


def _may_withdraw(brief):
    """Whether the logged-in user may withdraw ``brief``: the province's brief needs the right
    to issue the province's (a user bound to the province's centre may not)."""
    action = "issue_province_briefs" if brief.province else "issue_briefs"
    return can(current_user, action)


@bp.route("")
@requires("read_briefs")
def list_briefs():
    period = period_from_request(request.args)
    form = IssueForm(formdata=None, start=period.start, end=period.end)
    return _list_page(form, period)


@scoped_views("/preview", "preview_brief", "read_briefs", "read_province_briefs", any_unit=True)
def preview(province, unit):
    """The brief of the period as HTML: the user's unit's, the unit's asked (``unit=CODE``), or
    the province's (``/briefs/province/preview``, province-wide users of several units)."""
    period = period_from_request(request.args)
    scope = unit_scope(current_user)
    context = services.brief_context(period, unit_id=unit.id if unit else scope, province=province)
    # Who sees every unit previews any unit's brief, named; the unit's own leaders issue it.
    another = unit if scope is None else None
    return render_template(
        "briefs/preview.html",
        period=period,
        province=province,
        unit=another,
        can_issue=another is None
        and can(current_user, "issue_province_briefs" if province else "issue_briefs"),
        # Who sees every unit picks the province's brief or a unit's (the dashboard's picker).
        units=picker_units(current_user, every=True),
        document=services.render_html(context),
    )


@scoped_views("/draft.pdf", "download_draft", "read_briefs", "read_province_briefs", any_unit=True)
def download_draft(province, unit):
    """The draft PDF of the brief ``preview`` shows; another unit's than the user's own is
    named with its code."""
    period = period_from_request(request.args)
    scope = unit_scope(current_user)
    unit_id = unit.id if unit else scope
    pdf = services.draft_pdf(period, unit_id=unit_id, province=province)
    another = unit.code if unit and scope is None else None
    return _pdf_response(pdf, services.draft_filename(period, province, unit_code=another))


def _confirmation(period, form=None, status=200, error=None, province=False):
    """The confirmation of issuing ``period``'s brief (page, or fragment for htmx): the number
    it takes, the period, the rubric version; or why it cannot be issued. The form always
    carries the number the brief would take now."""
    plan = services.issue_plan(period, user=current_user._get_current_object(), province=province)
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


@scoped_views(
    "/issue", "issue_brief", "issue_briefs", "issue_province_briefs", methods=("GET", "POST")
)
def issue(province, _unit):
    """GET (``from``, ``to``): confirm issuing the brief of the period, naming the number it
    will take. POST (``start``, ``end``, ``number``): issue it under that number; when another
    brief took the number meanwhile, nothing is issued and the confirmation comes back (409)
    with the new number. Under the built-in illustrative rubric issuing is refused (409). The
    province's brief (``/briefs/province/issue``) is numbered by the province's centre
    (refused, 409, without one)."""
    if request.method == "GET":
        return _confirmation(period_from_request(request.args), province=province)
    form = IssueForm()
    if not form.validate():
        if (
            form.start.data
            and form.end.data
            and not form.start.errors
            and not form.end.errors
            and form.start.data <= form.end.data
        ):
            period = Period(form.start.data, form.end.data)
            return _confirmation(period, form, status=422, province=province)
        return _list_page(form, default_period(), status=422)
    period = Period(form.start.data, form.end.data)
    user = current_user._get_current_object()
    # The PDF is rendered first, without the write lock; the numbering transaction only stores.
    rendered = outside_the_write_lock(
        services.render_for_issue,
        period,
        confirmed_number=form.number.data,
        user=user,
        province=province,
    )
    # A number taken meanwhile: the form comes back with the number the brief would take now.
    return save(
        lambda: services.issue_brief(
            period,
            user=user,
            confirmed_number=form.number.data,
            rendered=rendered,
            province=province,
        ),
        None,
        lambda refusal: _confirmation(
            period,
            None if refusal.field == "number" else form,
            error=refusal,
            province=province,
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
    if not _may_withdraw(brief):
        refuse(403)
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
