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


def next_value(session: Session, name: str, initial: Callable[[], int], step: int = 1) -> int:
    """Increment counter ``name`` by ``step`` and return its new value.

    The values ``new - step + 1 … new`` are the caller's. ``initial()`` gives the
    value before the first increment (computed from the data when the counter does
    not exist yet).
    """
    if step < 1:
        raise ValueError("step must be positive")
    result = session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.name == name)
        .values(value=ChangeCounter.value + step)
        .returning(ChangeCounter.value)
    ).scalar_one_or_none()
    if result is not None:
        return int(result)
    value = initial() + step
    session.add(ChangeCounter(name=name, value=value))
    session.flush()
    return value


def next_change_seq(session: Session, count: int = 1) -> int:
    """The next monotonic change sequence number for a person version.

    With ``count`` > 1 a block is reserved and its *first* number returned.
    """
    return (
        1
        - count
        + next_value(
            session,
            PERSON_VERSION,
            lambda: int(
                session.scalar(select(func.coalesce(func.max(PersonVersion.change_seq), 0))) or 0
            ),
            count,
        )
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
