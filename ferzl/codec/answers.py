"""Answers of the central segment (FORMATS.md §4): ``.uprak1`` and ``.uprak2``, HL7 v2.6 XML.

Transport answer ``.uprak1`` (one per batch), root ``ACK``:

==========  ======================================  ===================================
Field       Content                                 Encoding
==========  ======================================  ===================================
MSH.1/2     ``|`` / ``^~\\&``                       text
MSH.3/4     ``ЦК ЕРП`` / ``00``                     HD.1
MSH.9       ``ACK``                                 MSG.1, MSG.3 ``ACK``
MSH.10      answer GUID (derived from the batch)    text
MSH.12      ``2.6``                                 VID.1
MSA.1       ``CA`` / ``CE`` / ``CR``                text
MSA.2       batch GUID (BHS.11 of the request)      text
ERR.4       severity ``E`` / ``W``                  text
ERR.5       code 40…44, 99                          CWE.1
ERR.6       text                                    text
==========  ======================================  ===================================

Application answer ``.uprak2`` (one per accepted batch), root ``UPRMessageBatch``:
``BHS`` (BHS.3 ``ЦК ЕРП``, BHS.4 ``00``, BHS.5 ``СРЗ <region>``, BHS.6 region code
with OID and ``ISO``, BHS.7 creation time, BHS.11 = GUID of the request batch),
one answer per request message in the requests' order, then ``BTS`` (BTS.1 count,
BTS.3 hash over the answers' MSH.10 as :func:`ferzl.codec.batch.batch_hash`):

- to a change message an ``ACK``: MSH as above, MSA.1 ``AA``/``AE``/``AR``, MSA.2 =
  MSH.10 of the request; ERR.2 position as ERL.1 segment, ERL.2 ``1``, ERL.3 field,
  ERL.5 component, e.g. ``PID.3`` → ``PID``/``1``/``3``; ERR.3 HL7 code CWE.1;
  ERR.4; ERR.5 application code CWE.1; ERR.6 text;
- to a ``QBP_ZP1`` an ``RSP_ZK1``, to a ``QBP_ZP6`` an ``RSP_ZK6`` (MSH.9
  ``RSP^ZK1^RSP_ZK1`` / ``RSP^ZK6^RSP_ZK6``, the same MSA and ERR, then QAK and the
  hits / ЕНП: field table in ``responses.py``).

**(convention)** The answers' MSH.10 are UUIDv5 derived from the batch GUID, the
position and the request's MSH.10, so a build is reproducible. On reading, a code
field (ERR.3, ERR.5, QPD.1, the MSH.9 of an ACK) may also be given as plain text
(``<ERR.5>41</ERR.5>``). Every file is checked against its XSD first
(``ferzl/schemas/ack.xsd``, ``uprak2.xsd``). Faults raise :class:`BatchError` with
the codes of ``batch.py`` (40 not XML / DOCTYPE, 41 structure, 42 batch id,
43 count, 44 hash).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ferzl.codec.ack import (
    APPLICATION_CODES,
    SEVERITIES,
    TRANSPORT_CODES,
    ErrorDetail,
    build_head,
    parse_head,
)
from ferzl.codec.batch import batch_hash
from ferzl.codec.hl7xml import (
    RECEIVER,
    RECEIVER_FACILITY,
    REGION_OID,
    BatchError,
    check_batch_id,
    check_created,
    check_encoding,
    check_root,
    children,
    composite,
    is_guid,
    load,
    new_root,
    parse_int,
    req,
    serialize,
    structure_error,
    sub,
    validate,
)
from ferzl.codec.responses import (
    ANSWER_STRUCTURES,
    MATCH_EXACT,
    MATCH_FUZZY,
    QUERY_STATUSES,
    PersonHit,
    StatusAnswer,
    WorkingAnswer,
    build_query_answer,
    parse_query_answer,
)

__all__ = [
    "APPLICATION_CODES",
    "APP_DUL_OTHER_PERSON",
    "APP_ENP_OTHER_PERSON",
    "APP_ERROR_TEXTS_RU",
    "APP_MULTIPLE_IDENTIFICATION",
    "APP_PERSON_NOT_FOUND",
    "APP_SNILS_OTHER_PERSON",
    "MATCH_EXACT",
    "MATCH_FUZZY",
    "QUERY_STATUSES",
    "SEVERITIES",
    "TRANSPORT_CODES",
    "ApplicationAnswer",
    "ApplicationAnswers",
    "ChangeAnswer",
    "ErrorDetail",
    "PersonHit",
    "StatusAnswer",
    "TransportAnswer",
    "WorkingAnswer",
    "build_application_answers",
    "build_transport_answer",
    "is_multiple_identification",
    "parse_application_answers",
    "parse_transport_answer",
]

TRANSPORT_SCHEMA = "ack.xsd"
APPLICATION_SCHEMA = "uprak2.xsd"
ACK_TYPE = ("ACK", None, "ACK")

APP_PERSON_NOT_FOUND = "41"
APP_ENP_OTHER_PERSON = "43"
APP_DUL_OTHER_PERSON = "67"
APP_SNILS_OTHER_PERSON = "68"
APP_MULTIPLE_IDENTIFICATION = "69"

APP_ERROR_TEXTS_RU: dict[str, str] = {
    APP_PERSON_NOT_FOUND: "Застрахованное лицо не найдено в ФЕРЗЛ",
    APP_ENP_OTHER_PERSON: "ЕНП принадлежит другому застрахованному лицу",
    APP_DUL_OTHER_PERSON: "ДУЛ принадлежит другому застрахованному лицу",
    APP_SNILS_OTHER_PERSON: "СНИЛС принадлежит другому застрахованному лицу",
    APP_MULTIPLE_IDENTIFICATION: "Найден дубликат: множественная идентификация",
}

_ANSWER_NS = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5")


@dataclass(frozen=True)
class TransportAnswer:
    batch_id: str
    code: str  # CA / CE / CR
    errors: tuple[ErrorDetail, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in TRANSPORT_CODES:
            raise ValueError(f"код транспортной квитанции {self.code!r} не из CA/CE/CR")
        if not is_guid(self.batch_id):
            raise ValueError(f"идентификатор пакета {self.batch_id!r} не GUID")


@dataclass(frozen=True)
class ChangeAnswer:
    """``ACK``: the answer to a change message."""

    message_id: str  # MSA.2 = MSH.10 of the change message
    code: str  # AA / AE / AR
    errors: tuple[ErrorDetail, ...] = ()

    def __post_init__(self) -> None:
        if not is_guid(self.message_id):
            raise ValueError(f"идентификатор сообщения {self.message_id!r} не GUID")
        if self.code not in APPLICATION_CODES:
            raise ValueError(f"код ответа {self.code!r} не из AA/AE/AR")

    @property
    def structure(self) -> str:
        return "ACK"


ApplicationAnswer = ChangeAnswer | StatusAnswer | WorkingAnswer


@dataclass(frozen=True)
class ApplicationAnswers:
    batch_id: str
    answers: tuple[ApplicationAnswer, ...]

    def __post_init__(self) -> None:
        if not is_guid(self.batch_id):
            raise ValueError(f"идентификатор пакета {self.batch_id!r} не GUID")


def is_multiple_identification(answer: ApplicationAnswer) -> bool:
    """An ``AR`` carrying application code 69 (duplicate found in ФЕРЗЛ)."""
    return answer.code == "AR" and any(
        e.app_code == APP_MULTIPLE_IDENTIFICATION for e in answer.errors
    )


# --------------------------------------------------------------------------- build


def _answer_id(batch_id: str, index: int, request_id: str) -> str:
    return str(uuid.uuid5(_ANSWER_NS, f"{batch_id}/{index}/{request_id}"))


def build_transport_answer(answer: TransportAnswer, encoding: str = "windows-1251") -> bytes:
    """The bytes of a ``.uprak1`` transport answer."""
    enc = check_encoding(encoding)
    root = new_root("ACK")
    build_head(
        root,
        message_type=ACK_TYPE,
        answer_id=_answer_id(answer.batch_id, 0, ""),
        code=answer.code,
        ref=answer.batch_id,
        errors=answer.errors,
    )
    return serialize(root, enc)


def build_application_answers(
    answers: ApplicationAnswers,
    *,
    region_code: str,
    created: datetime,
    encoding: str = "windows-1251",
) -> bytes:
    """The bytes of a ``.uprak2`` application answer batch (answers in their order)."""
    enc = check_encoding(encoding)
    if not region_code:
        raise ValueError("пустой код региона")
    check_created(created)
    root = new_root("UPRMessageBatch")
    bhs = sub(root, "BHS")
    sub(bhs, "BHS.1", "|")
    sub(bhs, "BHS.2", "^~\\&")
    composite(bhs, "BHS.3", HD_1=RECEIVER)
    composite(bhs, "BHS.4", HD_1=RECEIVER_FACILITY)
    composite(bhs, "BHS.5", HD_1=f"СРЗ {region_code}")
    composite(bhs, "BHS.6", HD_1=region_code, HD_2=REGION_OID, HD_3="ISO")
    sub(bhs, "BHS.7", created.isoformat())
    sub(bhs, "BHS.11", answers.batch_id)
    ids: list[str] = []
    for i, a in enumerate(answers.answers, start=1):
        answer_id = _answer_id(answers.batch_id, i, a.message_id)
        ids.append(answer_id)
        if isinstance(a, ChangeAnswer):
            build_head(
                sub(root, "ACK"),
                message_type=ACK_TYPE,
                answer_id=answer_id,
                code=a.code,
                ref=a.message_id,
                errors=a.errors,
            )
        elif isinstance(a, StatusAnswer | WorkingAnswer):
            build_query_answer(root, a, answer_id)
        else:
            raise TypeError(f"не ответ пакета: {type(a).__name__}")
    bts = sub(root, "BTS")
    sub(bts, "BTS.1", str(len(ids)))
    sub(bts, "BTS.3", batch_hash(ids))
    return serialize(root, enc)


# --------------------------------------------------------------------------- parse


def parse_transport_answer(data: bytes) -> TransportAnswer:
    """Read a ``.uprak1`` (checked against ``ferzl/schemas/ack.xsd``); BatchError on a fault."""
    root = load(data)
    check_root(root, "ACK")
    validate(root, TRANSPORT_SCHEMA, "квитанции")
    head = parse_head(root, ACK_TYPE, TRANSPORT_CODES)
    if head.rest:
        raise structure_error(f"ACK: неожиданный сегмент {head.rest[0][0]}", "квитанции")
    if not is_guid(head.ref):
        raise BatchError(42, f"MSA.2 {head.ref!r} не GUID пакета")
    return TransportAnswer(batch_id=head.ref, code=head.code, errors=head.errors)


def _parse_answer(name: str, el: Any) -> tuple[str, ApplicationAnswer]:
    if name == "ACK":
        head = parse_head(el, ACK_TYPE, APPLICATION_CODES)
        if head.rest:
            raise structure_error(f"ACK: неожиданный сегмент {head.rest[0][0]}")
        return head.answer_id, ChangeAnswer(message_id=head.ref, code=head.code, errors=head.errors)
    if name in ANSWER_STRUCTURES:
        message_type = ("RSP", name[-3:], name)
        head = parse_head(el, message_type, APPLICATION_CODES)
        return head.answer_id, parse_query_answer(name, head)
    raise structure_error(f"неожиданный элемент {name}")


def parse_application_answers(data: bytes) -> ApplicationAnswers:
    """Read a ``.uprak2`` (checked against ``ferzl/schemas/uprak2.xsd``).

    Count and hash are checked as in :func:`ferzl.codec.batch.parse_batch`; the
    answers come back in file order, GUIDs (BHS.11, MSA.2) in lower case.
    """
    root = load(data)
    check_root(root, "UPRMessageBatch")
    batch_id = check_batch_id(root)
    try:
        return _parse_answers_body(root, batch_id)
    except BatchError as exc:
        exc.batch_id = batch_id
        raise


def _parse_answers_body(root: Any, batch_id: str) -> ApplicationAnswers:
    validate(root, APPLICATION_SCHEMA, "пакета")
    items = children(root)

    ids: list[str] = []
    answers: list[ApplicationAnswer] = []
    for name, el in items[1:-1]:
        try:
            answer_id, answer = _parse_answer(name, el)
        except ValueError as exc:
            raise structure_error(f"ответ {len(answers) + 1}: {exc}") from exc
        if not answer_id:
            raise structure_error(f"ответ {len(answers) + 1}: нет MSH.10")
        ids.append(answer_id)
        answers.append(answer)

    bts = items[-1][1]
    declared = parse_int(req(bts, "BTS.1"), "BTS.1", code=43)
    if declared != len(answers):
        raise BatchError(43, f"заявлено сообщений {declared} (BTS.1), в пакете {len(answers)}")
    declared_hash = req(bts, "BTS.3")
    expected = batch_hash(ids)
    if declared_hash != expected:
        raise BatchError(44, f"контрольная сумма BTS.3 {declared_hash} не равна {expected}")
    return ApplicationAnswers(batch_id=batch_id, answers=tuple(answers))
