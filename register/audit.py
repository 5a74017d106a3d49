"""The audit log: every view of a person card and every change (152-ФЗ)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from register.models import AuditLog
from register.roles import Actor


def audit(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object = None,
    details: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> None:
    """Add an audit row to the caller's transaction."""
    session.add(
        AuditLog(
            user_id=getattr(actor, "id", None),
            user_login=actor.login if actor else "system",
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            details=details,
            remote_addr=remote_addr,
        )
    )
