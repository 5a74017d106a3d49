"""Person histories written into the operational database for the warehouse tests.

A person starts with ``tests.factories.add_person`` (one initial-load version);
:func:`add_version` adds a confirmed change with an explicit ``valid_from`` the
way ``register.buffer.apply_request`` records one — a new version with the next
change_seq, the previous version closed by an UPDATE of its valid_to that gets
no new change_seq — but without the buffer round trip, and allowing a
back-dated ``valid_from`` as histories migrated from the old system can have.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.buffer import person_record
from register.models import Person, PersonVersion
from register.names import normalize_name
from register.sequences import next_change_seq


def add_version(session: Session, person: Person, valid_from: dt.date, **changes: Any) -> int:
    """Record a change of ``person`` valid from ``valid_from``; return its change_seq."""
    record = {**person_record(person), **changes}
    seq = next_change_seq(session)
    for field, value in record.items():
        setattr(person, field, value)
    person.surname_norm = normalize_name(person.surname)
    person.name_norm = normalize_name(person.name)
    person.patronymic_norm = normalize_name(person.patronymic)
    person.change_seq = seq
    current = session.scalars(
        select(PersonVersion).where(
            PersonVersion.person_id == person.id, PersonVersion.valid_to.is_(None)
        )
    ).all()
    for version in current:
        version.valid_to = valid_from
    session.add(
        PersonVersion(
            person_id=person.id,
            valid_from=valid_from,
            event_code="П04",
            source="buffer",
            change_seq=seq,
            **record,
        )
    )
    session.flush()
    return seq
