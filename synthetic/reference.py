"""Reference books of the synthetic region: its insurance companies (СМО) and medical
organisations (МО). Codes start with the region code; ОГРН are fictional but valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from synthetic.names import TOWNS, Town


def ogrn_with_check(first12: str) -> str:
    """A 13-digit ОГРН: the 12 digits and their check digit (remainder mod 11, last digit)."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError(f"12 digits expected, got {first12!r}")
    return first12 + str(int(first12) % 11 % 10)


@dataclass(frozen=True)
class SmoInfo:
    """An insurance company; ``share`` is its weight when a person chooses a СМО."""

    code: str
    ogrn: str
    name: str
    short_name: str
    date_begin: date
    date_end: date | None
    share: float

    def active_on(self, day: date) -> bool:
        """True when the company insures persons on ``day``."""
        return self.date_begin <= day and (self.date_end is None or day <= self.date_end)


@dataclass(frozen=True)
class MoInfo:
    """A medical organisation persons are attached to."""

    code: str
    name: str
    short_name: str
    okato: str
    town: str
    for_children: bool


# (number, ОГРН body, name, short name, begin, end, share)
_SMO = (
    (1, "102770013219", "АО «Страховая компания «СОГАЗ-Мед»»", "СОГАЗ-Мед", (2011, 1, 1), None, 34),
    (
        2,
        "102500095741",
        "ООО «Капитал Медицинское Страхование»",
        "Капитал МС",
        (2011, 1, 1),
        None,
        24,
    ),
    (
        3,
        "102773908136",
        "АО «Медицинская страховая компания «МАКСИМА-М»»",
        "МАКСИМА-М",
        (2011, 1, 1),
        None,
        14,
    ),
    (
        4,
        "104500012455",
        "ООО «Страховая компания «Ингосмед-М»»",
        "Ингосмед-М",
        (2011, 1, 1),
        None,
        14,
    ),
    (
        5,
        "102500131287",
        "ООО «Медицинская страховая компания «Подмосковье-Мед»»",
        "Подмосковье-Мед",
        (2011, 1, 1),
        (2018, 6, 30),
        8,
    ),
    (
        6,
        "116500040912",
        "АО «Страховая медицинская компания «Здоровье региона»»",
        "Здоровье региона",
        (2016, 1, 1),
        None,
        10,
    ),
)


def smo_list(region_code: str = "50") -> tuple[SmoInfo, ...]:
    """The СМО of the region; one of them left the market in 2018 (its insured moved on)."""
    return tuple(
        SmoInfo(
            code=f"{region_code}{number:03d}",
            ogrn=ogrn_with_check(body),
            name=name,
            short_name=short,
            date_begin=date(*begin),
            date_end=date(*end) if end else None,
            share=float(share),
        )
        for number, body, name, short, begin, end, share in _SMO
    )


# Kinds of МО per town: (name template, short-name template, for children);
# {adj} is the town adjective.
_MO_KINDS = (
    ("ГБУЗ МО «{adj} областная больница»", "{adj} ОБ", False),
    ("ГБУЗ МО «{adj} городская поликлиника № 2»", "{adj} ГП № 2", False),
    ("ГБУЗ МО «{adj} детская городская поликлиника»", "{adj} ДГП", True),
)


def _kinds_for(town: Town) -> int:
    # Large towns have all three МО, medium two, small one.
    if town.population >= 200:
        return 3
    if town.population >= 125:
        return 2
    return 1


def mo_list(region_code: str = "50") -> tuple[MoInfo, ...]:
    """The МО of the region: one to three per town, codes "<region>0001" …"""
    result: list[MoInfo] = []
    for town in TOWNS:
        for name, short, for_children in _MO_KINDS[: _kinds_for(town)]:
            number = len(result) + 1
            result.append(
                MoInfo(
                    code=f"{region_code}{number:04d}",
                    name=name.format(adj=town.adjective),
                    short_name=short.format(adj=town.adjective),
                    okato=town.okato,
                    town=town.name,
                    for_children=for_children,
                )
            )
    return tuple(result)
