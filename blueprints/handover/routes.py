"""Hand-over records with the postal worker: choose a batch, fill it, sign it, print it, void it.

Only centre staff and administrators: the items and the printed record name citizens. Lists show
names masked; the full names and addresses appear only on the printed record, and every print is
an audit event.
"""

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.handover import services
from blueprints.handover.forms import AddItemForm, ConfirmForm, NewBatchForm, SearchForm, VoidForm
from extensions import db
from models import HandoverBatch
from utils import htmx
from utils.access import get_or_404, requires
from utils.errors import save, saved
from utils.labels import handover_number, unit_prefix
from utils.privacy import mask_name
from utils.units import unit_scope

bp = Blueprint("handover", __name__, url_prefix="/handover")


def get_batch_or_404(batch_id):
    """The hand-over record, or 404 (the views' role check has already run)."""
    return get_or_404(HandoverBatch, batch_id)


def _confirmed_batch(batch_id):
    """The record a button changes (a 400 unless its form's CSRF token is good)."""
    batch = get_batch_or_404(batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return batch


def _batch_context(batch, error=None, search=None):
    search = search or SearchForm(request.args, meta={"csrf": False})
    if search.validate() and (search.tracking.data or search.day.data):
        tracking, day = search.tracking.data, search.day.data
    else:
        tracking, day = None, (batch.day if not search.tracking.data else None)
    candidates = (
        services.available_shipments(
            batch.direction, day=day, tracking=tracking, unit_id=batch.unit_id
        )
        if batch.status == "draft"
        else []
    )
    return {
        "batch": batch,
        "items": services.batch_items(batch),
        "totals": services.handover_totals([batch.id]).get(batch.id, services.HandoverTotals()),
        "candidates": candidates,
        "candidate_limit": services.CANDIDATE_LIMIT,
        "search": search,
        "search_day": day,
        "error": error,
        "confirm_form": ConfirmForm(),
        "void_form": VoidForm(),
        "mask_name": mask_name,
    }


def _batch_response(batch, status=200, error=None):
    return htmx.render(
        "handover/batch.html",
        "handover/_batch.html",
        status=status,
        **_batch_context(batch, error=error),
    )


def _refused(batch):
    """The answer to a rule's refusal (``utils.errors.save``): the record again with the reason,
    as 409 or 422 (``utils.errors.refused`` aborts a 404, an unknown shipment, before asking)."""

    def answer(refusal):
        return _batch_response(get_batch_or_404(batch.id), error=refusal.message)

    return answer


def _save_change(batch, change, message):
    """``change()`` saved (``utils.errors.save``): htmx gets the record's fragment in place, a
    plain form the message and a 303 back to the page; a refusal gets ``_refused``. ``message``
    may be a function, to word it after the change (a signed record's number)."""
    return save(
        change,
        None,
        _refused(batch),
        lambda _result: saved(
            lambda: _batch_response(batch),
            message() if callable(message) else message,
            url_for("handover.show_batch", batch_id=batch.id),
        ),
    )


@bp.route("")
@requires("hand_over")
def list_batches():
    status_filter = request.args.get("status", "")
    form = NewBatchForm(formdata=None)
    form.unit.offer(current_user)
    return _list_page("handover/_batches.html", form, status_filter)


def _list_page(fragment, form, status_filter="", status=200):
    batches = services.recent_batches(status_filter or None, unit_id=unit_scope(current_user))
    return htmx.render(
        "handover/list.html",
        fragment,
        status=status,
        batches=batches,
        totals=services.handover_totals(b.id for b in batches),
        status_filter=status_filter,
        form=form,
        empty=services.HandoverTotals(),
    )


@bp.route("/new", methods=["POST"])
@requires("hand_over")
def create_batch():
    form = NewBatchForm()
    form.unit.offer(current_user)

    def answer(_refusal=None):
        return _list_page("handover/_new_batch.html", form, status=422)

    if not form.validate_on_submit():
        return answer()
    return save(
        lambda: services.propose_batch(
            form.direction.data,
            form.day.data,
            user=current_user,
            unit_id=form.unit.unit_id(current_user),
        ),
        form,
        answer,
        lambda batch: htmx.redirect(url_for("handover.show_batch", batch_id=batch.id)),
        "day",
    )


@bp.route("/<int:batch_id>")
@requires("hand_over")
def show_batch(batch_id):
    return _batch_response(get_batch_or_404(batch_id))


@bp.route("/<int:batch_id>/items", methods=["POST"])
@requires("hand_over")
def add_item(batch_id):
    batch = get_batch_or_404(batch_id)
    form = AddItemForm()
    if not form.validate_on_submit():
        return _batch_response(batch, status=422, error=_("Choose a shipment to add."))
    return _save_change(
        batch,
        lambda: services.add_item(batch, form.shipment_id.data, user=current_user),
        _("The shipment has been added."),
    )


@bp.route("/<int:batch_id>/items/<int:item_id>/remove", methods=["POST"])
@requires("hand_over")
def remove_item(batch_id, item_id):
    batch = _confirmed_batch(batch_id)
    return _save_change(
        batch,
        lambda: services.remove_item(batch, item_id, user=current_user),
        _("The shipment has been taken out of the record."),
    )


def _paper_count(value):
    """A box's number of papers: ``None`` when blank; ``ValueError`` when not a whole number."""
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(value)
    return int(value)


@bp.route("/<int:batch_id>/counts", methods=["POST"])
@requires("hand_over")
def save_counts(batch_id):
    """The draft's one save: the originals and copies of every item (``originals-ITEM`` and
    ``copies-ITEM`` fields; an item without them is left as it is)."""
    batch = _confirmed_batch(batch_id)
    counts = {}
    try:
        for item in batch.items:
            keys = (f"originals-{item.id}", f"copies-{item.id}")
            if any(k in request.form for k in keys):
                counts[item.id] = tuple(_paper_count(request.form.get(k)) for k in keys)
    except ValueError:
        return _batch_response(
            batch, status=422, error=_("Enter a number of papers between 0 and 999.")
        )
    return _save_change(
        batch,
        lambda: services.set_counts(batch, counts, user=current_user),
        _("The numbers of papers have been saved."),
    )


@bp.route("/<int:batch_id>/sign", methods=["POST"])
@requires("hand_over")
def sign_batch(batch_id):
    batch = _confirmed_batch(batch_id)
    return _save_change(
        batch,
        lambda: services.sign_batch(batch, user=current_user),
        lambda: _(
            "Record %(n)s is signed: its shipments are marked handed over.",
            n=handover_number(batch.number, unit_prefix(batch)),
        ),
    )


@bp.route("/<int:batch_id>/void", methods=["POST"])
@requires("hand_over")
def void_batch(batch_id):
    batch = get_batch_or_404(batch_id)
    form = VoidForm()
    if not form.validate_on_submit():
        return _batch_response(
            batch, status=422, error=_("Give the reason for voiding the record.")
        )
    return _save_change(
        batch,
        lambda: services.void_batch(batch, form.reason.data, user=current_user),
        _("The record has been voided; its shipments are free again."),
    )


@bp.route("/<int:batch_id>/discard", methods=["POST"])
@requires("hand_over")
def discard_batch(batch_id):
    batch = _confirmed_batch(batch_id)
    return save(
        lambda: services.discard_draft(batch, user=current_user), None, _refused(batch), _discarded
    )


def _discarded(_result):
    flash(_("The draft has been discarded."), "success")
    return htmx.redirect(url_for("handover.list_batches"))


@bp.route("/<int:batch_id>/record.pdf")
@requires("hand_over")
def print_batch(batch_id):
    """The record as PDF; each print is an audit event (it names citizens)."""
    from blueprints.handover.document import render_record

    batch = get_batch_or_404(batch_id)
    pdf = render_record(batch, printed_by=current_user)
    services.record_print(batch, user=current_user)
    db.session.commit()
    name = f"bien-ban-giao-nhan-{batch.number or 'du-thao'}-{batch.year or batch.day.year}.pdf"
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
