"""Outbound HL7 v2.6 XML batches to the central segment: build, parse, batch-level faults."""

from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta, timezone

import pytest
from lxml import etree

from ferzl.codec.batch import (
    NS,
    Address,
    BatchError,
    BatchHeader,
    ChangeMessage,
    Insurance,
    PersonDocument,
    batch_hash,
    build_batch,
    parse_batch,
)

MSK = timezone(timedelta(hours=3))
HEADER = BatchHeader(
    region_code="45000",
    created=datetime(2026, 11, 25, 10, 30, 15, tzinfo=MSK),
    mode="P",
    batch_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
)


def _messages() -> list[ChangeMessage]:
    return [
        ChangeMessage(
            message_id="0f8fad5b-d9cb-469f-a165-70867728950e",
            mode="P",
            event="П01",
            application_date=date(2026, 11, 20),
            surname="Ёлкина-Щукина",
            name="Анна",
            patronymic="Юрьевна",
            birth_date=date(1985, 2, 28),
            sex=2,
            documents=(
                PersonDocument(
                    doc_type="14",
                    series="45 10",
                    number="123456",
                    issued=date(2010, 3, 1),
                    expires=None,
                ),
            ),
            enp="4550000000000012",
            snils="112-233-445 95",
            addresses=(Address("L", "45286575000"), Address("H", "46236000000")),
            birth_place="г. Москва",
            citizenships=("RUS", "BLR"),
            insurance=Insurance(
                smo_ogrn="1027739008440",
                start=date(2026, 11, 20),
                end=None,
                region_okato="45000",
                policy_form="Э",
                policy_number="4550000000000012",
                employed=True,
            ),
        ),
        ChangeMessage(
            message_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
            mode="P",
            event="П02",
            application_date=date(2026, 11, 21),
            surname="Иванов",
            name="Пётр",
            birth_date=date(1950, 1, 1),
            sex=1,
            documents=(PersonDocument(doc_type="3", series="", number="I-МЮ 654321"),),
            insurance=Insurance(
                smo_ogrn="1027739008440",
                start=date(2020, 1, 1),
                end=date(2026, 11, 21),
                region_okato="45000",
                policy_form="П",
                policy_number="ВС123456789",
                employed=False,
            ),
            zdr_reason="1",
            zdr_date=date(2026, 11, 21),
        ),
        ChangeMessage(
            message_id="9b2f9f3c-4d1e-4b8a-8c2a-3f1d2e3c4b5a",
            mode="P",
            event="П03",
            application_date=date(2026, 11, 22),
            surname="Петрова",
            name="Мария",
            birth_date=date(1930, 5, 5),
            sex=2,
            enp="7750000000000011",
            death_date=date(2026, 11, 10),
            death_other_region=True,
        ),
    ]


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_round_trip(encoding: str) -> None:
    messages = _messages()
    data = build_batch(HEADER, messages, encoding=encoding)
    assert data.startswith(b"<?xml")
    assert encoding.encode().upper() in data[:60].upper()
    assert "Ёлкина-Щукина".encode(encoding) in data
    parsed = parse_batch(data)
    assert parsed.header == HEADER
    assert parsed.messages == tuple(messages)
    assert parsed.declared_count == 3
    assert parsed.hash == batch_hash(m.message_id for m in messages)


def test_structure_of_built_batch() -> None:
    messages = _messages()
    root = etree.fromstring(build_batch(HEADER, messages))
    ns = {"h": NS}
    assert root.tag == f"{{{NS}}}UPRMessageBatch"
    assert root.xpath("string(h:BHS/h:BHS.3/h:HD.1)", namespaces=ns) == "СРЗ 45000"
    assert root.xpath("string(h:BHS/h:BHS.4/h:HD.2)", namespaces=ns) == "1.2.643.2.40.3.3.1.0"
    assert root.xpath("string(h:BHS/h:BHS.5/h:HD.1)", namespaces=ns) == "ЦК ЕРП"
    assert root.xpath("string(h:BHS/h:BHS.11)", namespaces=ns) == HEADER.batch_id
    first, second, third = root.xpath("h:ADT_A01 | h:ADT_A03", namespaces=ns)
    assert [first.xpath(f"string(h:MSH/h:MSH.9/h:MSG.{i})", namespaces=ns) for i in (1, 2, 3)] == [
        "ADT",
        "A08",
        "ADT_A01",
    ]
    assert third.tag == f"{{{NS}}}ADT_A03"
    assert third.xpath("string(h:MSH/h:MSH.9/h:MSG.2)", namespaces=ns) == "A03"
    assert first.xpath("string(h:PID/h:PID.5/h:XPN.1/h:FN.1)", namespaces=ns) == "Ёлкина-Щукина"
    ids = first.xpath("h:PID/h:PID.3", namespaces=ns)
    assert [i.xpath("string(h:CX.5)", namespaces=ns) for i in ids] == ["14", "NI", "PEN"]
    assert ids[0].xpath("string(h:CX.1)", namespaces=ns) == "45 10 № 123456"
    in1 = first.xpath("h:ADT_A01.INSURANCE/h:IN1", namespaces=ns)[0]
    assert in1.xpath("string(h:IN1.13)", namespaces=ns) == "2200-01-01"
    assert in1.xpath("string(h:IN1.3/h:CX.5)", namespaces=ns) == "NII"
    assert not first.xpath("h:ZDR", namespaces=ns)
    assert second.xpath("string(h:ZDR/h:ZDR.1)", namespaces=ns) == "1"
    assert root.xpath("string(h:BTS/h:BTS.1)", namespaces=ns) == "3"


def test_hash_rule_hand_computed() -> None:
    # CRC-32 check value of the ASCII string "123456789" is CBF43926.
    assert batch_hash(["1234", "56789"]) == "CBF43926"
    assert batch_hash([]) == "00000000"
    # Cyrillic is hashed as UTF-8 bytes, zero-padded upper-case hex.
    assert batch_hash(["Я"]) == f"{zlib.crc32('Я'.encode()):08X}"
    assert batch_hash(["Я"]) != f"{zlib.crc32('Я'.encode('cp1251')):08X}"


def test_hash_written_into_batch() -> None:
    messages = _messages()
    root = etree.fromstring(build_batch(HEADER, messages, encoding="utf-8"))
    bts3 = root.findtext(f"{{{NS}}}BTS/{{{NS}}}BTS.3")
    joined = "".join(m.message_id for m in messages).encode("utf-8")
    assert bts3 == format(zlib.crc32(joined), "08X")


def _replace_bts(data: bytes, field: str, value: str) -> bytes:
    root = etree.fromstring(data)
    root.find(f"{{{NS}}}BTS/{{{NS}}}{field}").text = value
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return result


def test_wrong_count_is_43() -> None:
    data = _replace_bts(build_batch(HEADER, _messages(), encoding="utf-8"), "BTS.1", "2")
    with pytest.raises(BatchError) as exc:
        parse_batch(data)
    assert exc.value.code == 43


def test_tampered_hash_is_44() -> None:
    data = _replace_bts(build_batch(HEADER, _messages(), encoding="utf-8"), "BTS.3", "DEADBEEF")
    with pytest.raises(BatchError) as exc:
        parse_batch(data)
    assert exc.value.code == 44


def test_tampered_message_id_is_44() -> None:
    data = build_batch(HEADER, _messages(), encoding="utf-8")
    tampered = data.replace(b"0f8fad5b-d9cb", b"0f8fad5b-d9cc")
    with pytest.raises(BatchError) as exc:
        parse_batch(tampered)
    assert exc.value.code == 44


def test_bad_batch_id_is_42() -> None:
    data = build_batch(HEADER, _messages(), encoding="utf-8")
    with pytest.raises(BatchError) as exc:
        parse_batch(data.replace(HEADER.batch_id.encode(), b"not-a-guid"))
    assert exc.value.code == 42


def test_doctype_refused() -> None:
    data = build_batch(HEADER, _messages(), encoding="utf-8")
    body = data.split(b"?>", 1)[1]
    laughs = (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<!DOCTYPE UPRMessageBatch [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>' + body
    )
    with pytest.raises(BatchError) as exc:
        parse_batch(laughs)
    assert exc.value.code == 40
    xxe = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<r xmlns="urn:hl7-org:v2xml">&x;</r>'
    )
    with pytest.raises(BatchError) as exc:
        parse_batch(xxe)
    assert exc.value.code == 40


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", b"<UPRMessageBatch><BHS>", "<a>Ё</a>".encode("cp1251")],
)
def test_not_xml_is_40(data: bytes) -> None:
    with pytest.raises(BatchError) as exc:
        parse_batch(data)
    assert exc.value.code == 40


def test_wrong_root_is_41() -> None:
    with pytest.raises(BatchError) as exc:
        parse_batch(b'<?xml version="1.0"?><ACK xmlns="urn:hl7-org:v2xml"/>')
    assert exc.value.code == 41


def test_zdr_only_with_p02() -> None:
    with pytest.raises(ValueError):
        ChangeMessage(
            message_id="x",
            mode="P",
            event="П01",
            application_date=date(2026, 1, 1),
            surname="Иванов",
            name="Иван",
            birth_date=date(1990, 1, 1),
            sex=1,
            zdr_reason="1",
            zdr_date=date(2026, 1, 1),
        )


def test_unknown_encoding_refused() -> None:
    with pytest.raises(ValueError):
        build_batch(HEADER, _messages(), encoding="koi8-r")
