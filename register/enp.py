"""ЕНП — the unified policy number (16 digits): construction, check digit, validation.

Layout: region code (2) · birth-date-and-sex facet (8) · sequence in the facet (5) ·
Luhn check digit (1).  The facet is month (+20 when the birth year is ≤ 1950,
+40 for 1951–2000), the year's four digits reversed, the day (+50 for men), each
digit d then replaced by 9 − d.
"""

from __future__ import annotations

from datetime import date

from register.validation import FieldError

ENP_LENGTH = 16
MAX_SEQUENCE = 99_999

MALE = 1
FEMALE = 2


def _is_digits(value: str) -> bool:
    # str.isdigit() also accepts superscripts and other scripts' digits.
    return value.isascii() and value.isdigit()


def _invert(digits: str) -> str:
    return "".join(str(9 - int(d)) for d in digits)


def _month_code(birth_date: date) -> int:
    if birth_date.year <= 1950:
        return birth_date.month + 20
    if birth_date.year <= 2000:
        return birth_date.month + 40
    return birth_date.month


def enp_facet(birth_date: date, sex: int) -> str:
    """The 8-digit facet (positions 3–10 of the ЕНП) for a birth date and sex (1 male, 2 female)."""
    if sex not in (MALE, FEMALE):
        raise ValueError(f"sex must be 1 or 2, got {sex!r}")
    day_code = birth_date.day + (50 if sex == MALE else 0)
    year_reversed = f"{birth_date.year:04d}"[::-1]
    plain = f"{_month_code(birth_date):02d}{year_reversed}{day_code:02d}"
    return _invert(plain)


def luhn_check_digit(digits15: str) -> str:
    """The digit to append to ``digits15`` so that the result passes Luhn mod 10."""
    if not _is_digits(digits15):
        raise ValueError(f"digits expected, got {digits15!r}")
    total = 0
    # The appended digit takes the rightmost position, so the payload's last digit is doubled.
    for i, ch in enumerate(reversed(digits15)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True when ``number`` (digits, check digit last) passes Luhn mod 10."""
    if len(number) < 2 or not _is_digits(number):
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def make_enp(region_code: str, birth_date: date, sex: int, sequence: int) -> str:
    """Build a ЕНП: region (2 digits), facet, sequence 0..99999 (5 digits), check digit."""
    if len(region_code) != 2 or not _is_digits(region_code):
        raise ValueError(f"region code must be 2 digits, got {region_code!r}")
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be 0..{MAX_SEQUENCE}, got {sequence}")
    body = f"{region_code}{enp_facet(birth_date, sex)}{sequence:05d}"
    return body + luhn_check_digit(body)


def _decode_sex(day_code: int) -> int | None:
    if 51 <= day_code <= 81:
        return MALE
    if 1 <= day_code <= 31:
        return FEMALE
    return None


def _decode_date(month_code: int, year: int, day: int) -> date | None:
    # The month offset tells the year band; a code that disagrees with the year is garbage.
    if 21 <= month_code <= 32 and year <= 1950:
        month = month_code - 20
    elif 41 <= month_code <= 52 and 1951 <= year <= 2000:
        month = month_code - 40
    elif 1 <= month_code <= 12 and year > 2000:
        month = month_code
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def decode_enp_facet(enp: str) -> tuple[date | None, int | None]:
    """Best-effort birth date and sex from a 16-digit ЕНП's facet; None for what cannot be read.

    The check digit is not verified here: a ЕНП with a typo elsewhere still has a readable facet.
    """
    if len(enp) != ENP_LENGTH or not _is_digits(enp):
        return None, None
    plain = _invert(enp[2:10])
    month_code = int(plain[0:2])
    year = int(plain[2:6][::-1])
    day_code = int(plain[6:8])
    sex = _decode_sex(day_code)
    if sex is None:
        return None, None
    day = day_code - 50 if sex == MALE else day_code
    return _decode_date(month_code, year, day), sex


def _facet_mismatch(enp: str, birth_date: date | None, sex: int | None) -> str | None:
    """The Russian message for a facet that disagrees with what is known, else None."""
    # Sex outside 1/2 is the sex field's own error; comparing against it would only add noise.
    known_sex = sex if sex in (MALE, FEMALE) else None
    facet = enp[2:10]
    date_wrong = False
    sex_wrong = False
    if birth_date is not None:
        # Either sex gives the same month/year digits; the day is compared modulo the +50.
        expected = enp_facet(birth_date, known_sex or FEMALE)
        day_code = int(_invert(facet[6:8]))
        date_wrong = facet[:6] != expected[:6] or day_code % 50 != birth_date.day
    if known_sex is not None:
        sex_wrong = _decode_sex(int(_invert(facet[6:8]))) != known_sex
    if date_wrong and sex_wrong:
        return "ЕНП не соответствует дате рождения и полу"
    if date_wrong:
        return "ЕНП не соответствует дате рождения"
    if sex_wrong:
        return "ЕНП не соответствует полу"
    return None


def validate_enp(
    value: str | None,
    *,
    birth_date: date | None = None,
    sex: int | None = None,
    field: str = "enp",
) -> list[FieldError]:
    """ФЛК of a ЕНП: digits, length 16, Luhn check digit, facet against birth date and sex.

    An empty value passes: whether the ЕНП is required is the caller's decision.
    The value is checked as given (no trimming), so a stray space is reported.
    """
    if value is None or not value.strip():
        return []
    if not _is_digits(value):
        return [FieldError(field, "ЕНП должен содержать только цифры")]
    if len(value) != ENP_LENGTH:
        return [FieldError(field, f"ЕНП должен состоять из 16 цифр (указано {len(value)})")]
    errors: list[FieldError] = []
    if not luhn_valid(value):
        errors.append(FieldError(field, "Неверное контрольное число ЕНП"))
    mismatch = _facet_mismatch(value, birth_date, sex)
    if mismatch:
        errors.append(FieldError(field, mismatch))
    return errors
