"""A person as HL7 v2.6 XML segments: ``PID`` (identifiers, ФИО, addresses…) and ``IN1``.

Shared by the change messages (``batch.py``), the status query's QPD.5/QPD.6
(``queries.py``) and the hits of the status answer (``responses.py``). The field
table is in ``batch.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

from ferzl.codec.hl7xml import (
    OMS_OID,
    OPEN_END,
    composite,
    expect,
    iso,
    opt_date,
    repeats,
    req,
    req_date,
    req_int,
    structure_error,
    sub,
    text,
)

ID_ENP = "NI"
ID_SNILS = "PEN"
ID_SMO = "NII"


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


class PidFields(TypedDict):
    """What ``parse_pid`` reads: the keyword arguments of a person's dataclass."""

    documents: tuple[PersonDocument, ...]
    enp: str | None
    snils: str | None
    surname: str
    name: str
    patronymic: str | None
    birth_date: date
    sex: int
    addresses: tuple[Address, ...]
    birth_place: str | None
    citizenships: tuple[str, ...]
    death_date: date | None


# --------------------------------------------------------------------------- build


def build_identifiers(
    parent: Any,
    field: str,
    documents: tuple[PersonDocument, ...],
    enp: str | None,
    snils: str | None,
) -> None:
    """Repeats of a CX field (PID.3, QPD.5): the ДУЛ, then ЕНП (``NI``), then СНИЛС (``PEN``)."""
    for doc in documents:
        composite(
            parent,
            field,
            CX_1=doc.value,
            CX_5=doc.doc_type,
            CX_7=iso(doc.issued) if doc.issued else None,
            CX_8=iso(doc.expires) if doc.expires else None,
        )
    if enp is not None:
        composite(parent, field, CX_1=enp, CX_5=ID_ENP)
    if snils is not None:
        composite(parent, field, CX_1=snils, CX_5=ID_SNILS)


def build_name(
    parent: Any, field: str, surname: str, name: str | None, patronymic: str | None
) -> None:
    """An XPN field: XPN.1/FN.1 surname, XPN.2 name, XPN.3 patronymic, XPN.7 ``L``."""
    xpn = sub(parent, field)
    sub(sub(xpn, "XPN.1"), "FN.1", surname)
    if name:
        sub(xpn, "XPN.2", name)
    if patronymic:
        sub(xpn, "XPN.3", patronymic)
    sub(xpn, "XPN.7", "L")


def build_pid(
    parent: Any,
    *,
    documents: tuple[PersonDocument, ...],
    enp: str | None,
    snils: str | None,
    surname: str,
    name: str,
    patronymic: str | None,
    birth_date: date,
    sex: int,
    addresses: tuple[Address, ...],
    birth_place: str | None,
    citizenships: tuple[str, ...],
    death_date: date | None,
) -> Any:
    pid = sub(parent, "PID")
    build_identifiers(pid, "PID.3", documents, enp, snils)
    build_name(pid, "PID.5", surname, name, patronymic)
    sub(pid, "PID.7", iso(birth_date))
    sub(pid, "PID.8", str(sex))
    for addr in addresses:
        composite(pid, "PID.11", XAD_7=addr.kind, XAD_9=addr.okato)
    if birth_place is not None:
        sub(pid, "PID.23", birth_place)
    for country in citizenships:
        composite(pid, "PID.26", CWE_1=country)
    if death_date is not None:
        sub(pid, "PID.29", iso(death_date))
        sub(pid, "PID.30", "Y")
    return pid


def build_in1(parent: Any, insurance: Insurance, set_id: int = 1) -> Any:
    in1 = sub(parent, "IN1")
    sub(in1, "IN1.1", str(set_id))
    composite(in1, "IN1.2", CWE_1="ОМС", CWE_3=OMS_OID)
    composite(in1, "IN1.3", CX_1=insurance.smo_ogrn, CX_5=ID_SMO)
    sub(in1, "IN1.12", iso(insurance.start))
    sub(in1, "IN1.13", iso(insurance.end or OPEN_END))
    sub(in1, "IN1.15", insurance.region_okato)
    sub(in1, "IN1.35", insurance.policy_form)
    sub(in1, "IN1.36", insurance.policy_number)
    composite(in1, "IN1.42", CWE_1="1" if insurance.employed else "0")
    return in1


# --------------------------------------------------------------------------- parse


def parse_identifiers(
    el: Any, field: str
) -> tuple[tuple[PersonDocument, ...], str | None, str | None]:
    """(documents, ЕНП, СНИЛС) of the repeats of a CX field."""
    documents: list[PersonDocument] = []
    enp: str | None = None
    snils: str | None = None
    for cx in repeats(el, field):
        value = req(cx, "CX.1")
        kind = req(cx, "CX.5")
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
                    issued=opt_date(cx, "CX.7"),
                    expires=opt_date(cx, "CX.8"),
                )
            )
    return tuple(documents), enp, snils


def parse_sex(el: Any, path: str) -> int:
    value = req(el, path)
    if value not in ("1", "2"):
        raise structure_error(f"{path} = {value!r}, ожидалось 1/2")
    return int(value)


def parse_pid(pid: Any) -> PidFields:
    documents, enp, snils = parse_identifiers(pid, "PID.3")
    expect(pid, "PID.5/XPN.7", "L")
    death_date = opt_date(pid, "PID.29")
    if death_date is not None:
        expect(pid, "PID.30", "Y")
    return PidFields(
        documents=documents,
        enp=enp,
        snils=snils,
        surname=req(pid, "PID.5/XPN.1/FN.1"),
        name=text(pid, "PID.5/XPN.2") or "",
        patronymic=text(pid, "PID.5/XPN.3"),
        birth_date=req_date(pid, "PID.7"),
        sex=parse_sex(pid, "PID.8"),
        addresses=tuple(
            Address(kind=req(a, "XAD.7"), okato=req(a, "XAD.9")) for a in repeats(pid, "PID.11")
        ),
        birth_place=text(pid, "PID.23"),
        citizenships=tuple(req(c, "CWE.1") for c in repeats(pid, "PID.26")),
        death_date=death_date,
    )


def parse_in1(in1: Any) -> tuple[int, Insurance]:
    """(IN1.1 set id, insurance) of an ``IN1`` segment."""
    expect(in1, "IN1.2/CWE.1", "ОМС")
    expect(in1, "IN1.2/CWE.3", OMS_OID)
    expect(in1, "IN1.3/CX.5", ID_SMO)
    employed = req(in1, "IN1.42/CWE.1")
    if employed not in ("1", "0"):
        raise structure_error(f"IN1.42 = {employed!r}, ожидалось 1/0")
    return req_int(in1, "IN1.1"), Insurance(
        smo_ogrn=req(in1, "IN1.3/CX.1"),
        start=req_date(in1, "IN1.12"),
        end=req_date(in1, "IN1.13"),
        region_okato=req(in1, "IN1.15"),
        policy_form=req(in1, "IN1.35"),
        policy_number=req(in1, "IN1.36"),
        employed=employed == "1",
    )
