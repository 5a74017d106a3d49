"""Login (by password or by electronic signature) and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from register.audit import audit
from register.certificates import authenticate_certificate
from register.users import authenticate
from webapp.auth import bp
from webapp.auth.certificate import cert_settings, read_verdict
from webapp.auth.forms import CertificateLoginForm, LoginForm, LogoutForm
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


#: The two ways in, as the tabs of the login page.
PASSWORD_MODE = "password"
CERT_MODE = "cert"


def _start_session(user: CurrentUser, target: str | None) -> Response:
    """The same session for either way in: nothing from before survives, idle timeout on."""
    session.clear()
    session.permanent = True
    login_user(user)
    return redirect(target or url_for("main.index"))


def _login_page(
    *, mode: str, form: LoginForm | None = None, message: str | None = None, status: int = 200
) -> tuple[str, int]:
    settings = cert_settings()
    return render_template(
        "auth/login.html",
        mode=mode,
        form=form or LoginForm(),
        cert_form=CertificateLoginForm(),
        cert_enabled=settings.enabled,
        message=message,
        next=safe_next(request.args.get("next")),
    ), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.index"))
    mode = CERT_MODE if request.args.get("mode") == CERT_MODE else PASSWORD_MODE
    form = LoginForm()
    message = None
    if form.validate_on_submit():
        with db_transaction() as s:
            result = authenticate(
                s, form.login.data or "", form.password.data or "", remote_addr=request.remote_addr
            )
            user = CurrentUser.from_model(result.user) if result.user else None
        if user is not None:
            return _start_session(user, target)
        message = result.message
        mode = PASSWORD_MODE
    return _login_page(mode=mode, form=form, message=message)


@bp.post("/login/certificate")
def login_certificate() -> Response | tuple[str, int]:
    """Login by the client certificate the TLS proxy verified (see webapp.auth.certificate)."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.index"))
    if not CertificateLoginForm().validate_on_submit():
        return _login_page(mode=CERT_MODE, status=400)
    verdict = read_verdict(cert_settings(), request.environ, request.headers)
    if verdict.refusal is not None:
        if verdict.reason != "not_configured":
            # Refused before any user was looked up: still a login attempt worth a record.
            with db_transaction() as s:
                audit(
                    s,
                    None,
                    "login_cert_failed",
                    "user",
                    None,
                    {"reason": verdict.reason, "peer": verdict.peer},
                    request.remote_addr,
                )
        return _login_page(mode=CERT_MODE, message=verdict.refusal, status=403)
    with db_transaction() as s:
        result = authenticate_certificate(
            s,
            thumbprint=verdict.thumbprint,
            subject=verdict.subject,
            remote_addr=request.remote_addr,
        )
        user = CurrentUser.from_model(result.user) if result.user else None
    if user is None:
        return _login_page(mode=CERT_MODE, message=result.message, status=403)
    return _start_session(user, target)


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
