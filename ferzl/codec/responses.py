"""Answers to the queries (FORMATS.md §4): ``RSP_ZK1`` (status) and ``RSP_ZK6`` (working).

Both travel in the ``.uprak2`` batch beside the change answers (``answers.py``) and
start with the same head: MSH (MSH.9 ``RSP^ZK1^RSP_ZK1`` / ``RSP^ZK6^RSP_ZK6``),
MSA (MSA.1 ``AA``/``AE``/``AR``, MSA.2 = MSH.10 of the query), ERR….

==========  ======================================  ===================================
Field       Content                                 Encoding
==========  ======================================  ===================================
*RSP_ZK1*
QAK.2       ``OK`` / ``NF`` / ``AE`` / ``AR``       text
QAK.4/5/6   hits total / in this answer / remaining text
…           per hit a group ``RSP_ZK1.QUERY_RESPONSE``: ``PID``, ``IN1``…, ``QRI``
PID         as in the change messages (PID.3, PID.5, PID.7, PID.8, PID.11, PID.23,
            PID.26, PID.29/30; see ``batch.py``)
IN1         as in the change messages; IN1.1 = 1 for the current insurance (the
            first), 2, 3… for the others
QRI.1       ``Д`` exact / ``В`` fuzzy               text
QRI.2       key combination H01–H05 / P01–P05       text
*RSP_ZK6*
QAK.2       ``OK`` / ``NF`` / ``AR``                text (derived: ``AR`` when MSA.1 is
                                                    ``AR``, else ``NF`` when no ЕНП)
QAK.4/5/6   number of ЕНП / number of ЕНП / 0       text
QPD.1       ``ZP6``                                 CWE.1 (echo of the query)
QPD.4/5     year / quarter **(convention)**         text
ZWL.1       ЕНП of a working person, one ``ZWL``    text
            per ЕНП **(convention)**
==========  ======================================  ===================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ferzl.codec.ack import APPLICATION_CODES, ErrorDetail, Head, build_head
from ferzl.codec.hl7xml import (
    children,
    coded,
    composite,
    is_guid,
    req,
    req_int,
    structure_error,
    sub,
)
from ferzl.codec.person import (
    Address,
    Insurance,
    PersonDocument,
    build_in1,
    build_pid,
    parse_in1,
    parse_pid,
)
from ferzl.codec.queries import WORKING_QUERY_NAME

MATCH_EXACT = "Д"
MATCH_FUZZY = "В"
QUERY_STATUSES = frozenset({"OK", "NF", "AE", "AR"})
STATUS_ANSWER_TYPE = ("RSP", "ZK1", "RSP_ZK1")
WORKING_ANSWER_TYPE = ("RSP", "ZK6", "RSP_ZK6")
HIT_GROUP = "RSP_ZK1.QUERY_RESPONSE"

_KEY_RE = re.compile(r"[HP]0[1-5]")


def _check_answer(message_id: str, code: str) -> None:
    if not is_guid(message_id):
        raise ValueError(f"идентификатор сообщения {message_id!r} не GUID")
    if code not in APPLICATION_CODES:
        raise ValueError(f"код ответа {code!r} не из AA/AE/AR")


@dataclass(frozen=True)
class PersonHit:
    """A person found by a status query, with the key combination that found them."""

    match: str  # QRI.1: Д exact / В fuzzy
    key: str  # QRI.2: H01…H05 (exact) / P01…P05 (fuzzy)
    surname: str
    name: str
    birth_date: date
    sex: int
    patronymic: str | None = None
    enp: str | None = None
    snils: str | None = None
    documents: tuple[PersonDocument, ...] = ()
    addresses: tuple[Address, ...] = ()
    death_date: date | None = None
    insurances: tuple[Insurance, ...] = ()  # the first is the current one (IN1.1 = 1)
    birth_place: str | None = None
    citizenships: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.match not in (MATCH_EXACT, MATCH_FUZZY):
            raise ValueError(f"признак совпадения {self.match!r} не Д/В")
        if not _KEY_RE.fullmatch(self.key):
            raise ValueError(f"ключ {self.key!r} не из H01…H05 / P01…P05")
        if (self.match == MATCH_EXACT) != self.key.startswith("H"):
            raise ValueError(f"ключ {self.key} не соответствует признаку совпадения {self.match}")
        if not self.surname:
            raise ValueError("пустая фамилия")
        if self.sex not in (1, 2):
            raise ValueError(f"пол {self.sex!r} не 1/2")
        if self.patronymic == "":
            object.__setattr__(self, "patronymic", None)
        if len(self.citizenships) > 2:
            raise ValueError("больше двух гражданств")


@dataclass(frozen=True)
class StatusAnswer:
    """``RSP_ZK1``: the answer to a ``QBP_ZP1`` status query."""

    message_id: str  # MSA.2 = MSH.10 of the query
    code: str  # MSA.1: AA / AE / AR
    query_status: str  # QAK.2: OK / NF / AE / AR
    total: int  # QAK.4
    in_answer: int  # QAK.5
    remaining: int  # QAK.6
    hits: tuple[PersonHit, ...]
    errors: tuple[ErrorDetail, ...] = ()

    def __post_init__(self) -> None:
        _check_answer(self.message_id, self.code)
        if self.query_status not in QUERY_STATUSES:
            raise ValueError(f"статус запроса {self.query_status!r} не из OK/NF/AE/AR")
        if min(self.total, self.in_answer, self.remaining) < 0:
            raise ValueError("отрицательное число найденных")
        if self.in_answer != len(self.hits):
            raise ValueError(
                f"в ответе заявлено найденных {self.in_answer} (QAK.5), передано {len(self.hits)}"
            )
        if self.in_answer + self.remaining > self.total:
            raise ValueError("QAK.5 + QAK.6 больше QAK.4")
        if self.query_status in ("NF", "AR") and self.hits:
            raise ValueError(f"статус {self.query_status} с найденными лицами")

    @property
    def structure(self) -> str:
        return "RSP_ZK1"


@dataclass(frozen=True)
class WorkingAnswer:
    """``RSP_ZK6``: the ЕНП of the persons working in ``quarter`` of ``year``."""

    message_id: str  # MSA.2 = MSH.10 of the query
    code: str  # MSA.1: AA / AE / AR
    year: int
    quarter: int
    enps: tuple[str, ...]
    errors: tuple[ErrorDetail, ...] = ()

    def __post_init__(self) -> None:
        _check_answer(self.message_id, self.code)
        if not 1900 <= self.year <= 9999:
            raise ValueError(f"год {self.year!r} вне 1900…9999")
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"квартал {self.quarter!r} не 1…4")
        if not all(self.enps):
            raise ValueError("пустой ЕНП в списке работающих")

    @property
    def structure(self) -> str:
        return "RSP_ZK6"

    @property
    def query_status(self) -> str:
        if self.code == "AR":
            return "AR"
        return "OK" if self.enps else "NF"


QueryAnswer = StatusAnswer | WorkingAnswer
ANSWER_STRUCTURES = ("RSP_ZK1", "RSP_ZK6")


# --------------------------------------------------------------------------- build


def _qak(parent: Any, status: str, total: int, in_answer: int, remaining: int) -> None:
    qak = sub(parent, "QAK")
    sub(qak, "QAK.2", status)
    sub(qak, "QAK.4", str(total))
    sub(qak, "QAK.5", str(in_answer))
    sub(qak, "QAK.6", str(remaining))


def build_query_answer(parent: Any, answer: QueryAnswer, answer_id: str) -> None:
    """Append the ``RSP_ZK1`` / ``RSP_ZK6`` element of ``answer`` to the batch ``parent``."""
    el = sub(parent, answer.structure)
    build_head(
        el,
        message_type=STATUS_ANSWER_TYPE
        if isinstance(answer, StatusAnswer)
        else WORKING_ANSWER_TYPE,
        answer_id=answer_id,
        code=answer.code,
        ref=answer.message_id,
        errors=answer.errors,
    )
    if isinstance(answer, WorkingAnswer):
        n = len(answer.enps)
        _qak(el, answer.query_status, n, n, 0)
        qpd = sub(el, "QPD")
        composite(qpd, "QPD.1", CWE_1=WORKING_QUERY_NAME)
        sub(qpd, "QPD.4", f"{answer.year:04d}")
        sub(qpd, "QPD.5", str(answer.quarter))
        for enp in answer.enps:
            sub(sub(el, "ZWL"), "ZWL.1", enp)
        return
    _qak(el, answer.query_status, answer.total, answer.in_answer, answer.remaining)
    for hit in answer.hits:
        group = sub(el, HIT_GROUP)
        build_pid(
            group,
            documents=hit.documents,
            enp=hit.enp,
            snils=hit.snils,
            surname=hit.surname,
            name=hit.name,
            patronymic=hit.patronymic,
            birth_date=hit.birth_date,
            sex=hit.sex,
            addresses=hit.addresses,
            birth_place=hit.birth_place,
            citizenships=hit.citizenships,
            death_date=hit.death_date,
        )
        for set_id, insurance in enumerate(hit.insurances, start=1):
            build_in1(group, insurance, set_id)
        qri = sub(group, "QRI")
        sub(qri, "QRI.1", hit.match)
        sub(qri, "QRI.2", hit.key)


# --------------------------------------------------------------------------- parse


def _parse_hit(group: Any, number: int) -> PersonHit:
    segments = children(group)
    names = [name for name, _ in segments]
    if not names or names[0] != "PID" or names[-1] != "QRI" or set(names[1:-1]) - {"IN1"}:
        raise structure_error(f"найденное лицо {number}: ожидались PID, IN1…, QRI")
    insurances: list[Insurance] = []
    for expected, (_, in1) in enumerate(segments[1:-1], start=1):
        set_id, insurance = parse_in1(in1)
        if set_id != expected:
            raise structure_error(
                f"найденное лицо {number}: IN1.1 = {set_id}, ожидалось {expected}"
            )
        insurances.append(insurance)
    qri = segments[-1][1]
    return PersonHit(
        match=req(qri, "QRI.1"),
        key=req(qri, "QRI.2"),
        insurances=tuple(insurances),
        **parse_pid(segments[0][1]),
    )


def parse_query_answer(structure: str, head: Head) -> QueryAnswer:
    """The answer of an ``RSP_ZK1`` / ``RSP_ZK6`` element whose head is already read."""
    rest = head.rest
    if not rest or rest[0][0] != "QAK":
        raise structure_error(f"{structure}: нет сегмента QAK после MSA/ERR")
    qak = rest[0][1]
    query_status = req(qak, "QAK.2")
    total, in_answer, remaining = (req_int(qak, f"QAK.{n}") for n in (4, 5, 6))
    if structure == "RSP_ZK6":
        if len(rest) < 2 or rest[1][0] != "QPD":
            raise structure_error("RSP_ZK6: нет сегмента QPD после QAK")
        qpd = rest[1][1]
        if coded(qpd, "QPD.1") != WORKING_QUERY_NAME:
            raise structure_error(f"RSP_ZK6: QPD.1 не {WORKING_QUERY_NAME}")
        enps: list[str] = []
        for name, el in rest[2:]:
            if name != "ZWL":
                raise structure_error(f"RSP_ZK6: неожиданный сегмент {name}")
            enps.append(req(el, "ZWL.1"))
        if in_answer != len(enps):
            raise structure_error(f"RSP_ZK6: QAK.5 = {in_answer}, передано ЕНП {len(enps)}")
        return WorkingAnswer(
            message_id=head.ref,
            code=head.code,
            year=req_int(qpd, "QPD.4"),
            quarter=req_int(qpd, "QPD.5"),
            enps=tuple(enps),
            errors=head.errors,
        )
    hits: list[PersonHit] = []
    for name, el in rest[1:]:
        if name != HIT_GROUP:
            raise structure_error(f"RSP_ZK1: неожиданный элемент {name}")
        hits.append(_parse_hit(el, len(hits) + 1))
    if in_answer != len(hits):
        raise structure_error(f"RSP_ZK1: QAK.5 = {in_answer}, передано найденных {len(hits)}")
    return StatusAnswer(
        message_id=head.ref,
        code=head.code,
        query_status=query_status,
        total=total,
        in_answer=in_answer,
        remaining=remaining,
        hits=tuple(hits),
        errors=head.errors,
    )
