"""Surnames, names and patronymics: normalisation for search/matching, and their ФЛК."""

from __future__ import annotations

import re
import unicodedata

from register.validation import FieldError

NAME_MAX_LENGTH = 40

# Every character that looks like a hyphen: operators paste names from Word, PDFs, web pages.
_DASHES = re.compile(r"[\-‐‑‒–—―−﹣－]")
_SPACED_HYPHEN = re.compile(r" ?- ?")
_APOSTROPHES = frozenset("'’ʼ")
_PUNCTUATION = frozenset(".()")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _script(ch: str) -> str | None:
    """The script of a letter, "CYRILLIC" or "LATIN"; None for anything else."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for script in ("CYRILLIC", "LATIN"):
        if name.startswith(script):
            return script
    return None


def normalize_name(value: str | None) -> str:
    """A name as compared in search: upper case, Ё→Е, one kind of hyphen, single spaces."""
    if value is None:
        return ""
    # A decomposed Й or Ё (letter + combining mark) must compare equal to the usual one; NFC
    # goes after upper() because upper-casing can itself produce decomposed sequences.
    text = unicodedata.normalize("NFC", value.upper()).replace("Ё", "Е")
    text = " ".join(_DASHES.sub("-", text).split())
    return _SPACED_HYPHEN.sub("-", text)


def name_match_key(value: str | None) -> str:
    """A key for fuzzy matching: the normalised name without spaces and hyphens."""
    return normalize_name(value).replace(" ", "").replace("-", "")


def _allowed(ch: str) -> bool:
    return (
        _script(ch) is not None
        or ch.isspace()
        or bool(_DASHES.fullmatch(ch))
        or ch in _APOSTROPHES
        or ch in _PUNCTUATION
    )


def _shown(ch: str) -> str:
    # Invisible characters are named by code point, or the operator could not find them.
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def validate_person_name(value: str | None, *, field: str, required: bool) -> list[FieldError]:
    """ФЛК of a surname, name or patronymic.

    Allowed: Cyrillic and Latin letters, spaces, hyphens, apostrophes, dots, parentheses.
    Mixed Latin and Cyrillic letters within a word give a warning (usually a keyboard slip).
    """
    if value is None or not value.strip():
        return [FieldError(field, "Поле обязательно для заполнения")] if required else []
    text = " ".join(unicodedata.normalize("NFC", value).split())
    errors: list[FieldError] = []
    bad = list(dict.fromkeys(ch for ch in text if not _allowed(ch)))
    if bad:
        shown = " ".join(_shown(ch) for ch in bad)
        errors.append(FieldError(field, f"Недопустимые символы: {shown}"))
    elif not any(_script(ch) for ch in text):
        # Placeholders such as "-" or "." for an absent patronymic: leave the field empty instead.
        errors.append(FieldError(field, "Должно содержать хотя бы одну букву"))
    if len(text) > NAME_MAX_LENGTH:
        errors.append(
            FieldError(field, f"Не более {NAME_MAX_LENGTH} символов (указано {len(text)})")
        )
    mixed = [
        word
        for word in _LETTER_RUN.findall(text)
        if {_script(ch) for ch in word} >= {"CYRILLIC", "LATIN"}
    ]
    if mixed:
        errors.append(
            FieldError(
                field, f"Смешаны латинские и русские буквы: {', '.join(mixed)}", warning=True
            )
        )
    return errors


def full_name(surname: str | None, name: str | None, patronymic: str | None) -> str:
    """Surname, name and patronymic joined by single spaces, absent parts left out."""
    return " ".join(
        " ".join(part.split()) for part in (surname, name, patronymic) if part and part.strip()
    )
