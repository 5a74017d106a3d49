"""The register screen: the filter, the page of persons, the count; the person card."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from register.models import RECORD_FIELDS, Smo
from register.persons import get_person_card
from register.search import SORTS, count_persons, parse_query, search_persons
from webapp.auth.permissions import PERSONS_ROLES, require_role
from webapp.extensions import db_session, db_transaction
from webapp.labels import RECORD_LABELS
from webapp.persons import bp
from webapp.persons.display import (
    CARD_SECTIONS,
    HISTORY_COLUMNS,
    References,
    changed_fields,
    show,
)
from webapp.persons.forms import FILTER_FIELDS, PersonFilterForm
from webapp.query_args import page_arg, sort_args

DEFAULT_SORT = "fio"


@bp.get("/")
@require_role(*PERSONS_ROLES)
def search() -> str:
    session = db_session()
    form = PersonFilterForm(request.args)
    smo_rows = session.execute(select(Smo.code, Smo.short_name).order_by(Smo.short_name)).all()
    smo_names = {code: name for code, name in smo_rows}
    form.smo_code.choices = [SelectChoice("", "Любая")] + [
        SelectChoice(code, f"{name} ({code})") for code, name in smo_names.items()
    ]

    filters = {name: request.args.get(name, "").strip() for name in FILTER_FIELDS}
    filters = {name: value for name, value in filters.items() if value}
    query, problems = parse_query(filters)
    errors = {p.field: p.message for p in problems}
    page = page_arg()
    sort, descending = sort_args(SORTS, DEFAULT_SORT)

    result = count = None
    if not errors and not query.is_empty():
        result = search_persons(
            session,
            query,
            page=page,
            page_size=current_app.config["PAGE_SIZE"],
            sort=sort,
            descending=descending,
        )
        if request.args.get("count"):
            count = count_persons(session, query)

    sort_state: dict[str, Any] = {"sort": sort, "desc": 1 if descending else None}
    return render_template(
        "persons/search.html",
        page_title="Регистр застрахованных лиц",
        form=form,
        errors=errors,
        labels=RECORD_LABELS,
        empty=query.is_empty() and not errors,
        result=result,
        count=count,
        smo_names=smo_names,
        sort=sort,
        descending=descending,
        # Links keep the filter; sort links start again from page 1, page links keep the sort.
        filter_args=filters,
        page_args={**filters, **sort_state},
    )


@bp.get("/<int:person_id>")
@require_role(*PERSONS_ROLES)
def card(person_id: int) -> str:
    with db_transaction() as s:
        found = get_person_card(s, current_user, person_id, remote_addr=request.remote_addr)
    if found is None:
        abort(404)
    versions = found.versions  # newest first
    history = [
        (v, changed_fields(v, versions[i + 1] if i + 1 < len(versions) else None, RECORD_FIELDS))
        for i, v in enumerate(versions)
    ]
    return render_template(
        "persons/card.html",
        page_title="Карточка застрахованного лица",
        card=found,
        person=found.person,
        sections=CARD_SECTIONS,
        history=history,
        history_columns=HISTORY_COLUMNS,
        labels=RECORD_LABELS,
        show=show,
        refs=References.load(db_session()),
    )
