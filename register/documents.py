"""Identity documents (ДУЛ): F011 types, series/number masks, age and date rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from register.validation import FieldError

FREE_TEXT_MAX = 30


@dataclass(frozen=True)
class DocumentType:
    """One F011 document type and the rules for its series and number.

    ``series_pattern``/``number_pattern`` are regular expressions matched in full against the
    *normalised* value; None means free text (at most 30 printable characters).
    ``min_age`` is checked (error) at the issue date, ``max_age`` (warning) at the check date.
    """

    code: int
    name: str
    series_required: bool
    series_pattern: str | None
    number_pattern: str | None
    series_hint: str
    number_hint: str
    min_age: int | None
    max_age: int | None
    for_foreigners: bool


PASSPORT_RF = 14
BIRTH_CERTIFICATE_RF = 3
FOREIGN_PASSPORT = 9
RESIDENCE_PERMIT = 11
INTERNATIONAL_PASSPORT_RF = 15
MILITARY_ID = 7
OTHER_DOCUMENT = 18

_FREE_HINT = f"не более {FREE_TEXT_MAX} символов"


def _free(code: int, name: str, *, for_foreigners: bool = False) -> DocumentType:
    return DocumentType(
        code=code,
        name=name,
        series_required=False,
        series_pattern=None,
        number_pattern=None,
        series_hint=_FREE_HINT,
        number_hint=_FREE_HINT,
        min_age=None,
        max_age=None,
        for_foreigners=for_foreigners,
    )


DOCUMENT_TYPES: dict[int, DocumentType] = {
    t.code: t
    for t in (
        _free(1, "Паспорт гражданина СССР"),
        _free(2, "Загранпаспорт гражданина СССР"),
        DocumentType(
            code=BIRTH_CERTIFICATE_RF,
            name="Свидетельство о рождении, выданное в Российской Федерации",
            series_required=True,
            series_pattern=r"[IVXLC]+-[А-ЯЁ]{2}",
            number_pattern=r"[0-9]{6}",
            series_hint="римские цифры, дефис и две русские буквы, например IV-МЮ",
            number_hint="6 цифр",
            min_age=None,
            # From 14 a citizen gets a passport; the certificate is still kept, so only a warning.
            max_age=14,
            for_foreigners=False,
        ),
        _free(4, "Удостоверение личности офицера"),
        _free(5, "Справка об освобождении из места лишения свободы"),
        _free(6, "Паспорт Минморфлота"),
        DocumentType(
            code=MILITARY_ID,
            name="Военный билет",
            series_required=True,
            series_pattern=r"[А-ЯЁ]{2}",
            number_pattern=r"[0-9]{6,7}",
            series_hint="две русские буквы",
            number_hint="6 или 7 цифр",
            min_age=None,
            max_age=None,
            for_foreigners=False,
        ),
        _free(8, "Дипломатический паспорт гражданина Российской Федерации"),
        _free(FOREIGN_PASSPORT, "Паспорт иностранного гражданина", for_foreigners=True),
        _free(
            10,
            "Свидетельство о регистрации ходатайства о признании иммигранта беженцем",
            for_foreigners=True,
        ),
        _free(RESIDENCE_PERMIT, "Вид на жительство в Российской Федерации", for_foreigners=True),
        _free(12, "Удостоверение беженца", for_foreigners=True),
        _free(13, "Временное удостоверение личности гражданина Российской Федерации"),
        DocumentType(
            code=PASSPORT_RF,
            name="Паспорт гражданина Российской Федерации",
            series_required=True,
            series_pattern=r"[0-9]{2} [0-9]{2}",
            number_pattern=r"[0-9]{6}",
            series_hint="4 цифры в формате 99 99",
            number_hint="6 цифр",
            min_age=14,
            max_age=None,
            for_foreigners=False,
        ),
        DocumentType(
            code=INTERNATIONAL_PASSPORT_RF,
            name="Заграничный паспорт гражданина Российской Федерации",
            series_required=True,
            series_pattern=r"[0-9]{2}",
            number_pattern=r"[0-9]{7}",
            series_hint="2 цифры",
            number_hint="7 цифр",
            min_age=None,
            max_age=None,
            for_foreigners=False,
        ),
        _free(16, "Паспорт моряка"),
        _free(17, "Военный билет офицера запаса"),
        _free(OTHER_DOCUMENT, "Иные документы"),
        _free(21, "Документ иностранного гражданина", for_foreigners=True),
        _free(22, "Документ лица без гражданства", for_foreigners=True),
        _free(
            23,
            "Разрешение на временное проживание в Российской Федерации",
            for_foreigners=True,
        ),
        _free(
            24,
            "Свидетельство о рождении, выданное не в Российской Федерации",
            for_foreigners=True,
        ),
        _free(
            25,
            "Свидетельство о предоставлении временного убежища на территории Российской Федерации",
            for_foreigners=True,
        ),
    )
}

# Short names for messages: «Серия паспорта РФ — …», «Паспорт гражданина РФ выдаётся …».
_GENITIVE = {
    PASSPORT_RF: "паспорта РФ",
    BIRTH_CERTIFICATE_RF: "свидетельства о рождении",
    INTERNATIONAL_PASSPORT_RF: "заграничного паспорта РФ",
    MILITARY_ID: "военного билета",
}
_SHORT_NAME = {
    PASSPORT_RF: "Паспорт гражданина РФ",
    BIRTH_CERTIFICATE_RF: "Свидетельство о рождении",
}

# ФНС (СПДУЛ) document codes → F011.  Only one-to-one pairs; ФНС types with no F011
# counterpart (08 temporary card instead of a military ID, 24 serviceman's ID, …) give None.
_FNS_TO_F011 = {
    1: 1,
    2: 2,
    3: 3,
    4: 4,
    5: 5,
    6: 6,
    7: 7,
    9: 8,
    10: 9,
    11: 10,
    12: 11,
    13: 12,
    14: 13,
    15: 23,
    19: 25,
    21: 14,
    22: 15,
    23: 24,
    26: 16,
    27: 17,
    91: 18,
}

# Operators type Roman numerals on a Russian keyboard layout and Russian letters on a
# Latin one; the glyphs look the same, the codes do not.
_CYRILLIC_TO_ROMAN = str.maketrans({"І": "I", "Ӏ": "I", "Х": "X", "С": "C", "Ѵ": "V"})
_LATIN_TO_CYRILLIC = str.maketrans(
    {
        "A": "А",
        "B": "В",
        "C": "С",
        "E": "Е",
        "H": "Н",
        "K": "К",
        "M": "М",
        "O": "О",
        "P": "Р",
        "T": "Т",
        "X": "Х",
        "Y": "У",
    }
)
_DASHES = re.compile(r"[\-‐‑‒–—―−]")
_MASKED_DIGIT_NUMBERS = {
    PASSPORT_RF,
    BIRTH_CERTIFICATE_RF,
    INTERNATIONAL_PASSPORT_RF,
    MILITARY_ID,
}


def _collapse(value: str) -> str:
    return " ".join(value.split())


def _no_spaces(value: str) -> str:
    return "".join(value.split())


def _normalize_birth_certificate_series(value: str) -> str:
    value = _DASHES.sub("-", _no_spaces(value).upper())
    if value.count("-") != 1:
        # Without exactly one hyphen the two parts cannot be told apart (С is both).
        return value
    roman, letters = value.split("-")
    return f"{roman.translate(_CYRILLIC_TO_ROMAN)}-{letters.translate(_LATIN_TO_CYRILLIC)}"


def normalize_series(doc_type: int, series: str | None) -> str | None:
    """The series in its stored form (e.g. "45 09", "IV-МЮ"); None when empty.

    A value that does not fit the type's mask is returned tidied (trimmed, spaces collapsed)
    but otherwise unchanged, so that the validator can report it.
    """
    if series is None or not series.strip():
        return None
    if doc_type == PASSPORT_RF:
        compact = _no_spaces(series)
        if len(compact) == 4 and compact.isascii() and compact.isdigit():
            return f"{compact[:2]} {compact[2:]}"
        return _collapse(series)
    if doc_type == BIRTH_CERTIFICATE_RF:
        return _normalize_birth_certificate_series(series)
    if doc_type == MILITARY_ID:
        return _no_spaces(series).upper().translate(_LATIN_TO_CYRILLIC)
    if doc_type == INTERNATIONAL_PASSPORT_RF:
        return _no_spaces(series)
    return _collapse(series)


def normalize_number(doc_type: int, number: str | None) -> str | None:
    """The number in its stored form (digit-only numbers without spaces); None when empty."""
    if number is None or not number.strip():
        return None
    if doc_type in _MASKED_DIGIT_NUMBERS:
        return _no_spaces(number)
    return _collapse(number)


def _age(birth_date: date, on: date) -> int:
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def _free_text_errors(value: str, field: str, what: str) -> list[FieldError]:
    errors = []
    if len(value) > FREE_TEXT_MAX:
        errors.append(
            FieldError(field, f"{what} — не более {FREE_TEXT_MAX} символов (указано {len(value)})")
        )
    if not value.isprintable():
        errors.append(FieldError(field, f"{what} содержит непечатаемые символы"))
    return errors


def _mask_errors(
    dt: DocumentType, series: str | None, number: str | None, prefix: str
) -> list[FieldError]:
    errors: list[FieldError] = []
    of = _GENITIVE.get(dt.code, "документа")
    if series is None:
        if dt.series_required:
            errors.append(FieldError(f"{prefix}_series", "Не указана серия документа"))
    elif dt.series_pattern is not None:
        if not re.fullmatch(dt.series_pattern, series):
            errors.append(FieldError(f"{prefix}_series", f"Серия {of} — {dt.series_hint}"))
    else:
        errors += _free_text_errors(series, f"{prefix}_series", "Серия документа")
    if number is None:
        errors.append(FieldError(f"{prefix}_number", "Не указан номер документа"))
    elif dt.number_pattern is not None:
        if not re.fullmatch(dt.number_pattern, number):
            errors.append(FieldError(f"{prefix}_number", f"Номер {of} — {dt.number_hint}"))
    else:
        errors += _free_text_errors(number, f"{prefix}_number", "Номер документа")
    return errors


def _age_errors(
    dt: DocumentType,
    birth_date: date | None,
    issue_date: date | None,
    on_date: date,
    prefix: str,
) -> list[FieldError]:
    # An issue date before the birth date is reported on its own; an age from it is nonsense.
    if birth_date is None or (issue_date is not None and issue_date < birth_date):
        return []
    short = _SHORT_NAME.get(dt.code, dt.name)
    errors = []
    if dt.min_age is not None and _age(birth_date, issue_date or on_date) < dt.min_age:
        errors.append(FieldError(f"{prefix}_type", f"{short} выдаётся с {dt.min_age} лет"))
    if dt.max_age is not None and _age(birth_date, on_date) >= dt.max_age:
        errors.append(
            FieldError(
                f"{prefix}_type",
                f"{short} у лица {dt.max_age} лет и старше — проверьте вид документа",
                warning=True,
            )
        )
    return errors


def validate_document(
    doc_type: int | None,
    series: str | None,
    number: str | None,
    *,
    birth_date: date | None = None,
    issue_date: date | None = None,
    on_date: date | None = None,
    field_prefix: str = "doc",
) -> list[FieldError]:
    """ФЛК of an identity document: type, series/number masks, age rules, issue date.

    Series and number are normalised before the masks are applied.  ``on_date`` is the
    check date (today by default).  No document at all passes: whether one is required
    is the caller's decision.
    """
    on_date = on_date or date.today()
    errors: list[FieldError] = []
    if doc_type is None:
        if (series and series.strip()) or (number and number.strip()) or issue_date:
            errors.append(FieldError(f"{field_prefix}_type", "Не указан вид документа"))
    elif doc_type not in DOCUMENT_TYPES:
        errors.append(FieldError(f"{field_prefix}_type", "Неизвестный вид документа"))
    else:
        dt = DOCUMENT_TYPES[doc_type]
        errors += _mask_errors(
            dt,
            normalize_series(doc_type, series),
            normalize_number(doc_type, number),
            field_prefix,
        )
        errors += _age_errors(dt, birth_date, issue_date, on_date, field_prefix)
    if issue_date is not None:
        if birth_date is not None and issue_date < birth_date:
            errors.append(
                FieldError(
                    f"{field_prefix}_issue_date", "Дата выдачи документа раньше даты рождения"
                )
            )
        if issue_date > on_date:
            errors.append(
                FieldError(f"{field_prefix}_issue_date", "Дата выдачи документа в будущем")
            )
    return errors


def format_document(doc_type: int, series: str | None, number: str | None) -> str:
    """Series and number as one string, "series № number" (HL7 CX.1); absent parts left out."""
    parts = []
    s = normalize_series(doc_type, series)
    n = normalize_number(doc_type, number)
    if s:
        parts.append(s)
    if n:
        parts.append(f"№ {n}")
    return " ".join(parts)


def fns_to_f011(code: str | int) -> int | None:
    """The F011 type for a ФНС document code ("03" and 3 are the same); None if there is none."""
    try:
        fns = int(str(code).strip())
    except ValueError:
        return None
    return _FNS_TO_F011.get(fns)
