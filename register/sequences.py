"""Counters kept in the ``change_counter`` table.

Each counter row is incremented inside the caller's transaction; on PostgreSQL
the row lock serialises concurrent writers, so values become visible in the
order they were taken (SQLite serialises all writers anyway).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from register.models import ChangeCounter, Person, PersonVersion

PERSON_VERSION = "person_version"


def next_value(session: Session, name: str, initial: Callable[[], int]) -> int:
    """Increment counter ``name`` and return its new value.

    ``initial()`` gives the value before the first increment (computed from the
    data when the counter does not exist yet).
    """
    result = session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.name == name)
        .values(value=ChangeCounter.value + 1)
        .returning(ChangeCounter.value)
    ).scalar_one_or_none()
    if result is not None:
        return int(result)
    value = initial() + 1
    session.add(ChangeCounter(name=name, value=value))
    session.flush()
    return value


def next_change_seq(session: Session) -> int:
    """The next monotonic change sequence number for a person version."""
    return next_value(
        session,
        PERSON_VERSION,
        lambda: int(
            session.scalar(select(func.coalesce(func.max(PersonVersion.change_seq), 0))) or 0
        ),
    )


def next_enp_sequence(session: Session, prefix10: str) -> int:
    """Next ЕНП sequence number within a region + birth facet (positions 1–10)."""

    def highest_used() -> int:
        top = session.scalar(
            select(func.max(Person.enp)).where(
                Person.enp >= prefix10 + "00000", Person.enp <= prefix10 + "99999~"
            )
        )
        return int(top[10:15]) if top else -1

    return next_value(session, f"enp:{prefix10}", highest_used)
