"""ИНН of a natural person (ИННФЛ): 12 digits, the last two are check digits.

The register does not identify persons by ИНН; it arrives in ФНС packages, and a wrong
check digit there is only a warning (FORMATS.md, common rules).
"""

from __future__ import annotations

from register.validation import FieldError

INN12_LENGTH = 12

_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _is_digits(value: str) -> bool:
    # str.isdigit() also accepts superscripts and other scripts' digits.
    return value.isascii() and value.isdigit()


def _check_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def inn_check_digits(first10: str) -> str:
    """The two check digits of a 12-digit ИНН for its first ten digits."""
    if len(first10) != 10 or not _is_digits(first10):
        raise ValueError(f"10 digits expected, got {first10!r}")
    eleventh = _check_digit(first10, _WEIGHTS_11)
    return eleventh + _check_digit(first10 + eleventh, _WEIGHTS_12)


def make_inn12(first10: str) -> str:
    """The 12-digit ИНН for its first ten digits (tax office code + number)."""
    return first10 + inn_check_digits(first10)


def validate_inn(value: str | None, *, field: str = "inn") -> list[FieldError]:
    """ФЛК of an ИННФЛ: 12 digits and check digits. Every finding is a warning.

    An empty value passes: the ИНН is optional.
    """
    if value is None or not value.strip():
        return []
    value = value.strip()
    if len(value) != INN12_LENGTH or not _is_digits(value):
        return [FieldError(field, "ИНН физического лица должен состоять из 12 цифр", warning=True)]
    if inn_check_digits(value[:10]) != value[10:]:
        return [FieldError(field, "Неверные контрольные цифры ИНН", warning=True)]
    return []
