"""The hand-over record as a PDF, in the administrative format of Nghị định 30/2020/NĐ-CP.

Rendered from ``handover/record.html`` through ``utils.pdf.render_pdf`` (fonts and print CSS from
``static/``, nothing fetched elsewhere). The document is Vietnamese whatever the reader's language.
It names citizens by necessity: only the views of centre staff and administrators call it, and
each print is audited there.
"""

from flask import current_app
from flask_babel import force_locale

from blueprints.handover import services
from utils.dates import to_vn
from utils.pdf import render_pdf
from utils.settings import get_settings

STYLESHEETS = ("css/handover.css",)


def record_context(batch, printed_by=None):
    """Everything the record shows: its unit's settings, the items with their dossiers, totals."""
    receiver = batch.printed_by or printed_by
    return {
        "batch": batch,
        "settings": get_settings(batch.unit_id),
        "items": services.batch_items(batch),
        "totals": services.handover_totals([batch.id]).get(batch.id, services.HandoverTotals()),
        "signed_at": to_vn(batch.signed_at),
        "centre_person": (receiver.full_name or receiver.username) if receiver else "",
    }


def render_html(context):
    # The document depends on its context alone, so what is printed never depends on the reader.
    with force_locale("vi"):
        return current_app.jinja_env.get_template("handover/record.html").render(**context)


def render_record(batch, printed_by=None):
    """The record's PDF bytes."""
    return render_pdf(render_html(record_context(batch, printed_by)), STYLESHEETS)
