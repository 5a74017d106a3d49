"""«Просмотр состояния в ФЕРЗЛ»: the screen, its two actions and the print of either side.

The rules (who may, when a refresh or a send is refused, what a refresh writes) are in
register.ferzl_state; the central segment is asked through the app's look-up client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from ferzl.client import FerzlError
from register.buffer import RecordConflict
from register.documents import DOCUMENT_TYPES
from register.ferzl_state import (
    NOT_IN_FERZL,
    NOTHING_DIFFERS,
    PersonState,
    can_look_up_ferzl,
    central_to_record,
    compare,
    differing,
    person_state,
    record_view,
    refresh_from_ferzl,
    refresh_refusal,
    send_refusal,
    send_to_ferzl,
    smo_codes_by_ogrn,
)
from register.models import Person
from register.roles import can_change_persons, can_manage_buffer, can_view_buffer
from register.validation import ValidationFailed
from webapp.auth.permissions import require_role, roles_allowed
from webapp.extensions import db_session, db_transaction, settings
from webapp.ferzl_state import bp
from webapp.ferzl_state.display import (
    SIDE_COLUMNS,
    candidates,
    central_history,
    comparison,
    register_history,
)
from webapp.ferzl_state.lookup import (
    SEARCH_KINDS,
    Lookup,
    look_up,
    lookup_client,
    run_search,
    search_from_args,
)
from webapp.filters import screen_zone
from webapp.labels import RECORD_LABELS
from webapp.persons.display import References
from webapp.query_args import page_arg

#: Who opens the screen: the look-up is part of the exchange with ФЕРЗЛ (not for МО).
STATE_ROLES = roles_allowed(can_look_up_ferzl)
REFRESH_ROLES = roles_allowed(can_manage_buffer)
SEND_ROLES = tuple(r for r in roles_allowed(can_change_persons) if r in STATE_ROLES)
SIDES = {"rserz": "РСЕРЗ", "ferzl": "ФЕРЗЛ"}


def _enp_arg(default: str) -> str:
    """``?enp=`` — a candidate found by the look-up, compared instead of the person's ЕНП."""
    value = request.args.get("enp", "").strip()
    if not value:
        return default
    if len(value) == 16 and value.isascii() and value.isdigit():
        return value
    flash(
        f"ЕНП «{value[:40]}» в адресе некорректен — показаны данные по ЕНП застрахованного.",
        "warning",
    )
    return default


def _version_arg() -> int | None:
    """The person's version the screen showed (None: missing — the service refuses)."""
    value = request.form.get("base_version", "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 10 else None


def _state_or_404(person_id: int) -> PersonState:
    state = person_state(db_session(), current_user, person_id)
    if state is None:
        abort(404)
    return state


def _ask_ferzl(state: PersonState, *, with_history: bool, search: bool) -> Lookup:
    """The central segment's answer for the screen, and the look-up by other criteria when it
    has no such ЕНП (run at once with the register's ФИО and birth date)."""
    client = lookup_client()
    found = look_up(client, _enp_arg(state.person.enp), with_history=with_history)
    if search and (found.not_found or "by" in request.args):
        found.search = search_from_args(request.args, state.record)
        run_search(client, found.search, page=page_arg())
    return found


def _audit_view(person_id: int, found: Lookup, **extra: Any) -> None:
    with db_transaction() as s:
        record_view(
            s,
            current_user,
            person_id,
            {**found.audit_details(), **extra},
            remote_addr=request.remote_addr,
        )


@bp.get("/<int:person_id>/ferzl")
@require_role(*STATE_ROLES)
def view(person_id: int) -> str:
    state = _state_or_404(person_id)
    with_history = request.args.get("history") == "1"
    found = _ask_ferzl(state, with_history=with_history, search=True)
    _audit_view(person_id, found)

    session = db_session()
    refs = References.load(session)
    region_code = settings().region_code
    by_ogrn = smo_codes_by_ogrn(session)
    record = state.record
    central_record = (
        central_to_record(found.central, by_ogrn, region_code) if found.central else None
    )
    diffs = compare(record, central_record or {})
    refresh_block = (
        found.error
        if found.error
        else refresh_refusal(current_user, state, central_record, diffs, region_code)
    )
    own_enp = state.person.enp
    base_args: dict[str, Any] = {"enp": found.enp if found.enp != own_enp else None}
    return render_template(
        "ferzl_state/state.html",
        page_title="Просмотр состояния в ФЕРЗЛ",
        state=state,
        person=state.person,
        found=found,
        central_record=central_record,
        sections=comparison(diffs, refs, central_record, region_code),
        differing=differing(diffs),
        differing_labels=[RECORD_LABELS.get(f, f) for f in differing(diffs)],
        refresh_block=refresh_block,
        # Beside the buttons, unless the page says it already (no differences, no data).
        refresh_note=refresh_block if central_record and refresh_block != NOTHING_DIFFERS else None,
        send_block=send_refusal(current_user, state),
        may_refresh=can_manage_buffer(current_user),
        may_send=can_change_persons(current_user),
        with_history=with_history,
        register_history=register_history(state.versions, refs) if with_history else [],
        central_history=(
            central_history(found.history, refs, by_ogrn, region_code)
            if found.history is not None
            else []
        ),
        side_columns=SIDE_COLUMNS,
        candidates=(
            candidates(found.search.page.items, refs, by_ogrn, region_code, own_enp)
            if found.search and found.search.page
            else []
        ),
        search_kinds=SEARCH_KINDS,
        doc_types=[(code, doc.name) for code, doc in DOCUMENT_TYPES.items()],
        labels=RECORD_LABELS,
        base_args=base_args,
        other_enp=found.enp != own_enp,
    )


def _back(person_id: int) -> Response:
    return redirect(url_for("ferzl_state.view", person_id=person_id))


def _request_link(request_id: int) -> Markup:
    if not can_view_buffer(current_user):
        return Markup("")
    link = ' <a href="{0}" class="alert-link" data-testid="flash-request-link">Открыть в буфере</a>'
    return Markup(link).format(url_for("buffer.requests", request_id=request_id))


def _flash_failed(prefix: str, failed: ValidationFailed) -> None:
    """The ФЛК's messages (danger), or why nothing was done (warning: nothing differs)."""
    messages = [
        f"{RECORD_LABELS.get(e.field, e.field)}: {e.message}" if e.field else e.message
        for e in failed.errors
    ]
    category = "danger" if any(e.field for e in failed.errors) else "warning"
    flash(f"{prefix}: " + "; ".join(messages), category)


@bp.post("/<int:person_id>/ferzl/refresh")
@require_role(*REFRESH_ROLES)
def refresh(person_id: int) -> Response:
    """«Обновить данные в РСЕРЗ из ФЕРЗЛ»: the central data is asked for again, not trusted
    from the form."""
    person = db_session().get(Person, person_id)
    if person is None:
        abort(404)
    try:
        central = lookup_client().get_person(person.enp)
    except FerzlError as exc:
        flash(f"Данные РСЕРЗ не обновлены. {exc}", "danger")
        return _back(person_id)
    if central is None:
        flash(f"Данные РСЕРЗ не обновлены: {NOT_IN_FERZL}", "warning")
        return _back(person_id)
    try:
        with db_transaction() as s:
            done = refresh_from_ferzl(
                s,
                current_user,
                person_id,
                central,
                base_version=_version_arg(),
                region_code=settings().region_code,
                remote_addr=request.remote_addr,
            )
            request_id, fields = done.request.id, done.fields
    except LookupError:
        abort(404)
    except RecordConflict as exc:
        flash(f"Данные РСЕРЗ не обновлены: {exc}", "danger")
    except ValidationFailed as failed:
        _flash_failed("Данные РСЕРЗ не обновлены", failed)
    else:
        labels = ", ".join(RECORD_LABELS.get(f, f) for f in fields)
        flash(
            Markup(
                '<span data-testid="flash-request" data-request-id="{0}">'
                "Данные РСЕРЗ обновлены из ФЕРЗЛ ({1}): запрос № {0} применён к регистру.</span>"
            ).format(request_id, labels)
            + _request_link(request_id),
            "success",
        )
    return _back(person_id)


@bp.post("/<int:person_id>/ferzl/send")
@require_role(*SEND_ROLES)
def send(person_id: int) -> Response:
    """«Отправить в ФЕРЗЛ»: the register's current data as a П04 message, sent at once."""
    try:
        with db_transaction() as s:
            request_id = send_to_ferzl(
                s,
                current_user,
                person_id,
                base_version=_version_arg(),
                remote_addr=request.remote_addr,
            ).id
    except LookupError:
        abort(404)
    except RecordConflict as exc:
        flash(f"Данные не отправлены: {exc}", "danger")
    except ValidationFailed as failed:
        _flash_failed("Данные не отправлены: исправьте запись («Изменить»)", failed)
    else:
        flash(
            Markup(
                '<span data-testid="flash-request" data-request-id="{0}">'
                "Запрос № {0} (П04, текущие данные РСЕРЗ) поставлен на отправку в ФЕРЗЛ:"
                " он уйдёт с ближайшей отправкой.</span>"
            ).format(request_id)
            + _request_link(request_id),
            "success",
        )
    return _back(person_id)


@bp.get("/<int:person_id>/ferzl/print/<side>")
@require_role(*STATE_ROLES)
def print_side(person_id: int, side: str) -> str:
    """«Печать РСЕРЗ» / «Печать ФЕРЗЛ»: one side of the comparison on paper (audited)."""
    if side not in SIDES:
        abort(404)
    state = _state_or_404(person_id)
    found = _ask_ferzl(state, with_history=False, search=False)
    _audit_view(person_id, found, print=side)
    session = db_session()
    refs = References.load(session)
    region_code = settings().region_code
    central_record = (
        central_to_record(found.central, smo_codes_by_ogrn(session), region_code)
        if found.central
        else None
    )
    diffs = compare(state.record, central_record or {})
    return render_template(
        "ferzl_state/print.html",
        side=side,
        side_name=SIDES[side],
        state=state,
        person=state.person,
        found=found,
        central_record=central_record,
        sections=comparison(diffs, refs, central_record, region_code),
        printed_at=dt.datetime.now(screen_zone()),
        region_code=region_code,
    )
