"""The forms that put a change of a person into the buffer: register, edit, close insurance.

Every save goes through register.buffer.create_request (ФЛК, rights, conflicts); the
view only turns its answers into a page: messages beside the fields, the conflict
with the person's current data, a 403 page, or the flash with the request's number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from register import flk
from register.buffer import RecordConflict, create_request, person_record
from register.documents import DOCUMENT_TYPES
from register.models import Person
from register.persons import PersonCard, get_person_card
from register.records import format_date
from register.roles import SMO, AccessDenied, can_change_person
from register.validation import FieldError, ValidationFailed
from webapp.auth.permissions import require_role
from webapp.extensions import db_session, db_transaction, settings
from webapp.labels import RECORD_LABELS
from webapp.persons import bp
from webapp.persons.actions import CHANGE_ROLES, NOT_INSURED, NOT_YOUR_SMO, pending_reason
from webapp.persons.display import References, full_name, summary
from webapp.persons.forms import (
    DEATH_REASON,
    EDIT_FIELDS,
    PERSON_FORM_SECTIONS,
    REGISTER_FIELDS,
    CloseForm,
    PersonForm,
    form_values,
)
from webapp.persons.navigation import args_from_back, back_query, screen_url

DOC_HINT = "Формат зависит от вида ДУЛ"
CONFIRM_CLOSE = "Отметьте «Подтверждаю снятие с учёта»"
STALE_FORM = "Форма устарела: сведения о застрахованном могли измениться. Откройте запись заново."


def _back() -> str:
    """The register screen's state the form came from (its query string, cleaned)."""
    raw = request.values.get("back")
    if raw is None:
        # Opened from a link of the screen without ``back``: its arguments are the state.
        return back_query(request.args)
    return back_query(args_from_back(raw))


def _flash_request(request_id: int, warnings: list[dict[str, Any]]) -> None:
    flash(
        Markup(
            '<span data-testid="flash-request" data-request-id="{0}">'
            "Запрос № {0} отправлен в буфер.</span> "
            '<a href="{1}" class="alert-link" data-testid="flash-request-link">Открыть в буфере</a>'
        ).format(request_id, url_for("buffer.requests", request_id=request_id)),
        "success",
    )
    if warnings:
        flash(
            "Предупреждения ФЛК (запрос сохранён): "
            + "; ".join(
                f"{RECORD_LABELS.get(w.get('field', ''), w.get('field', ''))}: {w['message']}"
                for w in warnings
            ),
            "warning",
        )


def _problems(failed: ValidationFailed) -> dict[str, list[str]]:
    """Messages per field (register.buffer already drops «обязательно» for unreadable values)."""
    return failed.by_field()


def _grouped(errors: list[FieldError]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for e in errors:
        grouped.setdefault(e.field, []).append(e.message)
    return grouped


def _base_version(form: PersonForm | CloseForm) -> int | None:
    value = (form.base_version.data or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 10 else None


def _person_or_404(person_id: int) -> Person:
    """The person to change: 404 if absent, 403 if the user may not change them."""
    person = db_session().get(Person, person_id)
    if person is None:
        abort(404)
    if not can_change_person(current_user, person.smo_code):
        raise AccessDenied(NOT_YOUR_SMO)
    return person


def _open_for_change(person_id: int) -> PersonCard:
    """The person to change with what the form shows of them, read as a view (audited)."""
    _person_or_404(person_id)
    with db_transaction() as s:
        card = get_person_card(s, current_user, person_id, remote_addr=request.remote_addr)
    if card is None:
        abort(404)
    return card


def _person_form(refs: References) -> PersonForm:
    form = PersonForm()
    only_smo = current_user.smo_code if current_user.role == SMO else None
    form.fill_choices(refs.smo, refs.mo, only_smo=only_smo)
    return form


def _render_person_form(
    form: PersonForm,
    *,
    operation: str,
    back: str,
    person: Person | None = None,
    problems: Mapping[str, list[str]] | None = None,
    warnings: Mapping[str, list[str]] | None = None,
    conflict: str | None = None,
    yours: Mapping[str, str] | None = None,
    blocked: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    fields = REGISTER_FIELDS if operation == flk.REGISTER else EDIT_FIELDS
    problems = dict(problems or {})
    return render_template(
        "persons/person_form.html",
        page_title="Постановка на учёт" if operation == flk.REGISTER else "Изменение сведений",
        form=form,
        operation=operation,
        sections=[
            (title, [(name, width) for name, width in items if name in fields])
            for title, items in PERSON_FORM_SECTIONS
        ],
        required=set(flk.REQUIRED_FIELDS[operation]),
        problems=problems,
        # Problems of fields the form has no input for go to the summary only.
        other_problems={k: v for k, v in problems.items() if k not in fields},
        warnings=warnings or {},
        labels=RECORD_LABELS,
        hints=_document_hints(form.doc_type.data),
        hint_keys={"doc_series": "series", "doc_number": "number"},
        person=person,
        person_name=full_name(person) if person else None,
        conflict=conflict,
        yours=yours or {},
        blocked=blocked,
        back=back,
        cancel_url=screen_url(back, selected=person.id if person else None),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@require_role(*CHANGE_ROLES)
def register() -> Response | tuple[str, int]:
    """Постановка на учёт: the new person goes into the buffer, the register gets them later."""
    back = _back()
    form = _person_form(References.load(db_session()))
    if request.method == "GET":
        form.insurance_start.data = format_date(dt.date.today())
        form.policy_form.data = "Э"
        return _render_person_form(form, operation=flk.REGISTER, back=back)
    try:
        with db_transaction() as s:
            created = create_request(
                s,
                current_user,
                operation=flk.REGISTER,
                raw=form.raw_record(REGISTER_FIELDS),
                region_code=settings().region_code,
                remote_addr=request.remote_addr,
            )
            number, warnings = created.id, list(created.errors)
    except ValidationFailed as exc:
        return _render_person_form(
            form,
            operation=flk.REGISTER,
            back=back,
            problems=_problems(exc),
            warnings=_grouped(exc.warnings),
            status=422,
        )
    _flash_request(number, warnings)
    return redirect(screen_url(back))


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@require_role(*CHANGE_ROLES)
def edit(person_id: int) -> Response | tuple[str, int]:
    """Изменение сведений: the edited record goes into the buffer; a stale save is refused."""
    back = _back()
    refs = References.load(db_session())
    form = _person_form(refs)
    if request.method == "GET":
        card = _open_for_change(person_id)
        return _show_current(card, refs, back)

    person = _person_or_404(person_id)
    submitted = form.raw_record(EDIT_FIELDS)
    # The СМО binding and «nothing changed» are checked by register.buffer.create_request.
    base_version = _base_version(form)
    try:
        if base_version is None:
            raise RecordConflict(STALE_FORM)
        with db_transaction() as s:
            created = create_request(
                s,
                current_user,
                operation=flk.EDIT,
                raw=submitted,
                region_code=settings().region_code,
                person_id=person_id,
                base_version=base_version,
                remote_addr=request.remote_addr,
            )
            number, warnings = created.id, list(created.errors)
    except ValidationFailed as exc:
        return _render_person_form(
            form,
            operation=flk.EDIT,
            back=back,
            person=person,
            problems=_problems(exc),
            warnings=_grouped(exc.warnings),
            status=422,
        )
    except RecordConflict as exc:
        # Nothing is overwritten: the form shows the person as they are now, and what
        # the operator typed where it differs, to enter again on purpose.
        db_session().expire_all()
        card = _open_for_change(person_id)
        now = form_values(person_record(card.person), EDIT_FIELDS)
        yours = {
            name: _typed(value)
            for name, value in submitted.items()
            if _typed(value) != _typed(now.get(name))
        }
        return _show_current(card, refs, back, conflict=str(exc), yours=yours, status=409)
    except LookupError:
        abort(404)
    _flash_request(number, warnings)
    return redirect(screen_url(back, selected=person_id, tab="requests"))


def _document_hints(doc_type: Any) -> dict[str, str]:
    """The formats of the series and number for the chosen ДУЛ type (the script updates them)."""
    code = str(doc_type or "")
    doc = DOCUMENT_TYPES.get(int(code)) if code.isascii() and code.isdigit() else None
    if doc is None:
        return {"doc_series": DOC_HINT, "doc_number": DOC_HINT}
    return {"doc_series": f"Формат: {doc.series_hint}", "doc_number": f"Формат: {doc.number_hint}"}


def _typed(value: Any) -> str:
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    return " ".join(str(value or "").split())


def _show_current(
    card: PersonCard,
    refs: References,
    back: str,
    *,
    conflict: str | None = None,
    yours: Mapping[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The edit form filled with the person's current record and version."""
    person = card.person
    form = PersonForm(formdata=None, data=form_values(person_record(person), EDIT_FIELDS))
    only_smo = current_user.smo_code if current_user.role == SMO else None
    form.fill_choices(refs.smo, refs.mo, only_smo=only_smo)
    form.base_version.data = str(person.version)
    return _render_person_form(
        form,
        operation=flk.EDIT,
        back=back,
        person=person,
        conflict=conflict,
        yours=yours,
        blocked=pending_reason(card.pending.id) if card.pending else None,
        status=status,
    )


@bp.route("/<int:person_id>/close", methods=["GET", "POST"])
@require_role(*CHANGE_ROLES)
def close(person_id: int) -> Response | tuple[str, int]:
    """Снятие с учёта: reason, date (and death date for П022), confirmed by the operator."""
    back = _back()
    refs = References.load(db_session())
    form = CloseForm()
    if request.method == "GET":
        card = _open_for_change(person_id)
        form.closure_date.data = format_date(dt.date.today())
        form.base_version.data = str(card.person.version)
        return _render_close_form(form, card.person, refs, back, card=card)

    person = _person_or_404(person_id)
    if not form.confirm.data:
        return _render_close_form(
            form, person, refs, back, problems={"confirm": [CONFIRM_CLOSE]}, status=422
        )
    try:
        base_version = _base_version(form)
        if base_version is None:
            raise RecordConflict(STALE_FORM)
        with db_transaction() as s:
            created = create_request(
                s,
                current_user,
                operation=flk.CLOSE,
                raw=form.raw_record(),
                region_code=settings().region_code,
                person_id=person_id,
                base_version=base_version,
                remote_addr=request.remote_addr,
            )
            number, warnings = created.id, list(created.errors)
    except ValidationFailed as exc:
        return _render_close_form(
            form,
            person,
            refs,
            back,
            problems=_problems(exc),
            warnings=_grouped(exc.warnings),
            status=422,
        )
    except RecordConflict as exc:
        db_session().expire_all()
        card = _open_for_change(person_id)
        form.base_version.data = str(card.person.version)
        form.confirm.data = False
        return _render_close_form(
            form, card.person, refs, back, card=card, conflict=str(exc), status=409
        )
    except LookupError:
        abort(404)
    _flash_request(number, warnings)
    return redirect(screen_url(back, selected=person_id, tab="requests"))


def _render_close_form(
    form: CloseForm,
    person: Person,
    refs: References,
    back: str,
    *,
    card: PersonCard | None = None,
    problems: Mapping[str, list[str]] | None = None,
    warnings: Mapping[str, list[str]] | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    fields = ("closure_reason", "closure_date", "death_date", "confirm")
    problems = dict(problems or {})
    blocked = None
    if card is not None and card.pending is not None:
        blocked = pending_reason(card.pending.id)
    elif person.status != "insured":
        blocked = NOT_INSURED
    return render_template(
        "persons/close_form.html",
        page_title="Снятие с учёта",
        form=form,
        person=person,
        person_name=full_name(person),
        summary=summary(person, refs),
        required=set(flk.REQUIRED_FIELDS[flk.CLOSE]) | {"confirm"},
        problems=problems,
        other_problems={k: v for k, v in problems.items() if k not in fields},
        warnings=warnings or {},
        labels={**RECORD_LABELS, "confirm": "Подтверждение"},
        conflict=conflict,
        blocked=blocked,
        death_reason=DEATH_REASON,
        back=back,
        cancel_url=screen_url(back, selected=person.id),
    ), status
