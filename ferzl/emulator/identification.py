"""Identification of a change message against the federal persons, and applying it.

The rules are those of docs/exchange.md («Identification»). Everything here runs
inside the batch's write transaction, so a later message of the same batch sees
what an earlier one changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ferzl.codec import APP_ERROR_TEXTS_RU, ChangeAnswer, ChangeMessage, ErrorDetail
from ferzl.codec.answers import (
    APP_DUL_OTHER_PERSON,
    APP_ENP_OTHER_PERSON,
    APP_MULTIPLE_IDENTIFICATION,
    APP_PERSON_NOT_FOUND,
    APP_SNILS_OTHER_PERSON,
)
from ferzl.emulator import store
from ferzl.emulator.regions import region_of_okato
from register.enp import MAX_SEQUENCE, make_enp
from register.names import normalize_name
from register.snils import normalize_snils

#: A person as read from the store or built in memory.
Row = sqlite3.Row | Mapping[str, Any]

HL7_KEY_NOT_FOUND = "204"
HL7_KEY_EXISTS = "205"
REGISTRATION = "П01"
CLOSURE = "П02"
DEATH_OTHER_REGION = "П07"
RESTORATION = "П08"
DEATH_CANCELLED = "П09"
DEATH_REASON = "П022"


@dataclass(frozen=True)
class Region:
    """The emulated region whose batches are answered."""

    code: str
    okato: str


@dataclass(frozen=True)
class Keys:
    """The identifying values of a message or query, normalised as the store keeps them."""

    enp: str | None
    snils: str | None
    doc_keys: tuple[str, ...]
    fio: tuple[str, str, str] | None  # surname, name, patronymic (normalised)
    birth_date: str | None
    sex: int | None

    @classmethod
    def of(cls, m: Any) -> Keys:
        doc_keys = tuple(
            k
            for k in (store.doc_key(d.doc_type, d.series, d.number) for d in m.documents)
            if k is not None
        )
        fio = None
        if m.surname:
            fio = (normalize_name(m.surname), normalize_name(m.name), normalize_name(m.patronymic))
        return cls(
            enp=m.enp or None,
            snils=normalize_snils(m.snils) if m.snils else None,
            doc_keys=doc_keys,
            fio=fio,
            birth_date=store.iso(m.birth_date),
            sex=m.sex,
        )

    def same_person(self, row: Row) -> bool:
        """ФИО + birth date equal to the row's."""
        return self.fio == _fio(row) and self.birth_date == row["birth_date"]


def _fio(row: Row) -> tuple[str, str, str]:
    return (row["surname_norm"], row["name_norm"], row["patronymic_norm"])


def _error(
    app_code: str | None,
    text: str,
    *,
    position: str | None = "PID.3",
    hl7: str | None = HL7_KEY_EXISTS,
    severity: str = "E",
) -> ErrorDetail:
    return ErrorDetail(
        position=position, hl7_code=hl7, severity=severity, app_code=app_code, text=text
    )


def _app_error(app_code: str, detail: str = "") -> ErrorDetail:
    hl7 = HL7_KEY_NOT_FOUND if app_code == APP_PERSON_NOT_FOUND else HL7_KEY_EXISTS
    text = APP_ERROR_TEXTS_RU[app_code] + (f" ({detail})" if detail else "")
    return _error(app_code, text, hl7=hl7)


# --------------------------------------------------------------------------- key look-ups


def _in(values: tuple[str, ...]) -> str:
    return ", ".join("?" * len(values))


def exact_matches(conn: sqlite3.Connection, k: Keys) -> dict[int, tuple[sqlite3.Row, str]]:
    """Persons found by the exact key combinations H01–H05: id → (row, first key that found it)."""
    found: dict[int, tuple[sqlite3.Row, str]] = {}

    def add(key: str, rows: list[sqlite3.Row]) -> None:
        for row in rows:
            found.setdefault(int(row["id"]), (row, key))

    if k.enp:
        row = store.person_by_enp(conn, k.enp)
        if row is not None and (k.fio is None or k.same_person(row)):
            add("H01", [row])
    if k.fio and k.birth_date and k.doc_keys:
        add(
            "H02",
            store.persons_where(
                conn,
                f"surname_norm = ? AND name_norm = ? AND patronymic_norm = ? AND birth_date = ? "
                f"AND doc_key IN ({_in(k.doc_keys)})",
                (*k.fio, k.birth_date, *k.doc_keys),
            ),
        )
    if k.fio and k.birth_date and k.snils:
        add(
            "H03",
            store.persons_where(
                conn,
                "surname_norm = ? AND name_norm = ? AND patronymic_norm = ? AND birth_date = ? "
                "AND snils = ?",
                (*k.fio, k.birth_date, k.snils),
            ),
        )
    if k.snils and k.birth_date:
        add(
            "H04",
            store.persons_where(conn, "snils = ? AND birth_date = ?", (k.snils, k.birth_date)),
        )
    if k.doc_keys and k.birth_date:
        add(
            "H05",
            store.persons_where(
                conn,
                f"doc_key IN ({_in(k.doc_keys)}) AND birth_date = ?",
                (*k.doc_keys, k.birth_date),
            ),
        )
    return found


def fuzzy_matches(
    conn: sqlite3.Connection, k: Keys, *, with_p02: bool = True
) -> dict[int, tuple[sqlite3.Row, str]]:
    """Persons found by P01 (ФИО + birth date) and P02 (surname + name + birth date + sex)."""
    found: dict[int, tuple[sqlite3.Row, str]] = {}
    if k.fio is None or k.birth_date is None:
        return found
    for row in store.persons_where(
        conn,
        "surname_norm = ? AND name_norm = ? AND patronymic_norm = ? AND birth_date = ?",
        (*k.fio, k.birth_date),
    ):
        found.setdefault(int(row["id"]), (row, "P01"))
    if with_p02 and k.sex is not None:
        for row in store.persons_where(
            conn,
            "birth_date = ? AND surname_norm = ? AND name_norm = ? AND sex = ?",
            (k.birth_date, k.fio[0], k.fio[1], k.sex),
        ):
            found.setdefault(int(row["id"]), (row, "P02"))
    return found


def identifier_conflicts(
    conn: sqlite3.Connection, k: Keys, subject: sqlite3.Row | None
) -> list[ErrorDetail]:
    """43 / 68 / 67 for an identifier of the message held by another person.

    ``subject`` is the person a non-registration message is about (found by its ЕНП):
    its own identifiers are not conflicts, and its ЕНП conflicts only when ФИО *and*
    birth date both differ (a П04 may change either, not both at once).
    """
    errors: list[ErrorDetail] = []
    subject_id = int(subject["id"]) if subject is not None else 0
    if k.enp:
        holder = subject if subject is not None else store.person_by_enp(conn, k.enp)
        if holder is not None:
            if subject is None:
                conflict = not k.same_person(holder)
            else:
                conflict = k.fio != _fio(holder) and k.birth_date != holder["birth_date"]
            if conflict:
                errors.append(_app_error(APP_ENP_OTHER_PERSON))
    if k.snils:
        holders = store.persons_where(conn, "snils = ? AND id != ?", (k.snils, subject_id))
        if any(not k.same_person(h) for h in holders):
            errors.append(_app_error(APP_SNILS_OTHER_PERSON))
    if k.doc_keys:
        holders = store.persons_where(
            conn, f"doc_key IN ({_in(k.doc_keys)}) AND id != ?", (*k.doc_keys, subject_id)
        )
        if any(not k.same_person(h) for h in holders):
            errors.append(_app_error(APP_DUL_OTHER_PERSON))
    return errors


# --------------------------------------------------------------------------- records


def _ru(value: str | date) -> str:
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return d.strftime("%d.%m.%Y")


def record_from_message(m: ChangeMessage, base: Row | None, region: Region) -> dict[str, Any]:
    """The person's new state: the message over ``base`` (the federal person, if known).

    Names, birth date and sex always come from the message (the patronymic may be
    dropped); other values absent from the message keep the person's previous ones.
    """
    rec: dict[str, Any] = {f: None for f in store.PERSON_FIELDS}
    if base is not None:
        rec.update({f: base[f] for f in store.PERSON_FIELDS})
    rec.update(
        surname=m.surname,
        name=m.name,
        patronymic=m.patronymic,
        sex=m.sex,
        birth_date=m.birth_date.isoformat(),
    )
    if m.enp and base is None:
        rec["enp"] = m.enp
    if m.snils:
        rec["snils"] = normalize_snils(m.snils)
    if m.documents:
        d = m.documents[0]
        rec.update(
            doc_type=store.doc_type_code(d.doc_type),
            doc_series=d.series or None,
            doc_number=d.number,
            doc_issue_date=store.iso(d.issued),
            doc_expiry=store.iso(d.expires),
        )
    for a in m.addresses:
        rec["reg_okato" if a.kind == "L" else "res_okato"] = a.okato
    if m.birth_place:
        rec["birth_place"] = m.birth_place
    if m.citizenships:
        rec["citizenship"] = m.citizenships[0]
    if m.death_date is not None:
        rec["death_date"] = m.death_date.isoformat()
    if m.insurance is not None:
        ins = m.insurance
        rec.update(
            smo_ogrn=ins.smo_ogrn,
            region_code=region.code
            if ins.region_okato[:5] == region.okato[:5]
            else region_of_okato(ins.region_okato) or region.code,
            insurance_start=ins.start.isoformat(),
            insurance_end=store.iso(ins.end),
            policy_form=ins.policy_form,
            policy_number=ins.policy_number,
            working=int(ins.employed),
        )
    _apply_event(m, rec)
    return rec


def _apply_event(m: ChangeMessage, rec: dict[str, Any]) -> None:
    """Status and dates the event implies beyond the copied values."""
    event = m.event
    if event == CLOSURE:
        end = m.zdr_date or (m.insurance.end if m.insurance else None) or m.application_date
        rec["insurance_end"] = end.isoformat()
        if m.zdr_reason == DEATH_REASON and rec["death_date"] is None:
            rec["death_date"] = end.isoformat()
        rec["status"] = store.DECEASED if rec["death_date"] else store.CLOSED
        return
    if event == DEATH_OTHER_REGION:
        rec["insurance_end"] = rec["insurance_end"] or rec["death_date"]
    elif event == DEATH_CANCELLED:
        if rec["insurance_end"] is not None and rec["insurance_end"] == rec["death_date"]:
            rec["insurance_end"] = None
        if m.death_date is None:
            rec["death_date"] = None
    elif event in (RESTORATION, REGISTRATION):
        rec["death_date"] = store.iso(m.death_date)
        if m.insurance is None:
            rec["insurance_end"] = None
    if rec["death_date"]:
        rec["status"] = store.DECEASED
    elif rec["insurance_end"] and rec["insurance_end"] <= m.application_date.isoformat():
        rec["status"] = store.CLOSED
    else:
        rec["status"] = store.INSURED if rec["smo_ogrn"] else store.CLOSED


def _valid_from(m: ChangeMessage, rec: Mapping[str, Any]) -> str:
    """The day the change takes effect in the person's history."""
    if m.event == REGISTRATION and m.insurance is not None:
        return m.insurance.start.isoformat()
    if m.event == CLOSURE:
        return str(rec["insurance_end"])
    if m.event == DEATH_OTHER_REGION and rec["death_date"]:
        return str(rec["death_date"])
    return m.application_date.isoformat()


def _new_enp(conn: sqlite3.Connection, m: ChangeMessage, region: Region) -> str:
    for sequence in range(90_000, MAX_SEQUENCE + 1):
        enp = make_enp(region.code, m.birth_date, m.sex, sequence)
        if store.person_by_enp(conn, enp) is None:
            return enp
    raise OverflowError("ЕНП: исчерпаны порядковые номера")


# --------------------------------------------------------------------------- answering


def answer_change(conn: sqlite3.Connection, m: ChangeMessage, region: Region) -> ChangeAnswer:
    """Identify the message's person, apply the change when allowed, and say how it went."""
    k = Keys.of(m)
    if m.event == REGISTRATION:
        return _registration(conn, m, k, region)
    subject = store.person_by_enp(conn, m.enp) if m.enp else None
    if subject is None:
        detail = f"ЕНП {m.enp}" if m.enp else "ЕНП не указан"
        return ChangeAnswer(m.message_id, "AR", (_app_error(APP_PERSON_NOT_FOUND, detail),))
    errors = identifier_conflicts(conn, k, subject)
    if errors:
        return ChangeAnswer(m.message_id, "AR", tuple(errors))
    rec = record_from_message(m, subject, region)
    store.update_person(
        conn, int(subject["id"]), rec, valid_from=_valid_from(m, rec), event=m.event
    )
    return ChangeAnswer(m.message_id, "AA")


def _multiple(m: ChangeMessage, rows: list[sqlite3.Row]) -> ChangeAnswer:
    enps = ", ".join(str(r["enp"]) for r in rows[:5])
    error = _app_error(APP_MULTIPLE_IDENTIFICATION, f"кандидатов {len(rows)}: {enps}")
    error = ErrorDetail("PID.5", error.hl7_code, "E", error.app_code, error.text)
    return ChangeAnswer(m.message_id, "AR", (error,))


def _registration(
    conn: sqlite3.Connection, m: ChangeMessage, k: Keys, region: Region
) -> ChangeAnswer:
    errors = identifier_conflicts(conn, k, None)
    if errors:
        return ChangeAnswer(m.message_id, "AR", tuple(errors))
    exact = exact_matches(conn, k)
    if len(exact) > 1:
        return _multiple(m, [row for row, _ in exact.values()])
    if len(exact) == 1:
        ((person, _key),) = exact.values()
        return _known_registration(conn, m, person, region)
    fuzzy = fuzzy_matches(conn, k, with_p02=False)
    if len(fuzzy) > 1:
        return _multiple(m, [row for row, _ in fuzzy.values()])
    rec = record_from_message(m, None, region)
    if not rec["enp"]:
        rec["enp"] = _new_enp(conn, m, region)
    store.insert_person(conn, rec, valid_from=_valid_from(m, rec), event=m.event)
    return ChangeAnswer(m.message_id, "AA")


def _known_registration(
    conn: sqlite3.Connection, m: ChangeMessage, person: sqlite3.Row, region: Region
) -> ChangeAnswer:
    """П01 of a person ФЕРЗЛ knows already: moved from another region, or returning."""
    enp = str(person["enp"])
    if m.enp and m.enp != enp:
        text = f"Застрахованное лицо уже есть в ФЕРЗЛ с ЕНП {enp}: укажите этот ЕНП"
        return ChangeAnswer(m.message_id, "AR", (_error(None, text),))
    insured = person["status"] == store.INSURED
    if insured and person["region_code"] == region.code:
        text = f"Застрахованное лицо уже застраховано в регионе {region.code} (ЕНП {enp})"
        return ChangeAnswer(m.message_id, "AR", (_error(None, text),))
    rec = record_from_message(m, person, region)
    valid_from = _valid_from(m, rec)
    person_id = int(person["id"])
    warnings: tuple[ErrorDetail, ...] = ()
    if insured:
        # Insured in another region: that insurance ends the day before this one starts.
        ended = (date.fromisoformat(valid_from) - timedelta(days=1)).isoformat()
        closed = {**{f: person[f] for f in store.PERSON_FIELDS}}
        closed.update(insurance_end=ended, status=store.CLOSED)
        store.update_person(conn, person_id, closed, valid_from=ended, event=CLOSURE)
        text = (
            f"Застрахованное лицо было застраховано в регионе {person['region_code']} "
            f"(СМО ОГРН {person['smo_ogrn']}); страхование там прекращено {_ru(ended)}"
        )
        warnings = (_error(None, text, position="IN1.15", hl7=None, severity="W"),)
    store.update_person(conn, person_id, rec, valid_from=valid_from, event=m.event)
    return ChangeAnswer(m.message_id, "AE" if warnings else "AA", warnings)
