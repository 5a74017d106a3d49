"""The list of buffer requests."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from register.buffer import FINISHED, STATUS_LABELS
from register.models import BufferRequest
from register.roles import SMO
from webapp.auth.permissions import BUFFER_ROLES, PERSONS_ROLES, require_role
from webapp.buffer import bp
from webapp.buffer.forms import BufferFilterForm, parse_filter
from webapp.extensions import db_session
from webapp.query_args import page_arg


@bp.get("/")
@require_role(*BUFFER_ROLES)
def requests() -> str:
    form = BufferFilterForm(request.args)
    buffer_type, status, hide_finished, errors = parse_filter(request.args.to_dict())
    page = page_arg()
    page_size = current_app.config["PAGE_SIZE"]

    rows: list[BufferRequest] = []
    has_next = False
    if not errors:
        # TODO(register): move to a register service (e.g. register.buffer.list_requests).
        stmt = select(BufferRequest).where(BufferRequest.buffer_type == buffer_type)
        if current_user.role == SMO:
            # An СМО operator sees only the requests of their own СМО.
            stmt = stmt.where(BufferRequest.author_smo == current_user.smo_code)
        if status:
            stmt = stmt.where(BufferRequest.status == status)
        if hide_finished:
            stmt = stmt.where(BufferRequest.status.not_in(FINISHED))
        stmt = stmt.order_by(BufferRequest.id.desc())
        stmt = stmt.offset((page - 1) * page_size).limit(page_size + 1)
        found = list(db_session().scalars(stmt))
        rows, has_next = found[:page_size], len(found) > page_size

    filter_args = {
        "buffer_type": buffer_type,
        "status": status,
        "hide_finished": "y" if hide_finished else None,
    }
    return render_template(
        "buffer/requests.html",
        page_title="Буфер",
        form=form,
        errors=errors,
        labels={"buffer_type": "Тип буфера", "status": "Статус"},
        rows=rows,
        page=page,
        has_next=has_next,
        page_args={k: v for k, v in filter_args.items() if v},
        can_open_person=current_user.role in PERSONS_ROLES,
        status_labels=STATUS_LABELS,
    )
