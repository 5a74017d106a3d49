"""The audit journal: a filter and a page of rows, newest first."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from register.audit import ACTION_LABELS, search_audit
from register.models import AuditLog
from webapp.audit import bp
from webapp.audit.display import (
    OBJECT_TYPE_LABELS,
    detail_items,
    local_time,
    utc_iso,
    zone,
    zone_caption,
)
from webapp.audit.forms import FILTER_LABELS, AuditFilterForm, parse_filter
from webapp.auth.permissions import AUDIT_ROLES, PERSONS_ROLES, require_role
from webapp.extensions import db_session
from webapp.query_args import page_arg


@bp.get("/")
@require_role(*AUDIT_ROLES)
def journal() -> str:
    found = parse_filter(request.args.to_dict())
    form = AuditFilterForm(request.args)
    form.fill_object_types(found.args.get("object_type"))
    page = page_arg()
    rows: list[AuditLog] = []
    has_next = False
    if found.query is not None:
        rows, has_next = search_audit(
            db_session(),
            current_user,
            found.query,
            page=page,
            page_size=current_app.config["PAGE_SIZE"],
        )
    tz = zone()
    return render_template(
        "audit/journal.html",
        page_title="Журнал аудита",
        form=form,
        errors=found.errors,
        labels=FILTER_LABELS,
        filter_args=found.args,
        rows=rows,
        page=page,
        has_next=has_next,
        zone_caption=zone_caption(tz),
        local_time=lambda value: local_time(value, tz),
        utc_iso=utc_iso,
        detail_items=detail_items,
        action_labels=ACTION_LABELS,
        object_labels=OBJECT_TYPE_LABELS,
        can_open_person=current_user.role in PERSONS_ROLES,
    )
