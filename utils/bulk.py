"""Writing many rows at once with the driver's own means, for imports of a hundred thousand rows.

``copy_rows`` streams rows into a PostgreSQL table with ``COPY … FROM STDIN`` (text format), one
stream instead of a statement per row. ``copy_text`` builds that text column by column, each
distinct value of a column formatted once: psycopg's own ``write_row`` looks up every value's
adapter, which costs more than the server's work.
"""

from datetime import date

COPY_CHUNK = 20000  # rows per block of COPY text

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_value(value):
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date):  # dates and timestamps in ISO 8601, whatever the DateStyle
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"no COPY text form for {type(value).__name__}")


def _plain_text(column):
    """Whether every value of ``column`` is text that COPY takes as it is (no backslash, tab or
    line break): then the column needs no formatting, however many distinct values it holds."""
    if set(map(type, column)) != {str}:
        return False
    joined = "".join(column)
    return not ("\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined)


def copy_text(rows):
    """``rows`` (tuples) as the lines of a ``COPY … FROM STDIN`` in text format."""
    columns = []
    for column in zip(*rows):
        if _plain_text(column):  # a column of codes: each different, none needing escapes
            columns.append(column)
            continue
        text = {value: _copy_value(value) for value in set(column)}
        columns.append(map(text.__getitem__, column))
    return "".join(line + "\n" for line in map("\t".join, zip(*columns)))


def copy_rows(connection, target, rows):
    """Stream ``rows`` into ``target`` (a quoted table name with its column list) on the
    PostgreSQL ``connection`` (SQLAlchemy), in its transaction."""
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for start in range(0, len(rows), COPY_CHUNK):
                copy.write(copy_text(rows[start : start + COPY_CHUNK]))
    finally:
        cursor.close()
