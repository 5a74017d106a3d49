"""Names: normalising for search, matching keys, validation, full name."""

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from register.names import full_name, name_match_key, normalize_name, validate_person_name
from register.validation import FieldError

REQUIRED = "Поле обязательно для заполнения"


def messages(errors: list[FieldError]) -> list[str]:
    return [e.message for e in errors]


# --- normalize_name --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Иванов", "ИВАНОВ"),
        ("  иванов  ", "ИВАНОВ"),
        ("Алёна", "АЛЕНА"),
        ("ЁЛКИН", "ЕЛКИН"),
        ("Фёдор", "ФЕДОР"),
        ("Салтыков Щедрин", "САЛТЫКОВ ЩЕДРИН"),
        ("Салтыков   Щедрин", "САЛТЫКОВ ЩЕДРИН"),
        ("Салтыков\u00a0Щедрин", "САЛТЫКОВ ЩЕДРИН"),  # no-break space
        ("Салтыков\tЩедрин", "САЛТЫКОВ ЩЕДРИН"),
        ("Салтыков\n Щедрин", "САЛТЫКОВ ЩЕДРИН"),
        ("Оглы Мамед", "ОГЛЫ МАМЕД"),
        ("д'Артаньян", "Д'АРТАНЬЯН"),
        ("Smith", "SMITH"),
        (None, ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_name(raw: str | None, normalised: str) -> None:
    assert normalize_name(raw) == normalised


@pytest.mark.parametrize(
    "dash",
    ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"],  # ‐ ‑ ‒ – — −
)
@pytest.mark.parametrize("spacing", ["{}", " {} ", "{} ", " {}", "  {}\u00a0"])
def test_every_dash_becomes_a_plain_hyphen(dash: str, spacing: str) -> None:
    raw = "Салтыков" + spacing.format(dash) + "щедрин"
    assert normalize_name(raw) == "САЛТЫКОВ-ЩЕДРИН"


def test_decomposed_letters_compare_equal() -> None:
    # Й and Ё pasted as a letter plus a combining mark (NFD) must match the usual letters.
    decomposed = unicodedata.normalize("NFD", "Йёлкин")
    assert decomposed != "Йёлкин"
    assert normalize_name(decomposed) == "ЙЕЛКИН"


@given(st.text())
@example("ΐ")  # upper() decomposes it: Ϊ + combining acute
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert "Ё" not in once
    assert once == once.strip()
    assert "  " not in once


# --- name_match_key ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "Салтыков-Щедрин",
        "салтыков – щедрин",
        "Салтыков Щедрин",
        "САЛТЫКОВЩЕДРИН",
        " салтыков—щедрин ",
    ],
)
def test_match_key_ignores_spaces_and_hyphens(variant: str) -> None:
    assert name_match_key(variant) == "САЛТЫКОВЩЕДРИН"


def test_match_key_treats_yo_as_ye() -> None:
    assert name_match_key("Семёнов") == name_match_key("СЕМЕНОВ") == "СЕМЕНОВ"


def test_match_key_keeps_different_names_apart() -> None:
    assert name_match_key("Иванов") != name_match_key("Иванова")


def test_match_key_none() -> None:
    assert name_match_key(None) == ""


# --- validate_person_name --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Иванов",
        "Салтыков-Щедрин",
        "Салтыков – Щедрин",
        "д'Артаньян",
        "О’Нил",
        "Мамед Оглы",
        "Smith",
        "John Jr.",
        "Мария (Мэри)",
        "Müller",
        "Іван",  # Ukrainian letters are Cyrillic
        "Ёжиков",
        "А" * 40,
    ],
)
def test_valid_names(value: str) -> None:
    assert validate_person_name(value, field="surname", required=True) == []


@pytest.mark.parametrize("empty", [None, "", "   ", "\u00a0"])
def test_required(empty: str | None) -> None:
    assert validate_person_name(empty, field="name", required=True) == [
        FieldError("name", REQUIRED)
    ]
    assert validate_person_name(empty, field="patronymic", required=False) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("<b>Иванов</b>", "< > /"),
        ("Иванов2", "2"),
        ("Петров_", "_"),
        ("Иванов; DROP", ";"),
        ("Иванов@", "@"),
        ("Иван\x00ов", "U+0000"),
        ("Иван\u200bов", "U+200B"),  # zero-width space pasted from the web
        ("Иван\u00adов", "U+00AD"),  # soft hyphen
        ("Ἀλέξανδρος", "Ἀ λ έ ξ α ν δ ρ ο ς"),  # Greek is neither Cyrillic nor Latin
    ],
)
def test_invalid_characters_are_listed(value: str, shown: str) -> None:
    errors = validate_person_name(value, field="surname", required=True)
    assert messages(errors) == [f"Недопустимые символы: {shown}"]
    assert not errors[0].warning


def test_html_rejected() -> None:
    errors = validate_person_name("<b>", field="name", required=False)
    assert messages(errors) == ["Недопустимые символы: < >"]


def test_too_long() -> None:
    errors = validate_person_name("А" * 41, field="surname", required=True)
    assert messages(errors) == ["Не более 40 символов (указано 41)"]
    assert not errors[0].warning


def test_length_counts_collapsed_spaces() -> None:
    assert (
        validate_person_name("  " + "А" * 20 + "     " + "Б" * 19 + "  ", field="x", required=True)
        == []
    )


@pytest.mark.parametrize("placeholder", ["-", ".", "--", "( )", "'"])
def test_no_letters(placeholder: str) -> None:
    assert messages(validate_person_name(placeholder, field="patronymic", required=False)) == [
        "Должно содержать хотя бы одну букву"
    ]


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("Ивaнов", "Ивaнов"),  # Latin a
        ("Петров-Вoдкин", "Вoдкин"),  # Latin o in the second part only
        ("Cмирнов", "Cмирнов"),  # Latin C
    ],
)
def test_mixed_scripts_in_a_word_is_a_warning(value: str, word: str) -> None:
    errors = validate_person_name(value, field="surname", required=True)
    assert len(errors) == 1
    assert errors[0].warning
    assert errors[0].message == f"Смешаны латинские и русские буквы: {word}"


def test_scripts_in_separate_words_are_fine() -> None:
    assert validate_person_name("Анна Mary", field="name", required=True) == []


def test_errors_and_warning_together() -> None:
    errors = validate_person_name("Ивaнов1", field="surname", required=True)
    assert [(e.message, e.warning) for e in errors] == [
        ("Недопустимые символы: 1", False),
        ("Смешаны латинские и русские буквы: Ивaнов", True),
    ]


# --- full_name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "joined"),
    [
        (("Иванов", "Иван", "Иванович"), "Иванов Иван Иванович"),
        (("Иванов", "Иван", None), "Иванов Иван"),
        (("Иванов", "Иван", "  "), "Иванов Иван"),
        ((" Иванов ", None, "Иванович"), "Иванов Иванович"),
        (("Салтыков  Щедрин", "Михаил", ""), "Салтыков Щедрин Михаил"),
        ((None, None, None), ""),
    ],
)
def test_full_name(parts: tuple[str | None, str | None, str | None], joined: str) -> None:
    assert full_name(*parts) == joined
