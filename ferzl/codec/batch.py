"""Outbound change batches to the central segment (FORMATS.md §4), HL7 v2.6 XML.

``build_batch`` writes a ``UPRMessageBatch`` (namespace ``urn:hl7-org:v2xml``) of
change messages; ``parse_batch`` reads one back, refusing anything that is not
plain XML of that shape, and raises :class:`BatchError` with the ERR.5 code of
the transport answer: 40 not XML (a DOCTYPE included), 41 schema, 42 batch id,
43 message count, 44 hash.

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
empty.
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

NS = "urn:hl7-org:v2xml"
REGION_OID = "1.2.643.2.40.3.3.1.0"
OMS_OID = "1.2.643.2.40.5.100.72"
RECEIVER = "ЦК ЕРП"
RECEIVER_FACILITY = "00"
OPEN_END = date(2200, 1, 1)
ENCODINGS = ("windows-1251", "utf-8")

MODES = frozenset({"P", "D", "T"})
EVENT_CODES = frozenset(f"П{n:02d}" for n in range(1, 12))
ID_ENP = "NI"
ID_SNILS = "PEN"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BatchError(Exception):
    """A fault of the whole batch; ``code`` is the ERR.5 code of the transport answer."""

    def __init__(self, code: int, text_ru: str) -> None:
        super().__init__(f"{code}: {text_ru}")
        self.code = code
        self.text_ru = text_ru


@dataclass(frozen=True)
class BatchHeader:
    region_code: str
    created: datetime
    mode: str
    batch_id: str

    def __post_init__(self) -> None:
        if not self.region_code:
            raise ValueError("пустой код региона")
        if self.created.tzinfo is None or self.created.utcoffset() is None:
            raise ValueError("время создания пакета без смещения часового пояса")
        if self.mode not in MODES:
            raise ValueError(f"режим пакета {self.mode!r} не из P/D/T")
        if not _is_guid(self.batch_id):
            raise ValueError(f"идентификатор пакета {self.batch_id!r} не GUID")


@dataclass(frozen=True)
class PersonDocument:
    """ДУЛ: F011 type code, series (may be empty), number, issue and expiry dates."""

    doc_type: str
    series: str
    number: str
    issued: date | None = None
    expires: date | None = None

    def __post_init__(self) -> None:
        if not self.doc_type or not self.number:
            raise ValueError("ДУЛ без типа или номера")
        if " № " in self.series or " № " in self.number or self.doc_type in (ID_ENP, ID_SNILS):
            raise ValueError("недопустимый ДУЛ")

    @property
    def value(self) -> str:
        return f"{self.series} № {self.number}" if self.series else self.number


@dataclass(frozen=True)
class Address:
    kind: str  # L registration, H residence
    okato: str

    def __post_init__(self) -> None:
        if self.kind not in ("L", "H"):
            raise ValueError(f"тип адреса {self.kind!r} не L/H")
        if not self.okato:
            raise ValueError("адрес без ОКАТО")


@dataclass(frozen=True)
class Insurance:
    smo_ogrn: str
    start: date
    end: date | None  # None = open-ended (written as 2200-01-01)
    region_okato: str
    policy_form: str
    policy_number: str
    employed: bool

    def __post_init__(self) -> None:
        if self.end == OPEN_END:
            object.__setattr__(self, "end", None)
        if not (self.smo_ogrn and self.region_okato and self.policy_form and self.policy_number):
            raise ValueError("неполные сведения о страховании")
        if self.end is not None and self.end < self.start:
            raise ValueError("окончание страхования раньше начала")


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
        if not self.message_id:
            raise ValueError("пустой идентификатор сообщения")
        if self.mode not in MODES:
            raise ValueError(f"режим сообщения {self.mode!r} не из P/D/T")
        if self.event not in EVENT_CODES:
            raise ValueError(f"код события {self.event!r} не из П01…П11")
        if not self.surname:
            raise ValueError("пустая фамилия")
        if self.sex not in (1, 2):
            raise ValueError(f"пол {self.sex!r} не 1/2")
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


@dataclass(frozen=True)
class ParsedBatch:
    header: BatchHeader
    messages: tuple[ChangeMessage, ...]
    declared_count: int
    hash: str


def batch_hash(message_ids: Iterable[str]) -> str:
    """BTS.3: CRC32, upper-case hex of 8 digits, of the UTF-8 bytes of all MSH.10 joined."""
    return f"{zlib.crc32(''.join(message_ids).encode('utf-8')):08X}"


# --------------------------------------------------------------------------- build


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: Any, name: str, text: str | None = None) -> Any:
    el = etree.SubElement(parent, _q(name))
    if text is not None:
        el.text = text
    return el


def _composite(parent: Any, name: str, **components: str | None) -> Any:
    """A field ``name`` with components given as ``XPN_1="..."`` keyword arguments."""
    el = _sub(parent, name)
    for key, value in components.items():
        if value is not None:
            _sub(el, key.replace("_", "."), value)
    return el


def _iso(d: date) -> str:
    return d.isoformat()


def _build_message(root: Any, header: BatchHeader, m: ChangeMessage) -> None:
    msg = _sub(root, m.structure)
    msh = _sub(msg, "MSH")
    _sub(msh, "MSH.1", "|")
    _sub(msh, "MSH.2", "^~\\&")
    _composite(msh, "MSH.3", HD_1=f"СРЗ {header.region_code}")
    _composite(msh, "MSH.4", HD_1=header.region_code, HD_2=REGION_OID, HD_3="ISO")
    _composite(msh, "MSH.5", HD_1=RECEIVER)
    _composite(msh, "MSH.6", HD_1=RECEIVER_FACILITY)
    _sub(msh, "MSH.7", header.created.isoformat())
    if m.death_other_region:
        _composite(msh, "MSH.9", MSG_1="ADT", MSG_2="A03", MSG_3="ADT_A03")
    else:
        _composite(msh, "MSH.9", MSG_1="ADT", MSG_2="A08", MSG_3="ADT_A01")
    _sub(msh, "MSH.10", m.message_id)
    _composite(msh, "MSH.11", PT_1=m.mode)
    _composite(msh, "MSH.12", VID_1="2.6")
    _sub(msh, "MSH.15", "AL")
    _sub(msh, "MSH.16", "AL")

    evn = _sub(msg, "EVN")
    _sub(evn, "EVN.2", _iso(m.application_date))
    _sub(evn, "EVN.4", m.event)

    pid = _sub(msg, "PID")
    for doc in m.documents:
        _composite(
            pid,
            "PID.3",
            CX_1=doc.value,
            CX_5=doc.doc_type,
            CX_7=_iso(doc.issued) if doc.issued else None,
            CX_8=_iso(doc.expires) if doc.expires else None,
        )
    if m.enp is not None:
        _composite(pid, "PID.3", CX_1=m.enp, CX_5=ID_ENP)
    if m.snils is not None:
        _composite(pid, "PID.3", CX_1=m.snils, CX_5=ID_SNILS)
    xpn = _sub(pid, "PID.5")
    _sub(_sub(xpn, "XPN.1"), "FN.1", m.surname)
    _sub(xpn, "XPN.2", m.name)
    if m.patronymic is not None:
        _sub(xpn, "XPN.3", m.patronymic)
    _sub(xpn, "XPN.7", "L")
    _sub(pid, "PID.7", _iso(m.birth_date))
    _sub(pid, "PID.8", str(m.sex))
    for addr in m.addresses:
        _composite(pid, "PID.11", XAD_7=addr.kind, XAD_9=addr.okato)
    if m.birth_place is not None:
        _sub(pid, "PID.23", m.birth_place)
    for country in m.citizenships:
        _composite(pid, "PID.26", CWE_1=country)
    if m.death_date is not None:
        _sub(pid, "PID.29", _iso(m.death_date))
        _sub(pid, "PID.30", "Y")

    pv1 = _sub(msg, "PV1")
    _sub(pv1, "PV1.2", "1")

    if m.insurance is not None:
        ins = m.insurance
        in1 = _sub(_sub(msg, f"{m.structure}.INSURANCE"), "IN1")
        _sub(in1, "IN1.1", "1")
        _composite(in1, "IN1.2", CWE_1="ОМС", CWE_3=OMS_OID)
        _composite(in1, "IN1.3", CX_1=ins.smo_ogrn, CX_5="NII")
        _sub(in1, "IN1.12", _iso(ins.start))
        _sub(in1, "IN1.13", _iso(ins.end or OPEN_END))
        _sub(in1, "IN1.15", ins.region_okato)
        _sub(in1, "IN1.35", ins.policy_form)
        _sub(in1, "IN1.36", ins.policy_number)
        _composite(in1, "IN1.42", CWE_1="1" if ins.employed else "0")

    if m.zdr_reason is not None and m.zdr_date is not None:
        zdr = _sub(msg, "ZDR")
        _sub(zdr, "ZDR.1", m.zdr_reason)
        _sub(zdr, "ZDR.2", _iso(m.zdr_date))


def build_batch(
    header: BatchHeader, messages: Sequence[ChangeMessage], encoding: str = "windows-1251"
) -> bytes:
    """The bytes of an outbound ``.uprmes`` batch in ``windows-1251`` or ``utf-8``."""
    if encoding.lower() not in ENCODINGS:
        raise ValueError(f"кодировка {encoding!r} не из {ENCODINGS}")
    ids = [m.message_id for m in messages]
    if len(set(ids)) != len(ids):
        raise ValueError("повторяющиеся идентификаторы сообщений")
    root = etree.Element(_q("UPRMessageBatch"), nsmap={None: NS})
    bhs = _sub(root, "BHS")
    _sub(bhs, "BHS.1", "|")
    _sub(bhs, "BHS.2", "^~\\&")
    _composite(bhs, "BHS.3", HD_1=f"СРЗ {header.region_code}")
    _composite(bhs, "BHS.4", HD_1=header.region_code, HD_2=REGION_OID, HD_3="ISO")
    _composite(bhs, "BHS.5", HD_1=RECEIVER)
    _composite(bhs, "BHS.6", HD_1=RECEIVER_FACILITY)
    _sub(bhs, "BHS.7", header.created.isoformat())
    _sub(bhs, "BHS.9", header.mode)
    _sub(bhs, "BHS.11", header.batch_id)
    for m in messages:
        _build_message(root, header, m)
    bts = _sub(root, "BTS")
    _sub(bts, "BTS.1", str(len(messages)))
    _sub(bts, "BTS.3", batch_hash(ids))
    data: bytes = etree.tostring(root, xml_declaration=True, encoding=encoding.lower())
    return data


# --------------------------------------------------------------------------- parse


def _schema(text: str) -> BatchError:
    return BatchError(41, f"нарушение структуры пакета: {text}")


def _local(el: Any) -> str | None:
    tag = el.tag
    if not isinstance(tag, str):
        return None  # comment or processing instruction
    if not tag.startswith(f"{{{NS}}}"):
        raise _schema(f"элемент {tag} вне пространства имён {NS}")
    return tag[len(NS) + 2 :]


def _children(el: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for child in el:
        name = _local(child)
        if name is not None:
            out.append((name, child))
    return out


def _text(el: Any, path: str) -> str | None:
    """Text at a ``/``-separated path of local names below ``el``; None if absent."""
    node = el
    for part in path.split("/"):
        node = node.find(_q(part))
        if node is None:
            return None
    if len(node):
        raise _schema(f"{path}: ожидалось значение, найдены вложенные элементы")
    return (node.text or "").strip()


def _req(el: Any, path: str) -> str:
    value = _text(el, path)
    if not value:
        raise _schema(f"нет обязательного значения {path}")
    return value


def _date(value: str, where: str) -> date:
    if not _DATE_RE.fullmatch(value):
        raise _schema(f"{where}: дата {value!r} не в формате yyyy-MM-dd")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _schema(f"{where}: недопустимая дата {value!r}") from exc


def _opt_date(el: Any, path: str) -> date | None:
    value = _text(el, path)
    return _date(value, path) if value else None


def _expect(el: Any, path: str, expected: str) -> None:
    value = _text(el, path)
    if value != expected:
        raise _schema(f"{path} = {value!r}, ожидалось {expected!r}")


def _parse_header(bhs: Any) -> BatchHeader:
    region = _req(bhs, "BHS.4/HD.1")
    _expect(bhs, "BHS.3/HD.1", f"СРЗ {region}")
    _expect(bhs, "BHS.4/HD.2", REGION_OID)
    _expect(bhs, "BHS.4/HD.3", "ISO")
    _expect(bhs, "BHS.5/HD.1", RECEIVER)
    _expect(bhs, "BHS.6/HD.1", RECEIVER_FACILITY)
    created_text = _req(bhs, "BHS.7")
    try:
        created = datetime.fromisoformat(created_text)
    except ValueError as exc:
        raise _schema(f"BHS.7: недопустимое время {created_text!r}") from exc
    mode = _req(bhs, "BHS.9")
    batch_id = _text(bhs, "BHS.11")
    if not batch_id or not _is_guid(batch_id):
        raise BatchError(42, f"идентификатор пакета BHS.11 {batch_id!r} отсутствует или не GUID")
    try:
        return BatchHeader(region_code=region, created=created, mode=mode, batch_id=batch_id)
    except ValueError as exc:
        raise _schema(str(exc)) from exc


def _parse_message(structure: str, msg: Any) -> ChangeMessage:
    segments = dict(_children(msg))
    for name in ("MSH", "EVN", "PID", "PV1"):
        if name not in segments:
            raise _schema(f"{structure}: нет сегмента {name}")
    msh, evn, pid = segments["MSH"], segments["EVN"], segments["PID"]
    trigger = "A03" if structure == "ADT_A03" else "A08"
    _expect(msh, "MSH.9/MSG.1", "ADT")
    _expect(msh, "MSH.9/MSG.2", trigger)
    _expect(msh, "MSH.9/MSG.3", structure)
    _expect(msh, "MSH.12/VID.1", "2.6")
    _expect(segments["PV1"], "PV1.2", "1")

    documents: list[PersonDocument] = []
    enp: str | None = None
    snils: str | None = None
    for cx in pid.findall(_q("PID.3")):
        value = _req(cx, "CX.1")
        kind = _req(cx, "CX.5")
        if kind == ID_ENP:
            enp = value
        elif kind == ID_SNILS:
            snils = value
        else:
            series, sep, number = value.partition(" № ")
            if not sep:
                series, number = "", value
            documents.append(
                PersonDocument(
                    doc_type=kind,
                    series=series,
                    number=number,
                    issued=_opt_date(cx, "CX.7"),
                    expires=_opt_date(cx, "CX.8"),
                )
            )
    _expect(pid, "PID.5/XPN.7", "L")
    sex_text = _req(pid, "PID.8")
    if sex_text not in ("1", "2"):
        raise _schema(f"PID.8 = {sex_text!r}, ожидалось 1/2")
    addresses = tuple(
        Address(kind=_req(a, "XAD.7"), okato=_req(a, "XAD.9")) for a in pid.findall(_q("PID.11"))
    )
    citizenships = tuple(_req(c, "CWE.1") for c in pid.findall(_q("PID.26")))
    death_date = _opt_date(pid, "PID.29")
    if death_date is not None:
        _expect(pid, "PID.30", "Y")

    insurance: Insurance | None = None
    group = segments.get(f"{structure}.INSURANCE")
    if group is not None:
        in1 = group.find(_q("IN1"))
        if in1 is None:
            raise _schema(f"{structure}.INSURANCE без IN1")
        _expect(in1, "IN1.1", "1")
        _expect(in1, "IN1.2/CWE.1", "ОМС")
        _expect(in1, "IN1.2/CWE.3", OMS_OID)
        _expect(in1, "IN1.3/CX.5", "NII")
        employed = _req(in1, "IN1.42/CWE.1")
        if employed not in ("1", "0"):
            raise _schema(f"IN1.42 = {employed!r}, ожидалось 1/0")
        insurance = Insurance(
            smo_ogrn=_req(in1, "IN1.3/CX.1"),
            start=_date(_req(in1, "IN1.12"), "IN1.12"),
            end=_date(_req(in1, "IN1.13"), "IN1.13"),
            region_okato=_req(in1, "IN1.15"),
            policy_form=_req(in1, "IN1.35"),
            policy_number=_req(in1, "IN1.36"),
            employed=employed == "1",
        )

    zdr_reason: str | None = None
    zdr_date: date | None = None
    zdr = segments.get("ZDR")
    if zdr is not None:
        zdr_reason = _req(zdr, "ZDR.1")
        zdr_date = _date(_req(zdr, "ZDR.2"), "ZDR.2")

    return ChangeMessage(
        message_id=_req(msh, "MSH.10"),
        mode=_req(msh, "MSH.11/PT.1"),
        event=_req(evn, "EVN.4"),
        application_date=_date(_req(evn, "EVN.2"), "EVN.2"),
        surname=_req(pid, "PID.5/XPN.1/FN.1"),
        name=_text(pid, "PID.5/XPN.2") or "",
        patronymic=_text(pid, "PID.5/XPN.3"),
        birth_date=_date(_req(pid, "PID.7"), "PID.7"),
        sex=int(sex_text),
        documents=tuple(documents),
        enp=enp,
        snils=snils,
        addresses=addresses,
        birth_place=_text(pid, "PID.23"),
        citizenships=citizenships,
        death_date=death_date,
        death_other_region=structure == "ADT_A03",
        insurance=insurance,
        zdr_reason=zdr_reason,
        zdr_date=zdr_date,
    )


def _load(data: bytes) -> Any:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise BatchError(40, f"файл не является корректным XML: {exc}") from exc
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise BatchError(40, "DOCTYPE в файле запрещён")
    return tree.getroot()


def parse_batch(data: bytes) -> ParsedBatch:
    """Read an outbound batch; raise :class:`BatchError` on any batch-level fault."""
    root = _load(data)
    if _local(root) != "UPRMessageBatch":
        raise _schema(f"корневой элемент {root.tag}, ожидался UPRMessageBatch")
    children = _children(root)
    if not children or children[0][0] != "BHS":
        raise _schema("пакет не начинается с BHS")
    if len(children) < 2 or children[-1][0] != "BTS":
        raise _schema("пакет не заканчивается BTS")
    header = _parse_header(children[0][1])

    messages: list[ChangeMessage] = []
    for name, el in children[1:-1]:
        if name not in ("ADT_A01", "ADT_A03"):
            raise _schema(f"неожиданный элемент {name}")
        try:
            messages.append(_parse_message(name, el))
        except ValueError as exc:
            raise _schema(f"сообщение {len(messages) + 1}: {exc}") from exc

    bts = children[-1][1]
    count_text = _req(bts, "BTS.1")
    if not count_text.isdigit():
        raise _schema(f"BTS.1 = {count_text!r} не число")
    declared = int(count_text)
    if declared != len(messages):
        raise BatchError(43, f"заявлено сообщений {declared} (BTS.1), в пакете {len(messages)}")
    ids = [m.message_id for m in messages]
    if len(set(ids)) != len(ids):
        raise _schema("повторяющиеся идентификаторы сообщений MSH.10")
    declared_hash = _req(bts, "BTS.3")
    expected = batch_hash(ids)
    if declared_hash != expected:
        raise BatchError(44, f"контрольная сумма BTS.3 {declared_hash} не равна {expected}")
    return ParsedBatch(
        header=header, messages=tuple(messages), declared_count=declared, hash=declared_hash
    )
