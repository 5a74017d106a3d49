"""СНИЛС: control number, threshold, normalising and formatting, validation."""

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from register.snils import (
    format_snils,
    make_snils,
    normalize_snils,
    snils_check_number,
    validate_snils,
)
from register.validation import FieldError

CONTROL_ERROR = "Неверное контрольное число СНИЛС"
LENGTH_ERROR = "СНИЛС должен состоять из 11 цифр"


def weighted_sum(body: str) -> int:
    return sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))


def errors_only(errors: list[FieldError]) -> list[str]:
    return [e.message for e in errors if not e.warning]


def warnings_only(errors: list[FieldError]) -> list[str]:
    return [e.message for e in errors if e.warning]


# --- examples from the specification ------------------------------------------------


@pytest.mark.parametrize("value", ["112-233-445 95", "123-456-789 64"])
def test_spec_examples_validate(value: str) -> None:
    assert validate_snils(value) == []


# --- control number: every branch of the rule -----------------------------------------


@pytest.mark.parametrize(
    ("body", "total", "control"),
    [
        ("112233445", 95, "95"),  # < 100: the sum itself
        ("141008407", 99, "99"),  # largest sum kept as is
        ("026002389", 100, "00"),  # exactly 100
        ("030214884", 101, "00"),  # exactly 101
        ("126103073", 102, "01"),  # > 101: 102 mod 101
        ("123456789", 165, "64"),  # > 101: 165 mod 101
        ("543546368", 201, "00"),  # > 101 and the remainder is 100
        ("532971373", 202, "00"),  # > 101 and the remainder is 0
        ("936898467", 303, "00"),  # remainder 0 again, three times 101
    ],
)
def test_check_number_branches(body: str, total: int, control: str) -> None:
    assert weighted_sum(body) == total  # the body really exercises the intended branch
    assert snils_check_number(body) == control
    assert validate_snils(make_snils(body)) == []


def test_small_sum_is_zero_padded() -> None:
    # Sum 3 → "03": the control number keeps its leading zero.
    assert snils_check_number("000000003") == "03"


@pytest.mark.parametrize("bad", ["12345678", "1234567890", "12345678x", "", "¹²³⁴⁵⁶⁷⁸⁹"])
def test_check_number_needs_nine_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        snils_check_number(bad)


def test_make_snils_appends_control() -> None:
    assert make_snils("112233445") == "11223344595"


# --- threshold 001-001-998 -----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["001-001-998 00", "001-001-998 64", "000-000-001 99", "00100199812"]
)
def test_bodies_up_to_threshold_are_not_checked(value: str) -> None:
    assert errors_only(validate_snils(value)) == []


def test_first_checked_body() -> None:
    assert snils_check_number("001001999") == "65"
    assert errors_only(validate_snils("001-001-999 65")) == []
    assert errors_only(validate_snils("001-001-999 00")) == [CONTROL_ERROR]


# --- normalising and formatting --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("112-233-445 95", "11223344595"),
        ("11223344595", "11223344595"),
        (" 112 233 445 95 ", "11223344595"),
        ("112-233-445-95", "11223344595"),
        ("112–233–445\u00a095", "11223344595"),  # en dashes and a no-break space from Word
        ("112-233-445\t95", "11223344595"),
        (11223344595, "11223344595"),
        (1001998, "00001001998"),  # a numeric column lost the leading zeros
        (0, "00000000000"),
    ],
)
def test_normalize(raw: str | int, clean: str) -> None:
    assert normalize_snils(raw) == clean


@pytest.mark.parametrize("empty", [None, "", "   ", "- -"])
def test_normalize_empty(empty: str | None) -> None:
    assert normalize_snils(empty) is None


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("112-233-445", "112233445"),
        ("1122334459X", "1122334459X"),
        (-5, "-5"),
        (123456789012, "123456789012"),
    ],
)
def test_normalize_keeps_bad_values_for_the_validator(raw: str | int, kept: str) -> None:
    assert normalize_snils(raw) == kept


def test_format() -> None:
    assert format_snils("11223344595") == "112-233-445 95"
    assert format_snils("112 233 445 95") == "112-233-445 95"


@pytest.mark.parametrize("bad", ["1122334459", "", "1122334459x"])
def test_format_rejects_non_snils(bad: str) -> None:
    with pytest.raises(ValueError):
        format_snils(bad)


@given(st.integers(min_value=0, max_value=99_999_999_999))
def test_int_and_formatted_forms_round_trip(number: int) -> None:
    bare = normalize_snils(number)
    assert bare is not None and re.fullmatch(r"[0-9]{11}", bare)
    formatted = format_snils(bare)
    assert re.fullmatch(r"[0-9]{3}-[0-9]{3}-[0-9]{3} [0-9]{2}", formatted)
    assert normalize_snils(formatted) == bare
    assert int(bare) == number


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_empty_is_not_validated(empty: str | None) -> None:
    assert validate_snils(empty) == []


@pytest.mark.parametrize(
    "bad", ["112-233-445 9", "112-233-445 950", "112-233-445 9O", "1122334459٥"]
)
def test_wrong_length_or_characters(bad: str) -> None:
    errors = validate_snils(bad, field="person_snils")
    assert errors == [FieldError("person_snils", LENGTH_ERROR)]


def test_wrong_control_number_is_an_error() -> None:
    errors = validate_snils("112-233-445 96")
    assert errors == [FieldError("snils", CONTROL_ERROR)]


def test_int_input_is_validated() -> None:
    assert validate_snils(11223344595) == []
    assert errors_only(validate_snils(11223344596)) == [CONTROL_ERROR]


@pytest.mark.parametrize("body", ["111234567", "123455567", "123456999"])
def test_triple_digit_is_only_a_warning(body: str) -> None:
    errors = validate_snils(make_snils(body))
    assert errors_only(errors) == []
    assert len(warnings_only(errors)) == 1
    assert all(e.warning for e in errors)


def test_triple_digit_across_group_boundary() -> None:
    # 122-234-567: "222" is split by a hyphen in the written form; still three in a row.
    assert len(warnings_only(validate_snils(make_snils("122234567")))) == 1


def test_run_into_the_control_number_is_not_warned() -> None:
    # 047-068-899 93: "99" + "9" spans the body and the control number; only the body counts.
    assert make_snils("047068899") == "04706889993"
    assert validate_snils("047-068-899 93") == []


def test_triple_digit_warning_with_control_error() -> None:
    errors = validate_snils("111-234-567 01")  # right control is 00
    assert errors_only(errors) == [CONTROL_ERROR]
    assert len(warnings_only(errors)) == 1


def test_pairs_are_not_warned() -> None:
    assert validate_snils("112-233-445 95") == []


bodies_above_threshold = st.integers(min_value=1_001_999, max_value=999_999_999).map(
    lambda n: f"{n:09d}"
)


@given(bodies_above_threshold)
def test_made_snils_always_validates(body: str) -> None:
    assert errors_only(validate_snils(make_snils(body))) == []
    assert errors_only(validate_snils(format_snils(make_snils(body)))) == []


@given(bodies_above_threshold, st.integers(9, 10), st.integers(1, 9))
def test_any_change_of_the_control_number_fails(body: str, pos: int, delta: int) -> None:
    snils = make_snils(body)
    changed = snils[:pos] + str((int(snils[pos]) + delta) % 10) + snils[pos + 1 :]
    assert errors_only(validate_snils(changed)) == [CONTROL_ERROR]


@given(st.integers(min_value=0, max_value=1_001_998).map(lambda n: f"{n:09d}"), st.integers(0, 99))
def test_any_control_number_passes_at_or_below_threshold(body: str, control: int) -> None:
    assert errors_only(validate_snils(f"{body}{control:02d}")) == []


@given(bodies_above_threshold, st.integers(0, 99))
def test_only_the_right_control_number_passes_above_threshold(body: str, control: int) -> None:
    assume(f"{control:02d}" != snils_check_number(body))
    assert errors_only(validate_snils(f"{body}{control:02d}")) == [CONTROL_ERROR]
