"""Regions the emulator knows: two-digit code ↔ five-digit ОКАТО (IN1.15), a town for addresses.

The ОКАТО of a region comes from ``register.settings.REGION_OKATO`` (the register's own
table, also used for ``RSERZ_REGION_OKATO``); this module only adds the regions the
register does not list, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from register.settings import REGION_OKATO


@dataclass(frozen=True)
class KnownRegion:
    """A region of the federal store: where persons of other regions are generated."""

    code: str
    okato: str  # 5 digits, as in IN1.15 and the exchange file names
    town: str  # birth place / address of persons generated there


#: ОКАТО of the regions ``register.settings.REGION_OKATO`` does not list.
_MORE_OKATO: dict[str, str] = {
    "02": "80000",
    "23": "03000",
    "24": "04000",
    "36": "20000",
    "52": "22000",
    "54": "50000",
    "59": "57000",
    "61": "60000",
    "63": "36000",
    "74": "75000",
}
_TOWNS: dict[str, str] = {
    "02": "г. Уфа",
    "16": "г. Казань",
    "23": "г. Краснодар",
    "24": "г. Красноярск",
    "36": "г. Воронеж",
    "47": "г. Гатчина",
    "50": "г. Балашиха",
    "52": "г. Нижний Новгород",
    "54": "г. Новосибирск",
    "59": "г. Пермь",
    "61": "г. Ростов-на-Дону",
    "63": "г. Самара",
    "66": "г. Екатеринбург",
    "74": "г. Челябинск",
    "77": "г. Москва",
    "78": "г. Санкт-Петербург",
}
#: Region code → ОКАТО: the register's table, extended.
OKATO: dict[str, str] = {**_MORE_OKATO, **REGION_OKATO}

REGIONS: tuple[KnownRegion, ...] = tuple(
    KnownRegion(code, OKATO[code], _TOWNS.get(code, "")) for code in sorted(OKATO)
)
_BY_CODE = {r.code: r for r in REGIONS}
_BY_OKATO = {r.okato: r for r in REGIONS}

DEFAULT_OKATO = REGION_OKATO["50"]


def own_okato(settings: Any) -> str:
    """The ОКАТО of the emulated region's ТФОМС: ``settings.region_okato`` when the settings
    have it, else from the table (region 50 → 46000)."""
    value = getattr(settings, "region_okato", None)
    if value:
        return str(value)
    return okato_of(str(settings.region_code)) or DEFAULT_OKATO


def okato_of(region_code: str) -> str | None:
    return OKATO.get(region_code)


def region_of_okato(okato: str | None) -> str | None:
    """The region code of a 5-digit (or longer) ОКАТО; None when unknown."""
    if not okato:
        return None
    region = _BY_OKATO.get(okato[:5]) or _BY_OKATO.get(okato[:2] + "000")
    return region.code if region else None


def other_regions(own_code: str) -> tuple[KnownRegion, ...]:
    return tuple(r for r in REGIONS if r.code != own_code)
