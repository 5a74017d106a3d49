"""«Буфер»: the list of requests, the selected request, and the operator's actions on it.

The rules (who sees which request, what may be resent, deleted or forced) are in
register.buffer; the views read the form, call it, and show the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from register.buffer import (
    BUFFER_TYPES,
    RESENDABLE,
    SENDABLE,
    RecordConflict,
    colour,
    delete_request,
    force_send,
    get_request,
    list_requests,
    record_from_json,
    resend_request,
)
from register.exchange import JOURNAL_LEVELS, recent_events
from register.flk import REQUIRED_FIELDS
from register.models import BufferRequest
from register.validation import ValidationFailed
from webapp.auth.permissions import (
    AUDIT_ROLES,
    BUFFER_RESEND_ROLES,
    BUFFER_ROLES,
    BUFFER_TFOMS_ROLES,
    PERSONS_ROLES,
    require_role,
)
from webapp.buffer import bp
from webapp.buffer.display import EXCHANGE_FIELDS, author_logins, error_lines, list_url
from webapp.buffer.forms import (
    FILTER_LABELS,
    BufferFilterForm,
    correction_sections,
    form_value,
    parse_filter,
)
from webapp.extensions import db_session, db_transaction, settings
from webapp.labels import RECORD_LABELS
from webapp.persons.display import CARD_SECTIONS, References, show
from webapp.query_args import page_arg


def _id_arg(name: str) -> int | None:
    value = request.values.get(name, "").strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _visible_request(request_id: int) -> BufferRequest:
    """The request if the user may see it; 404 otherwise (a tampered id learns nothing)."""
    found = get_request(db_session(), current_user, request_id)
    if found is None:
        abort(404)
    return found


@bp.get("/")
@require_role(*BUFFER_ROLES)
def requests() -> str:
    session = db_session()
    args = request.args.to_dict()
    selected_id = _id_arg("selected")
    selected = _visible_request(selected_id) if selected_id else None

    # A link by request number (from the register screen) need not know the request's type.
    if "buffer_type" not in args:
        hinted = _id_arg("request_id")
        known = selected or (get_request(session, current_user, hinted) if hinted else None)
        if known is not None:
            args["buffer_type"] = str(known.buffer_type)
    found = parse_filter(args)
    form = BufferFilterForm(request.args)
    if "buffer_type" in found.args:
        form.buffer_type.data = found.args["buffer_type"]
    if selected is None:
        # Nothing selected: the keyboard starts at the filter (else buffer.js focuses the row).
        form.buffer_type.render_kw = {**(form.buffer_type.render_kw or {}), "autofocus": True}

    page = page_arg()
    rows: list[BufferRequest] = []
    has_next = False
    other_type: tuple[int, str] | None = None
    if found.query is not None:
        rows, has_next = list_requests(
            session,
            current_user,
            found.query,
            page=page,
            page_size=current_app.config["PAGE_SIZE"],
        )
        if selected is None and found.query.request_id and len(rows) == 1:
            selected = rows[0]
        if found.query.person_id or found.query.request_id:
            # The person may have requests in the other buffer as well: say so.
            other = next(t for t in BUFFER_TYPES if t != found.query.buffer_type)
            there, _ = list_requests(
                session, current_user, replace(found.query, buffer_type=other), page_size=1
            )
            if there:
                other_type = (other, BUFFER_TYPES[other])

    detail: dict[str, Any] = {}
    if selected is not None:
        record = record_from_json(selected.proposed or {})
        detail = {
            "record": record,
            "sections": CARD_SECTIONS,
            "refs": References.load(session),
            "errors": error_lines(selected.errors),
            "may_resend": selected.status in RESENDABLE,
            "may_force": selected.status in SENDABLE,
            "may_delete": selected.applied_at is None,
        }

    chips = [
        (name, f"{title}{found.args[name]}", {k: v for k, v in found.args.items() if k != name})
        for name, title in (("person_id", "застрахованное лицо № "), ("request_id", "запрос № "))
        if found.args.get(name)
    ]
    role = current_user.role
    return render_template(
        "buffer/requests.html",
        page_title="Буфер",
        form=form,
        errors=found.errors,
        labels=FILTER_LABELS,
        filter_args=found.args,
        chips=chips,
        colour=colour,
        rows=rows,
        page=page,
        has_next=has_next,
        page_args={**found.args, **({"selected": str(selected.id)} if selected else {})},
        other_type=other_type,
        selected=selected,
        detail=detail,
        authors=author_logins(session, [*rows, selected]),
        exchange_fields=EXCHANGE_FIELDS,
        labels_of_fields=RECORD_LABELS,
        show=show,
        back=request.full_path.rstrip("?"),
        can_open_person=role in PERSONS_ROLES,
        can_resend=role in BUFFER_RESEND_ROLES,
        can_manage=role in BUFFER_TFOMS_ROLES,
        can_audit=role in AUDIT_ROLES,
    )


# --- correct and send again --------------------------------------------------------


def _grouped(lines: Iterable[Any]) -> dict[str, list[str]]:
    """Messages by field name ("" for the request as a whole)."""
    grouped: dict[str, list[str]] = {}
    for line in lines:
        grouped.setdefault(line.field or "", []).append(line.message)
    return grouped


@bp.route("/<int:request_id>/resend", methods=["GET", "POST"])
@require_role(*BUFFER_RESEND_ROLES)
def resend(request_id: int) -> Response | str:
    session = db_session()
    found = _visible_request(request_id)
    back = request.values.get("back")
    if found.status not in RESENDABLE:
        flash("Повторно отправить можно только запрос, завершённый с ошибкой", "warning")
        return redirect(list_url(back, selected=found.id, buffer_type=found.buffer_type))

    refs = References.load(session)
    sections = correction_sections(found.operation, refs.smo, refs.mo)
    names = [f.name for _, fields in sections for f in fields]
    values = {name: form_value(name, (found.proposed or {}).get(name)) for name in names}
    stored = error_lines(found.errors)
    errors = _grouped([e for e in stored if not e.warning])
    warnings = _grouped([e for e in stored if e.warning])
    version = found.version
    message: str | None = None

    if request.method == "POST":
        raw = {name: request.form.get(name, "") for name in names}
        try:
            with db_transaction() as s:
                resend_request(
                    s,
                    current_user,
                    request_id,
                    raw=raw,
                    region_code=settings().region_code,
                    version=_id_arg("version"),
                    remote_addr=request.remote_addr,
                )
        except LookupError:
            flash(f"Запрос № {request_id} удалён другим пользователем", "warning")
            return redirect(list_url(back, selected=None, buffer_type=found.buffer_type))
        except ValidationFailed as exc:
            values = raw
            errors = exc.by_field()
            warnings = _grouped(exc.warnings)
            message = "Запрос не отправлен: исправьте ошибки форматно-логического контроля."
        except RecordConflict as exc:
            # Someone changed the request meanwhile: show what it is now, never overwrite it.
            session.rollback()
            current = get_request(session, current_user, request_id)
            if current is None:
                flash(f"Запрос № {request_id} удалён другим пользователем", "warning")
                return redirect(list_url(back, selected=None, buffer_type=found.buffer_type))
            if current.status not in RESENDABLE:
                flash(str(exc), "warning")
                return redirect(list_url(back, selected=current.id, buffer_type=found.buffer_type))
            found = current
            values = {name: form_value(name, (current.proposed or {}).get(name)) for name in names}
            stored = error_lines(current.errors)
            errors = _grouped([e for e in stored if not e.warning])
            warnings = _grouped([e for e in stored if e.warning])
            version = current.version
            message = f"{exc} Ниже — текущие данные запроса."
        else:
            flash(
                f"Запрос № {request_id} исправлен и прошёл ФЛК; он поставлен в очередь "
                "на отправку в ФЕРЗЛ",
                "success",
            )
            return redirect(list_url(back, selected=request_id, buffer_type=found.buffer_type))

    placed = set(names)
    # The keyboard starts at the first field to correct.
    first_invalid = next((name for name in names if name in errors), None)
    return render_template(
        "buffer/resend.html",
        page_title=f"Исправление запроса № {found.id}",
        req=found,
        colour=colour,
        sections=sections,
        values=values,
        errors=errors,
        warnings=warnings,
        unplaced=[
            (RECORD_LABELS.get(f, f or "Запрос в целом"), m, warning)
            for warning, grouped in ((False, errors), (True, warnings))
            for f, ms in grouped.items()
            if f not in placed
            for m in ms
        ],
        required=set(REQUIRED_FIELDS.get(found.operation, ())),
        first_invalid=first_invalid,
        answer=error_lines(found.errors),
        version=version,
        message=message,
        back=list_url(back, selected=found.id, buffer_type=found.buffer_type),
        back_raw=back or "",
    )


# --- delete, force -------------------------------------------------------------------


@bp.get("/<int:request_id>/delete")
@require_role(*BUFFER_TFOMS_ROLES)
def confirm_delete(request_id: int) -> str:
    found = _visible_request(request_id)
    back = request.args.get("back")
    return render_template(
        "buffer/delete.html",
        page_title=f"Удаление запроса № {found.id}",
        req=found,
        authors=author_logins(db_session(), [found]),
        back=list_url(back, selected=found.id, buffer_type=found.buffer_type),
        back_raw=back or "",
    )


@bp.post("/<int:request_id>/delete")
@require_role(*BUFFER_TFOMS_ROLES)
def delete(request_id: int) -> Response:
    found = _visible_request(request_id)
    back = request.form.get("back")
    try:
        with db_transaction() as s:
            delete_request(
                s,
                current_user,
                request_id,
                version=_id_arg("version"),
                remote_addr=request.remote_addr,
            )
    except LookupError:
        flash(f"Запрос № {request_id} уже удалён", "warning")
    except RecordConflict as exc:
        flash(f"Запрос № {request_id} не удалён: {exc}", "danger")
        return redirect(list_url(back, selected=request_id, buffer_type=found.buffer_type))
    else:
        flash(f"Запрос № {request_id} удалён. Запись об удалении — в журнале аудита.", "success")
    return redirect(list_url(back, selected=None, buffer_type=found.buffer_type))


@bp.post("/<int:request_id>/force")
@require_role(*BUFFER_TFOMS_ROLES)
def force(request_id: int) -> Response:
    found = _visible_request(request_id)
    back = request.form.get("back")
    try:
        with db_transaction() as s:
            force_send(
                s,
                current_user,
                request_id,
                version=_id_arg("version"),
                remote_addr=request.remote_addr,
            )
    except LookupError:
        flash(f"Запрос № {request_id} удалён другим пользователем", "warning")
        return redirect(list_url(back, selected=None, buffer_type=found.buffer_type))
    except RecordConflict as exc:
        flash(f"Запрос № {request_id} не отправлен: {exc}", "danger")
    else:
        flash(
            f"Запрос № {request_id} отмечен для принудительной отправки: "
            "он уйдёт в ФЕРЗЛ с ближайшей отправкой",
            "success",
        )
    return redirect(list_url(back, selected=request_id, buffer_type=found.buffer_type))


@bp.get("/journal")
@require_role(*BUFFER_TFOMS_ROLES)
def journal() -> str:
    """«Журнал обмена с ФЕРЗЛ»: repeats, late and unknown answers, unreadable files."""
    events = recent_events(db_session(), limit=200)
    return render_template("buffer/journal.html", events=events, levels=JOURNAL_LEVELS)
