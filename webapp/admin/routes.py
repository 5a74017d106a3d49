"""Users: the list, creating one, editing the role and bindings, password, certificate.

Every change goes through register.users, which checks the rules, answers in Russian
(UserError) and writes the audit row — except creation, audited here for now.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from register.models import User, utcnow
from register.roles import MO, ROLE_NAMES, SMO
from register.users import (
    MIN_PASSWORD_LENGTH,
    UserError,
    bind_certificate,
    create_user,
    list_users,
    set_password,
    update_user,
)
from webapp.admin import bp
from webapp.admin.forms import CertificateForm, PasswordForm, UserCreateForm, UserEditForm
from webapp.auth.permissions import ADMIN_ROLES, require_role
from webapp.extensions import db_session, db_transaction
from webapp.persons.display import References


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # Stored in UTC; SQLite gives it back without the zone.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def locked_until(user: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """The end of a lockout still in force (after repeated wrong passwords), else None."""
    until = _aware(user.locked_until)
    return until if until is not None and until > (now or utcnow()) else None


def _binding(role: str, smo_code: str | None, mo_code: str | None) -> tuple[str | None, str | None]:
    """The СМО/МО the role takes; the other list's choice is ignored (it may be hidden)."""
    return (smo_code or None) if role == SMO else None, (mo_code or None) if role == MO else None


@bp.get("/users")
@require_role(*ADMIN_ROLES)
def users() -> str:
    session = db_session()
    found = list_users(session, current_user)
    now = utcnow()
    return render_template(
        "admin/users.html",
        page_title="Пользователи",
        users=found,
        locked={u.id: locked_until(u, now) for u in found},
        roles=ROLE_NAMES,
        refs=References.load(session),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@require_role(*ADMIN_ROLES)
def create() -> Response | str:
    form = UserCreateForm()
    refs = References.load(db_session())
    form.fill_choices(refs.smo, refs.mo)
    message = None
    if form.validate_on_submit():
        role = form.role.data or ""
        smo_code, mo_code = _binding(role, form.smo_code.data, form.mo_code.data)
        try:
            with db_transaction() as s:
                user = create_user(
                    s,
                    login=form.login.data or "",
                    full_name=(form.full_name.data or "").strip(),
                    role=role,
                    password=form.password.data or "",
                    smo_code=smo_code,
                    mo_code=mo_code,
                    actor=current_user,
                    remote_addr=request.remote_addr,
                )
                user_id, login = user.id, user.login
        except UserError as exc:
            message = str(exc)
        else:
            flash(f"Пользователь «{login}» создан", "success")
            return redirect(url_for("admin.user", user_id=user_id))
    return render_template(
        "admin/create.html",
        page_title="Новый пользователь",
        form=form,
        message=message,
        min_password=MIN_PASSWORD_LENGTH,
    )


def _user_or_404(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(
    user: User,
    *,
    edit_form: UserEditForm | None = None,
    password_form: PasswordForm | None = None,
    cert_form: CertificateForm | None = None,
    messages: dict[str, str] | None = None,
) -> str:
    """The user's page: three forms, each with its own message; the submitted one keeps
    what was typed, the others show the stored values."""
    if edit_form is None:
        edit_form = UserEditForm(
            formdata=None,
            data={
                "full_name": user.full_name,
                "role": user.role,
                "smo_code": user.smo_code or "",
                "mo_code": user.mo_code or "",
                "is_active": user.is_active,
            },
        )
    refs = References.load(db_session())
    edit_form.fill_choices(refs.smo, refs.mo)
    if cert_form is None:
        cert_form = CertificateForm(
            formdata=None,
            data={
                "thumbprint": user.cert_thumbprint or "",
                "snils": user.cert_snils or "",
                "enabled": user.cert_login_enabled,
            },
        )
    return render_template(
        "admin/user.html",
        page_title=f"Пользователь «{user.login}»",
        user=user,
        edit_form=edit_form,
        password_form=password_form or PasswordForm(formdata=None),
        cert_form=cert_form,
        messages=messages or {},
        locked=locked_until(user),
        roles=ROLE_NAMES,
        min_password=MIN_PASSWORD_LENGTH,
    )


@bp.get("/users/<int:user_id>")
@require_role(*ADMIN_ROLES)
def user(user_id: int) -> str:
    return _user_page(_user_or_404(user_id))


@bp.post("/users/<int:user_id>")
@require_role(*ADMIN_ROLES)
def update(user_id: int) -> Response | str:
    found = _user_or_404(user_id)
    form = UserEditForm()
    if form.validate_on_submit():
        role = form.role.data or ""
        smo_code, mo_code = _binding(role, form.smo_code.data, form.mo_code.data)
        try:
            with db_transaction() as s:
                update_user(
                    s,
                    current_user,
                    user_id,
                    full_name=form.full_name.data or "",
                    role=role,
                    smo_code=smo_code,
                    mo_code=mo_code,
                    is_active=bool(form.is_active.data),
                    remote_addr=request.remote_addr,
                )
        except UserError as exc:
            return _user_page(found, edit_form=form, messages={"edit": str(exc)})
        flash(f"Сведения о пользователе «{found.login}» сохранены", "success")
        return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(found, edit_form=form)


@bp.post("/users/<int:user_id>/password")
@require_role(*ADMIN_ROLES)
def password(user_id: int) -> Response | str:
    found = _user_or_404(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            with db_transaction() as s:
                set_password(
                    s,
                    current_user,
                    user_id,
                    form.password.data or "",
                    remote_addr=request.remote_addr,
                )
        except UserError as exc:
            return _user_page(found, password_form=form, messages={"password": str(exc)})
        flash(
            f"Пароль пользователя «{found.login}» изменён; блокировка, если была, снята",
            "success",
        )
        return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(found, password_form=form)


@bp.post("/users/<int:user_id>/certificate")
@require_role(*ADMIN_ROLES)
def certificate(user_id: int) -> Response | str:
    found = _user_or_404(user_id)
    form = CertificateForm()
    if form.validate_on_submit():
        try:
            with db_transaction() as s:
                bind_certificate(
                    s,
                    current_user,
                    user_id,
                    thumbprint=(form.thumbprint.data or "").strip() or None,
                    snils=(form.snils.data or "").strip() or None,
                    enabled=bool(form.enabled.data),
                    remote_addr=request.remote_addr,
                )
        except UserError as exc:
            return _user_page(found, cert_form=form, messages={"certificate": str(exc)})
        flash(f"Привязка сертификата пользователя «{found.login}» сохранена", "success")
        return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(found, cert_form=form)
