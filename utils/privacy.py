"""Citizens' personal data on shipments (name, address, phone), masked for every list.

Lists, dashboards and default exports show only ``mask_name`` ("Nguyễn V. A."), ``mask_phone``
("09•• ••• 123") and ``mask_address`` (the ward, commune or township alone). Full values appear
only on a shipment's own page for centre staff and administrators, and in the audited export
with personal data. Audit events never hold the values either: they keep the masked forms (events
recorded before held ``AUDIT_MARK``), which every mask leaves as they are.
"""

import re

from utils.text import fold

DOT = "•"
AUDIT_MARK = "•••"
PERSONAL_FIELDS = ("recipient_name", "address", "phone")

# Folded prefixes of the address part that names the ward (phường), commune (xã) or township.
_WARD_PREFIXES = ("phuong ", "xa ", "thi tran ", "p. ", "p ", "tt. ", "tt ")


def mask_name(name):
    """ "Nguyễn Văn An" → "Nguyễn V. A.": the family name, then initials."""
    words = (name or "").split()
    if not words:
        return ""
    return " ".join([words[0]] + [w[0].upper() + "." for w in words[1:]])


def mask_phone(phone):
    """ "0912345123" → "09•• ••• 123": the first two and last three digits only."""
    if DOT in (phone or ""):
        return phone  # masked already (a history shows what the trail kept)
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    if len(digits) < 6:
        return DOT * 3
    return f"{digits[:2]}{DOT * 2} {DOT * 3} {digits[-3:]}"


def mask_address(address):
    """The ward, commune or township part of an address ("phường Hồng Hà"), else "•••"."""
    parts = [p.strip() for p in (address or "").split(",") if p.strip()]
    if not parts:
        return ""
    for part in parts:
        if fold(part).startswith(_WARD_PREFIXES):
            return part
    return DOT * 3


def masked(shipment):
    """``{"name", "phone", "address"}`` masked for a shipment (or any object with the fields)."""
    return {
        "name": mask_name(shipment.recipient_name),
        "phone": mask_phone(shipment.phone),
        "address": mask_address(shipment.address),
    }


MASKS = {"recipient_name": mask_name, "address": mask_address, "phone": mask_phone}


def audit_safe(values):
    """A copy of an audit dict with personal values masked as the lists mask them, so a
    history shows what a list shows and the trail never holds the values themselves."""
    if values is None:
        return None
    return {k: (MASKS[k](v) if k in MASKS and v else v) for k, v in values.items()}
