"""Text as the product stores and searches it: Unicode NFC, and a folded copy for search."""

import unicodedata

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(value):
    """Return ``value`` trimmed and in Unicode NFC; ``None`` stays ``None``."""
    if value is None:
        return None
    value = str(value)
    if value.isascii():  # ASCII text is already NFC (codes, dates, numbers: most imported cells)
        return value.strip()
    return unicodedata.normalize("NFC", value).strip()


def fold(value):
    """Lower case, without diacritics, đ/Đ folded to d, inner white space collapsed.

    "Đất đai" and "dat  dai" both fold to "dat dai", so search behaves the same on every database.
    """
    if not value:
        return ""
    text = str(value).translate(_FOLD_EXTRA)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def fold_key(value):
    """A header or enumerated value folded for matching: also drops spaces and underscores."""
    return fold(value).replace(" ", "").replace("_", "")


def escape_like(value):
    """Escape ``%``, ``_`` and ``\\`` for a LIKE pattern used with ``escape='\\\\'``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
