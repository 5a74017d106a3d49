"""Who may open which screen: the one place where views check roles.

The role sets are derived from the predicates of register.roles, so that a rule
lives once; the web app only maps screens to them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from register.roles import (
    ROLE_NAMES,
    Actor,
    can_change_persons,
    can_manage_buffer,
    can_manage_users,
    can_review_audit,
    can_view_buffer,
    can_view_persons,
    can_view_snapshots,
)

F = TypeVar("F", bound=Callable[..., Any])

#: Endpoints open without login: the login page and static files.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.login_certificate", "static", "bootstrap.static"})


def roles_allowed(predicate: Callable[[Actor], bool]) -> tuple[str, ...]:
    """The roles for which a role-only predicate of register.roles holds."""
    return tuple(
        role
        for role in ROLE_NAMES
        if predicate(SimpleNamespace(id=None, login="", role=role, smo_code=None, mo_code=None))
    )


PERSONS_ROLES = roles_allowed(can_view_persons)
SNAPSHOTS_ROLES = roles_allowed(can_view_snapshots)
BUFFER_ROLES = roles_allowed(can_view_buffer)
ADMIN_ROLES = roles_allowed(can_manage_users)
AUDIT_ROLES = roles_allowed(can_review_audit)
#: «Исправить и отправить повторно»: whoever may change persons (the service checks the СМО).
BUFFER_RESEND_ROLES = tuple(r for r in roles_allowed(can_change_persons) if r in BUFFER_ROLES)
#: Deleting and forcing a buffer request. register.buffer checks ``actor.role == TFOMS``
#: itself; register.roles has no predicate for it yet, hence the literal here.
BUFFER_TFOMS_ROLES = roles_allowed(can_manage_buffer)
#: The «РСЕРЗ» screen of modes: whoever may use at least one of its modes.
RSERZ_ROLES = tuple(
    role
    for role in ROLE_NAMES
    if role in {*PERSONS_ROLES, *BUFFER_ROLES, *SNAPSHOTS_ROLES, *AUDIT_ROLES}
)


def require_role(*roles: str) -> Callable[[F], F]:
    """Let the view run for the given roles only: login page if anonymous, 403 otherwise."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def login_guard() -> Any:
    """Login required for every endpoint but the public ones (deny by default)."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
