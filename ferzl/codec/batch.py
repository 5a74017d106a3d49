"""Outbound batches to the central segment (FORMATS.md §4), HL7 v2.6 XML.

``build_batch`` writes a ``UPRMessageBatch`` (namespace ``urn:hl7-org:v2xml``) of
change messages (``ADT_A01`` / ``ADT_A03``) and queries (``QBP_ZP1`` / ``QBP_ZP6``,
see ``queries.py``) in the order given; ``parse_batch`` reads one back in file order,
refusing anything that is not plain XML of that shape, and raises :class:`BatchError`
with the ERR.5 code of the transport answer: 40 not XML (a DOCTYPE included),
41 structure (``ferzl/schemas/uprmessagebatch.xsd``, then the values the codec
needs), 42 batch id, 43 message count, 44 hash.

Element naming (HL7 v2.xml: a segment holds field elements ``SEG.n``; a composite
field holds component elements ``TYPE.n``; a sub-component ``TYPE.n`` is nested in
its component; a primitive field holds its text directly):

==========  ======================================  ===================================
Field       Content                                 Encoding
==========  ======================================  ===================================
BHS.1/2     ``|`` / ``^~\\&``                       text
BHS.3       ``СРЗ <region>``                        HD.1
BHS.4       region code, OID, ``ISO``               HD.1, HD.2 ``1.2.643.2.40.3.3.1.0``,
                                                    HD.3 ``ISO``
BHS.5       ``ЦК ЕРП``                              HD.1
BHS.6       ``00``                                  HD.1
BHS.7       creation time (ISO 8601 with offset)    text
BHS.9       mode ``P``/``D``/``T``                  text
BHS.11      batch GUID                              text
MSH.1/2     ``|`` / ``^~\\&``                       text
MSH.3…6     as BHS.3…6                              HD.1 (MSH.4: HD.1/HD.2/HD.3)
MSH.7       = BHS.7                                 text
MSH.9       ``ADT^A08^ADT_A01`` / ``ADT^A03^…``     MSG.1, MSG.2, MSG.3
MSH.10      message GUID                            text
MSH.11      mode                                    PT.1
MSH.12      ``2.6``                                 VID.1
MSH.15/16   ``AL``                                  text
EVN.2       application date ``yyyy-MM-dd``         text
EVN.4       event code П01…П11                      text
PID.3       identifier (repeats)                    CX.1 value, CX.5 type, CX.7 issue,
                                                    CX.8 expiry (ДУЛ: CX.1 =
                                                    ``series № number``, CX.5 F011 code;
                                                    ЕНП: CX.5 ``NI``; СНИЛС: ``PEN``)
PID.5       ФИО                                     XPN.1/FN.1, XPN.2, XPN.3, XPN.7 ``L``
PID.7       birth date                              text
PID.8       sex 1/2                                 text
PID.11      address (repeats)                       XAD.7 ``L``/``H``, XAD.9 ОКАТО
PID.23      place of birth                          text
PID.26      citizenship, ОКСМ alpha-3 (≤ 2)         CWE.1
PID.29/30   death date / ``Y``                      text
PV1.2       ``1``                                   text
IN1.1       ``1``                                   text
IN1.2       ``ОМС``                                 CWE.1 ``ОМС``,
                                                    CWE.3 ``1.2.643.2.40.5.100.72``
IN1.3       СМО ОГРН                                CX.1, CX.5 ``NII``
IN1.12/13   start / end (``2200-01-01`` = open)     text
IN1.15      region ОКАТО                            text
IN1.35      policy form letter                      text
IN1.36      policy / certificate number             text
IN1.42      employment 1/0                          CWE.1
ZDR.1/2     R001 reason / date (only with П02)      text
BTS.1       number of messages                      text
BTS.3       hash (see :func:`batch_hash`)           text
==========  ======================================  ===================================

IN1 sits in the group ``ADT_A01.INSURANCE`` (``ADT_A03.INSURANCE`` for ADT_A03);
ZDR closes the message. Optional values that are absent are omitted, not written
empty (an empty name or patronymic included). PID and IN1 are shared with the
status answers (``person.py``); the MSH with the queries (``hl7xml.py``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ferzl.codec.hl7xml import (
    ENCODINGS,
    MODES,
    NS,
    OMS_OID,
    OPEN_END,
    RECEIVER,
    RECEIVER_FACILITY,
    REGION_OID,
    BatchError,
    build_request_msh,
    check_batch_id,
    check_created,
    check_encoding,
    check_request_msh,
    check_root,
    child,
    children,
    composite,
    expect,
    is_guid,
    iso,
    load,
    new_root,
    parse_int,
    req,
    req_date,
    serialize,
    structure_error,
    sub,
    text,
    validate,
)
from ferzl.codec.person import (
    ID_ENP,
    ID_SNILS,
    Address,
    Insurance,
    PersonDocument,
    build_in1,
    build_pid,
    parse_in1,
    parse_pid,
)
from ferzl.codec.queries import (
    QUERY_STRUCTURES,
    StatusQuery,
    WorkingQuery,
    build_query,
    parse_query,
)

__all__ = [
    "ENCODINGS",
    "EVENT_CODES",
    "ID_ENP",
    "ID_SNILS",
    "MODES",
    "NS",
    "OMS_OID",
    "OPEN_END",
    "RECEIVER",
    "RECEIVER_FACILITY",
    "REGION_OID",
    "Address",
    "BatchError",
    "BatchHeader",
    "ChangeMessage",
    "Insurance",
    "OutboundMessage",
    "ParsedBatch",
    "PersonDocument",
    "StatusQuery",
    "WorkingQuery",
    "batch_hash",
    "build_batch",
    "parse_batch",
]

EVENT_CODES = frozenset(f"П{n:02d}" for n in range(1, 12))
SCHEMA = "uprmessagebatch.xsd"


@dataclass(frozen=True)
class BatchHeader:
    region_code: str
    created: datetime
    mode: str
    batch_id: str

    def __post_init__(self) -> None:
        if not self.region_code:
            raise ValueError("пустой код региона")
        check_created(self.created)
        if self.mode not in MODES:
            raise ValueError(f"режим пакета {self.mode!r} не из P/D/T")
        if not is_guid(self.batch_id):
            raise ValueError(f"идентификатор пакета {self.batch_id!r} не GUID")


@dataclass(frozen=True)
class ChangeMessage:
    message_id: str
    mode: str
    event: str
    application_date: date
    surname: str
    name: str
    birth_date: date
    sex: int
    patronymic: str | None = None
    documents: tuple[PersonDocument, ...] = ()
    enp: str | None = None
    snils: str | None = None
    addresses: tuple[Address, ...] = ()
    birth_place: str | None = None
    citizenships: tuple[str, ...] = ()
    death_date: date | None = None
    death_other_region: bool = False  # ADT_A03 instead of ADT_A01
    insurance: Insurance | None = None
    zdr_reason: str | None = None
    zdr_date: date | None = None

    def __post_init__(self) -> None:
        if not is_guid(self.message_id):
            raise ValueError(f"идентификатор сообщения {self.message_id!r} не GUID")
        if self.mode not in MODES:
            raise ValueError(f"режим сообщения {self.mode!r} не из P/D/T")
        if self.event not in EVENT_CODES:
            raise ValueError(f"код события {self.event!r} не из П01…П11")
        if not self.surname:
            raise ValueError("пустая фамилия")
        if self.sex not in (1, 2):
            raise ValueError(f"пол {self.sex!r} не 1/2")
        if self.patronymic == "":
            object.__setattr__(self, "patronymic", None)
        if len(self.citizenships) > 2:
            raise ValueError("больше двух гражданств")
        if (self.zdr_reason is None) != (self.zdr_date is None):
            raise ValueError("ZDR: причина и дата задаются вместе")
        if self.zdr_reason is not None and self.event != "П02":
            raise ValueError("ZDR допускается только с П02")
        if self.death_other_region and self.death_date is None:
            raise ValueError("ADT_A03 без даты смерти")

    @property
    def structure(self) -> str:
        return "ADT_A03" if self.death_other_region else "ADT_A01"

    @property
    def message_type(self) -> tuple[str, str, str]:
        if self.death_other_region:
            return ("ADT", "A03", "ADT_A03")
        return ("ADT", "A08", "ADT_A01")


OutboundMessage = ChangeMessage | StatusQuery | WorkingQuery


@dataclass(frozen=True)
class ParsedBatch:
    header: BatchHeader
    messages: tuple[OutboundMessage, ...]
    declared_count: int
    hash: str


def batch_hash(message_ids: Iterable[str]) -> str:
    """BTS.3: CRC32, upper-case hex of 8 digits, of the UTF-8 bytes of all MSH.10 joined."""
    return f"{zlib.crc32(''.join(message_ids).encode('utf-8')):08X}"


# --------------------------------------------------------------------------- build


def _build_message(root: Any, header: BatchHeader, m: ChangeMessage) -> None:
    msg = sub(root, m.structure)
    build_request_msh(
        msg,
        region_code=header.region_code,
        created=header.created,
        message_type=m.message_type,
        message_id=m.message_id,
        mode=m.mode,
    )
    evn = sub(msg, "EVN")
    sub(evn, "EVN.2", iso(m.application_date))
    sub(evn, "EVN.4", m.event)
    build_pid(
        msg,
        documents=m.documents,
        enp=m.enp,
        snils=m.snils,
        surname=m.surname,
        name=m.name,
        patronymic=m.patronymic,
        birth_date=m.birth_date,
        sex=m.sex,
        addresses=m.addresses,
        birth_place=m.birth_place,
        citizenships=m.citizenships,
        death_date=m.death_date,
    )
    pv1 = sub(msg, "PV1")
    sub(pv1, "PV1.2", "1")
    if m.insurance is not None:
        build_in1(sub(msg, f"{m.structure}.INSURANCE"), m.insurance)
    if m.zdr_reason is not None and m.zdr_date is not None:
        zdr = sub(msg, "ZDR")
        sub(zdr, "ZDR.1", m.zdr_reason)
        sub(zdr, "ZDR.2", iso(m.zdr_date))


def build_batch(
    header: BatchHeader, messages: Sequence[OutboundMessage], encoding: str = "windows-1251"
) -> bytes:
    """The bytes of an outbound ``.uprmes`` batch in ``windows-1251`` or ``utf-8``.

    ``messages`` are change messages and queries in any mix, written in their order.
    """
    enc = check_encoding(encoding)
    ids = [m.message_id for m in messages]
    if len(set(ids)) != len(ids):
        raise ValueError("повторяющиеся идентификаторы сообщений")
    root = new_root("UPRMessageBatch")
    bhs = sub(root, "BHS")
    sub(bhs, "BHS.1", "|")
    sub(bhs, "BHS.2", "^~\\&")
    composite(bhs, "BHS.3", HD_1=f"СРЗ {header.region_code}")
    composite(bhs, "BHS.4", HD_1=header.region_code, HD_2=REGION_OID, HD_3="ISO")
    composite(bhs, "BHS.5", HD_1=RECEIVER)
    composite(bhs, "BHS.6", HD_1=RECEIVER_FACILITY)
    sub(bhs, "BHS.7", header.created.isoformat())
    sub(bhs, "BHS.9", header.mode)
    sub(bhs, "BHS.11", header.batch_id)
    for m in messages:
        if isinstance(m, ChangeMessage):
            _build_message(root, header, m)
        elif isinstance(m, StatusQuery | WorkingQuery):
            build_query(root, m, region_code=header.region_code, created=header.created)
        else:
            raise TypeError(f"не сообщение пакета: {type(m).__name__}")
    bts = sub(root, "BTS")
    sub(bts, "BTS.1", str(len(messages)))
    sub(bts, "BTS.3", batch_hash(ids))
    return serialize(root, enc)


# --------------------------------------------------------------------------- parse


def _parse_header(bhs: Any, batch_id: str) -> BatchHeader:
    region = req(bhs, "BHS.4/HD.1")
    expect(bhs, "BHS.3/HD.1", f"СРЗ {region}")
    expect(bhs, "BHS.4/HD.2", REGION_OID)
    expect(bhs, "BHS.4/HD.3", "ISO")
    expect(bhs, "BHS.5/HD.1", RECEIVER)
    expect(bhs, "BHS.6/HD.1", RECEIVER_FACILITY)
    created_text = req(bhs, "BHS.7")
    try:
        created = datetime.fromisoformat(created_text)
    except ValueError as exc:
        raise structure_error(f"BHS.7: недопустимое время {created_text!r}") from exc
    try:
        return BatchHeader(
            region_code=region, created=created, mode=req(bhs, "BHS.9"), batch_id=batch_id
        )
    except ValueError as exc:
        raise structure_error(str(exc)) from exc


def _parse_message(structure: str, msg: Any) -> ChangeMessage:
    segments = dict(children(msg))
    for name in ("MSH", "EVN", "PID", "PV1"):
        if name not in segments:
            raise structure_error(f"{structure}: нет сегмента {name}")
    trigger = "A03" if structure == "ADT_A03" else "A08"
    message_id, mode = check_request_msh(segments["MSH"], ("ADT", trigger, structure))
    evn = segments["EVN"]
    expect(segments["PV1"], "PV1.2", "1")

    insurance: Insurance | None = None
    group = segments.get(f"{structure}.INSURANCE")
    if group is not None:
        in1 = child(group, "IN1")
        if in1 is None:
            raise structure_error(f"{structure}.INSURANCE без IN1")
        set_id, insurance = parse_in1(in1)
        if set_id != 1:
            raise structure_error(f"IN1.1 = {set_id}, ожидалось 1")

    zdr_reason: str | None = None
    zdr_date: date | None = None
    zdr = segments.get("ZDR")
    if zdr is not None:
        zdr_reason = req(zdr, "ZDR.1")
        zdr_date = req_date(zdr, "ZDR.2")

    return ChangeMessage(
        message_id=message_id,
        mode=mode,
        event=req(evn, "EVN.4"),
        application_date=req_date(evn, "EVN.2"),
        death_other_region=structure == "ADT_A03",
        insurance=insurance,
        zdr_reason=zdr_reason,
        zdr_date=zdr_date,
        **parse_pid(segments["PID"]),
    )


def parse_batch(data: bytes) -> ParsedBatch:
    """Read an outbound batch; raise :class:`BatchError` on any batch-level fault.

    The document is checked against ``ferzl/schemas/uprmessagebatch.xsd`` first (41);
    the messages come back in file order. GUIDs (BHS.11, MSH.10) come back in lower
    case; BTS.3 is checked over the MSH.10 values as written. A fault found after
    BHS.11 was read carries it as :attr:`BatchError.batch_id`.
    """
    root = load(data)
    check_root(root, "UPRMessageBatch")
    batch_id = check_batch_id(root)
    try:
        return _parse_batch_body(root, batch_id)
    except BatchError as exc:
        exc.batch_id = batch_id
        raise


def _parse_batch_body(root: Any, batch_id: str) -> ParsedBatch:
    validate(root, SCHEMA, "пакета")
    items = children(root)
    header = _parse_header(items[0][1], batch_id)

    messages: list[OutboundMessage] = []
    written_ids: list[str] = []  # MSH.10 as written: the hash is over these
    for name, el in items[1:-1]:
        try:
            if name in ("ADT_A01", "ADT_A03"):
                messages.append(_parse_message(name, el))
            elif name in QUERY_STRUCTURES:
                messages.append(parse_query(name, el))
            else:
                raise structure_error(f"неожиданный элемент {name}")
        except ValueError as exc:
            raise structure_error(f"сообщение {len(messages) + 1}: {exc}") from exc
        written_ids.append(text(el, "MSH/MSH.10") or "")

    bts = items[-1][1]
    declared = parse_int(req(bts, "BTS.1"), "BTS.1", code=43)
    if declared != len(messages):
        raise BatchError(43, f"заявлено сообщений {declared} (BTS.1), в пакете {len(messages)}")
    ids = [m.message_id for m in messages]
    if len(set(ids)) != len(ids):
        raise structure_error("повторяющиеся идентификаторы сообщений MSH.10")
    declared_hash = req(bts, "BTS.3")
    expected = batch_hash(written_ids)
    if declared_hash != expected:
        raise BatchError(44, f"контрольная сумма BTS.3 {declared_hash} не равна {expected}")
    return ParsedBatch(
        header=header, messages=tuple(messages), declared_count=declared, hash=declared_hash
    )
