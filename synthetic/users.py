"""Demo users, one per role, for the synthetic region."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.models import Mo, Smo, User
from register.roles import ADMIN, MO, ROLE_NAMES, SMO, STATISTICIAN, TFOMS
from register.users import create_user

DEMO_PASSWORD = "demo-rserz"


@dataclass(frozen=True)
class DemoUser:
    login: str
    full_name: str
    role: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("tfoms", "Смирнова Ольга Викторовна", TFOMS),
    DemoUser("smo", "Кузнецов Андрей Павлович", SMO),
    DemoUser("smo2", "Белова Ирина Сергеевна", SMO),
    DemoUser("mo", "Попова Наталья Игоревна", MO),
    DemoUser("stat", "Волков Денис Алексеевич", STATISTICIAN),
    DemoUser("admin", "Администратор платформы", ADMIN),
)


def create_demo_users(session: Session, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the demo users that do not exist yet; СМО users are bound to the first two СМО."""
    smo_codes = list(session.scalars(select(Smo.code).order_by(Smo.code)))
    mo_code = session.scalar(select(Mo.code).order_by(Mo.code).limit(1))
    created: list[str] = []
    smo_iter = iter(smo_codes)
    for demo in DEMO_USERS:
        smo_code = next(smo_iter, None) if demo.role == SMO else None
        if session.scalar(select(User.id).where(User.login == demo.login)) is not None:
            continue
        if demo.role == SMO and smo_code is None:
            continue
        if demo.role == MO and mo_code is None:
            continue
        create_user(
            session,
            login=demo.login,
            full_name=demo.full_name,
            role=demo.role,
            password=password,
            smo_code=smo_code,
            mo_code=mo_code,
        )
        created.append(demo.login)
    return created


def describe_demo_users() -> list[str]:
    """Lines «login / password — role» for the console."""
    return [f"{u.login:6} / {DEMO_PASSWORD}  — {ROLE_NAMES[u.role]}" for u in DEMO_USERS]
