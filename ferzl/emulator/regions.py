"""Regions the emulator knows: two-digit code ↔ five-digit ОКАТО (IN1.15), a town for addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Region:
    code: str
    okato: str  # 5 digits, as in IN1.15 and the exchange file names
    town: str  # birth place / address of persons generated there


REGIONS: tuple[Region, ...] = (
    Region("02", "80000", "г. Уфа"),
    Region("16", "92000", "г. Казань"),
    Region("23", "03000", "г. Краснодар"),
    Region("24", "04000", "г. Красноярск"),
    Region("36", "20000", "г. Воронеж"),
    Region("50", "46000", "г. Балашиха"),
    Region("52", "22000", "г. Нижний Новгород"),
    Region("54", "50000", "г. Новосибирск"),
    Region("59", "57000", "г. Пермь"),
    Region("61", "60000", "г. Ростов-на-Дону"),
    Region("63", "36000", "г. Самара"),
    Region("66", "65000", "г. Екатеринбург"),
    Region("74", "75000", "г. Челябинск"),
    Region("77", "45000", "г. Москва"),
    Region("78", "40000", "г. Санкт-Петербург"),
)
_BY_CODE = {r.code: r for r in REGIONS}
_BY_OKATO = {r.okato: r for r in REGIONS}

DEFAULT_OKATO = "46000"


def own_okato(settings: Any) -> str:
    """The ОКАТО of the emulated region's ТФОМС: ``settings.region_okato`` when the settings
    have it, else from the table (region 50 → 46000)."""
    value = getattr(settings, "region_okato", None)
    if value:
        return str(value)
    region = _BY_CODE.get(str(settings.region_code))
    return region.okato if region else DEFAULT_OKATO


def okato_of(region_code: str) -> str | None:
    region = _BY_CODE.get(region_code)
    return region.okato if region else None


def region_of_okato(okato: str | None) -> str | None:
    """The region code of a 5-digit (or longer) ОКАТО; None when unknown."""
    if not okato:
        return None
    region = _BY_OKATO.get(okato[:5]) or _BY_OKATO.get(okato[:2] + "000")
    return region.code if region else None


def other_regions(own_code: str) -> tuple[Region, ...]:
    return tuple(r for r in REGIONS if r.code != own_code)
