"""СНИЛС — the individual insurance account number (11 digits, written XXX-XXX-XXX YY).

The first nine digits are the number proper (the body), the last two its control number.
"""

from __future__ import annotations

import re

from register.validation import FieldError

SNILS_LENGTH = 11
BODY_LENGTH = 9

# Numbers up to 001-001-998 were issued before the control number existed: not checked.
LAST_UNCHECKED_BODY = 1_001_998

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—−]+")
_TRIPLE = re.compile(r"([0-9])\1\1")


def has_digit_triple(body: str) -> bool:
    """A digit three times running in the number (the body, not the control number)."""
    return _TRIPLE.search(body) is not None


def _is_digits(value: str) -> bool:
    # str.isdigit() also accepts superscripts and other scripts' digits.
    return value.isascii() and value.isdigit()


def normalize_snils(value: str | int | None) -> str | None:
    """The bare 11 digits of a СНИЛС given formatted, bare or as an int; None when empty.

    A value that does not clean up to 11 digits is returned cleaned but otherwise as is,
    so that the validator can report it.
    """
    if value is None:
        return None
    if isinstance(value, int):
        # Spreadsheets and numeric columns drop the leading zeros.
        return f"{value:011d}" if value >= 0 else str(value)
    cleaned = _SEPARATORS.sub("", value)
    return cleaned or None


def snils_check_number(body9: str) -> str:
    """The two-digit control number of a nine-digit СНИЛС body."""
    if len(body9) != BODY_LENGTH or not _is_digits(body9):
        raise ValueError(f"9 digits expected, got {body9!r}")
    total = sum(int(d) * w for d, w in zip(body9, range(9, 0, -1), strict=True))
    if total > 101:
        total %= 101
    # Both 100 and 101 give 00; after the mod only 100 can occur.
    if total >= 100:
        total = 0
    return f"{total:02d}"


def make_snils(body9: str) -> str:
    """The 11-digit СНИЛС for a nine-digit body (control number appended)."""
    return body9 + snils_check_number(body9)


def format_snils(value: str) -> str:
    """A СНИЛС in its written form XXX-XXX-XXX YY (input formatted or bare)."""
    digits = normalize_snils(value)
    if digits is None or len(digits) != SNILS_LENGTH or not _is_digits(digits):
        raise ValueError(f"not an 11-digit СНИЛС: {value!r}")
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def validate_snils(value: str | int | None, *, field: str = "snils") -> list[FieldError]:
    """ФЛК of a СНИЛС: 11 digits, control number (above 001-001-998), repeated digits (warning).

    An empty value passes: СНИЛС is optional (newborns, foreigners).
    """
    digits = normalize_snils(value)
    if digits is None:
        return []
    if len(digits) != SNILS_LENGTH or not _is_digits(digits):
        return [FieldError(field, "СНИЛС должен состоять из 11 цифр")]
    body, control = digits[:BODY_LENGTH], digits[BODY_LENGTH:]
    errors: list[FieldError] = []
    if int(body) > LAST_UNCHECKED_BODY and snils_check_number(body) != control:
        errors.append(FieldError(field, "Неверное контрольное число СНИЛС"))
    # The published rules say no digit appears three times running in the number itself
    # (not the control number); real numbers are not reliably so, hence only a warning.
    if has_digit_triple(body):
        errors.append(
            FieldError(
                field,
                "В номере СНИЛС одна цифра повторяется три раза подряд — проверьте номер",
                warning=True,
            )
        )
    return errors
