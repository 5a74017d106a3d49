"""Titles of person record fields as the screens show them."""

from __future__ import annotations

from register.records import FIELD_LABELS

# register.records.FIELD_LABELS names the fields an operator fills in; the status is
# set by the register, so it has no label there.
RECORD_LABELS: dict[str, str] = {**FIELD_LABELS, "status": "Статус"}
