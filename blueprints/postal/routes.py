"""The postal log: logging, editing and cancelling shipments, lists and exports, manifest import,
reconciliation. Personal data is masked everywhere but a shipment's own page (centre staff and
administrators) and the audited export with personal data.
"""

import dataclasses

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.dossiers import services as dossier_services
from blueprints.dossiers.routes import (
    filter_choices,
    import_page,
    int_arg,
    list_args,
    pager_links,
)
from blueprints.main.panels import register_panel
from blueprints.postal import services
from blueprints.postal.forms import (
    CancelShipmentForm,
    EditShipmentForm,
    PurgedEditShipmentForm,
    ShipmentForm,
)
from extensions import db
from models import Direction, Procedure, Shipment
from utils.history import present_events
from utils import audit, import_units, privacy, seek
from utils.access import can, department_scope, get_or_404, in_unit_scope, requires
from utils.dates import Period, parse_day, vn_today
from utils.errors import Refusal, refused, save
from utils.htmx import is_htmx, render, trigger
from utils.htmx import redirect as hx_redirect
from utils.periods import optional_period_from_request
from utils.tabular import export_response
from utils.transactions import keeping_objects, reading
from utils.units import unit_scope

bp = Blueprint("postal", __name__)

bp.add_app_template_filter(privacy.mask_name, "mask_name")
bp.add_app_template_filter(privacy.mask_phone, "mask_phone")
bp.add_app_template_filter(privacy.mask_address, "mask_address")


def get_shipment_or_404(shipment_id, for_edit=False):
    """The shipment; department staff only their own department's; ``for_edit`` only centre
    staff and administrators (403 otherwise)."""
    return get_or_404(Shipment, shipment_id, "edit_shipments" if for_edit else "open_shipment")


def filters_from(args):
    """``ShipmentFilters`` from the URL; a 400 for a malformed period."""
    period = optional_period_from_request(args)
    return services.ShipmentFilters(
        q=(args.get("q") or "").strip()[:60],
        direction=Direction.pick(args.get("direction")),
        period=period,
        department_id=int_arg(args, "department"),
        field_id=int_arg(args, "field"),
        status=args.get("status") if args.get("status") in services.STATUSES else "",
        unit_id=unit_scope(current_user),
    )


@bp.route("/shipments")
@requires("list_shipments")
def list_shipments():
    """Shipments with totals, personal data masked. Query parameters (all optional, as the
    dashboard links them): ``q`` a tracking number or its start
    (``services.tracking_condition``), or a dossier code or its start; ``direction``
    ``tiep_nhan`` or ``tra_ket_qua``; ``from``/``to`` ``YYYY-MM-DD`` (both, inclusive) on the
    shipment date; ``department`` and ``field`` ids; ``status`` ``active``, ``cancelled``,
    ``eligibility_warning`` or ``check_digit_warning``; ``page``.
    """
    filters = filters_from(request.args)
    totals = services.list_totals(filters)
    kind = "text" if filters.by_tracking else "date"
    page = services.search_shipments(filters, seek.parse_cursor(request.args, kind))
    args = list_args(request.args)
    return render(
        "postal/list.html",
        "postal/_list_results.html",
        filters=filters,
        totals=totals,
        shipments=page.rows,
        total=totals["total"],
        pager=pager_links(page, totals["total"], False, args),
        args=args,
        **filter_choices(),
    )


@bp.route("/shipments/export.<fmt>")
@requires("list_shipments")
def export_shipments(fmt):
    """The shipments matching the list's filters as CSV or XLSX, personal data masked."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    units = import_units.export_units()
    rows = services.export_rows(filters_from(request.args), units=units)
    columns = import_units.with_unit_column(services.EXPORT_COLUMNS, units)
    return export_response("buu-gui", fmt, columns, rows)


@bp.route("/shipments/export-personal.<fmt>", methods=["POST"])
@requires("edit_shipments")
def export_shipments_personal(fmt):
    """The same rows with full names, addresses and phones (centre staff and administrators);
    every use is an audit event. The filters come in the posted form."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = filters_from(request.form)
    # Read whole (the audit event records how many rows the file holds), without the write lock.
    with reading():
        units = import_units.export_units()
        rows = list(services.export_rows(filters, personal=True, units=units))
        db.session.rollback()  # the read ends here: the audit event is written in a new one
    audit.record(
        "shipment.export_personal",
        "shipment",
        "",
        None,
        {
            "format": fmt,
            "rows": len(rows),
            "filters": {k: v for k, v in request.form.items() if k != "csrf_token" and v},
        },
    )
    db.session.commit()
    columns = import_units.with_unit_column(services.PERSONAL_EXPORT_COLUMNS, units)
    return export_response("buu-gui-du-lieu-ca-nhan", fmt, columns, rows)


# --- The log form ----------------------------------------------------------------------------


def _lookup_context(form, lock=False):
    """What the form shows under the dossier code: the known dossier, or the fields that
    create it. ``lock``: the known dossier is locked for the save (``find_dossier``)."""
    code = (form.dossier_code.data or "").strip()
    scope = unit_scope(current_user)
    dossier = dossier_services.find_dossier(code, lock=lock, unit_id=scope) if code else None
    procedure = (
        dossier_services.find_procedure(form.procedure_code.data) if dossier is None else None
    )
    direction = Direction.pick(form.direction.data, None)
    eligible = None
    target = dossier.procedure if dossier is not None else procedure
    if target is not None and direction:
        eligible = services.is_eligible(target, direction)
    return {"code": code, "dossier": dossier, "procedure": procedure, "eligible": eligible}


def _visible(shipment):
    """``shipment``, or ``None`` when it is another unit's than the one the user is limited to
    (a clash with it is refused without showing it)."""
    return shipment if shipment is not None and in_unit_scope(current_user, shipment) else None


def _tracking_context(form, exclude_id=None):
    value = form.tracking_number.data or ""
    status = (
        services.check_tracking(value, form.direction.data, exclude_id) if value.strip() else None
    )
    if status is not None and status.duplicate is not None and not _visible(status.duplicate):
        status = dataclasses.replace(status, duplicate=None, elsewhere=True)
    return {"tracking": status}


def _procedures():
    return (
        db.session.query(Procedure.code, Procedure.name)
        .filter(Procedure.in_force.is_(True))
        .order_by(Procedure.code)
        .all()
    )


def _log_page(form, status=200, duplicate=None):
    """The log form: the whole page, or for htmx the form's region (a refused save)."""
    # The new dossier's unit picker, for who sees every unit; a unit kept in the address
    # that is not offered (deactivated since) gives way to the first unit.
    form.unit.offer(current_user, fallback=request.method == "GET")
    context = {
        "form": form,
        "lookup": _lookup_context(form),
        "saved": None,
        "duplicate": duplicate,
        **_tracking_context(form),
    }
    if is_htmx():
        response = make_response(render_template("postal/_log_form.html", **context), status)
    else:
        context["recent"] = services.recent_shipments(unit_id=unit_scope(current_user))
        context["procedures"] = _procedures()
        response = make_response(render_template("postal/new.html", **context), status)
    response.vary.add("HX-Request")
    return response


def _kept_values(args):
    """What the previous item leaves for the next one (direction, date, fee, and the unit a
    user who sees every unit picked for a new dossier), from the URL the plain form is sent
    back to; a malformed value is ignored."""
    direction = args.get("direction")
    kept = {"direction": Direction.pick(direction, Direction.RETURN.value)}
    try:
        day = parse_day(args.get("date")) if args.get("date") else None
    except ValueError:
        day = None
    if day is not None and day <= vn_today():
        kept["date"] = day
    fee = (args.get("fee") or "").strip()[:20]
    if fee:
        kept["fee"] = fee
    unit = (args.get("unit") or "").strip()
    if unit.isdigit() and len(unit) <= 9:  # the new dossier's unit (offered or not: _log_page)
        kept["unit"] = unit
    return kept


def _unknown_dossier_complete(form, lookup):
    """An unknown dossier code needs what creates the dossier (``services.new_dossier_problems``):
    each thing missing is noted on its field; ``False`` when one is."""
    if lookup["dossier"] is not None or not form.dossier_code.data:
        return True
    missing = services.new_dossier_problems(
        form.procedure_code.data,
        lookup["procedure"],
        form.receive_channel.data,
        form.receive_date.data,
    )
    for name, message in missing.items():
        field = getattr(form, name)
        if not field.errors:  # one message a field: a date that did not parse says so already
            field.errors.append(message)
    return not missing


def _log(form, lookup):
    """Log the form's shipment, creating its dossier when the code is unknown."""
    dossier = lookup["dossier"]
    if dossier is None:
        dossier = dossier_services.create_dossier(
            form.dossier_code.data,
            lookup["procedure"],
            form.receive_channel.data,
            form.receive_date.data,
            user=current_user,
            unit_id=form.unit.unit_id(current_user),
        )
    return services.log_shipment(
        tracking_number=form.tracking_number.data,
        direction=form.direction.data,
        dossier=dossier,
        date=form.date.data,
        recipient_name=form.recipient_name.data,
        address=form.address.data,
        phone=form.phone.data,
        fee=form.fee_value(),
        confirm_check_digit=form.confirm_check_digit.data,
        user=current_user,
        locked=True,  # found locked (_lookup_context) or created in this transaction
    )


def _logged(form, shipment):
    """Commit a logged shipment and answer: htmx gets the notice and the new row, a plain form
    goes back to an empty form keeping direction, date, fee and the unit picked for a new
    dossier (htmx keeps them in the page: static/js/postal.js empties only the item)."""
    if is_htmx():
        # Only what changed goes back: the notice, the new row, the item's checks cleared. The
        # form keeps direction, date and fee; static/js/postal.js empties the item's own fields.
        # Rendered before the commit, which would expire the objects it shows.
        answer = render_template("postal/_log_answer.html", saved=shipment, form=form)
        shipment_id = shipment.id
        # Nothing after the commit reads the objects again (the answer is rendered): keeping
        # them loaded spares reloading the user for the answer's headers.
        with keeping_objects():
            db.session.commit()
        response = make_response(answer)
        response.headers["HX-Retarget"] = "#log-saved"
        response.headers["HX-Reswap"] = "outerHTML"
        response.vary.add("HX-Request")
        return trigger(response, "shipment-logged", {"id": shipment_id})
    db.session.commit()
    kept = {
        "direction": form.direction.data,
        "date": form.date.data.isoformat(),
        "fee": (form.fee.data or "").strip() or None,
        # As sent: the form it goes back to offers it again, or its first unit (_log_page).
        "unit": (form.unit.data or "").strip() or None,
    }
    flash(
        _(
            "Shipment %(number)s logged for dossier %(code)s.",
            number=shipment.tracking_number,
            code=shipment.dossier.code,
        ),
        "success",
    )
    if shipment.eligibility_warning:
        flash(
            _(
                "The procedure is not flagged eligible for this direction: the shipment is kept "
                "and listed for its department to review."
            ),
            "warning",
        )
    return hx_redirect(url_for("postal.new_shipment", **kept))


@bp.route("/shipments/new", methods=["GET", "POST"])
@requires("edit_shipments")
def new_shipment():
    """Log a shipment at the counter. An unknown dossier code asks for the procedure, receive
    channel and date, and creates the dossier with the shipment. Direction, date (``YYYY-MM-DD``
    or ``dd/mm/yyyy``) and fee in the URL are kept from the previous item; the reconciliation
    page links here with ``dossier_code`` and ``direction`` filled in."""
    if request.method == "GET":
        form = ShipmentForm(
            formdata=None,
            dossier_code=(request.args.get("dossier_code") or "")[:60],
            **_kept_values(request.args),
        )
        return _log_page(form)
    form = ShipmentForm()
    valid = form.validate()
    lookup = _lookup_context(form, lock=True)
    if lookup["dossier"] is None:  # a new dossier: the unit picked for it (a save spares this)
        form.unit.offer(current_user)
        valid = form.unit.validate(form) and valid
    if not (_unknown_dossier_complete(form, lookup) and valid):
        return _log_page(form, 422)
    try:
        shipment = _log(form, lookup)
    except Refusal as refusal:
        # A duplicate (409) shows the shipment already logged with that number.
        return refused(
            refusal,
            form,
            lambda r: _log_page(form, duplicate=_visible(r.conflict)),
            "dossier_code",
        )
    return _logged(form, shipment)


@bp.route("/shipments/check-tracking")
@requires("edit_shipments")
def check_tracking():
    """The tracking number checked as it is typed: normalised, S10 shape and check digit,
    already logged in the chosen direction."""
    form = ShipmentForm(formdata=request.args, meta={"csrf": False})
    exclude = int_arg(request.args, "shipment")
    return render(
        "postal/check_tracking.html",
        "postal/_tracking_feedback.html",
        form=form,
        **_tracking_context(form, exclude),
    )


@bp.route("/shipments/lookup-dossier")
@requires("edit_shipments")
def lookup_dossier():
    """The dossier code looked up as it is typed: a known dossier's procedure and dates, or the
    fields that create an unknown one."""
    form = ShipmentForm(formdata=request.args, meta={"csrf": False})
    lookup = _lookup_context(form)
    response = render(
        "postal/lookup_dossier.html",
        "postal/_dossier_lookup.html",
        form=form,
        lookup=lookup,
        oob=True,
    )
    # The page shows or hides the fields that create an unknown dossier (static/js/postal.js),
    # when the answer is for the code the field still holds (``typed``: a slow answer for the
    # start of a code is not the answer for the code).
    return trigger(
        response,
        "dossier-lookup",
        {
            "unknown": bool(lookup["code"] and not lookup["dossier"]),
            "typed": request.args.get("dossier_code", "")[:100],
        },
    )


# --- One shipment ----------------------------------------------------------------------------


@bp.route("/shipments/<int:shipment_id>")
def show_shipment(shipment_id):
    """A shipment: full personal data for centre staff and administrators, masked otherwise."""
    shipment = get_shipment_or_404(shipment_id)
    return render("postal/show.html", "postal/show.html", **_page(shipment, CancelShipmentForm()))


def _page(shipment, cancel_form):
    """What a shipment's page shows (``postal/show.html``), with ``cancel_form`` as sent."""
    frozen = services.kept_as_is(shipment)
    return {
        "shipment": shipment,
        # a deactivated unit's shipment offers no correction or cancellation, and says why
        "changeable": not shipment.cancelled and frozen is None,
        "frozen_note": services.kept_as_is_text(frozen) if frozen else None,
        "full": can(current_user, "see_personal_data"),
        "cancel_form": cancel_form,
        "events": present_events(services.history(shipment)),
        "signed_record": services.signed_record(shipment),
    }


def _edit(form, shipment):
    """Save the edit form's changes: ``True`` when something changed."""
    dossier = dossier_services.known_dossier(
        form.dossier_code.data, unit_id=unit_scope(current_user)
    )
    changes = {
        "tracking_number": form.tracking_number.data,
        "dossier_id": dossier.id,
        "date": form.date.data,
        "fee": form.fee_value(),
    }
    if not shipment.personal_data_purged_at:
        changes.update(
            recipient_name=form.recipient_name.data,
            address=form.address.data,
            phone=form.phone.data,
        )
    return services.update_shipment(shipment, changes, form.reason.data, user=current_user)


def _saved(shipment, message, category="success"):
    flash(message, category)
    return hx_redirect(url_for("postal.show_shipment", shipment_id=shipment.id))


@bp.route("/shipments/<int:shipment_id>/edit", methods=["GET", "POST"])
@requires("edit_shipments")
def edit_shipment(shipment_id):
    """Correct a shipment, with a reason; audited, effective values recomputed."""
    shipment = get_shipment_or_404(shipment_id, for_edit=True)
    if shipment.cancelled:
        abort(409, description=_("A cancelled shipment cannot be changed."))
    frozen = services.kept_as_is(shipment)
    if frozen is not None and request.method != "POST":  # GET, and HEAD with it
        # Its page offers no correction: opened by URL, the form is refused as a cancelled
        # shipment's is, with the message its save is refused with (services.update_shipment).
        abort(409, description=services.kept_as_is_text(frozen))
    form_class = PurgedEditShipmentForm if shipment.personal_data_purged_at else EditShipmentForm
    form = form_class(
        obj=shipment,
        dossier_code=shipment.dossier.code,
        fee=str(shipment.fee) if shipment.fee is not None else "",
    )

    def answer(_refusal=None, status=200):
        return render(
            "postal/edit.html",
            "postal/_edit_form.html",
            status=status,
            form=form,
            shipment=shipment,
            signed_record=services.signed_record(shipment),
        )

    if not form.is_submitted():
        return answer()
    if not form.validate():
        return answer(status=422)
    return save(
        lambda: _edit(form, shipment),
        form,
        answer,
        lambda changed: (
            _saved(shipment, _("The shipment was saved."))
            if changed
            else _saved(shipment, _("Nothing was changed."), "info")
        ),
        "tracking_number",
    )


@bp.route("/shipments/<int:shipment_id>/cancel", methods=["POST"])
@requires("edit_shipments")
def cancel_shipment(shipment_id):
    """Cancel a shipment with a reason: it no longer counts; its dossier is recomputed."""
    shipment = get_shipment_or_404(shipment_id, for_edit=True)
    form = CancelShipmentForm()

    def answer(_refusal=None):
        return render(
            "postal/show.html", "postal/_cancel_form.html", status=422, **_page(shipment, form)
        )

    if not form.validate():
        return answer()
    return save(
        lambda: services.cancel_shipment(shipment, form.reason.data, user=current_user),
        form,
        answer,
        lambda _result: _saved(shipment, _("The shipment was cancelled; it no longer counts.")),
        "reason",
    )


# --- Manifest import and reconciliation ------------------------------------------------------


@bp.route("/shipments/import", methods=["GET", "POST"])
@requires("edit_shipments")
def import_shipments():
    """Upload a postal manifest (CSV or XLSX); all or nothing."""
    return import_page(
        "postal/import.html",
        lambda filename, data, unit: services.import_checked_first(
            filename, data, user=current_user, unit=unit
        ),
        url_for("postal.import_shipments"),
    )


@bp.route("/reconciliation")
@requires("reconcile")
def reconciliation():
    """Dossiers the one-stop export says went by post with no shipment record, and shipments
    for procedures not flagged eligible in their direction, with counts by department.
    Department staff see their own department's part."""
    department_id = department_scope(current_user)
    unit_id = unit_scope(current_user)
    by_department, totals = services.reconciliation_by_department(department_id, unit_id)
    return render(
        "postal/reconciliation.html",
        "postal/reconciliation.html",
        by_department=by_department,
        totals=totals,
        unlogged=services.unlogged_postal_dossiers(department_id, totals=totals, unit_id=unit_id),
        ineligible=services.ineligible_shipments(department_id, totals=totals, unit_id=unit_id),
    )


@bp.context_processor
def dates_for_inputs():
    return {"today": vn_today()}


# --- Home panel ------------------------------------------------------------------------------


def _postal_panel(user):
    """The centre's counter today, and what is left to reconcile (department staff: their own)."""
    department_id = department_scope(user)
    _rows, totals = services.reconciliation_by_department(department_id, unit_scope(user))
    today = day = None
    if can(user, "edit_shipments"):
        day = vn_today()
        filters = services.ShipmentFilters(period=Period(day, day), unit_id=unit_scope(user))
        today = services.list_totals(filters)
    if today is None and not any(totals.values()):
        return None
    return {"today": today, "day": day.isoformat() if day else None, "reconcile": totals}


register_panel("reconcile", "postal/_home_panel.html", _postal_panel)
