"""Field-level validation results shared by every check of the register (ФЛК)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, worded in Russian for the operator.

    ``field`` is the name of the form/record field (``"enp"``, ``"birth_date"`` …);
    ``warning`` marks a problem that does not block saving.
    """

    field: str
    message: str
    warning: bool = False


class ValidationFailed(Exception):
    """Raised by services when a record fails the ФЛК; nothing was written."""

    def __init__(self, errors: list[FieldError]):
        self.errors = [e for e in errors if not e.warning]
        self.warnings = [e for e in errors if e.warning]
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def by_field(self) -> dict[str, list[str]]:
        """Messages grouped by field, for forms that show them beside each input."""
        grouped: dict[str, list[str]] = {}
        for e in self.errors:
            grouped.setdefault(e.field, []).append(e.message)
        return grouped


def blocking(errors: list[FieldError]) -> list[FieldError]:
    """The errors that prevent saving (warnings left out)."""
    return [e for e in errors if not e.warning]
