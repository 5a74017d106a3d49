"""The lower parts of the register screen for the selected person: the tabs «Данные в РСЕРЗ /
Запросы к ФЕРЗЛ», the history of changes and the detail panel.

Loading them reads the person card through register.persons.get_person_card, so every
selection writes its audit row (152-ФЗ).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_login import current_user

from register.exchange import messages_for_person
from register.persons import PersonCard, get_person_card
from register.roles import can_view_buffer
from webapp.extensions import db_session, db_transaction
from webapp.ferzl_state.messages import MessageRow, message_rows
from webapp.persons.actions import PersonActions, person_actions
from webapp.persons.display import (
    Detail,
    HistoryRow,
    References,
    detail,
    history_rows,
    summary,
    version_title,
)

TABS = ("record", "requests")
CURRENT = "current"


@dataclass(frozen=True)
class Selection:
    card: PersonCard
    summary: list[tuple[str, str]]
    history: list[HistoryRow]
    details: list[Detail]
    shown: str  # the key of the detail section shown: CURRENT or "v<version id>"
    tab: str
    actions: PersonActions
    messages: list[MessageRow]  # exchanged with ФЕРЗЛ about the person's requests

    @property
    def person(self):  # type: ignore[no-untyped-def]
        return self.card.person


def tab_arg() -> str:
    tab = request.args.get("tab", "")
    return tab if tab in TABS else TABS[0]


def version_arg() -> str:
    version = request.args.get("version", "")
    return f"v{version}" if version.isascii() and version.isdigit() else CURRENT


def exchange_messages(card: PersonCard) -> list[MessageRow]:
    """The messages exchanged with ФЕРЗЛ about the person and their requests (none for МО)."""
    if not can_view_buffer(current_user):
        return []
    views = messages_for_person(
        db_session(), current_user, card.person.id, [r.id for r in card.requests]
    )
    return message_rows(views)


def load_selection(person_id: int, refs: References | None = None) -> Selection | None:
    """The selected person's parts (audited); None when there is no such person."""
    with db_transaction() as s:
        card = get_person_card(s, current_user, person_id, remote_addr=request.remote_addr)
    if card is None:
        return None
    refs = refs or References.load(db_session())
    person = card.person
    history = history_rows(card.versions, refs)
    details = [detail(CURRENT, "Текущая запись", person, refs, frozenset())] + [
        detail(row.key, version_title(row.version), row.version, refs, row.changed)
        for row in history
    ]
    shown = version_arg()
    if shown not in {d.key for d in details}:
        shown = CURRENT
    return Selection(
        card=card,
        summary=summary(person, refs),
        history=history,
        details=details,
        shown=shown,
        tab=tab_arg(),
        actions=person_actions(
            current_user,
            person.smo_code,
            person.status,
            pending=card.pending is not None,
            pending_id=card.pending.id if card.pending else None,
        ),
        messages=exchange_messages(card),
    )
