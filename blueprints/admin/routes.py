"""Administration screens: users, departments, fields, organisation settings and the audit log.

Administrators only. Views parse, call a service, commit and choose the response; htmx requests
get the piece of page they swap (a table row, a region), everything else full pages and 303s.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from blueprints.admin import services
from blueprints.admin.forms import (
    AuditFilterForm,
    DepartmentCreateForm,
    DepartmentRenameForm,
    FieldForm,
    PasswordResetForm,
    SettingsForm,
    UnitCreateForm,
    UnitEditForm,
    UnitProcedureForm,
    UserCreateForm,
    UserEditForm,
    department_choices,
    role_choices,
    unit_choices,
)
from blueprints.auth import services as users
from extensions import db
from models import FIRST_UNIT_ID, Unit, User
from utils import htmx, units
from utils.access import can, requires
from utils.errors import Refusal, save, saved
from utils.history import object_type_label, present_events
from utils.inputs import MAX_PAGE, arg_int, parse_int
from utils.labels import action_label, department_label
from utils.settings import get_settings, saved_settings
from utils.text import fold

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires("administer")
def index():
    return render_template("admin/index.html")


# --- users ------------------------------------------------------------------------------------


def _user_forms(form, user=None):
    form.role.choices = role_choices()
    departments = services.active_departments()
    if user is not None and user.department and not user.department.active:
        departments = [user.department] + list(departments)
    form.department.choices = department_choices(departments)
    choices = units.unit_list(active_only=True) if _unit_fields() else []
    if user is not None and user.unit is not None and user.unit not in choices:
        choices = [user.unit] + list(choices)
    form.unit.choices = unit_choices(choices)
    return form


def _unit_fields():
    """Whether the user forms show the unit and "province-wide" fields: only to province-wide
    administrators, on a deployment of several units."""
    return units.several_units() and can(current_user, "administer_units")


def _unit_choice(form, user=None):
    """``{"unit_code", "province_wide"}`` for the user services from the form's unit fields when
    they are shown; a unit-bound administrator's new users are bound to their own unit, and
    their edits leave a user's unit as it is."""
    if _unit_fields():
        return {"unit_code": form.unit.data or None, "province_wide": form.province_wide.data}
    if user is None and units.several_units() and current_user.unit is not None:
        return {"unit_code": current_user.unit.code}
    return {}


def _user_page(user, edit_form=None, reset_form=None, status=200):
    if edit_form is None:
        edit_form = UserEditForm(
            formdata=None,
            full_name=user.full_name,
            role=user.role,
            department=user.department.code if user.department else "",
            unit=user.unit.code if user.unit else "",
            province_wide=user.province_wide,
        )
    _user_forms(edit_form, user)
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=edit_form,
        reset_form=reset_form or PasswordResetForm(formdata=None),
        unit_fields=_unit_fields(),
    ), status


def _users_scope():
    """The unit whose users the administrator manages: their own when bound to one on a
    deployment of several units; ``None``: every user."""
    return units.unit_scope(current_user) if units.several_units() else None


def _get_user_or_404(user_id):
    user = db.get_or_404(User, user_id)
    scope = _users_scope()
    if scope is not None and user.unit_id != scope:
        abort(404)  # another unit's user, as one that does not exist
    return user


def _users(fragment="admin/users.html", status=200, **extra):
    query = db.select(User).order_by(User.active.desc(), User.username)
    if (scope := _users_scope()) is not None:
        query = query.where(User.unit_id == scope)
    if units.several_units():  # the list shows each user's unit
        query = query.options(joinedload(User.unit))
    rows = db.session.scalars(query).all()
    return htmx.render("admin/users.html", fragment, status=status, users=rows, **extra)


@bp.route("/users")
@requires("administer")
def list_users():
    return _users()


@bp.route("/users/new", methods=["GET", "POST"])
@requires("administer")
def create_user():
    form = _user_forms(UserCreateForm())
    if form.validate_on_submit():
        return save(
            lambda: users.create_user(
                form.username.data,
                form.role.data,
                form.password.data,
                form.department.data or None,
                form.full_name.data,
                actor=current_user,
                **_unit_choice(form),
            ),
            form,
            lambda refusal: render_template(
                "admin/user_new.html", form=form, unit_fields=_unit_fields()
            ),
            _user_created,
        )
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_new.html", form=form, unit_fields=_unit_fields()), status


def _user_created(user):
    flash(_("User %(name)s created.", name=user.username), "success")
    return redirect(url_for("admin.list_users"), code=303)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("administer")
def edit_user(user_id):
    user = _get_user_or_404(user_id)
    if request.method == "GET":
        return _user_page(user)
    form = _user_forms(UserEditForm(), user)
    if form.validate_on_submit():
        return save(
            lambda: users.update_user(
                user,
                form.role.data,
                form.department.data or None,
                form.full_name.data,
                actor=current_user,
                **_unit_choice(form, user),
            ),
            form,
            lambda refusal: _user_page(_get_user_or_404(user_id), edit_form=form),
            lambda _result: _user_saved(
                user, _("User %(name)s saved.", name=user.username), url_for("admin.list_users")
            ),
        )
    return _user_page(user, edit_form=form, status=422)


def _user_saved(user, message, url):
    flash(message, "success")
    return redirect(url, code=303)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("administer")
def reset_password(user_id):
    user = _get_user_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        return save(
            lambda: users.reset_password(user, form.new.data, actor=current_user),
            form,
            lambda refusal: _user_page(_get_user_or_404(user_id), reset_form=form),
            lambda _result: _user_saved(
                user,
                _(
                    "The password of %(name)s has been reset; their open sessions were ended.",
                    name=user.username,
                ),
                url_for("admin.edit_user", user_id=user.id),
            ),
            field="new",
        )
    return _user_page(user, reset_form=form, status=422)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("administer")
def set_user_active(user_id):
    user = _get_user_or_404(user_id)
    active = request.form.get("active") == "1"
    error = None
    try:
        users.set_user_active(user, active, actor=current_user)
    except Refusal as e:
        # Answered in the row (409) or flashed, not on a form: not through ``save``.
        db.session.rollback()
        user = _get_user_or_404(user_id)
        error = e.message
    else:
        db.session.commit()
    if htmx.wants_fragment():
        return _users("admin/_user_row.html", status=409 if error else 200, u=user, row_error=error)
    if error:
        flash(error, "danger")
    elif active:
        flash(_("User %(name)s can log in again.", name=user.username), "success")
    else:
        flash(
            _("User %(name)s is deactivated; their open sessions were ended.", name=user.username),
            "success",
        )
    if request.form.get("back") == "edit":
        return redirect(url_for("admin.edit_user", user_id=user.id), code=303)
    return redirect(url_for("admin.list_users"), code=303)


# --- departments and fields: one set of routes for both catalogues ----------------------------


@dataclass(frozen=True)
class _Catalogue:
    """What differs between the department and the field pages. ``plural`` names the URL, the
    page's templates and its list; ``singular`` the row's templates, its URL variable
    (``department_id``) and the endpoints (``admin.edit_department``); ``row`` the row's name
    in its templates."""

    plural: str
    singular: str
    row: str
    rows: Callable  # () -> the catalogue, in its order
    get: Callable  # (id) -> the entry, or 404
    create_form: type
    edit_form: type
    create: Callable  # (create form) -> the new entry
    update: Callable  # (entry, edit form)
    created: Callable  # (entry) -> what the plain form flashes
    saved: Callable  # (entry) -> what the plain form flashes

    def page(self, create_form=None, status=200, fragment=None, **extra):
        return htmx.render(
            f"admin/{self.plural}.html",
            fragment or f"admin/_{self.plural}.html",
            status=status,
            create_form=create_form or self.create_form(formdata=None),
            **{self.plural: self.rows()},
            **extra,
        )

    def row_page(self, entry):
        return self.page(fragment=f"admin/_{self.singular}_row.html", **{self.row: entry})

    def answer_saved(self, fragment, message):
        return saved(fragment, message, url_for(f"admin.list_{self.plural}"))


DEPARTMENTS = _Catalogue(
    "departments",
    "department",
    "d",
    services.list_departments,
    services.get_department_or_404,
    DepartmentCreateForm,
    DepartmentRenameForm,
    lambda form: services.create_department(form.code.data, form.name.data),
    lambda department, form: services.rename_department(department, form.name.data),
    lambda department: _("Department %(code)s created.", code=department_label(department)),
    lambda department: _("Department %(code)s saved.", code=department_label(department)),
)
FIELDS = _Catalogue(
    "fields",
    "field",
    "fl",
    services.list_fields,
    services.get_field_or_404,
    FieldForm,
    FieldForm,
    lambda form: services.create_field(form.name.data, form.postal_note.data),
    lambda field, form: services.update_field(field, form.name.data, form.postal_note.data),
    lambda field: _("Field %(name)s created.", name=field.name),
    lambda field: _("Field %(name)s saved.", name=field.name),
)


def _list(catalogue):
    return catalogue.page()


def _create(catalogue):
    form = catalogue.create_form()

    def answer(_refusal=None):
        return catalogue.page(create_form=form, status=422)

    if not form.validate_on_submit():
        return answer()
    return save(
        lambda: catalogue.create(form),
        form,
        answer,
        lambda entry: catalogue.answer_saved(
            lambda: catalogue.page(created=entry.id), catalogue.created(entry)
        ),
    )


def _row(catalogue, **url_id):
    return catalogue.row_page(catalogue.get(*url_id.values()))


def _edit(catalogue, **url_id):
    entry = catalogue.get(*url_id.values())
    form = catalogue.edit_form(obj=entry) if request.method == "GET" else catalogue.edit_form()

    def answer(_refusal=None, status=422):
        return htmx.render(
            f"admin/{catalogue.singular}_edit.html",
            f"admin/_{catalogue.singular}_edit_row.html",
            status=status,
            form=form,
            inline=htmx.wants_fragment(),
            **{catalogue.row: entry},
        )

    if request.method == "GET":
        return answer(status=200)
    if not form.validate_on_submit():
        return answer()
    return save(
        lambda: catalogue.update(entry, form),
        form,
        answer,
        lambda _result: catalogue.answer_saved(
            lambda: catalogue.row_page(entry), catalogue.saved(entry)
        ),
    )


def _add_routes(catalogue):
    """The list, create, row and edit routes of ``catalogue``, administrators only."""
    entry = f"/{catalogue.plural}/<int:{catalogue.singular}_id>"
    for url, endpoint, view, methods in (
        (f"/{catalogue.plural}", f"list_{catalogue.plural}", _list, ["GET"]),
        (f"/{catalogue.plural}/new", f"create_{catalogue.singular}", _create, ["POST"]),
        (entry, f"{catalogue.singular}_row", _row, ["GET"]),
        (f"{entry}/edit", f"edit_{catalogue.singular}", _edit, ["GET", "POST"]),
    ):
        guarded = requires("administer")(partial(view, catalogue))
        bp.add_url_rule(url, endpoint, guarded, methods=methods)


_add_routes(DEPARTMENTS)
_add_routes(FIELDS)


@bp.route("/departments/<int:department_id>/active", methods=["POST"])
@requires("administer")
def set_department_active(department_id):
    department = services.get_department_or_404(department_id)
    services.set_department_active(department, request.form.get("active") == "1")
    db.session.commit()
    return DEPARTMENTS.answer_saved(
        lambda: DEPARTMENTS.row_page(department), DEPARTMENTS.saved(department)
    )


# --- units (province-wide administrators) ----------------------------------------------------


def _units_page(create_form=None, status=200):
    return render_template(
        "admin/units.html",
        rows=units.unit_rows(),
        create_form=create_form or UnitCreateForm(formdata=None, level="xa", kind="trung_tam"),
    ), status


@bp.route("/units")
@requires("administer_units")
def list_units():
    return _units_page()


@bp.route("/units/new", methods=["POST"])
@requires("administer_units")
def create_unit():
    form = UnitCreateForm()
    if not form.validate_on_submit():
        return _units_page(form, 422)
    return save(
        lambda: units.create_unit(
            form.code.data, form.name.data, form.level.data, form.kind.data, user=current_user
        ),
        form,
        lambda refusal: _units_page(form),
        lambda unit: _unit_saved(unit, _("Unit %(code)s created.", code=unit.code)),
    )


def _unit_saved(unit, message):
    flash(message, "success")
    return redirect(url_for("admin.show_unit", unit_id=unit.id), code=303)


def _unit_page(unit, form=None, procedure_form=None, status=200):
    return render_template(
        "admin/unit.html",
        unit=unit,
        form=form or UnitEditForm(formdata=None, name=unit.name, level=unit.level, kind=unit.kind),
        procedure_form=procedure_form or UnitProcedureForm(formdata=None),
        handled=units.handled_count(unit),
        exceptions=units.exceptions(unit),
    ), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@requires("administer_units")
def show_unit(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    if request.method == "GET":
        return _unit_page(unit)
    form = UnitEditForm()
    if not form.validate_on_submit():
        return _unit_page(unit, form=form, status=422)
    return save(
        lambda: units.update_unit(
            unit, form.name.data, form.level.data, form.kind.data, user=current_user
        ),
        form,
        lambda refusal: _unit_page(db.get_or_404(Unit, unit_id), form=form),
        lambda _unit: _unit_saved(unit, _("Unit %(code)s saved.", code=unit.code)),
    )


@bp.route("/units/<int:unit_id>/procedures", methods=["POST"])
@requires("administer_units")
def set_unit_procedure(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    form = UnitProcedureForm()
    if not form.validate_on_submit():
        return _unit_page(unit, procedure_form=form, status=422)
    return save(
        lambda: units.set_handling(
            unit, form.procedure.data, form.handled.data == "1", user=current_user
        ),
        form,
        lambda refusal: _unit_page(db.get_or_404(Unit, unit_id), procedure_form=form),
        lambda procedure: _unit_saved(
            unit,
            _(
                "Unit %(unit)s: procedure %(code)s saved.",
                unit=unit.code,
                code=procedure.code,
            ),
        ),
    )


@bp.route("/units/<int:unit_id>/active", methods=["POST"])
@requires("administer_units")
def set_unit_active(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    try:
        units.set_unit_active(unit, request.form.get("active") == "1", user=current_user)
    except Refusal as e:
        db.session.rollback()
        flash(e.message, "danger")
        return _units_page(status=e.status)
    db.session.commit()
    if unit.active:
        flash(_("Unit %(code)s is active again.", code=unit.code), "success")
    else:
        flash(_("Unit %(code)s is deactivated; its records stay.", code=unit.code), "success")
    return redirect(url_for("admin.list_units"), code=303)


# --- organisation settings --------------------------------------------------------------------


def _settings_unit():
    """The unit whose settings the page edits: the user's own; a province-wide administrator
    picks one (``?unit=CODE``, the first unit by default) when there are several. A code the
    user may not edit is a 404."""
    code = request.args.get("unit")
    scope = units.unit_scope(current_user)
    if scope is not None:
        unit = db.session.get(Unit, scope)
    elif code and units.several_units():
        unit = units.find_unit(code)
    else:
        unit = db.session.get(Unit, FIRST_UNIT_ID)
    if unit is None or (code and units.several_units() and code != unit.code):
        abort(404)
    return unit


def _settings_url(unit):
    return url_for("admin.edit_settings", unit=unit.code if units.several_units() else None)


@bp.route("/settings", methods=["GET", "POST"])
@requires("administer")
def edit_settings():
    unit = _settings_unit()
    settings = get_settings(unit.id)
    form = SettingsForm(obj=settings) if request.method == "GET" else SettingsForm()

    def answer(_refusal=None):
        status = 422 if request.method == "POST" else 200
        return render_template(
            "admin/settings.html",
            form=form,
            saved=saved_settings(unit.id),
            unit=unit,
            action=_settings_url(unit),
            picker=units.picker_units(current_user),
        ), status

    if not form.validate_on_submit():
        return answer()
    values = {name: getattr(form, name).data for name in services.SETTINGS_FIELDS}

    def done(_settings):
        flash(_("The organisation's settings are saved."), "success")
        return redirect(_settings_url(unit), code=303)

    return save(lambda: services.save_settings(values, unit.id), form, answer, done)


# --- the audit log ----------------------------------------------------------------------------


def _int_or_none(value):
    return parse_int(value, minimum=1)


@bp.route("/audit")
@requires("administer")
def list_audit():
    form = AuditFilterForm(request.args)
    people, actions, types = services.audit_choices()
    form.user.choices = [("", _("Anyone"))] + [(str(i), name) for i, name in people]
    form.action.choices = [("", _("Any action"))] + sorted(
        ((a, action_label(a)) for a in actions), key=lambda choice: fold(choice[1])
    )
    form.object_type.choices = [("", _("Any object"))] + sorted(
        ((t, object_type_label(t)) for t in types), key=lambda choice: fold(choice[1])
    )
    form.validate()  # a malformed date is shown as an error and left out of the filter
    flt = services.AuditFilter(
        user_id=_int_or_none(form.user.data),
        action=form.action.data or "",
        object_type=form.object_type.data or "",
        object_id=(form.object_id.data or "").strip(),
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None,
    )
    page_number = arg_int(request.args, "page", 1, maximum=MAX_PAGE)
    page = services.audit_page(flt, page_number)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return htmx.render(
        "admin/audit.html",
        "admin/_audit_results.html",
        form=form,
        page=page,
        filter_args=args,
        entries=present_events(page.items),
    )
