"""The list of published snapshots and a page of one snapshot's rows.

Read through warehouse.marts only: the published Parquet and its manifest. The
warehouse DuckDB file is never opened here (ARCHITECTURE.md, invariant 1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, render_template, request
from flask_login import current_user

from register.audit import audit
from webapp.auth.permissions import SNAPSHOTS_ROLES, require_role
from webapp.extensions import db_transaction, settings
from webapp.query_args import page_arg
from webapp.snapshots import bp
from webapp.snapshots.display import HIDDEN_COLUMNS, column_label, show_cell


@bp.get("/")
@require_role(*SNAPSHOTS_ROLES)
def list_snapshots() -> str:
    # Imported here: the web app needs the warehouse package only on this screen.
    from warehouse import marts

    snapshots = marts.list_snapshots(settings().marts_dir)
    return render_template("snapshots/list.html", page_title="Срезы", snapshots=snapshots)


@bp.get("/<snapshot_date>")
@require_role(*SNAPSHOTS_ROLES)
def view(snapshot_date: str) -> str:
    from warehouse import marts

    try:
        day = dt.date.fromisoformat(snapshot_date)
    except ValueError:
        abort(404)
    page = page_arg()
    page_size = current_app.config["PAGE_SIZE"]
    try:
        found = marts.read_snapshot_page(
            settings().marts_dir, day, offset=(page - 1) * page_size, limit=page_size
        )
    except marts.SnapshotNotPublished:
        abort(404)
    # The rows are personal data: who looked at which page is logged (152-ФЗ).
    with db_transaction() as s:
        audit(
            s,
            current_user,
            "snapshot.view",
            "snapshot",
            day.isoformat(),
            {"offset": found.offset, "limit": found.limit},
            request.remote_addr,
        )
    rows: list[dict[str, Any]] = found.rows
    return render_template(
        "snapshots/view.html",
        page_title=f"Срез на {day:%d.%m.%Y}",
        day=day,
        snapshot=found,
        columns=[(c, column_label(c)) for c in found.columns if c not in HIDDEN_COLUMNS],
        rows=rows,
        show_cell=show_cell,
        page=page,
        has_next=found.offset + len(rows) < found.total,
        first=found.offset + 1,
        last=found.offset + len(rows),
    )
