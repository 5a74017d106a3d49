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
one ``ACK`` per request message (MSH as above, MSA.1 ``AA``/``AE``/``AR``, MSA.2 =
MSH.10 of the request; ERR.2 position as ERL.1 segment, ERL.2 ``1``, ERL.3 field,
ERL.5 component, e.g. ``PID.3`` → ``PID``/``1``/``3``; ERR.3 HL7 code CWE.1;
ERR.4; ERR.5 application code CWE.1; ERR.6 text), then ``BTS`` (BTS.1 count,
BTS.3 hash over the answers' MSH.10 as :func:`ferzl.codec.batch.batch_hash`).

**(convention)** The answers' MSH.10 are UUIDv5 derived from the batch GUID, the
position and the request's MSH.10, so a build is reproducible. On reading, a code
field may also be given as plain text (``<ERR.5>41</ERR.5>``). Faults raise
:class:`BatchError` with the codes of ``batch.py`` (40 not XML / DOCTYPE,
41 structure, 42 batch id, 43 count, 44 hash).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from ferzl.codec.batch import (
    ENCODINGS,
    NS,
    RECEIVER,
    RECEIVER_FACILITY,
    REGION_OID,
    BatchError,
    _children,
    _composite,
    _is_guid,
    _load,
    _local,
    _q,
    _req,
    _schema,
    _sub,
    _text,
    batch_hash,
)

TRANSPORT_CODES = frozenset({"CA", "CE", "CR"})
APPLICATION_CODES = frozenset({"AA", "AE", "AR"})
SEVERITIES = frozenset({"E", "W"})

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

_POSITION_RE = re.compile(r"([A-Z][A-Z0-9]{2})(?:\.(\d+)(?:\.(\d+))?)?")
_ANSWER_NS = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5")


@dataclass(frozen=True)
class ErrorDetail:
    position: str | None  # e.g. "PID.3"; None for the transport answer
    hl7_code: str | None
    severity: str  # E / W
    app_code: str | None  # ERR.5: application code (.uprak2) or transport code (.uprak1)
    text: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"серьёзность {self.severity!r} не E/W")
        if self.position is not None and not _POSITION_RE.fullmatch(self.position):
            raise ValueError(f"позиция {self.position!r} не вида SEG[.n[.m]]")


@dataclass(frozen=True)
class TransportAnswer:
    batch_id: str
    code: str  # CA / CE / CR
    errors: tuple[ErrorDetail, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in TRANSPORT_CODES:
            raise ValueError(f"код транспортной квитанции {self.code!r} не из CA/CE/CR")
        if not _is_guid(self.batch_id):
            raise ValueError(f"идентификатор пакета {self.batch_id!r} не GUID")


@dataclass(frozen=True)
class ChangeAnswer:
    message_id: str
    code: str  # AA / AE / AR
    errors: tuple[ErrorDetail, ...] = ()

    def __post_init__(self) -> None:
        if not self.message_id:
            raise ValueError("пустой идентификатор сообщения")
        if self.code not in APPLICATION_CODES:
            raise ValueError(f"код ответа {self.code!r} не из AA/AE/AR")


@dataclass(frozen=True)
class ApplicationAnswers:
    batch_id: str
    answers: tuple[ChangeAnswer, ...]

    def __post_init__(self) -> None:
        if not _is_guid(self.batch_id):
            raise ValueError(f"идентификатор пакета {self.batch_id!r} не GUID")


def is_multiple_identification(answer: ChangeAnswer) -> bool:
    """An ``AR`` carrying application code 69 (duplicate found in ФЕРЗЛ)."""
    return answer.code == "AR" and any(
        e.app_code == APP_MULTIPLE_IDENTIFICATION for e in answer.errors
    )


# --------------------------------------------------------------------------- build


def _answer_id(batch_id: str, index: int, request_id: str) -> str:
    return str(uuid.uuid5(_ANSWER_NS, f"{batch_id}/{index}/{request_id}"))


def _check_encoding(encoding: str) -> str:
    if encoding.lower() not in ENCODINGS:
        raise ValueError(f"кодировка {encoding!r} не из {ENCODINGS}")
    return encoding.lower()


def _build_ack(
    parent: Any, answer_id: str, code: str, ref: str, errors: Sequence[ErrorDetail]
) -> Any:
    msh = _sub(parent, "MSH")
    _sub(msh, "MSH.1", "|")
    _sub(msh, "MSH.2", "^~\\&")
    _composite(msh, "MSH.3", HD_1=RECEIVER)
    _composite(msh, "MSH.4", HD_1=RECEIVER_FACILITY)
    _composite(msh, "MSH.9", MSG_1="ACK", MSG_3="ACK")
    _sub(msh, "MSH.10", answer_id)
    _composite(msh, "MSH.12", VID_1="2.6")
    msa = _sub(parent, "MSA")
    _sub(msa, "MSA.1", code)
    _sub(msa, "MSA.2", ref)
    for e in errors:
        err = _sub(parent, "ERR")
        if e.position is not None:
            match = _POSITION_RE.fullmatch(e.position)
            assert match is not None  # checked in ErrorDetail
            seg, field, component = match.groups()
            _composite(err, "ERR.2", ERL_1=seg, ERL_2="1", ERL_3=field, ERL_5=component)
        if e.hl7_code is not None:
            _composite(err, "ERR.3", CWE_1=e.hl7_code)
        _sub(err, "ERR.4", e.severity)
        if e.app_code is not None:
            _composite(err, "ERR.5", CWE_1=e.app_code)
        _sub(err, "ERR.6", e.text)
    return parent


def build_transport_answer(answer: TransportAnswer, encoding: str = "windows-1251") -> bytes:
    """The bytes of a ``.uprak1`` transport answer."""
    enc = _check_encoding(encoding)
    root = etree.Element(_q("ACK"), nsmap={None: NS})
    _build_ack(
        root, _answer_id(answer.batch_id, 0, ""), answer.code, answer.batch_id, answer.errors
    )
    data: bytes = etree.tostring(root, xml_declaration=True, encoding=enc)
    return data


def build_application_answers(
    answers: ApplicationAnswers,
    *,
    region_code: str,
    created: datetime,
    encoding: str = "windows-1251",
) -> bytes:
    """The bytes of a ``.uprak2`` application answer batch."""
    enc = _check_encoding(encoding)
    if not region_code:
        raise ValueError("пустой код региона")
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("время создания пакета без смещения часового пояса")
    root = etree.Element(_q("UPRMessageBatch"), nsmap={None: NS})
    bhs = _sub(root, "BHS")
    _sub(bhs, "BHS.1", "|")
    _sub(bhs, "BHS.2", "^~\\&")
    _composite(bhs, "BHS.3", HD_1=RECEIVER)
    _composite(bhs, "BHS.4", HD_1=RECEIVER_FACILITY)
    _composite(bhs, "BHS.5", HD_1=f"СРЗ {region_code}")
    _composite(bhs, "BHS.6", HD_1=region_code, HD_2=REGION_OID, HD_3="ISO")
    _sub(bhs, "BHS.7", created.isoformat())
    _sub(bhs, "BHS.11", answers.batch_id)
    ids: list[str] = []
    for i, a in enumerate(answers.answers, start=1):
        answer_id = _answer_id(answers.batch_id, i, a.message_id)
        ids.append(answer_id)
        _build_ack(_sub(root, "ACK"), answer_id, a.code, a.message_id, a.errors)
    bts = _sub(root, "BTS")
    _sub(bts, "BTS.1", str(len(ids)))
    _sub(bts, "BTS.3", batch_hash(ids))
    data: bytes = etree.tostring(root, xml_declaration=True, encoding=enc)
    return data


# --------------------------------------------------------------------------- parse


def _code(el: Any, field: str) -> str | None:
    """A coded field written as ``<F><CWE.1>x</CWE.1></F>`` or as plain ``<F>x</F>``."""
    node = el.find(_q(field))
    if node is None:
        return None
    if len(node):
        return _text(node, "CWE.1") or None
    return (node.text or "").strip() or None


def _position(err: Any) -> str | None:
    erl = err.find(_q("ERR.2"))
    if erl is None:
        return None
    seg = _req(erl, "ERL.1")
    field = _text(erl, "ERL.3")
    component = _text(erl, "ERL.5")
    position = seg
    if field:
        position += f".{field}"
        if component:
            position += f".{component}"
    return position


def _parse_ack(ack: Any, codes: frozenset[str]) -> tuple[str, str, str, tuple[ErrorDetail, ...]]:
    """(MSH.10, MSA.1, MSA.2, errors) of an ``ACK``."""
    children = _children(ack)
    names = [name for name, _ in children]
    if names[:2] != ["MSH", "MSA"] or any(n != "ERR" for n in names[2:]):
        raise _schema(f"ACK: ожидались MSH, MSA, ERR…, найдены {', '.join(names)}")
    msh, msa = children[0][1], children[1][1]
    if _code(msh, "MSH.9") != "ACK" and _text(msh, "MSH.9/MSG.1") != "ACK":
        raise _schema("MSH.9 не ACK")
    code = _req(msa, "MSA.1")
    if code not in codes:
        raise _schema(f"MSA.1 = {code!r}, ожидалось одно из {', '.join(sorted(codes))}")
    errors: list[ErrorDetail] = []
    for _, err in children[2:]:
        try:
            errors.append(
                ErrorDetail(
                    position=_position(err),
                    hl7_code=_code(err, "ERR.3"),
                    severity=_req(err, "ERR.4"),
                    app_code=_code(err, "ERR.5"),
                    text=_text(err, "ERR.6") or "",
                )
            )
        except ValueError as exc:
            raise _schema(f"ERR: {exc}") from exc
    return _text(msh, "MSH.10") or "", code, _req(msa, "MSA.2"), tuple(errors)


def parse_transport_answer(data: bytes) -> TransportAnswer:
    """Read a ``.uprak1``; raise :class:`BatchError` on any fault."""
    root = _load(data)
    if _local(root) != "ACK":
        raise _schema(f"корневой элемент {root.tag}, ожидался ACK")
    _, code, batch_id, errors = _parse_ack(root, TRANSPORT_CODES)
    if not _is_guid(batch_id):
        raise BatchError(42, f"MSA.2 {batch_id!r} не GUID пакета")
    return TransportAnswer(batch_id=batch_id, code=code, errors=errors)


def parse_application_answers(data: bytes) -> ApplicationAnswers:
    """Read a ``.uprak2``; count and hash are checked as in :func:`parse_batch`."""
    root = _load(data)
    if _local(root) != "UPRMessageBatch":
        raise _schema(f"корневой элемент {root.tag}, ожидался UPRMessageBatch")
    children = _children(root)
    if not children or children[0][0] != "BHS":
        raise _schema("пакет не начинается с BHS")
    if len(children) < 2 or children[-1][0] != "BTS":
        raise _schema("пакет не заканчивается BTS")
    batch_id = _text(children[0][1], "BHS.11")
    if not batch_id or not _is_guid(batch_id):
        raise BatchError(42, f"идентификатор пакета BHS.11 {batch_id!r} отсутствует или не GUID")

    ids: list[str] = []
    answers: list[ChangeAnswer] = []
    for name, el in children[1:-1]:
        if name != "ACK":
            raise _schema(f"неожиданный элемент {name}")
        answer_id, code, ref, errors = _parse_ack(el, APPLICATION_CODES)
        if not answer_id:
            raise _schema(f"ответ {len(answers) + 1}: нет MSH.10")
        ids.append(answer_id)
        answers.append(ChangeAnswer(message_id=ref, code=code, errors=errors))

    bts = children[-1][1]
    count_text = _req(bts, "BTS.1")
    if not count_text.isdigit():
        raise _schema(f"BTS.1 = {count_text!r} не число")
    declared = int(count_text)
    if declared != len(answers):
        raise BatchError(43, f"заявлено сообщений {declared} (BTS.1), в пакете {len(answers)}")
    declared_hash = _req(bts, "BTS.3")
    expected = batch_hash(ids)
    if declared_hash != expected:
        raise BatchError(44, f"контрольная сумма BTS.3 {declared_hash} не равна {expected}")
    return ApplicationAnswers(batch_id=batch_id, answers=tuple(answers))
