"""The list of buffer requests."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from register.buffer import STATUS_LABELS, BufferQuery, list_requests
from register.models import BufferRequest
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
        rows, has_next = list_requests(
            db_session(),
            current_user,
            BufferQuery(buffer_type=buffer_type, status=status, hide_finished=hide_finished),
            page=page,
            page_size=page_size,
        )

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
