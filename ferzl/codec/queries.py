"""Queries to the central segment (FORMATS.md §4), travelling in the outbound batch.

``QBP_ZP1`` — the status of a person on a date; ``QBP_ZP6`` — the ЕНП of the working
persons of a quarter. Both carry the MSH of the change messages (see ``batch.py``:
MSH.3…7 from the batch header, MSH.10 message GUID, MSH.11 mode, MSH.12 ``2.6``,
MSH.15/16 ``AL``) and then one ``QPD``:

==========  ======================================  ===================================
Field       Content                                 Encoding
==========  ======================================  ===================================
*QBP_ZP1*
MSH.9       ``QBP^ZP1^QBP_ZP1``                     MSG.1, MSG.2, MSG.3
QPD.1       ``СП``                                  CWE.1 (plain text read too)
QPD.3       ``У``                                   text
QPD.4       date the status is wanted for           text ``yyyy-MM-dd``
QPD.5       identifier (repeats), as PID.3          CX.1 value, CX.5 ``NI`` (ЕНП) /
                                                    ``PEN`` (СНИЛС) / F011 code (ДУЛ,
                                                    CX.1 = ``series № number``), CX.7,
                                                    CX.8
QPD.6       ФИО, as PID.5                           XPN.1/FN.1, XPN.2, XPN.3, XPN.7 ``L``
QPD.7       birth date                              text ``yyyy-MM-dd``
QPD.8       sex 1/2                                 text
*QBP_ZP6*
MSH.9       ``QBP^ZP6^QBP_ZP6``                     MSG.1, MSG.2, MSG.3
QPD.1       ``ZP6`` **(convention)**                CWE.1 (plain text read too)
QPD.4       year **(convention)**                   text, 4 digits
QPD.5       quarter 1…4 **(convention)**            text
==========  ======================================  ===================================

A status query names the person by at least one identifier (ЕНП, СНИЛС, ДУЛ) or by
surname + name (+ patronymic) + birth date; absent values are omitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ferzl.codec.hl7xml import (
    MODES,
    build_request_msh,
    check_request_msh,
    child,
    coded,
    composite,
    is_guid,
    iso,
    opt_date,
    req,
    req_date,
    req_int,
    structure_error,
    sub,
    text,
)
from ferzl.codec.person import (
    PersonDocument,
    build_identifiers,
    build_name,
    parse_identifiers,
    parse_sex,
)

STATUS_QUERY_NAME = "СП"
STATUS_QUERY_PRIORITY = "У"
WORKING_QUERY_NAME = "ZP6"
STATUS_MESSAGE_TYPE = ("QBP", "ZP1", "QBP_ZP1")
WORKING_MESSAGE_TYPE = ("QBP", "ZP6", "QBP_ZP6")


def _check_request(message_id: str, mode: str) -> None:
    if not is_guid(message_id):
        raise ValueError(f"идентификатор сообщения {message_id!r} не GUID")
    if mode not in MODES:
        raise ValueError(f"режим сообщения {mode!r} не из P/D/T")


@dataclass(frozen=True)
class StatusQuery:
    """``QBP_ZP1``: the insurance status of one person on ``on_date``."""

    message_id: str
    mode: str
    on_date: date
    enp: str | None = None
    snils: str | None = None
    documents: tuple[PersonDocument, ...] = ()
    surname: str | None = None
    name: str | None = None
    patronymic: str | None = None
    birth_date: date | None = None
    sex: int | None = None

    def __post_init__(self) -> None:
        _check_request(self.message_id, self.mode)
        for field in ("enp", "snils", "surname", "name", "patronymic"):
            if getattr(self, field) == "":
                object.__setattr__(self, field, None)
        if self.sex is not None and self.sex not in (1, 2):
            raise ValueError(f"пол {self.sex!r} не 1/2")
        if not self.surname and (self.name or self.patronymic):
            raise ValueError("имя или отчество без фамилии")
        has_id = bool(self.enp or self.snils or self.documents)
        has_fio = bool(self.surname and self.name and self.birth_date)
        if not (has_id or has_fio):
            raise ValueError("в запросе нет ни идентификатора, ни ФИО с датой рождения")

    @property
    def structure(self) -> str:
        return "QBP_ZP1"


@dataclass(frozen=True)
class WorkingQuery:
    """``QBP_ZP6``: the ЕНП of the persons working in ``quarter`` of ``year``."""

    message_id: str
    mode: str
    year: int
    quarter: int

    def __post_init__(self) -> None:
        _check_request(self.message_id, self.mode)
        if not 1900 <= self.year <= 9999:
            raise ValueError(f"год {self.year!r} вне 1900…9999")
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"квартал {self.quarter!r} не 1…4")

    @property
    def structure(self) -> str:
        return "QBP_ZP6"


Query = StatusQuery | WorkingQuery
QUERY_STRUCTURES = ("QBP_ZP1", "QBP_ZP6")


def build_query(parent: Any, query: Query, *, region_code: str, created: datetime) -> None:
    """Append the ``QBP_ZP1`` / ``QBP_ZP6`` element of ``query`` to the batch ``parent``."""
    msg = sub(parent, query.structure)
    message_type = STATUS_MESSAGE_TYPE if isinstance(query, StatusQuery) else WORKING_MESSAGE_TYPE
    build_request_msh(
        msg,
        region_code=region_code,
        created=created,
        message_type=message_type,
        message_id=query.message_id,
        mode=query.mode,
    )
    qpd = sub(msg, "QPD")
    if isinstance(query, WorkingQuery):
        composite(qpd, "QPD.1", CWE_1=WORKING_QUERY_NAME)
        sub(qpd, "QPD.4", f"{query.year:04d}")
        sub(qpd, "QPD.5", str(query.quarter))
        return
    composite(qpd, "QPD.1", CWE_1=STATUS_QUERY_NAME)
    sub(qpd, "QPD.3", STATUS_QUERY_PRIORITY)
    sub(qpd, "QPD.4", iso(query.on_date))
    build_identifiers(qpd, "QPD.5", query.documents, query.enp, query.snils)
    if query.surname:
        build_name(qpd, "QPD.6", query.surname, query.name, query.patronymic)
    if query.birth_date is not None:
        sub(qpd, "QPD.7", iso(query.birth_date))
    if query.sex is not None:
        sub(qpd, "QPD.8", str(query.sex))


def _qpd(msg: Any, structure: str) -> Any:
    qpd = child(msg, "QPD")
    if qpd is None:
        raise structure_error(f"{structure}: нет сегмента QPD")
    return qpd


def _expect_name(qpd: Any, expected: str) -> None:
    value = coded(qpd, "QPD.1")
    if value != expected:
        raise structure_error(f"QPD.1 = {value!r}, ожидалось {expected!r}")


def parse_query(structure: str, msg: Any) -> Query:
    """The query of a ``QBP_ZP1`` / ``QBP_ZP6`` element (already XSD-valid)."""
    msh = child(msg, "MSH")
    if msh is None:
        raise structure_error(f"{structure}: нет сегмента MSH")
    qpd = _qpd(msg, structure)
    if structure == "QBP_ZP6":
        message_id, mode = check_request_msh(msh, WORKING_MESSAGE_TYPE)
        _expect_name(qpd, WORKING_QUERY_NAME)
        return WorkingQuery(
            message_id=message_id,
            mode=mode,
            year=req_int(qpd, "QPD.4"),
            quarter=req_int(qpd, "QPD.5"),
        )
    message_id, mode = check_request_msh(msh, STATUS_MESSAGE_TYPE)
    _expect_name(qpd, STATUS_QUERY_NAME)
    priority = text(qpd, "QPD.3")
    if priority != STATUS_QUERY_PRIORITY:
        raise structure_error(f"QPD.3 = {priority!r}, ожидалось {STATUS_QUERY_PRIORITY!r}")
    documents, enp, snils = parse_identifiers(qpd, "QPD.5")
    has_name = child(qpd, "QPD.6") is not None
    return StatusQuery(
        message_id=message_id,
        mode=mode,
        on_date=req_date(qpd, "QPD.4"),
        enp=enp,
        snils=snils,
        documents=documents,
        surname=req(qpd, "QPD.6/XPN.1/FN.1") if has_name else None,
        name=text(qpd, "QPD.6/XPN.2") or None,
        patronymic=text(qpd, "QPD.6/XPN.3"),
        birth_date=opt_date(qpd, "QPD.7"),
        sex=parse_sex(qpd, "QPD.8") if child(qpd, "QPD.8") is not None else None,
    )
