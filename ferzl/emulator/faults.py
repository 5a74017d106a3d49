"""Deterministic faults of the emulator's answers (docs/exchange.md «Faults»).

Parsed from ``RSERZ_FERZL_FAULTS`` or ``rserz ferzl-emulator --faults``, e.g.
``delay=2,duplicate=3,reorder,malformed=5,unknown=7``. Which batch gets a fault
depends only on its number (batches counted from 1 in the order taken, kept in
the store), so a run repeats exactly, restarts included.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ferzl.codec.hl7xml import is_small_int

ENV = "RSERZ_FERZL_FAULTS"
_EVERY_NTH = ("duplicate", "malformed", "unknown")


@dataclass(frozen=True)
class Faults:
    delay: float = 0.0  # seconds between taking a batch and writing its answers
    duplicate: int = 0  # every n-th batch: its .uprak2 written twice
    reorder: bool = False  # .uprak2 before .uprak1, answers inside reversed
    malformed: int = 0  # every n-th batch: a truncated .uprak2 first, then the correct one
    unknown: int = 0  # every n-th batch: an answer nobody asked for, a batch nobody sent

    def __post_init__(self) -> None:
        if not (math.isfinite(self.delay) and self.delay >= 0):
            raise ValueError(
                f"delay: ожидалось конечное неотрицательное число секунд, указано {self.delay!r}"
            )

    def hits(self, kind: str, number: int) -> bool:
        """Does the every-n-th fault ``kind`` fall on batch ``number``?"""
        every = int(getattr(self, kind))
        return every > 0 and number % every == 0

    def names(self, number: int) -> list[str]:
        """The faults that apply to batch ``number`` (for the log)."""
        out = [kind for kind in _EVERY_NTH if self.hits(kind, number)]
        if self.reorder:
            out.append("reorder")
        if self.delay:
            out.append(f"delay={self.delay:g}")
        return out

    def __bool__(self) -> bool:
        return self != Faults()


def parse_faults(text: str | None) -> Faults:
    """``delay=<s>,duplicate=<n>,reorder,malformed=<n>,unknown=<n>``; ValueError in Russian."""
    values: dict[str, float | int | bool] = {}
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = (part.strip() for part in item.partition("="))
        if name == "reorder":
            if sep:
                raise ValueError("сбой reorder задаётся без значения")
            values["reorder"] = True
        elif name == "delay":
            try:
                seconds = float(value)
            except ValueError:
                raise ValueError(f"delay: ожидалось число секунд, указано {value!r}") from None
            if not math.isfinite(seconds):
                raise ValueError(f"delay: ожидалось конечное число секунд, указано {value!r}")
            if seconds < 0:
                raise ValueError("delay: число секунд не может быть отрицательным")
            values["delay"] = seconds
        elif name in _EVERY_NTH:
            if not is_small_int(value) or int(value) < 1:
                raise ValueError(
                    f"{name}: ожидалось целое n ≥ 1 (каждый n-й пакет), указано {value!r}"
                )
            values[name] = int(value)
        else:
            raise ValueError(
                f"неизвестный сбой {name!r}: "
                "допустимы delay, duplicate, reorder, malformed, unknown"
            )
    return Faults(**values)  # type: ignore[arg-type]


def faults_from_env(env: dict[str, str] | None = None) -> Faults:
    return parse_faults((os.environ if env is None else env).get(ENV))
