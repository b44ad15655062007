"""The procedure catalogue: list with active search, click-to-edit eligibility, bulk update,
procedure page with history, fields page, outreach list, add/edit/retire, import and export.
"""

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.dashboard.routes import list_url
from blueprints.procedures import services
from blueprints.procedures.forms import (
    BulkForm,
    EligibilityForm,
    FieldNoteForm,
    ImportForm,
    NewProcedureForm,
    ProcedureForm,
    chosen_unit_level,
    details,
    eligibility,
)
from extensions import db
from models import Department, Field, Procedure
from utils.history import present_events
from utils import figures, htmx
from utils.access import can, department_scope, get_or_404, requires
from utils.errors import save
from utils.inputs import parse_int, safe_next
from utils.periods import period_from_request
from utils.tabular import export_response
from utils.transactions import reading
from utils.urls import url_pattern
from utils import import_problems

bp = Blueprint("procedures", __name__, url_prefix="/procedures")


def get_procedure_or_404(procedure_id, for_edit=False):
    """The procedure, or 404; with ``for_edit``, 403 unless the user may change it."""
    return get_or_404(Procedure, procedure_id, "edit_catalogue" if for_edit else None)


def _period_args(period):
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def _row_kit(period_args):
    """What every row of the list shares, built once per request and handed to the row macro
    (``procedures/_macros.html``): translating, routing and asking the user's role once per row
    would cost more than the rest of the row."""
    user = current_user._get_current_object()
    can_change = can(user, "edit_catalogue")
    # The counts link to the dossiers behind them, by procedure id, for roles that may list them.
    can_list = list_url("dossiers.list_dossiers") is not None
    return SimpleNamespace(
        received_url=(
            url_pattern("dossiers.list_dossiers", "procedure_id", **period_args)
            if can_list
            else None
        ),
        postal_url=(
            url_pattern("dossiers.list_dossiers", "procedure_id", postal="yes", **period_args)
            if can_list
            else None
        ),
        text=SimpleNamespace(
            yes=_("Yes"),
            no=_("No"),
            retired=_("Retired"),
            edit=_("Edit"),
            select=_("Select"),
            saved=_("Saved"),
        ),
        show_url=url_pattern("procedures.show_procedure", "procedure_id", **period_args),
        edit_url=(
            url_pattern("procedures.edit_procedure", "procedure_id", **period_args)
            if can_change
            else None
        ),
        reasons=services.reason_labels(),
        can_change=can_change,
        user=user,
        locale=str(get_locale()),
    )


def _list_context(filters, period, bulk_form=None, bulk_result=None):
    page = services.list_procedures(filters, period)
    # The filter menus are part of the page, not of the table an htmx request swaps.
    fields, departments = (
        (None, None) if htmx.wants_fragment() else (services.fields_with_departments())
    )
    # Department staff may bulk-update "everything matching" only when all of it is theirs.
    others_matching = (
        services.count_matching_outside(filters, period, current_user.department_id)
        if can(current_user, "own_department_only")
        else 0
    )
    period_args = _period_args(period)
    if filters.unit is not None:  # a unit's list: its rows' numbers open that unit's dossiers
        period_args["unit"] = filters.unit.code
    return dict(
        others_matching=others_matching,
        filters=filters,
        period=period,
        period_args=period_args,
        page=page,
        activity=figures.procedure_activity(period, [p.id for p in page.items], unit=filters.unit),
        fields=fields,
        departments=departments,
        bulk_form=bulk_form or BulkForm(),
        bulk_result=bulk_result,
        can_change=can(current_user, "edit_catalogue"),
        row=_row_kit(period_args),
        per_page_choices=services.PER_PAGE,
    )


# What a link may carry and still be "the list as the menu opens it".
NOT_FILTERS = ("page", "per_page", "sort", "dir", "from", "to", "preset", "year", "months")


def _own_department_by_default(args):
    """Department staff opening the list from the menu (a URL with no filter but page, sort or
    period) see their own department's procedures; ``department=all`` shows every one, and any
    other filter in the URL is kept as given."""
    user = current_user
    if not department_scope(user):
        return args
    if any(value.strip() for key, value in args.items(multi=True) if key not in NOT_FILTERS):
        return args
    args = args.copy()
    args["department"] = str(user.department_id)
    return args


@bp.route("")
def list_procedures():
    """The catalogue, filtered, sorted and paginated; htmx requests get the table only.

    Query-string parameters (stable: other pages link here with them):

    - ``q``: search on code or name, ignoring case and diacritics (đ/Đ included)
    - ``field``: a field id; ``department``: a department id, or ``all``. Department staff
      opening the list with no filter (only page, sort or period) see their own department.
    - ``receive``, ``return``: ``yes`` or ``no`` (eligible to receive / return by post)
    - ``eligible``: ``yes`` (eligible in at least one direction) or ``no`` (in neither)
    - ``postal``: ``yes`` or ``no``: a dossier received or a result returned by post in the period
    - ``dossiers``: ``yes`` or ``no``: at least one dossier received in the period
    - ``in_force``: ``yes`` (default), ``no`` (retired) or ``all``
    - ``from``, ``to``: the period, ``YYYY-MM-DD`` (default: the year to date)
    - ``sort``: ``code`` (default), ``name``, ``field``, ``department``; ``dir``: ``asc``/``desc``
    - ``page``, ``per_page`` (25, 50 or 100)
    - ``unit``: a unit's code, on a deployment of several units (a unit's figures link so): the
      procedures it handles, ``postal``/``dossiers`` and the rows' numbers from its dossiers

    Unknown or malformed values are ignored; a malformed period is a 400.
    """
    period = period_from_request(request.args)
    filters = services.Filters.from_args(_own_department_by_default(request.args))
    return htmx.render(
        "procedures/list.html", "procedures/_table.html", **_list_context(filters, period)
    )


@bp.route("/export")
def export_procedures():
    """The current filter's procedures as CSV or XLSX (``format``), in the import's columns."""
    period = period_from_request(request.args)
    filters = services.Filters.from_args(request.args)
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        abort(400)
    return export_response(
        "thu_tuc_hanh_chinh",
        fmt,
        services.export_columns(),
        list(services.export_rows(filters, period)),
    )


def _row_context(procedure, period):
    received, postal = figures.procedure_activity(period, [procedure.id]).get(procedure.id, (0, 0))
    return dict(
        p=procedure,
        received=received,
        postal=postal,
        period=period,
        period_args=_period_args(period),
        reason_label=services.reason_label,
        can_change=can(current_user, "edit_catalogue"),
    )


def _row_response(procedure, period, saved=False):
    """The list's row of one procedure (htmx swaps it in place of the edit row); ``saved`` says
    so in the row and to screen readers."""
    ctx = _row_context(procedure, period)
    return htmx.render(
        "procedures/_row.html",
        "procedures/_row.html",
        listed=services.listed_procedure(procedure.id),
        row=_row_kit(ctx["period_args"]),
        saved=saved,
        **ctx,
    )


@bp.route("/<int:procedure_id>/row")
def show_row(procedure_id):
    """One row of the list (htmx: cancelling an edit); otherwise the procedure's page."""
    procedure = get_procedure_or_404(procedure_id)
    period = period_from_request(request.args)
    if not htmx.wants_fragment():
        return redirect(
            url_for("procedures.show_procedure", procedure_id=procedure.id, **_period_args(period)),
            code=303,
        )
    return _row_response(procedure, period)


def _edit_response(procedure, form, period, status=200, conflict=None, next_url=None):
    ctx = _row_context(procedure, period)
    ctx.update(form=form, conflict=conflict, next_url=next_url)
    return htmx.render("procedures/edit.html", "procedures/_edit_row.html", status=status, **ctx)


@bp.route("/<int:procedure_id>/edit", methods=["GET", "POST"])
@requires("edit_catalogue")
def edit_procedure(procedure_id):
    """Click-to-edit row: GET the edit row, POST to save the two flags and the reason.

    Invalid input: 422 with the message beside the field. Someone else saved meanwhile: 409
    showing their values, nothing overwritten.
    """
    procedure = get_procedure_or_404(procedure_id, for_edit=True)
    period = period_from_request(request.args)
    next_url = safe_next(
        request.values.get("next"), url_for("procedures.list_procedures", **_period_args(period))
    )
    form = EligibilityForm()

    def render(shown, conflict=None):
        return _edit_response(shown, form, period, conflict=conflict, next_url=next_url)

    if request.method == "GET":
        form.fill(procedure)
        return render(procedure)

    def done(_changed):
        if htmx.wants_fragment():
            return _row_response(procedure, period, saved=True)
        flash(_("Saved: %(code)s.", code=procedure.code), "success")
        return redirect(next_url, code=303)

    return _save_locked(procedure, form, services.update_eligibility, eligibility, render, done)


def _save_locked(procedure, form, update, values, render, done):
    """Save an edit of ``procedure`` under its optimistic lock:
    ``update(procedure, user, the version the form was read at, *values(form))``, then
    ``done``. A refusal shows the form again with ``render(shown, conflict)``: the procedure,
    or when someone saved meanwhile (409) the stored version, as the conflict too."""
    procedure_id = procedure.id

    def answer(refusal):
        if refusal.status != 409:
            return render(procedure)
        stored = _stored_version(procedure_id, form)
        return render(stored, stored)

    return save(
        lambda: update(procedure, current_user, form.version_number, *values(form)),
        form,
        answer,
        done,
    )


def _stored_version(procedure_id, form):
    """After a 409 (someone saved meanwhile): the procedure as now stored, its version put in
    the form so that saving again overwrites it knowingly."""
    procedure = get_procedure_or_404(procedure_id, for_edit=True)
    form.version.data = str(procedure.version)
    return procedure


@bp.route("/bulk", methods=["POST"])
@requires("edit_catalogue")
def bulk_update():
    """Set eligibility on the selected rows (``scope=selected``, ``ids``) or on every procedure
    matching the filter carried by the form (``scope=filter``). Refused whole (403) when it would
    touch a procedure the user may not edit.
    """
    period = period_from_request(request.form)
    filters = services.Filters.from_args(request.form)
    form = BulkForm()
    if request.form.get("scope") == "filter":
        procedures = services.procedures_matching(filters, period)
    else:
        ids = [n for n in map(parse_int, request.form.getlist("ids")) if n is not None]
        procedures = services.procedures_by_ids(ids)

    def answer(refusal):
        if refusal.status == 409:
            abort(409)
        return htmx.render(
            "procedures/list.html",
            "procedures/_table.html",
            **_list_context(filters, period, bulk_form=form),
        )

    def done(result):
        if htmx.wants_fragment():
            return htmx.render(
                "procedures/list.html",
                "procedures/_table.html",
                **_list_context(filters, period, bulk_result=result),
            )
        flash(
            ngettext(
                "%(num)s procedure changed, %(m)s already had these values.",
                "%(num)s procedures changed, %(m)s already had these values.",
                len(result.changed),
                m=result.unchanged,
            ),
            "success",
        )
        return redirect(
            url_for("procedures.list_procedures", **filters.args(**_period_args(period))), code=303
        )

    return save(
        lambda: services.bulk_update(
            procedures,
            current_user,
            *eligibility(form),
        ),
        form,
        answer,
        done,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("edit_catalogue")
def new_procedure():
    """Add a procedure (department staff: to their own department)."""
    form = NewProcedureForm()
    fields, departments = services.fields_with_departments()
    if can(current_user, "own_department_only"):
        departments = [d for d in departments if d.id == current_user.department_id]
    form.set_choices(fields, departments)
    if request.method == "GET":
        if can(current_user, "own_department_only"):
            form.department_id.data = str(current_user.department_id)
        form.eligible_receive.data = form.eligible_return.data = "yes"
        return htmx.render("procedures/new.html", "procedures/_new_form.html", form=form)
    return save(
        lambda: services.create_procedure(
            current_user,
            *details(form),
            *eligibility(form),
            unit_level=chosen_unit_level(form),
        ),
        form,
        lambda _refusal: htmx.render("procedures/new.html", "procedures/_new_form.html", form=form),
        _added,
    )


def _added(procedure):
    flash(_("Procedure %(code)s added.", code=procedure.code), "success")
    return htmx.redirect(url_for("procedures.show_procedure", procedure_id=procedure.id))


@bp.route("/<int:procedure_id>")
def show_procedure(procedure_id):
    """A procedure: all its attributes, its counts for the period and its history."""
    procedure = get_procedure_or_404(procedure_id)
    period = period_from_request(request.args)
    received, postal = figures.procedure_activity(period, [procedure.id]).get(procedure.id, (0, 0))
    return htmx.render(
        "procedures/show.html",
        "procedures/_details.html",
        p=procedure,
        period=period,
        period_args=_period_args(period),
        received=received,
        postal=postal,
        events=present_events(services.history(procedure)),
        reason_label=services.reason_label,
        can_edit=can(current_user, "edit_catalogue", procedure),
    )


@bp.route("/<int:procedure_id>/details", methods=["GET", "POST"])
@requires("edit_catalogue")
def edit_details(procedure_id):
    """Change a procedure's code, name, field, department and level (optimistically locked).

    Department staff never move a procedure to another department: a forged ``department_id``
    is a 403 and changes nothing.
    """
    procedure = get_procedure_or_404(procedure_id, for_edit=True)
    form = ProcedureForm()
    fields, departments = services.fields_with_departments()
    if can(current_user, "own_department_only"):
        departments = [d for d in departments if d.id == current_user.department_id]
    form.set_choices(fields, departments)

    def render(shown, conflict=None):
        return htmx.render(
            "procedures/details.html",
            "procedures/_details_form.html",
            p=shown,
            form=form,
            conflict=conflict,
        )

    if request.method == "GET":
        form.fill(procedure)
        return render(procedure)

    def done(_changed):
        flash(_("Saved: %(code)s.", code=procedure.code), "success")
        return htmx.redirect(url_for("procedures.show_procedure", procedure_id=procedure.id))

    return _save_locked(
        procedure,
        form,
        services.update_details,
        lambda form: (*details(form), chosen_unit_level(form)),
        render,
        done,
    )


def _set_in_force(procedure_id, in_force):
    procedure = get_procedure_or_404(procedure_id, for_edit=True)

    def done(_changed):
        if in_force:
            flash(_("Procedure %(code)s is in force again.", code=procedure.code), "success")
        else:
            flash(
                _(
                    "Procedure %(code)s retired: it stays in the catalogue, not in force.",
                    code=procedure.code,
                ),
                "success",
            )
        return htmx.redirect(url_for("procedures.show_procedure", procedure_id=procedure.id))

    # The only refusal is a 403 (another department's procedure), which aborts.
    return save(lambda: services.set_in_force(procedure, current_user, in_force), None, None, done)


@bp.route("/<int:procedure_id>/retire", methods=["POST"])
@requires("edit_catalogue")
def retire_procedure(procedure_id):
    """Retire a procedure (not in force); procedures are never deleted."""
    return _set_in_force(procedure_id, False)


@bp.route("/<int:procedure_id>/reinstate", methods=["POST"])
@requires("edit_catalogue")
def reinstate_procedure(procedure_id):
    """Put a retired procedure back in force."""
    return _set_in_force(procedure_id, True)


def _fields_context(period):
    rows = {r["key"]: r for r in figures.breakdown(period, "field")}
    fields, _ = services.fields_with_departments()
    return dict(
        period=period,
        period_args=_period_args(period),
        fields=fields,
        rows=rows,
        can_note=can(current_user, "note_fields"),
    )


@bp.route("/fields")
def list_fields():
    """Each field: procedures in force, eligible ones, those with postal activity in the period,
    and the centre's note."""
    period = period_from_request(request.args)
    return htmx.render(
        "procedures/fields.html", "procedures/_fields_table.html", **_fields_context(period)
    )


@bp.route("/fields/<int:field_id>/note", methods=["POST"])
@requires("note_fields")
def edit_field_note(field_id):
    """Save the centre's note on a field; htmx gets the field's row back."""
    field_ = db.session.get(Field, field_id) or abort(404)
    period = period_from_request(request.args)
    form = FieldNoteForm()

    def row(**extra):
        ctx = _fields_context(period)
        ctx.update(f=field_, r=ctx["rows"].get(field_.id), **extra)
        return htmx.render("procedures/fields.html", "procedures/_field_row.html", **ctx)

    def done(_changed):
        if htmx.wants_fragment():
            return row(saved=True)
        flash(_("Note saved for %(name)s.", name=field_.name), "success")
        return redirect(url_for("procedures.list_fields", **_period_args(period)), code=303)

    return save(
        lambda: services.update_field_note(field_, current_user, form.postal_note.data),
        form,
        lambda _refusal: row(note_form=form),
        done,
    )


@bp.route("/outreach")
def outreach():
    """Eligible procedures in force with dossiers in the period but no postal activity, grouped
    by department, the departments and procedures with most dossiers first."""
    period = period_from_request(request.args)
    by_department = {}
    for procedure, received in figures.outreach(period):
        by_department.setdefault(procedure.department_id, []).append((procedure, received))
    departments = {d.id: d for d in db.session.query(Department)}
    groups = [
        (departments[dept_id], n, received, by_department.get(dept_id, []))
        for dept_id, n, received in figures.outreach_by_department(period)
    ]
    return htmx.render(
        "procedures/outreach.html",
        "procedures/_outreach.html",
        period=period,
        period_args=_period_args(period),
        groups=groups,
        total=figures.outreach_total(period),
    )


@bp.route("/import", methods=["GET", "POST"])
@requires("edit_catalogue")
def import_procedures():
    """Import a procedures file (CSV or XLSX): all or nothing, every bad row listed.
    Department staff may import only rows of their own department."""
    form = ImportForm()
    if request.method == "GET":
        return htmx.render(
            "procedures/import.html", "procedures/_import.html", form=form, report=None
        )
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = [_("Choose a file to import.")]
        return htmx.render(
            "procedures/import.html", "procedures/_import.html", status=422, form=form, report=None
        )
    data = upload.read()
    report = services.import_checked_first(upload.filename, data, current_user)
    if not report.ok:
        db.session.rollback()
        import_problems.offer(report)
        # Refused: nothing to write, so the page is rendered without taking the write lock.
        with reading():
            return htmx.render(
                "procedures/import.html",
                "procedures/_import.html",
                status=422,
                form=form,
                report=report,
                filename=upload.filename,
            )
    db.session.commit()
    flash(
        _(
            "Imported %(file)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
            file=upload.filename,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        ),
        "success",
    )
    return htmx.redirect(url_for("procedures.list_procedures"))
