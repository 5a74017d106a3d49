"""Identity documents (ДУЛ): type table, masks, normalising, age and date rules, ФНС codes."""

import re
from datetime import date

import pytest

from register.documents import (
    DOCUMENT_TYPES,
    fns_to_f011,
    format_document,
    normalize_number,
    normalize_series,
    validate_document,
)
from register.validation import FieldError

TODAY = date(2024, 6, 1)
ADULT = date(1980, 5, 20)


def check(
    doc_type: int | None,
    series: str | None,
    number: str | None,
    *,
    birth_date: date | None = None,
    issue_date: date | None = None,
    on_date: date | None = TODAY,
) -> list[str]:
    errors = validate_document(
        doc_type, series, number, birth_date=birth_date, issue_date=issue_date, on_date=on_date
    )
    return [e.message for e in errors]


def fields(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


# --- the table -----------------------------------------------------------------------


def test_table_covers_f011_codes() -> None:
    assert set(range(1, 19)) | set(range(21, 26)) <= set(DOCUMENT_TYPES)
    for code, dt in DOCUMENT_TYPES.items():
        assert dt.code == code
        assert dt.name
        for pattern in (dt.series_pattern, dt.number_pattern):
            if pattern is not None:
                re.compile(pattern)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (14, "Паспорт гражданина Российской Федерации"),
        (3, "Свидетельство о рождении, выданное в Российской Федерации"),
        (9, "Паспорт иностранного гражданина"),
        (11, "Вид на жительство в Российской Федерации"),
        (12, "Удостоверение беженца"),
        (13, "Временное удостоверение личности гражданина Российской Федерации"),
        (15, "Заграничный паспорт гражданина Российской Федерации"),
        (18, "Иные документы"),
        (23, "Разрешение на временное проживание в Российской Федерации"),
        (24, "Свидетельство о рождении, выданное не в Российской Федерации"),
        (
            25,
            "Свидетельство о предоставлении временного убежища на территории Российской Федерации",
        ),
    ],
)
def test_names(code: int, name: str) -> None:
    assert DOCUMENT_TYPES[code].name == name


def test_foreigners_documents() -> None:
    foreign = {c for c, dt in DOCUMENT_TYPES.items() if dt.for_foreigners}
    assert {9, 11, 12, 21, 22, 23, 25} <= foreign
    assert not {3, 7, 13, 14, 15} & foreign


def test_masked_types_require_series() -> None:
    assert all(DOCUMENT_TYPES[c].series_required for c in (3, 7, 14, 15))
    assert not DOCUMENT_TYPES[9].series_required


# --- passport of the Russian Federation (14) ---------------------------------------


@pytest.mark.parametrize("series", ["4509", "45 09", " 45  09 ", "45\u00a009", "45\t09"])
def test_passport_series_accepted_and_normalised(series: str) -> None:
    assert normalize_series(14, series) == "45 09"
    assert check(14, series, "123456", birth_date=ADULT) == []


@pytest.mark.parametrize("series", ["450", "45091", "45-09", "45 0a", "AB CD", "४५०९", "45 09 1"])
def test_passport_series_rejected(series: str) -> None:
    assert check(14, series, "123456", birth_date=ADULT) == [
        "Серия паспорта РФ — 4 цифры в формате 99 99"
    ]


@pytest.mark.parametrize("number", ["123456", "000001", "123 456", " 123456 "])
def test_passport_number_accepted(number: str) -> None:
    assert normalize_number(14, number) == re.sub(r"\s", "", number)
    assert check(14, "4509", number) == []


@pytest.mark.parametrize("number", ["12345", "1234567", "12345a", "12345№", "１２３４５６"])
def test_passport_number_rejected(number: str) -> None:
    errors = validate_document(14, "4509", number, on_date=TODAY)
    assert errors == [FieldError("doc_number", "Номер паспорта РФ — 6 цифр")]


def test_passport_series_and_number_missing() -> None:
    errors = validate_document(14, None, " ", on_date=TODAY)
    assert errors == [
        FieldError("doc_series", "Не указана серия документа"),
        FieldError("doc_number", "Не указан номер документа"),
    ]


# --- birth certificate of the Russian Federation (3) ---------------------------------


CHILD = date(2015, 3, 10)


@pytest.mark.parametrize(
    ("series", "normalised"),
    [
        ("IV-МЮ", "IV-МЮ"),
        ("iv-мю", "IV-МЮ"),
        ("IV - МЮ", "IV-МЮ"),
        (" I -АГ ", "I-АГ"),
        ("IV–МЮ", "IV-МЮ"),  # en dash typed by Word
        ("LXXV-ЖЁ", "LXXV-ЖЁ"),
        ("XCIX-ЯЯ", "XCIX-ЯЯ"),
        # Cyrillic look-alikes in the Roman part: І (U+0406), Х, С, lower case too.
        ("ІІ-АК", "II-АК"),
        ("Х-ВЛ", "X-ВЛ"),
        ("ХС-ВЛ", "XC-ВЛ"),
        ("хіі-вл", "XII-ВЛ"),
        # Latin look-alikes in the letters part (typed on an English layout).
        ("II-AK", "II-АК"),
        ("X-CT", "X-СТ"),
    ],
)
def test_birth_certificate_series_accepted(series: str, normalised: str) -> None:
    result = normalize_series(3, series)
    assert result == normalised
    assert result is not None and result.split("-")[0].isascii()
    assert check(3, series, "123456", birth_date=CHILD) == []


@pytest.mark.parametrize(
    "series",
    [
        "IV МЮ",  # no hyphen
        "IVМЮ",
        "IV-М",  # one letter
        "IV-МЮЯ",  # three letters
        "4-МЮ",  # Arabic numeral
        "IV-12",
        "IV-ZZ",  # Latin letters that look like no Cyrillic letter
        "-МЮ",  # no Roman part
        "IM-МЮ",  # M is not among the allowed numerals
        "IV-МЮ-I",
        "ДВ-МЮ",  # Cyrillic letters that look like no Roman numeral
    ],
)
def test_birth_certificate_series_rejected(series: str) -> None:
    messages = check(3, series, "123456", birth_date=CHILD)
    assert messages == [
        "Серия свидетельства о рождении — римские цифры, дефис и две русские буквы, например IV-МЮ"
    ]


@pytest.mark.parametrize(("number", "ok"), [("654321", True), ("65432", False), ("6543210", False)])
def test_birth_certificate_number(number: str, ok: bool) -> None:
    messages = check(3, "IV-МЮ", number, birth_date=CHILD)
    assert messages == ([] if ok else ["Номер свидетельства о рождении — 6 цифр"])


def test_birth_certificate_series_required() -> None:
    assert check(3, None, "123456", birth_date=CHILD) == ["Не указана серия документа"]


# --- international passport (15) and military ID (7) ---------------------------------


@pytest.mark.parametrize(
    ("series", "number", "expected"),
    [
        ("75", "1234567", []),
        (" 7 5", "123 4567", []),
        ("7", "1234567", ["Серия заграничного паспорта РФ — 2 цифры"]),
        ("755", "1234567", ["Серия заграничного паспорта РФ — 2 цифры"]),
        ("75", "123456", ["Номер заграничного паспорта РФ — 7 цифр"]),
        ("75", "12345678", ["Номер заграничного паспорта РФ — 7 цифр"]),
    ],
)
def test_international_passport(series: str, number: str, expected: list[str]) -> None:
    assert check(15, series, number, birth_date=ADULT) == expected


@pytest.mark.parametrize(
    ("series", "number", "expected"),
    [
        ("АБ", "123456", []),
        ("АБ", "1234567", []),
        ("аб", "1234567", []),
        ("AK", "1234567", []),  # Latin look-alikes → Cyrillic
        ("А Б", "1234567", []),
        ("А", "1234567", ["Серия военного билета — две русские буквы"]),
        ("12", "1234567", ["Серия военного билета — две русские буквы"]),
        ("АБВ", "1234567", ["Серия военного билета — две русские буквы"]),
        ("АБ", "12345", ["Номер военного билета — 6 или 7 цифр"]),
        ("АБ", "12345678", ["Номер военного билета — 6 или 7 цифр"]),
    ],
)
def test_military_id(series: str, number: str, expected: list[str]) -> None:
    assert check(7, series, number, birth_date=ADULT) == expected


def test_military_series_normalised_to_cyrillic() -> None:
    assert normalize_series(7, "ak") == "АК"


# --- free-text types -------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 16, 17, 18, 21, 22, 23, 24, 25]
)
def test_free_text_types_accept_any_printable(code: int) -> None:
    assert check(code, None, "AB 1234567/89-Z", birth_date=ADULT) == []
    assert check(code, "X-7 (ü)", "№ 12", birth_date=ADULT) == []


def test_free_text_length_limit() -> None:
    assert check(9, "S" * 30, "N" * 30, birth_date=ADULT) == []
    assert check(9, "S" * 31, "N" * 31, birth_date=ADULT) == [
        "Серия документа — не более 30 символов (указано 31)",
        "Номер документа — не более 30 символов (указано 31)",
    ]


def test_free_text_spaces_collapse_before_counting() -> None:
    assert normalize_number(9, "  AB   123  ") == "AB 123"
    assert check(9, None, "A" + " " * 40 + "B", birth_date=ADULT) == []


@pytest.mark.parametrize("bad", ["12\x0034", "12\u200b34", "12\x1b34"])
def test_free_text_non_printable(bad: str) -> None:
    assert check(9, None, bad, birth_date=ADULT) == [
        "Номер документа содержит непечатаемые символы"
    ]


def test_free_text_number_required() -> None:
    assert check(9, "AB", None, birth_date=ADULT) == ["Не указан номер документа"]


# --- type ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 19, 20, 26, 99, -14])
def test_unknown_type(code: int) -> None:
    errors = validate_document(code, "1234", "123456", on_date=TODAY)
    assert errors == [FieldError("doc_type", "Неизвестный вид документа")]


def test_no_document_at_all_passes() -> None:
    assert validate_document(None, None, None) == []
    assert validate_document(None, " ", "") == []


def test_number_without_type() -> None:
    errors = validate_document(None, None, "123456", on_date=TODAY)
    assert errors == [FieldError("doc_type", "Не указан вид документа")]


def test_field_prefix() -> None:
    errors = validate_document(
        14, "45", "1", birth_date=ADULT, issue_date=date(1970, 1, 1), field_prefix="old_doc"
    )
    assert fields(errors) == ["old_doc_series", "old_doc_number", "old_doc_issue_date"]


# --- age rules ---------------------------------------------------------------------------


def test_child_with_passport_is_an_error() -> None:
    errors = validate_document(
        14,
        "4509",
        "123456",
        birth_date=date(2012, 1, 1),
        issue_date=date(2024, 1, 1),
        on_date=TODAY,
    )
    assert errors == [FieldError("doc_type", "Паспорт гражданина РФ выдаётся с 14 лет")]
    assert not errors[0].warning


def test_passport_on_the_fourteenth_birthday() -> None:
    birth = date(2010, 4, 15)
    assert check(14, "4509", "123456", birth_date=birth, issue_date=date(2024, 4, 15)) == []
    assert check(14, "4509", "123456", birth_date=birth, issue_date=date(2024, 4, 14)) == [
        "Паспорт гражданина РФ выдаётся с 14 лет"
    ]


def test_passport_age_at_issue_date_not_today() -> None:
    # Issued at 13 is wrong even though the holder is an adult now.
    assert check(
        14, "4509", "123456", birth_date=date(2000, 1, 1), issue_date=date(2013, 6, 1)
    ) == ["Паспорт гражданина РФ выдаётся с 14 лет"]


def test_passport_age_at_check_date_when_issue_unknown() -> None:
    birth = date(2010, 6, 2)  # 14 on 02.06.2024, the day after TODAY
    assert check(14, "4509", "123456", birth_date=birth) == [
        "Паспорт гражданина РФ выдаётся с 14 лет"
    ]
    assert check(14, "4509", "123456", birth_date=birth, on_date=date(2024, 6, 2)) == []


def test_leap_day_birth() -> None:
    birth = date(2008, 2, 29)
    assert check(14, "4509", "123456", birth_date=birth, issue_date=date(2022, 2, 28)) == [
        "Паспорт гражданина РФ выдаётся с 14 лет"
    ]
    assert check(14, "4509", "123456", birth_date=birth, issue_date=date(2022, 3, 1)) == []


def test_birth_certificate_of_an_adult_is_a_warning() -> None:
    errors = validate_document(3, "IV-МЮ", "123456", birth_date=date(2010, 6, 1), on_date=TODAY)
    assert len(errors) == 1
    assert errors[0].warning
    assert errors[0].field == "doc_type"


def test_birth_certificate_of_a_thirteen_year_old_is_fine() -> None:
    assert validate_document(3, "IV-МЮ", "123456", birth_date=date(2010, 6, 2), on_date=TODAY) == []


def test_no_age_rule_without_birth_date() -> None:
    assert check(14, "4509", "123456", issue_date=date(2020, 1, 1)) == []


# --- issue date ------------------------------------------------------------------------


def test_issue_before_birth() -> None:
    errors = validate_document(
        14, "4509", "123456", birth_date=ADULT, issue_date=date(1979, 1, 1), on_date=TODAY
    )
    # Only the date error: an age computed from an impossible issue date would be noise.
    assert errors == [FieldError("doc_issue_date", "Дата выдачи документа раньше даты рождения")]


def test_issue_on_birth_day_is_fine_for_a_birth_certificate() -> None:
    assert check(3, "I-АБ", "123456", birth_date=CHILD, issue_date=CHILD) == []


def test_issue_in_the_future() -> None:
    errors = validate_document(
        9, None, "X1", birth_date=ADULT, issue_date=date(2024, 6, 2), on_date=TODAY
    )
    assert errors == [FieldError("doc_issue_date", "Дата выдачи документа в будущем")]
    assert check(9, None, "X1", issue_date=TODAY) == []


def test_issue_date_checked_for_unknown_type_too() -> None:
    assert check(99, None, "1", birth_date=ADULT, issue_date=date(1970, 1, 1)) == [
        "Неизвестный вид документа",
        "Дата выдачи документа раньше даты рождения",
    ]


def test_on_date_defaults_to_today() -> None:
    far = date(date.today().year + 1, 1, 1)
    assert check(9, None, "X1", issue_date=far, on_date=None) == ["Дата выдачи документа в будущем"]


# --- formatting and ФНС codes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "series", "number", "text"),
    [
        (14, "4509", "123456", "45 09 № 123456"),
        (3, "iv - мю", "123456", "IV-МЮ № 123456"),
        (9, None, "AB123", "№ AB123"),
        (9, "  ", " AB  123 ", "№ AB 123"),
        (9, None, None, ""),
    ],
)
def test_format_document(doc_type: int, series: str | None, number: str | None, text: str) -> None:
    assert format_document(doc_type, series, number) == text


@pytest.mark.parametrize(
    ("fns", "f011"),
    [
        ("21", 14),
        (21, 14),
        ("03", 3),
        ("3", 3),
        (3, 3),
        (" 03 ", 3),
        ("10", 9),
        ("12", 11),
        ("91", 18),
        ("22", 15),
        ("07", 7),
        ("14", 13),
        ("15", 23),
        ("23", 24),
    ],
)
def test_fns_to_f011(fns: str | int, f011: int) -> None:
    assert fns_to_f011(fns) == f011


@pytest.mark.parametrize("fns", ["08", "24", "99", "", "abc", "2 1"])
def test_fns_without_f011_counterpart(fns: str) -> None:
    assert fns_to_f011(fns) is None


def test_every_fns_code_maps_to_a_known_type() -> None:
    mapped = {fns_to_f011(code) for code in range(100)} - {None}
    assert mapped <= set(DOCUMENT_TYPES)
