"""The user as the web app keeps it between requests (flask-login)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import UserMixin

from register.models import User
from register.roles import ROLE_NAMES
from webapp.extensions import db_session, login_manager


@dataclass(frozen=True, eq=False)
class CurrentUser(UserMixin):
    """A detached copy of the user's row: satisfies register.roles.Actor, needs no DB session."""

    id: int
    login: str
    full_name: str
    role: str
    smo_code: str | None
    mo_code: str | None

    @classmethod
    def from_model(cls, user: User) -> CurrentUser:
        return cls(user.id, user.login, user.full_name, user.role, user.smo_code, user.mo_code)

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def load_user(user_id: str) -> CurrentUser | None:
    """Re-read the user on every request, so that a deactivated account is out at once."""
    try:
        user = db_session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.is_active:
        return None
    return CurrentUser.from_model(user)
