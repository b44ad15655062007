"""Translated labels for the product's codes (roles, channels, directions, HTTP errors)."""
from flask_babel import gettext as _


def role_label(role):
    return {
        "admin": _("Administrator"),
        "centre": _("Centre staff"),
        "department": _("Department staff"),
        "leader": _("Leader"),
    }.get(role, role)


def channel_label(channel):
    return {
        "truc_tiep": _("In person"),
        "truc_tuyen": _("Online"),
        "bcci": _("By post (BCCI)"),
    }.get(channel, channel or "—")


def direction_label(direction):
    return {
        "tiep_nhan": _("Dossier received by post"),
        "tra_ket_qua": _("Result returned by post"),
    }.get(direction, direction)


def error_title(status):
    return {
        400: _("Bad request"),
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed"),
        409: _("Conflict"),
        413: _("File too large"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }.get(status, _("Error"))


def error_text(status, message=None):
    if message == "csrf":
        return _("The form has expired or did not come from this application. Reload the page and try again.")
    return {
        400: _("The request could not be understood."),
        401: _("Your session has ended. Log in again to continue."),
        403: _("You do not have permission to do this."),
        404: _("The page or record you asked for does not exist."),
        405: _("This action is not available here."),
        409: _("Someone else changed this record meanwhile."),
        413: _("The file is larger than this application accepts."),
        422: _("Some values are not valid. Check the form and try again."),
        429: _("Too many failed attempts. Wait a minute and try again."),
        500: _("The error has been logged. Try again, or tell the administrator."),
    }.get(status, "")


def next_band_text(criterion):
    """What the next band needs, in plain words."""
    from utils.formats import number, points

    n = number(criterion.gap)
    p = points(criterion.next_band.points)
    if criterion.code == "C1":
        return _("%(n)s more procedures with postal activity are needed to reach %(p)s points.", n=n, p=p)
    if criterion.code == "C2":
        return _("%(n)s more dossiers received by post are needed to reach %(p)s points.", n=n, p=p)
    return _("%(n)s more results returned by post are needed to reach %(p)s points.", n=n, p=p)


GLOBALS = {
    "next_band_text": next_band_text,
    "role_label": role_label,
    "channel_label": channel_label,
    "direction_label": direction_label,
    "error_title": error_title,
    "error_text": error_text,
}
