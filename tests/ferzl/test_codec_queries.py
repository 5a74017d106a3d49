"""Status (QBP_ZP1) and working-persons (QBP_ZP6) queries in the outbound batch."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ferzl.codec.batch import (
    NS,
    BatchError,
    BatchHeader,
    ChangeMessage,
    OutboundMessage,
    PersonDocument,
    StatusQuery,
    WorkingQuery,
    batch_hash,
    build_batch,
    parse_batch,
)
from ferzl.codec.hl7xml import schema

DATA = Path(__file__).parent / "data" / "codec"
MSK = timezone(timedelta(hours=3))
HEADER = BatchHeader(
    region_code="45000",
    created=datetime(2026, 11, 25, 10, 30, 15, tzinfo=MSK),
    mode="P",
    batch_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
)
Q1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
Q2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
Q3 = "16fd2706-8baf-433b-82eb-8c7fada847da"
CHANGE = "9b2f9f3c-4d1e-4b8a-8c2a-3f1d2e3c4b5a"
ns = {"h": NS}


def _messages() -> list[OutboundMessage]:
    return [
        StatusQuery(
            message_id=Q1,
            mode="P",
            on_date=date(2026, 11, 25),
            enp="4550000000000012",
            snils="112-233-445 95",
            documents=(PersonDocument("14", "45 10", "123456", issued=date(2010, 3, 1)),),
            surname="Ёлкина-Щукина",
            name="Анна",
            patronymic="Юрьевна",
            birth_date=date(1985, 2, 28),
            sex=2,
        ),
        ChangeMessage(
            message_id=CHANGE,
            mode="P",
            event="П03",
            application_date=date(2026, 11, 22),
            surname="Петрова",
            name="Мария",
            birth_date=date(1930, 5, 5),
            sex=2,
            enp="7750000000000011",
        ),
        WorkingQuery(message_id=Q2, mode="P", year=2026, quarter=3),
        StatusQuery(
            message_id=Q3,
            mode="T",
            on_date=date(2026, 1, 1),
            surname="Иванов",
            name="Пётр",
            birth_date=date(1950, 1, 1),
        ),
    ]


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_mixed_batch_round_trip_in_file_order(encoding: str) -> None:
    messages = _messages()
    data = build_batch(HEADER, messages, encoding=encoding)
    assert "Ёлкина-Щукина".encode(encoding) in data
    schema("uprmessagebatch.xsd").assertValid(etree.fromstring(data))
    parsed = parse_batch(data)
    assert parsed.messages == tuple(messages)
    assert [type(m).__name__ for m in parsed.messages] == [
        "StatusQuery",
        "ChangeMessage",
        "WorkingQuery",
        "StatusQuery",
    ]
    assert parsed.hash == batch_hash([Q1, CHANGE, Q2, Q3])


def test_structure_of_queries() -> None:
    root = etree.fromstring(build_batch(HEADER, _messages()))
    assert [etree.QName(el).localname for el in root] == [
        "BHS",
        "QBP_ZP1",
        "ADT_A01",
        "QBP_ZP6",
        "QBP_ZP1",
        "BTS",
    ]
    zp1 = root.find("h:QBP_ZP1", ns)
    msh9 = [zp1.findtext(f"h:MSH/h:MSH.9/h:MSG.{i}", namespaces=ns) for i in (1, 2, 3)]
    assert msh9 == ["QBP", "ZP1", "QBP_ZP1"]
    assert zp1.findtext("h:MSH/h:MSH.10", namespaces=ns) == Q1
    assert zp1.findtext("h:MSH/h:MSH.11/h:PT.1", namespaces=ns) == "P"
    assert zp1.findtext("h:MSH/h:MSH.15", namespaces=ns) == "AL"
    qpd = zp1.find("h:QPD", ns)
    assert [etree.QName(el).localname for el in qpd] == [
        "QPD.1",
        "QPD.3",
        "QPD.4",
        "QPD.5",
        "QPD.5",
        "QPD.5",
        "QPD.6",
        "QPD.7",
        "QPD.8",
    ]
    assert qpd.findtext("h:QPD.1/h:CWE.1", namespaces=ns) == "СП"
    assert qpd.findtext("h:QPD.3", namespaces=ns) == "У"
    assert qpd.findtext("h:QPD.4", namespaces=ns) == "2026-11-25"
    ids = qpd.findall("h:QPD.5", ns)
    assert [i.findtext("h:CX.5", namespaces=ns) for i in ids] == ["14", "NI", "PEN"]
    assert ids[0].findtext("h:CX.1", namespaces=ns) == "45 10 № 123456"
    assert ids[0].findtext("h:CX.7", namespaces=ns) == "2010-03-01"
    assert qpd.findtext("h:QPD.6/h:XPN.1/h:FN.1", namespaces=ns) == "Ёлкина-Щукина"
    assert qpd.findtext("h:QPD.6/h:XPN.7", namespaces=ns) == "L"
    assert qpd.findtext("h:QPD.8", namespaces=ns) == "2"
    zp6 = root.find("h:QBP_ZP6", ns)
    assert zp6.findtext("h:MSH/h:MSH.9/h:MSG.3", namespaces=ns) == "QBP_ZP6"
    assert zp6.findtext("h:QPD/h:QPD.4", namespaces=ns) == "2026"
    assert zp6.findtext("h:QPD/h:QPD.5", namespaces=ns) == "3"
    # a query by ФИО alone writes neither QPD.5 nor QPD.8
    last = root.findall("h:QBP_ZP1", ns)[1].find("h:QPD", ns)
    assert last.find("h:QPD.5", ns) is None and last.find("h:QPD.8", ns) is None


def test_query_values_are_checked() -> None:
    with pytest.raises(ValueError, match="ни идентификатора"):
        StatusQuery(Q1, "P", date(2026, 1, 1), surname="Иванов", name="Иван")
    with pytest.raises(ValueError, match="без фамилии"):
        StatusQuery(Q1, "P", date(2026, 1, 1), enp="1", name="Иван")
    with pytest.raises(ValueError, match="не GUID"):
        StatusQuery("q-1", "P", date(2026, 1, 1), enp="1")
    with pytest.raises(ValueError, match="пол"):
        StatusQuery(Q1, "P", date(2026, 1, 1), enp="1", sex=3)
    with pytest.raises(ValueError, match="режим"):
        WorkingQuery(Q1, "X", 2026, 1)
    with pytest.raises(ValueError, match="квартал"):
        WorkingQuery(Q1, "P", 2026, 5)
    with pytest.raises(ValueError, match="год"):
        WorkingQuery(Q1, "P", 26, 1)
    # empty strings mean absent
    assert StatusQuery(Q1, "P", date(2026, 1, 1), enp="1", snils="", patronymic="").snils is None
    with pytest.raises(ValueError, match="повторяющиеся"):
        build_batch(HEADER, [WorkingQuery(Q1, "P", 2026, 1), WorkingQuery(Q1, "P", 2026, 2)])


@pytest.mark.parametrize(
    ("file_name", "encoding"),
    [
        ("queries.cp1251.uprmes", "windows-1251"),
        ("queries.utf8-bom.uprmes", "utf-8"),
        ("queries.no-declaration.uprmes", "utf-8"),
    ],
)
def test_hand_written_batch_of_queries(file_name: str, encoding: str) -> None:
    data = (DATA / file_name).read_bytes()
    assert "Щукина".encode(encoding) in data
    parsed = parse_batch(data)
    assert parsed.header.batch_id == "a8098c1a-f86e-11da-bd1a-00112444be1e"
    status, working = parsed.messages
    assert status == StatusQuery(
        message_id="6fa459ea-ee8a-3ca4-894e-db77e160355e",
        mode="P",
        on_date=date(2026, 11, 25),
        documents=(PersonDocument("14", "45 10", "123456"),),
        surname="Ёлкина-Щукина",
        name="Анна",
        birth_date=date(1985, 2, 28),
        sex=2,
    )
    assert working == WorkingQuery("886313e1-3b8a-5372-9b90-0c9aee199e5d", "P", 2026, 2)


def _utf8(messages: list[OutboundMessage] | None = None) -> str:
    return build_batch(HEADER, messages or _messages(), encoding="utf-8").decode("utf-8")


def _fault(text: str) -> BatchError:
    with pytest.raises(BatchError) as exc:
        parse_batch(text.encode("utf-8"))
    return exc.value


def test_qpd_fields_in_the_wrong_order_are_41() -> None:
    text = _utf8()
    swapped = text.replace(
        "<QPD.7>1985-02-28</QPD.7><QPD.8>2</QPD.8>", "<QPD.8>2</QPD.8><QPD.7>1985-02-28</QPD.7>"
    )
    error = _fault(swapped)
    assert error.code == 41
    assert error.text_ru.endswith("лишний элемент QPD.7 (строка 2)")


def test_missing_qpd_and_bad_shapes_are_41() -> None:
    text = _utf8([WorkingQuery(Q2, "P", 2026, 3)])
    start, end = text.index("<QPD>"), text.index("</QPD>") + len("</QPD>")
    assert _fault(text[:start] + text[end:]).code == 41
    assert _fault(text.replace("<QPD.5>3<", "<QPD.5>5<")).code == 41
    assert _fault(text.replace("<QPD.4>2026<", "<QPD.4>26<")).code == 41
    assert _fault(text.replace("<CWE.1>ZP6<", "<CWE.1>ZP1<")).code == 41
    assert _fault(text.replace("<MSG.2>ZP6<", "<MSG.2>ZP1<")).code == 41
    status = _utf8([_messages()[0]])
    assert _fault(status.replace("<QPD.3>У<", "<QPD.3>С<")).code == 41
    assert _fault(status.replace("<QPD.4>2026-11-25<", "<QPD.4>25.11.2026<")).code == 41
    # a query naming nobody passes the schema, but not the codec
    start, end = status.index("<QPD.5>"), status.index("</QPD.8>") + len("</QPD.8>")
    error = _fault(status[:start] + status[end:])
    assert error.code == 41 and "ни идентификатора" in error.text_ru


def test_count_and_hash_cover_queries() -> None:
    text = _utf8()
    assert _fault(text.replace("<BTS.1>4<", "<BTS.1>3<")).code == 43
    assert _fault(text.replace(Q2, "00000000-0000-0000-0000-000000000000")).code == 44


# --------------------------------------------------------------------------- hypothesis

_TEXT = st.text(
    alphabet="АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    "ABCXYZabcxyz0123456789 -.'&<>\"",
    min_size=1,
    max_size=20,
).filter(lambda s: s == s.strip() and s.strip() != "" and "№" not in s)
_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
_GUIDS = st.uuids().map(str)
_DOCS = st.builds(
    PersonDocument,
    doc_type=st.sampled_from(["3", "14", "21", "24"]),
    series=st.one_of(st.just(""), _TEXT),
    number=_TEXT,
    issued=st.none() | _DATES,
    expires=st.none() | _DATES,
)


@st.composite
def _status_queries(draw: st.DrawFn) -> StatusQuery:
    by_id = draw(st.booleans())
    surname = draw(st.none() | _TEXT) if by_id else draw(_TEXT)
    return StatusQuery(
        message_id=draw(_GUIDS),
        mode=draw(st.sampled_from("PDT")),
        on_date=draw(_DATES),
        enp=draw(st.none() | _TEXT) if by_id else None,
        snils=draw(st.none() | _TEXT),
        documents=tuple(draw(st.lists(_DOCS, min_size=0 if not by_id else 1, max_size=2))),
        surname=surname,
        name=draw(_TEXT) if surname else None,
        patronymic=draw(st.none() | _TEXT) if surname else None,
        birth_date=draw(_DATES) if not by_id else draw(st.none() | _DATES),
        sex=draw(st.none() | st.sampled_from([1, 2])),
    )


_WORKING = st.builds(
    WorkingQuery,
    message_id=_GUIDS,
    mode=st.sampled_from("PDT"),
    year=st.integers(1900, 9999),
    quarter=st.integers(1, 4),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    messages=st.lists(
        st.one_of(_status_queries(), _WORKING), max_size=5, unique_by=lambda m: m.message_id
    ),
    encoding=st.sampled_from(["windows-1251", "utf-8"]),
    batch_id=_GUIDS,
)
def test_queries_round_trip(
    messages: list[StatusQuery | WorkingQuery], encoding: str, batch_id: str
) -> None:
    header = BatchHeader(HEADER.region_code, HEADER.created, HEADER.mode, batch_id)
    data = build_batch(header, messages, encoding=encoding)
    parsed = parse_batch(data)
    assert parsed.header == header
    assert parsed.messages == tuple(messages)


def test_fixture_files_are_what_they_say() -> None:
    """The fixtures' bytes: cp1251 with a declaration, UTF-8 with a BOM, UTF-8 bare."""
    assert (
        (DATA / "queries.cp1251.uprmes")
        .read_bytes()
        .startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    )
    assert (DATA / "queries.utf8-bom.uprmes").read_bytes().startswith(b"\xef\xbb\xbf<?xml")
    assert (DATA / "queries.no-declaration.uprmes").read_bytes().startswith(b"<UPRMessageBatch")
