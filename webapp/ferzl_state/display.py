"""How the screen shows the two records, the two histories and the candidates of a look-up.

The messages of the tab «Запросы к ФЕРЗЛ» are in messages.py (the register screen imports it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from register.ferzl_state import FieldDiff, central_to_record
from register.models import RECORD_FIELDS
from register.reference import EVENT_CODES, PERSON_STATUSES
from webapp.labels import RECORD_LABELS
from webapp.persons.display import (
    CARD_SECTIONS,
    EMPTY,
    References,
    changed_fields,
    document,
    full_name,
    show,
)

NOT_KEPT = "не ведётся в ФЕРЗЛ"
REGION_LABEL = "Субъект РФ страхования"

# --- the comparison ------------------------------------------------------------------


@dataclass(frozen=True)
class CompareRow:
    field: str
    label: str
    left: str
    right: str
    differs: bool
    compared: bool


@dataclass(frozen=True)
class CompareSection:
    title: str
    rows: list[CompareRow]

    @property
    def differing(self) -> int:
        return sum(r.differs for r in self.rows)


def _central_text(field: str, value: Any, record: Mapping[str, Any], refs: References) -> str:
    if field == "smo_code" and value is None and record.get("smo_ogrn"):
        return f"ОГРН {record['smo_ogrn']}"
    return show(field, value, refs)


def comparison(
    diffs: Sequence[FieldDiff],
    refs: References,
    central_record: Mapping[str, Any] | None,
    region_code: str,
) -> list[CompareSection]:
    """The rows of the two columns, in the card's sections; the region after the СМО."""
    by_field = {d.field: d for d in diffs}
    central = central_record or {}
    sections = []
    for title, fields in CARD_SECTIONS:
        rows = []
        for f in fields:
            d = by_field[f]
            rows.append(
                CompareRow(
                    f,
                    d.label,
                    show(f, d.left, refs),
                    _central_text(f, d.right, central, refs) if d.compared else NOT_KEPT,
                    d.differs,
                    d.compared,
                )
            )
            if f == "smo_code" and "region_code" in central:
                region = central.get("region_code")
                rows.append(
                    CompareRow(
                        "region_code",
                        REGION_LABEL,
                        region_code,
                        region or EMPTY,
                        bool(region) and region != region_code,
                        True,
                    )
                )
        sections.append(CompareSection(title, rows))
    return sections


# --- the histories --------------------------------------------------------------------

#: Columns of the histories side by side: title and the lines of a cell (each line the text
#: of a few fields). Two lines per cell keep both tables within half a screen each.
SIDE_COLUMNS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("ФИО, рождение", (("surname", "name", "patronymic"), ("birth_date", "sex"))),
    ("СНИЛС, ДУЛ", (("snils",), ("doc_type", "doc_series", "doc_number"))),
    ("СМО, полис", (("smo_code",), ("policy_form", "policy_number"))),
    ("Статус", (("status", "insurance_end", "death_date"),)),
)


@dataclass(frozen=True)
class SideLine:
    text: str
    changed: bool


@dataclass(frozen=True)
class SideRow:
    valid_from: dt.date | None
    valid_to: dt.date | None
    event_code: str | None
    event_name: str
    initial: bool
    cells: list[list[SideLine]]
    changed_labels: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.changed_labels)


def _line_text(fields: tuple[str, ...], record: Any, refs: References) -> str:
    first = fields[0]
    if first == "surname":
        return full_name(record)
    if first == "birth_date":
        sex = {1: "муж.", 2: "жен."}.get(record.sex, "")
        return f"{show('birth_date', record.birth_date, refs)} {sex}".strip()
    if first == "doc_type":
        return document(record)
    if first == "smo_code":
        if record.smo_code is None and getattr(record, "smo_ogrn", None):
            text = f"ОГРН {record.smo_ogrn}"
            region = getattr(record, "region", None)
            return f"{text}, субъект {region}" if region else text
        return refs.smo.get(record.smo_code, record.smo_code or EMPTY)
    if first == "policy_form":
        return f"{record.policy_form or ''} {record.policy_number or ''}".strip() or EMPTY
    if first == "status":
        text = PERSON_STATUSES.get(record.status, record.status or EMPTY)
        if record.death_date:
            return f"{text} {show('death_date', record.death_date, refs)}"
        if record.insurance_end:
            return f"{text} с {show('insurance_end', record.insurance_end, refs)}"
        return text
    return show(first, getattr(record, first), refs)


def side_rows(versions: Sequence[Any], refs: References) -> list[SideRow]:
    """The versions (newest first) in the compact columns, lines changed against the older."""
    rows = []
    for i, version in enumerate(versions):
        older = versions[i + 1] if i + 1 < len(versions) else None
        changed = set(changed_fields(version, older))
        rows.append(
            SideRow(
                valid_from=version.valid_from,
                valid_to=version.valid_to,
                event_code=version.event_code,
                event_name=EVENT_CODES.get(version.event_code or "", ""),
                initial=getattr(version, "source", None) == "initial_load",
                cells=[
                    [
                        SideLine(_line_text(fields, version, refs), bool(changed & set(fields)))
                        for fields in lines
                    ]
                    for _, lines in SIDE_COLUMNS
                ],
                changed_labels=[RECORD_LABELS.get(f, f) for f in RECORD_FIELDS if f in changed],
            )
        )
    return rows


def register_history(versions: Sequence[Any], refs: References) -> list[SideRow]:
    return side_rows(versions, refs)


def central_history(
    versions: Sequence[Mapping[str, Any]],
    refs: References,
    smo_code_by_ogrn: Mapping[str, str],
    region_code: str,
) -> list[SideRow]:
    """The central segment's versions (it sends them oldest first), newest first here.

    Only the fields it keeps are compared between its versions.
    """
    records = []
    for version in versions:
        record = central_to_record(version, smo_code_by_ogrn, region_code)
        region = record.get("region_code")
        records.append(
            SimpleNamespace(
                valid_from=version.get("valid_from"),
                valid_to=version.get("valid_to"),
                event_code=version.get("event_code"),
                source="ferzl",
                smo_ogrn=record.get("smo_ogrn"),
                region=region if region and region != region_code else None,
                **{f: record.get(f) for f in RECORD_FIELDS},
            )
        )
    records.reverse()
    return side_rows(records, refs)


# --- the candidates of a look-up -------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    enp: str
    name: str
    birth_date: str
    sex: str
    snils: str
    document: str
    region: str
    smo: str
    status: str
    same_enp: bool


def candidates(
    items: Iterable[Mapping[str, Any]],
    refs: References,
    smo_code_by_ogrn: Mapping[str, str],
    region_code: str,
    own_enp: str,
) -> list[Candidate]:
    found = []
    for item in items:
        record = central_to_record(item, smo_code_by_ogrn, region_code)
        person = SimpleNamespace(**{f: record.get(f) for f in RECORD_FIELDS})
        smo = refs.smo.get(record.get("smo_code") or "", "")
        if not smo and record.get("smo_ogrn"):
            smo = f"ОГРН {record['smo_ogrn']}"
        found.append(
            Candidate(
                enp=str(record.get("enp") or ""),
                name=full_name(person),
                birth_date=show("birth_date", record.get("birth_date"), refs),
                sex=show("sex", record.get("sex"), refs),
                snils=show("snils", record.get("snils"), refs),
                document=document(person),
                region=record.get("region_code") or EMPTY,
                smo=smo or EMPTY,
                status=PERSON_STATUSES.get(record.get("status") or "", EMPTY),
                same_enp=record.get("enp") == own_enp,
            )
        )
    return found
