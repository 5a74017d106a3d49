"""The filter of the buffer screen (GET, bookmarkable)."""

from __future__ import annotations

from wtforms import BooleanField, Form, SelectChoice, SelectField

from register.buffer import BUFFER_TYPES, STATUS_LABELS

DEFAULT_BUFFER_TYPE = 1


class BufferFilterForm(Form):
    buffer_type = SelectField(
        "Тип буфера",
        choices=[
            SelectChoice(str(code), f"{code} – {name}") for code, name in BUFFER_TYPES.items()
        ],
        default=str(DEFAULT_BUFFER_TYPE),
        validate_choice=False,
        render_kw={"autofocus": True},
    )
    status = SelectField(
        "Статус",
        choices=[SelectChoice("", "Любой")]
        + [SelectChoice(code, label) for code, label in STATUS_LABELS.items()],
        validate_choice=False,
    )
    hide_finished = BooleanField("Скрыть завершённые")


def parse_filter(args: dict[str, str]) -> tuple[int | None, str | None, bool, dict[str, str]]:
    """(buffer type, status, hide finished, errors) from the query string; messages in Russian."""
    errors: dict[str, str] = {}
    raw_type = args.get("buffer_type", "").strip() or str(DEFAULT_BUFFER_TYPE)
    buffer_type = int(raw_type) if raw_type.isdigit() else None
    if buffer_type not in BUFFER_TYPES:
        buffer_type = None
        errors["buffer_type"] = "Выберите тип буфера: " + ", ".join(
            f"{code} – {name}" for code, name in BUFFER_TYPES.items()
        )
    status = args.get("status", "").strip() or None
    if status is not None and status not in STATUS_LABELS:
        errors["status"] = "Неизвестный статус запроса"
        status = None
    hide_finished = args.get("hide_finished", "") in ("y", "1", "on", "true")
    return buffer_type, status, hide_finished, errors
