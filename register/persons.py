"""Reading one person: the card with its history, audited (152-ФЗ)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.audit import audit
from register.buffer import pending_request
from register.models import BufferRequest, Person, PersonVersion
from register.roles import SMO, AccessDenied, Actor, can_view_buffer, can_view_persons


@dataclass(frozen=True)
class PersonCard:
    person: Person
    versions: list[PersonVersion]
    requests: list[BufferRequest]
    pending: BufferRequest | None


def get_person_card(
    session: Session, actor: Actor, person_id: int, *, remote_addr: str | None = None
) -> PersonCard | None:
    """The person with history and buffer requests; None when there is no such person.

    Every view is written to the audit log.
    """
    if not can_view_persons(actor):
        raise AccessDenied("Ваша роль не даёт доступа к персональным данным")
    person = session.get(Person, person_id)
    if person is None:
        return None
    versions = list(
        session.scalars(
            select(PersonVersion)
            .where(PersonVersion.person_id == person_id)
            .order_by(PersonVersion.change_seq.desc())
        )
    )
    requests: list[BufferRequest] = []
    if can_view_buffer(actor):  # the exchange with ФЕРЗЛ is the buffer's: not for МО operators
        stmt = select(BufferRequest).where(BufferRequest.person_id == person_id)
        if actor.role == SMO:
            stmt = stmt.where(BufferRequest.author_smo == actor.smo_code)
        requests = list(session.scalars(stmt.order_by(BufferRequest.id.desc())))
    audit(session, actor, "person.view", "person", person_id, remote_addr=remote_addr)
    return PersonCard(person, versions, requests, pending_request(session, person_id))
