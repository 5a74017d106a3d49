"""ЕНП: facet, Luhn check digit, construction, decoding, validation."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from register.enp import (
    decode_enp_facet,
    enp_facet,
    luhn_check_digit,
    luhn_valid,
    make_enp,
    validate_enp,
)
from register.validation import FieldError

EXAMPLE = "5052410834000017"  # DOMAIN.md: man born 15.07.1985, region 50
EXAMPLE_BIRTH = date(1985, 7, 15)

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from([1, 2])
regions = st.from_regex(r"[0-9]{2}", fullmatch=True)
sequences = st.integers(min_value=0, max_value=99_999)


def messages(errors: list[FieldError]) -> list[str]:
    return [e.message for e in errors]


# --- the worked example ------------------------------------------------------------


def test_worked_example_facet() -> None:
    assert enp_facet(EXAMPLE_BIRTH, 1) == "52410834"


def test_worked_example_enp() -> None:
    assert make_enp("50", EXAMPLE_BIRTH, 1, 1) == EXAMPLE


def test_worked_example_validates_and_decodes() -> None:
    assert validate_enp(EXAMPLE, birth_date=EXAMPLE_BIRTH, sex=1) == []
    assert luhn_valid(EXAMPLE)
    assert decode_enp_facet(EXAMPLE) == (EXAMPLE_BIRTH, 1)


# --- facet -------------------------------------------------------------------------


def _plain(facet: str) -> str:
    """Undo the 9 − d substitution, to read the month code, reversed year and day code."""
    return "".join(str(9 - int(d)) for d in facet)


@pytest.mark.parametrize(
    ("birth", "month_code"),
    [
        (date(1950, 12, 31), 32),  # last year of the +20 band
        (date(1951, 1, 1), 41),  # first year of the +40 band
        (date(1900, 6, 1), 26),
        (date(2000, 12, 31), 52),  # last year of the +40 band
        (date(2001, 1, 1), 1),  # no offset after 2000
        (date(2099, 9, 9), 9),
    ],
)
def test_month_offset_by_year_band(birth: date, month_code: int) -> None:
    plain = _plain(enp_facet(birth, 2))
    assert int(plain[0:2]) == month_code
    assert plain[2:6] == f"{birth.year:04d}"[::-1]


@pytest.mark.parametrize(
    ("birth", "sex", "facet"),
    [
        # month 32 year 0591 day 31 (woman) → 67 9408 68
        (date(1950, 12, 31), 2, "67940868"),
        # month 41 year 1591 day 01+50 (man) → 58 8408 48
        (date(1951, 1, 1), 1, "58840848"),
        # month 52 year 0002 day 81 (man) → 47 9997 18
        (date(2000, 12, 31), 1, "47999718"),
        # month 01 year 1002 day 01 (woman) → 98 8997 98
        (date(2001, 1, 1), 2, "98899798"),
    ],
)
def test_facet_at_band_boundaries(birth: date, sex: int, facet: str) -> None:
    assert enp_facet(birth, sex) == facet


def test_men_and_women_differ_by_fifty_in_the_day() -> None:
    man, woman = enp_facet(EXAMPLE_BIRTH, 1), enp_facet(EXAMPLE_BIRTH, 2)
    assert man[:6] == woman[:6]
    assert int(_plain(man)[6:]) == 65
    assert int(_plain(woman)[6:]) == 15


@pytest.mark.parametrize("sex", [0, 3, -1])
def test_facet_rejects_unknown_sex(sex: int) -> None:
    with pytest.raises(ValueError):
        enp_facet(EXAMPLE_BIRTH, sex)


# --- Luhn ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "check"),
    [
        ("505241083400001", "7"),
        ("7992739871", "3"),  # the textbook Luhn example 79927398713
        ("000000000000000", "0"),
    ],
)
def test_luhn_check_digit(payload: str, check: str) -> None:
    assert luhn_check_digit(payload) == check
    assert luhn_valid(payload + check)


@pytest.mark.parametrize("bad", ["", "12a", "١٢٣", "1 2"])
def test_luhn_check_digit_rejects_non_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        luhn_check_digit(bad)


@pytest.mark.parametrize("bad", ["", "0", "5052410834000018", "50524108340000l7", "²²"])
def test_luhn_valid_false(bad: str) -> None:
    assert not luhn_valid(bad)


@given(st.from_regex(r"[0-9]{15}", fullmatch=True))
def test_luhn_check_digit_is_the_only_valid_one(payload: str) -> None:
    valid = [d for d in "0123456789" if luhn_valid(payload + d)]
    assert valid == [luhn_check_digit(payload)]


@given(regions, dates, sexes, sequences, st.integers(0, 15), st.integers(1, 9))
def test_any_single_digit_change_is_caught(
    region: str, birth: date, sex: int, seq: int, pos: int, delta: int
) -> None:
    enp = make_enp(region, birth, sex, seq)
    changed = enp[:pos] + str((int(enp[pos]) + delta) % 10) + enp[pos + 1 :]
    assert not luhn_valid(changed)
    assert "Неверное контрольное число ЕНП" in messages(validate_enp(changed))


def test_every_position_of_the_example_is_protected() -> None:
    for pos in range(16):
        for d in "0123456789":
            if d != EXAMPLE[pos]:
                assert not luhn_valid(EXAMPLE[:pos] + d + EXAMPLE[pos + 1 :]), (pos, d)


# --- make_enp ------------------------------------------------------------------------


def test_make_enp_layout() -> None:
    enp = make_enp("77", date(2010, 2, 3), 2, 12345)
    assert len(enp) == 16
    assert enp[:2] == "77"
    assert enp[2:10] == enp_facet(date(2010, 2, 3), 2)
    assert enp[10:15] == "12345"


@pytest.mark.parametrize("seq", [0, 99_999])
def test_make_enp_sequence_bounds_accepted(seq: int) -> None:
    assert make_enp("50", EXAMPLE_BIRTH, 1, seq)[10:15] == f"{seq:05d}"


@pytest.mark.parametrize("seq", [-1, 100_000])
def test_make_enp_sequence_out_of_range(seq: int) -> None:
    with pytest.raises(ValueError):
        make_enp("50", EXAMPLE_BIRTH, 1, seq)


@pytest.mark.parametrize("region", ["5", "500", "5a", ""])
def test_make_enp_bad_region(region: str) -> None:
    with pytest.raises(ValueError):
        make_enp(region, EXAMPLE_BIRTH, 1, 0)


@given(regions, dates, sexes, sequences)
def test_make_validate_decode_round_trip(region: str, birth: date, sex: int, seq: int) -> None:
    enp = make_enp(region, birth, sex, seq)
    assert validate_enp(enp, birth_date=birth, sex=sex) == []
    assert decode_enp_facet(enp) == (birth, sex)


@given(regions, dates, sexes, sequences, dates)
def test_other_birth_date_is_reported(
    region: str, birth: date, sex: int, seq: int, other: date
) -> None:
    enp = make_enp(region, birth, sex, seq)
    errors = validate_enp(enp, birth_date=other, sex=sex)
    if other == birth:
        assert errors == []
    else:
        assert messages(errors) == ["ЕНП не соответствует дате рождения"]


# --- decode ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "505241083400001", "50524108340000170", "505241083400001x"])
def test_decode_needs_sixteen_digits(bad: str) -> None:
    assert decode_enp_facet(bad) == (None, None)


def _with_facet(plain: str) -> str:
    """A 16-digit number (check digit not fixed) whose facet encodes ``plain``."""
    return "50" + _plain(plain) + "000010"


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("47589165", (date(1985, 7, 15), 1)),
        ("47589115", (date(1985, 7, 15), 2)),
        ("02100265", (date(2001, 2, 15), 1)),  # after 2000: no month offset
        ("23058115", (date(1850, 3, 15), 2)),  # ≤ 1950: +20, also before 1900
        ("07589165", (None, 1)),  # no month offset, but the year is 1985
        ("27589165", (None, 1)),  # +20 offset, but the year is after 1950
        ("42100215", (None, 2)),  # +40 offset, but the year is 2001
    ],
)
def test_decode_band_consistency(plain: str, expected: tuple[date | None, int | None]) -> None:
    assert decode_enp_facet(_with_facet(plain)) == expected


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("22139130", (None, 2)),  # 30 February 1931
        ("13100215", (None, 2)),  # month code 13
        ("47589100", (None, None)),  # day code 00: neither sex
        ("47589132", (None, None)),  # day code 32
        ("47589150", (None, None)),  # day code 50
        ("47589182", (None, None)),  # day code 82: beyond 31 + 50
    ],
)
def test_decode_undecodable_parts(plain: str, expected: tuple[date | None, int | None]) -> None:
    assert decode_enp_facet(_with_facet(plain)) == expected


def test_decode_ignores_check_digit() -> None:
    broken = EXAMPLE[:-1] + "0"
    assert not luhn_valid(broken)
    assert decode_enp_facet(broken) == (EXAMPLE_BIRTH, 1)


# --- validate_enp --------------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_is_not_validated(empty: str | None) -> None:
    assert validate_enp(empty, birth_date=EXAMPLE_BIRTH, sex=1) == []


@pytest.mark.parametrize(
    "bad", ["505241083400001X", "5052 4108 3400 0017", " 5052410834000017", "٥٠"]
)
def test_non_digits(bad: str) -> None:
    assert messages(validate_enp(bad)) == ["ЕНП должен содержать только цифры"]


@pytest.mark.parametrize("bad", ["505241083400001", "50524108340000170", "1"])
def test_wrong_length(bad: str) -> None:
    assert messages(validate_enp(bad)) == [f"ЕНП должен состоять из 16 цифр (указано {len(bad)})"]


def test_field_name_is_used() -> None:
    errors = validate_enp("123", field="enp_new")
    assert [e.field for e in errors] == ["enp_new"]
    assert not errors[0].warning


def test_bad_check_digit() -> None:
    errors = validate_enp("5052410834000018")
    assert messages(errors) == ["Неверное контрольное число ЕНП"]
    assert not errors[0].warning


def test_wrong_sex() -> None:
    assert messages(validate_enp(EXAMPLE, birth_date=EXAMPLE_BIRTH, sex=2)) == [
        "ЕНП не соответствует полу"
    ]


def test_wrong_birth_date() -> None:
    assert messages(validate_enp(EXAMPLE, birth_date=date(1985, 7, 16), sex=1)) == [
        "ЕНП не соответствует дате рождения"
    ]


def test_wrong_birth_date_and_sex() -> None:
    errors = validate_enp(EXAMPLE, birth_date=date(1958, 7, 15), sex=2)
    assert messages(errors) == ["ЕНП не соответствует дате рождения и полу"]
    assert not errors[0].warning


@pytest.mark.parametrize(
    "other",
    [
        date(1885, 7, 15),  # same digits, other century band (+20)
        date(2085, 7, 15),  # same year digits, no offset
        date(1985, 8, 15),
        date(1986, 7, 15),
    ],
)
def test_birth_date_alone_is_compared(other: date) -> None:
    assert messages(validate_enp(EXAMPLE, birth_date=other)) == [
        "ЕНП не соответствует дате рождения"
    ]


def test_each_given_part_is_compared_alone() -> None:
    assert validate_enp(EXAMPLE, birth_date=EXAMPLE_BIRTH) == []
    assert validate_enp(EXAMPLE, sex=1) == []
    assert messages(validate_enp(EXAMPLE, sex=2)) == ["ЕНП не соответствует полу"]


def test_unknown_sex_is_not_compared() -> None:
    # The sex field reports its own error; the ЕНП must not add a misleading one.
    assert validate_enp(EXAMPLE, birth_date=EXAMPLE_BIRTH, sex=0) == []


def test_check_digit_and_facet_are_both_reported() -> None:
    enp = make_enp("50", date(2001, 1, 1), 2, 5)
    broken = enp[:-1] + str((int(enp[-1]) + 1) % 10)
    assert messages(validate_enp(broken, birth_date=date(2001, 1, 2), sex=2)) == [
        "Неверное контрольное число ЕНП",
        "ЕНП не соответствует дате рождения",
    ]


def test_validate_without_person_data_checks_only_the_number() -> None:
    # An ЕНП whose facet is not a date at all is still a well-formed number.
    body = "50" + "00000000" + "00001"
    enp = body + luhn_check_digit(body)
    assert validate_enp(enp) == []
    assert messages(validate_enp(enp, sex=1)) == ["ЕНП не соответствует полу"]
