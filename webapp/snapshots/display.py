"""Column titles and cell values of a published snapshot page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from register.records import format_date
from register.reference import PERSON_STATUSES, SEXES
from register.snils import format_snils
from webapp.labels import RECORD_LABELS

#: Columns of the snapshot mart that are not fields of the person record.
SNAPSHOT_LABELS: dict[str, str] = {
    "snapshot_date": "Дата среза",
    "person_id": "Код ЗЛ",
    "age": "Возраст",
    "working_status": "Занятость",
    "has_contributions": "Начислены взносы",
    "is_self_payer": "Плательщик взносов за себя",
    "in_fns_data": "Есть в сведениях ФНС",
}


#: Not shown: the same on every row of the page (the date is in the title).
HIDDEN_COLUMNS = frozenset({"snapshot_date"})


def column_label(column: str) -> str:
    return RECORD_LABELS.get(column) or SNAPSHOT_LABELS.get(column) or column


def show_cell(column: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return format_date(value)
    if column == "snils":
        try:
            return format_snils(str(value))
        except ValueError:
            return str(value)
    if column == "sex":
        return SEXES.get(value, str(value))
    if column == "status":
        return PERSON_STATUSES.get(value, str(value))
    return str(value)
