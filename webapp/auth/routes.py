"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from register.audit import audit
from register.users import authenticate
from webapp.auth import bp
from webapp.auth.forms import LoginForm, LogoutForm
from webapp.auth.permissions import login_guard
from webapp.auth.users import CurrentUser
from webapp.extensions import db_transaction, login_manager

bp.before_app_request(login_guard)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site; None for anything that could leave it."""
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    # A relative ``next``, so that safe_next can accept it (flask-login would give an absolute URL).
    target = request.full_path if request.query_string else request.path
    if request.method == "GET" and request.endpoint not in (None, "auth.logout"):
        flash("Войдите в систему, чтобы продолжить", "warning")
        return redirect(url_for("auth.login", next=target))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.index"))
    form = LoginForm()
    message = None
    if form.validate_on_submit():
        with db_transaction() as s:
            result = authenticate(
                s, form.login.data or "", form.password.data or "", remote_addr=request.remote_addr
            )
            user = CurrentUser.from_model(result.user) if result.user else None
        if user is not None:
            session.clear()  # nothing from before the login survives it
            session.permanent = True
            login_user(user)
            return redirect(target or url_for("main.index"))
        message = result.message
    return render_template("auth/login.html", form=form, message=message)


@bp.post("/logout")
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        with db_transaction() as s:
            audit(s, current_user, "logout", "user", current_user.id, None, request.remote_addr)
        logout_user()
        session.clear()
        flash("Вы вышли из системы", "info")
    return redirect(url_for("auth.login"))
