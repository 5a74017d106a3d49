"""The register screen (filter, table, buttons, the selected person's parts), the card, the print.

The forms of changes (register, edit, close) are in changes.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from register.buffer import colour, pending_person_ids
from register.ferzl_state import can_look_up_ferzl
from register.models import Person
from register.persons import get_person_card
from register.reference import PERSON_STATUSES
from register.search import SORTS, count_persons, parse_query, search_persons
from webapp.auth.permissions import PERSONS_ROLES, require_role
from webapp.extensions import db_session, db_transaction, settings
from webapp.filters import screen_zone
from webapp.labels import RECORD_LABELS
from webapp.persons import bp
from webapp.persons.actions import (
    NO_SELECTION,
    PersonActions,
    may_change,
    may_view_audit,
    may_view_buffer,
    pending_reason,
    person_actions,
)
from webapp.persons.display import (
    CARD_SECTIONS,
    HISTORY_COLUMNS,
    References,
    history_rows,
    show,
)
from webapp.persons.forms import FILTER_FIELDS, PersonFilterForm
from webapp.persons.navigation import ID_SLOT, back_query, screen_args, url_template
from webapp.persons.selection import exchange_messages, load_selection
from webapp.query_args import page_arg, sort_args

DEFAULT_SORT = "fio"
#: The audit journal is the other screen's; its filter by object is part of its address.
AUDIT_URL_TEMPLATE = "/audit/?object_type=person&object_id={id}"


@dataclass(frozen=True)
class PersonRow:
    """One row of the persons table with what the buttons may do for it."""

    person: Person
    pending: bool
    actions: PersonActions

    @property
    def title(self) -> str:
        status = PERSON_STATUSES.get(self.person.status, self.person.status)
        return f"{status}; есть незавершённый запрос в буфере" if self.pending else status


@bp.app_template_filter("buffer_colour")
def buffer_colour(status: str) -> str:
    """green / red / yellow / white: the screen colour of a buffer request."""
    return colour(status)


def _selected_arg() -> int | None:
    value = request.args.get("selected", "")
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 10 else None


def _links() -> dict[str, str]:
    """URL templates of the button panel ({id}: the selected person), for page and script."""
    links = {
        "edit": url_template("persons.edit", person_id=ID_SLOT),
        "close": url_template("persons.close", person_id=ID_SLOT),
        "card": url_template("persons.card", person_id=ID_SLOT),
        "print": url_template("persons.print_card", person_id=ID_SLOT),
        "panel": url_template("persons.panel", person_id=ID_SLOT),
    }
    if can_look_up_ferzl(current_user):
        # «Состояние в ФЕРЗЛ»: the exchange with ФЕРЗЛ, not for МО operators.
        links["state"] = url_template("ferzl_state.view", person_id=ID_SLOT)
    if may_view_buffer(current_user):
        links["buffer"] = url_template("buffer.requests", person_id=ID_SLOT)
    if may_view_audit(current_user):
        links["audit"] = AUDIT_URL_TEMPLATE
    return links


@bp.get("/")
@require_role(*PERSONS_ROLES)
def search() -> str:
    session = db_session()
    refs = References.load(session)
    form = PersonFilterForm(request.args)
    form.smo_code.choices = [SelectChoice("", "Любая")] + [
        SelectChoice(code, f"{name} ({code})") for code, name in refs.smo.items()
    ]
    form.mo_code.choices = [SelectChoice("", "Любая")] + [
        SelectChoice(code, f"{name} ({code})") for code, name in refs.mo.items()
    ]

    filters = {name: request.args.get(name, "").strip() for name in FILTER_FIELDS}
    filters = {name: value for name, value in filters.items() if value}
    query, problems = parse_query(filters)
    errors = {p.field: p.message for p in problems}
    page = page_arg()
    sort, descending = sort_args(SORTS, DEFAULT_SORT)

    result = count = None
    rows: list[PersonRow] = []
    if not errors and not query.is_empty():
        result = search_persons(
            session,
            query,
            page=page,
            page_size=current_app.config["PAGE_SIZE"],
            sort=sort,
            descending=descending,
        )
        pending = pending_person_ids(session, [p.id for p in result.rows])
        rows = [
            PersonRow(
                p,
                p.id in pending,
                person_actions(current_user, p.smo_code, p.status, pending=p.id in pending),
            )
            for p in result.rows
        ]
        if request.args.get("count"):
            count = count_persons(session, query)

    selected_id = _selected_arg()
    selection = load_selection(selected_id, refs) if selected_id else None
    if selection is None:
        selected_id = None

    sort_state: dict[str, Any] = {
        "sort": sort if sort != DEFAULT_SORT else None,
        "desc": 1 if descending else None,
    }
    return render_template(
        "persons/search.html",
        page_title="Регистр застрахованных лиц",
        form=form,
        errors=errors,
        labels=RECORD_LABELS,
        empty=query.is_empty() and not errors,
        result=result,
        rows=rows,
        count=count,
        refs=refs,
        sort=sort,
        descending=descending,
        # Links keep the filter; sort links start again from page 1, page links keep the sort.
        filter_args=filters,
        page_args={**filters, **sort_state},
        # This very page (selection and count links): the page number too.
        here_args={**filters, **sort_state, "page": page if page > 1 else None},
        screen_args=screen_args(request.args),
        back=back_query(request.args),
        selected_id=selected_id,
        selection=selection,
        links=_links(),
        may_change=may_change(current_user),
        no_selection=NO_SELECTION,
        history_columns=HISTORY_COLUMNS,
    )


@bp.get("/<int:person_id>/panel")
@require_role(*PERSONS_ROLES)
def panel(person_id: int) -> str | Response:
    """The selected person's parts alone, for the screen's script (audited like the card)."""
    if request.headers.get("X-Requested-With") != "fetch":
        # Opened as a page: show it on the screen instead of a bare fragment.
        return redirect(url_for("persons.search", **screen_args(request.args), selected=person_id))
    selection = load_selection(person_id)
    if selection is None:
        abort(404)
    return render_template(
        "persons/_selection.html",
        selection=selection,
        screen_args=screen_args(request.args),
        links=_links(),
        history_columns=HISTORY_COLUMNS,
    )


@bp.get("/<int:person_id>")
@require_role(*PERSONS_ROLES)
def card(person_id: int) -> str | Response:
    if request.args.get("state") == "1" and can_look_up_ferzl(current_user):
        # The old address of «Просмотр состояния»: the comparison with ФЕРЗЛ is its own screen.
        return redirect(url_for("ferzl_state.view", person_id=person_id))
    with db_transaction() as s:
        found = get_person_card(s, current_user, person_id, remote_addr=request.remote_addr)
    if found is None:
        abort(404)
    refs = References.load(db_session())
    return render_template(
        "persons/card.html",
        page_title="Карточка застрахованного лица",
        card=found,
        person=found.person,
        sections=CARD_SECTIONS,
        history=history_rows(found.versions, refs),
        history_columns=HISTORY_COLUMNS,
        labels=RECORD_LABELS,
        show=show,
        refs=refs,
        exchange_rows=exchange_messages(found),
        pending_note=pending_reason(found.pending.id) if found.pending else None,
        links=_links(),
    )


@bp.get("/<int:person_id>/print")
@require_role(*PERSONS_ROLES)
def print_card(person_id: int) -> str:
    """«Выписка из регистра застрахованных лиц»: the card for paper, audited as a view."""
    with db_transaction() as s:
        found = get_person_card(s, current_user, person_id, remote_addr=request.remote_addr)
    if found is None:
        abort(404)
    refs = References.load(db_session())
    return render_template(
        "persons/print.html",
        card=found,
        person=found.person,
        sections=CARD_SECTIONS,
        history=history_rows(found.versions, refs),
        labels=RECORD_LABELS,
        show=show,
        refs=refs,
        printed_at=dt.datetime.now(screen_zone()),
        region_code=settings().region_code,
    )
