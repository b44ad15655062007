"""What migration 0012 (units) reads of the application, as it was when the migration was
written, frozen here so that the migration does the same thing whatever ``utils/units.py`` and
``utils/text.py`` become (``tests/test_frozen_triggers.py`` checks that today's functions still
agree with these on the levels the tests use). Never change it: a migration that needs other
rules has its own frozen copy."""

import re
import unicodedata

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})

# Words of a procedure's free-text level (folded: lower case, no diacritics) that name a tier.
_PROVINCE_WORDS = re.compile(r"\btinh\b")
_LOCAL_WORDS = re.compile(r"\b(xa|phuong|thi tran|dac khu|huyen|quan|thi xa)\b")


def fold(value):
    """Lower case, without diacritics, đ/Đ folded to d, inner white space collapsed (the first
    unit's ``name_folded``)."""
    if not value:
        return ""
    text = str(value).translate(_FOLD_EXTRA)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def procedure_level_from_text(text):
    """The canonical level a procedure's free-text level names: ``tinh`` when it names only the
    province, ``xa`` when only a local tier (commune, ward, special zone, or a former district),
    ``ca_hai`` otherwise (named both, or neither)."""
    folded = fold(text or "")
    province = bool(_PROVINCE_WORDS.search(folded))
    local = bool(_LOCAL_WORDS.search(folded))
    if province and not local:
        return "tinh"
    if local and not province:
        return "xa"
    return "ca_hai"
