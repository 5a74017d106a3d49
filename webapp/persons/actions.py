"""What the button panel offers for a person: which changes the user may start, and why not.

The decisions come from register.roles (and the buffer's pending requests); this
module only words them for the titles of disabled buttons. register.buffer.create_request
checks the same again when the form is saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from register.roles import (
    Actor,
    can_change_person,
    can_change_persons,
    can_review_audit,
    can_view_buffer,
)
from webapp.auth.permissions import roles_allowed

#: Roles that may register, edit and close persons (the change buttons and forms).
CHANGE_ROLES = roles_allowed(can_change_persons)

NO_SELECTION = "Выберите застрахованного в таблице"
NOT_YOUR_SMO = (
    "Застрахованный относится к другой СМО: изменять его сведения может только эта СМО или ТФОМС"
)
NOT_INSURED = "Страхование уже прекращено"
NO_CHANGES = "Ваша роль не позволяет изменять сведения о застрахованных"


def pending_reason(request_id: int | None = None) -> str:
    number = f" № {request_id}" if request_id else ""
    return f"По застрахованному есть незавершённый запрос в буфере{number}: дождитесь ответа ФЕРЗЛ"


@dataclass(frozen=True)
class PersonActions:
    """For each change: None when the user may start it, else the reason why not."""

    edit: str | None
    close: str | None


def person_actions(
    actor: Actor,
    smo_code: str | None,
    status: str,
    *,
    pending: bool,
    pending_id: int | None = None,
) -> PersonActions:
    if not can_change_persons(actor):
        return PersonActions(NO_CHANGES, NO_CHANGES)
    if not can_change_person(actor, smo_code):
        return PersonActions(NOT_YOUR_SMO, NOT_YOUR_SMO)
    if pending:
        reason = pending_reason(pending_id)
        return PersonActions(reason, reason)
    return PersonActions(None, None if status == "insured" else NOT_INSURED)


def may_change(actor: Actor) -> bool:
    """Whether the change buttons are shown at all."""
    return can_change_persons(actor)


def may_view_buffer(actor: Actor) -> bool:
    return can_view_buffer(actor)


def may_view_audit(actor: Actor) -> bool:
    return can_review_audit(actor)
