"""Outbound HL7 v2.6 XML batches to the central segment: build, parse, batch-level faults."""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from importlib import resources

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
from ferzl.codec.hl7xml import schema

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


# --------------------------------------------------------------------------- XSD


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_built_batch_is_valid_against_the_xsd(encoding: str) -> None:
    root = etree.fromstring(build_batch(HEADER, _messages(), encoding=encoding))
    schema("uprmessagebatch.xsd").assertValid(root)
    empty = etree.fromstring(build_batch(HEADER, [], encoding=encoding))
    schema("uprmessagebatch.xsd").assertValid(empty)
    assert parse_batch(etree.tostring(empty)).messages == ()


HAND_WRITTEN_A03 = """<?xml version="1.0" encoding="windows-1251"?>
<!-- hand-written: death of a person of another region, no insurance group -->
<UPRMessageBatch xmlns="urn:hl7-org:v2xml">
  <BHS>
    <BHS.1>|</BHS.1><BHS.2>^~\\&amp;</BHS.2>
    <BHS.3><HD.1>СРЗ 45000</HD.1></BHS.3>
    <BHS.4><HD.1>45000</HD.1><HD.2>1.2.643.2.40.3.3.1.0</HD.2><HD.3>ISO</HD.3></BHS.4>
    <BHS.5><HD.1>ЦК ЕРП</HD.1></BHS.5>
    <BHS.6><HD.1>00</HD.1></BHS.6>
    <BHS.7>2026-11-25T10:30:15+03:00</BHS.7>
    <BHS.9>P</BHS.9>
    <BHS.11>1b4e28ba-2fa1-11d2-883f-0016d3cca427</BHS.11>
  </BHS>
  <ADT_A03>
    <MSH>
      <MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2>
      <MSH.3><HD.1>СРЗ 45000</HD.1></MSH.3>
      <MSH.4><HD.1>45000</HD.1><HD.2>1.2.643.2.40.3.3.1.0</HD.2><HD.3>ISO</HD.3></MSH.4>
      <MSH.5><HD.1>ЦК ЕРП</HD.1></MSH.5>
      <MSH.6><HD.1>00</HD.1></MSH.6>
      <MSH.7>2026-11-25T10:30:15+03:00</MSH.7>
      <MSH.9><MSG.1>ADT</MSG.1><MSG.2>A03</MSG.2><MSG.3>ADT_A03</MSG.3></MSH.9>
      <MSH.10>9b2f9f3c-4d1e-4b8a-8c2a-3f1d2e3c4b5a</MSH.10>
      <MSH.11><PT.1>P</PT.1></MSH.11>
      <MSH.12><VID.1>2.6</VID.1></MSH.12>
      <MSH.15>AL</MSH.15><MSH.16>AL</MSH.16>
    </MSH>
    <EVN><EVN.2>2026-11-22</EVN.2><EVN.4>П03</EVN.4></EVN>
    <PID>
      <PID.3><CX.1>7750000000000011</CX.1><CX.5>NI</CX.5></PID.3>
      <PID.5><XPN.1><FN.1>Петрова</FN.1></XPN.1><XPN.2>Мария</XPN.2><XPN.7>L</XPN.7></PID.5>
      <PID.7>1930-05-05</PID.7>
      <PID.8>2</PID.8>
      <PID.29>2026-11-10</PID.29>
      <PID.30>Y</PID.30>
    </PID>
    <PV1><PV1.2>1</PV1.2></PV1>
  </ADT_A03>
  <BTS><BTS.1>1</BTS.1><BTS.3>{hash}</BTS.3></BTS>
</UPRMessageBatch>
""".replace("{hash}", batch_hash(["9b2f9f3c-4d1e-4b8a-8c2a-3f1d2e3c4b5a"]))


@pytest.mark.parametrize(
    "data",
    [
        HAND_WRITTEN_A03.encode("cp1251"),
        b"\xef\xbb\xbf" + HAND_WRITTEN_A03.replace("windows-1251", "UTF-8").encode("utf-8"),
        HAND_WRITTEN_A03.split("\n", 1)[1].encode("utf-8"),  # no declaration
    ],
    ids=["windows-1251", "utf-8-bom", "no-declaration"],
)
def test_hand_written_batch(data: bytes) -> None:
    parsed = parse_batch(data)
    assert parsed.messages == (_messages()[2],)


def _fault(text: str) -> BatchError:
    with pytest.raises(BatchError) as exc:
        parse_batch(text.encode("utf-8"))
    return exc.value


def _cut(text: str, start: str, end: str) -> str:
    i, j = text.index(start), text.index(end) + len(end)
    return text[:i] + text[j:]


def test_structural_faults_are_41_with_a_russian_reason_and_line() -> None:
    text = build_batch(HEADER, _messages(), encoding="utf-8").decode("utf-8")
    swapped = text.replace(
        "<PID.7>1985-02-28</PID.7><PID.8>2</PID.8>", "<PID.8>2</PID.8><PID.7>1985-02-28</PID.7>"
    )
    assert swapped != text
    faults = {
        "missing PV1": (_cut(text, "<PV1>", "</PV1>"), "ожидается PV1"),
        "missing EVN.4": (_cut(text, "<EVN.4>", "</EVN.4>"), "EVN.4"),
        "fields out of order": (swapped, "PID.8 здесь не ожидается"),
        "BTS before a message": (
            text.replace("<ADT_A03>", "<BTS><BTS.1>0</BTS.1><BTS.3>0</BTS.3></BTS><ADT_A03>"),
            "лишний элемент ADT_A03",
        ),
        "no BHS": (_cut(text, "<BHS>", "</BHS>"), "BHS.11"),
        "date shape": (text.replace("<PID.7>1985-02-28<", "<PID.7>28.02.1985<"), "yyyy-MM-dd"),
        "impossible date": (text.replace("<PID.7>1985-02-28<", "<PID.7>1985-02-31<"), "дата"),
        "message id": (
            text.replace("0f8fad5b-d9cb-469f-a165-70867728950e", "сообщение-1"),
            "не GUID",
        ),
        "component as text": (
            text.replace("<MSH.11><PT.1>P</PT.1></MSH.11>", "<MSH.11>P</MSH.11>", 1),
            "MSH.11",
        ),
        "foreign namespace": (text.replace("<PV1>", '<PV1 xmlns="urn:other">', 1), "PV1"),
        "wrong trigger": (text.replace("<MSG.2>A08<", "<MSG.2>A04<", 1), "MSH.9/MSG.2"),
    }
    for name, (faulty, reason) in faults.items():
        error = _fault(faulty)
        expected_code = 42 if name == "no BHS" else 41
        assert error.code == expected_code, name
        assert reason in error.text_ru, (name, error.text_ru)
        if expected_code == 41:
            assert error.text_ru.startswith("нарушение структуры пакета"), name
    assert _fault(swapped).text_ru.endswith("(строка 2)")  # the declaration is line 1


def test_bytes_contradicting_the_declaration_are_40() -> None:
    data = build_batch(HEADER, _messages(), encoding="windows-1251")
    with pytest.raises(BatchError) as exc:
        parse_batch(data.replace(b"windows-1251", b"utf-8", 1))
    assert exc.value.code == 40


def test_external_dtd_is_40() -> None:
    data = build_batch(HEADER, _messages(), encoding="utf-8")
    decl, _, body = data.partition(b"?>")
    evil = decl + b'?>\n<!DOCTYPE UPRMessageBatch SYSTEM "http://example.invalid/x.dtd">' + body
    with pytest.raises(BatchError) as exc:
        parse_batch(evil)
    assert exc.value.code == 40


def test_schemas_are_package_data_and_declare_only_their_root() -> None:
    files = {f.name for f in resources.files("ferzl.schemas").iterdir()}
    assert {"hl7-common.xsd", "uprmessagebatch.xsd", "ack.xsd", "uprak2.xsd"} <= files
    # a segment is not a document: only the roots are global elements
    with pytest.raises(BatchError) as exc:
        parse_batch(b'<PID xmlns="urn:hl7-org:v2xml"/>')
    assert exc.value.code == 41


def test_parsing_in_threads() -> None:
    good = build_batch(HEADER, _messages(), encoding="utf-8")
    bad = good.replace(b"<PV1>", b"<PV1><PV1.1>x</PV1.1>", 1)

    def outcome(data: bytes) -> int:
        try:
            parse_batch(data)
        except BatchError as exc:
            return exc.code
        return 0

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(outcome, [good, bad] * 20))
    assert results == [0, 41] * 20


# --------------------------------------------------------------------------- review fixes


@pytest.mark.parametrize(("count", "code"), [("9" * 5000, 43), ("١", 43), ("1234567890", 43)])
def test_a_count_that_is_not_a_small_ascii_number_is_a_batch_error(count: str, code: int) -> None:
    data = _replace_bts(build_batch(HEADER, _messages(), encoding="utf-8"), "BTS.1", count)
    with pytest.raises(BatchError) as exc:
        parse_batch(data)
    assert exc.value.code == code and "BTS.1" in exc.value.text_ru
    assert len(exc.value.text_ru) < 200  # the value is shown cut short
    assert exc.value.batch_id == HEADER.batch_id


def test_an_error_after_bhs11_carries_the_batch_id_and_before_it_none() -> None:
    data = _replace_bts(build_batch(HEADER, _messages(), encoding="utf-8"), "BTS.3", "DEADBEEF")
    with pytest.raises(BatchError) as exc:
        parse_batch(data.replace(HEADER.batch_id.encode(), HEADER.batch_id.upper().encode()))
    assert (exc.value.code, exc.value.batch_id) == (44, HEADER.batch_id)
    with pytest.raises(BatchError) as exc:
        parse_batch(b"not xml")
    assert exc.value.batch_id is None


def test_guids_are_read_in_lower_case_and_hashed_as_written() -> None:
    upper = [
        ChangeMessage(**{**m.__dict__, "message_id": m.message_id.upper()}) for m in _messages()
    ]
    header = BatchHeader(**{**HEADER.__dict__, "batch_id": HEADER.batch_id.upper()})
    parsed = parse_batch(build_batch(header, upper, encoding="utf-8"))
    assert parsed.header.batch_id == HEADER.batch_id
    assert [m.message_id for m in parsed.messages] == [m.message_id for m in _messages()]


@pytest.mark.parametrize(
    ("declared", "codec"),
    [("UTF-16", "utf-16"), ("KOI8-R", "koi8-r"), ("cp866", "cp866"), ("UTF-32", "utf-32")],
)
def test_encodings_other_than_windows_1251_and_utf8_are_40(declared: str, codec: str) -> None:
    text = build_batch(HEADER, _messages(), encoding="utf-8").decode("utf-8")
    text = text.replace("encoding='utf-8'", f"encoding='{declared}'").replace("№", "N")
    assert f"encoding='{declared}'" in text
    with pytest.raises(BatchError) as exc:
        parse_batch(text.encode(codec))
    assert exc.value.code == 40
    assert "только windows-1251 или UTF-8" in exc.value.text_ru


def test_utf8_with_a_bom_or_without_a_declaration_is_read() -> None:
    data = build_batch(HEADER, _messages(), encoding="utf-8")
    body = data.split(b"?>", 1)[1].lstrip()
    assert parse_batch(b"\xef\xbb\xbf" + data).header == HEADER
    assert parse_batch(body).header == HEADER
