"""Roles of the platform's users and what each may do (checked in services and views)."""

from __future__ import annotations

from typing import Protocol

TFOMS = "tfoms"
SMO = "smo"
MO = "mo"
STATISTICIAN = "statistician"
ADMIN = "admin"

ROLE_NAMES: dict[str, str] = {
    TFOMS: "Оператор ТФОМС",
    SMO: "Оператор СМО",
    MO: "Оператор МО",
    STATISTICIAN: "Статистик",
    ADMIN: "Администратор",
}


class Actor(Protocol):
    """Whoever acts: a user of the web app, or the system (CLI, Dagster)."""

    @property
    def id(self) -> int | None: ...
    @property
    def login(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def smo_code(self) -> str | None: ...
    @property
    def mo_code(self) -> str | None: ...


class AccessDenied(Exception):
    """The actor's role does not allow the action; the message is for the user."""


def can_view_persons(actor: Actor) -> bool:
    return actor.role in (TFOMS, SMO, MO)


def can_change_persons(actor: Actor) -> bool:
    return actor.role in (TFOMS, SMO)


def can_change_person(actor: Actor, person_smo_code: str | None) -> bool:
    """An СМО operator changes only the persons insured by their СМО."""
    if actor.role == TFOMS:
        return True
    return actor.role == SMO and actor.smo_code is not None and actor.smo_code == person_smo_code


def can_view_buffer(actor: Actor) -> bool:
    """ТФОМС sees every request; an СМО operator only those of their СМО (see list_requests)."""
    return actor.role in (TFOMS, SMO)


def can_view_snapshots(actor: Actor) -> bool:
    return actor.role in (TFOMS, STATISTICIAN)


def can_manage_buffer(actor: Actor) -> bool:
    """Delete a request or force sending it: the ТФОМС only."""
    return actor.role == TFOMS


def can_review_audit(actor: Actor) -> bool:
    """The ТФОМС reviews who saw and changed what."""
    return actor.role == TFOMS


def can_manage_users(actor: Actor) -> bool:
    return actor.role == ADMIN


def require(allowed: bool, message: str = "Недостаточно прав для этого действия") -> None:
    if not allowed:
        raise AccessDenied(message)
