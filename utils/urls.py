"""URLs for long lists: ``url_for`` once per list instead of once per row.

A 50-row table that builds two links per row with ``url_for`` spends more time routing than
rendering. ``url_pattern`` builds the URL once with a marker in place of the one value that changes
from row to row, and returns a function that puts each row's value in its place: the same URL that
``url_for`` would have built, query string and script root included.
"""

from flask import url_for

# A value no id, page number or date of the product takes; digits only, so that an ``int``
# converter accepts it and URL quoting leaves it alone.
MARKER = 987_654_321_987_654_321


class UrlPattern:
    """``url_for(endpoint, **{name: value}, **values)`` for any integer ``value``.

    The URL is built once; calling the pattern with a value is string concatenation. When the
    marker would be ambiguous (it also appears in another value, e.g. a search for those digits),
    every call falls back to ``url_for``.
    """

    __slots__ = ("endpoint", "name", "values", "head", "tail")

    def __init__(self, endpoint, name, **values):
        self.endpoint, self.name, self.values = endpoint, name, values
        # The marker takes ``name``'s place among ``values`` when it is there, so the query string
        # comes out in the same order as ``url_for(endpoint, **values)`` would write it.
        url = url_for(endpoint, **{**values, name: MARKER})
        parts = url.split(str(MARKER))
        self.head, self.tail = (parts[0], parts[1]) if len(parts) == 2 else (None, None)

    def __call__(self, value):
        value = int(value)  # ids and page numbers only: nothing that needs quoting
        if self.head is None:
            return url_for(self.endpoint, **{**self.values, self.name: value})
        return f"{self.head}{value}{self.tail}"


def url_pattern(endpoint, name, **values):
    """A function ``value -> url_for(endpoint, name=value, **values)``, built once per list.

    ``name`` is the one integer parameter that changes per row (a path parameter such as
    ``procedure_id``, or a query parameter such as ``page``); ``values`` are the same for every row
    (a placeholder for ``name`` among them keeps its place in the query string).
    """
    return UrlPattern(endpoint, name, **values)
