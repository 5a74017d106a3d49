"""Answers of the central segment: transport (.uprak1) and application (.uprak2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from ferzl.codec.answers import (
    APP_ERROR_TEXTS_RU,
    ApplicationAnswers,
    ChangeAnswer,
    ErrorDetail,
    TransportAnswer,
    build_application_answers,
    build_transport_answer,
    is_multiple_identification,
    parse_application_answers,
    parse_transport_answer,
)
from ferzl.codec.batch import NS, BatchError
from ferzl.codec.hl7xml import schema

MSK = timezone(timedelta(hours=3))
CREATED = datetime(2026, 11, 26, 9, 0, tzinfo=MSK)
BATCH_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
MSG_1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
MSG_2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
MSG_3 = "16fd2706-8baf-433b-82eb-8c7fada847da"


def _answers() -> ApplicationAnswers:
    return ApplicationAnswers(
        batch_id=BATCH_ID,
        answers=(
            ChangeAnswer(message_id=MSG_1, code="AA"),
            ChangeAnswer(
                message_id=MSG_2,
                code="AE",
                errors=(
                    ErrorDetail(
                        position="PID.11.9",
                        hl7_code="103",
                        severity="W",
                        app_code=None,
                        text="Код ОКАТО «Ёлкино» не найден в справочнике",
                    ),
                ),
            ),
            ChangeAnswer(
                message_id=MSG_3,
                code="AR",
                errors=(
                    ErrorDetail(
                        position="PID.3",
                        hl7_code="205",
                        severity="E",
                        app_code="69",
                        text=APP_ERROR_TEXTS_RU["69"],
                    ),
                    ErrorDetail(
                        position="PID",
                        hl7_code="204",
                        severity="E",
                        app_code="41",
                        text=APP_ERROR_TEXTS_RU["41"],
                    ),
                ),
            ),
        ),
    )


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_application_round_trip(encoding: str) -> None:
    data = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding=encoding
    )
    assert data.startswith(f"<?xml version='1.0' encoding='{encoding}'?>".encode("ascii"))
    assert "Ёлкино".encode(encoding) in data
    assert parse_application_answers(data) == _answers()


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_transport_round_trip(encoding: str) -> None:
    answer = TransportAnswer(
        batch_id=BATCH_ID,
        code="CR",
        errors=(
            ErrorDetail(None, None, "E", "44", "Контрольная сумма пакета не совпадает"),
            ErrorDetail(None, None, "W", "99", "Пакет получен повторно"),
        ),
    )
    data = build_transport_answer(answer, encoding)
    assert "Контрольная".encode(encoding) in data
    assert parse_transport_answer(data) == answer


def test_hand_written_uprak1_ce_with_two_errors() -> None:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<ACK xmlns="{NS}">
  <MSH>
    <MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2>
    <MSH.3><HD.1>ЦК ЕРП</HD.1></MSH.3>
    <MSH.9><MSG.1>ACK</MSG.1></MSH.9>
    <MSH.10>a8098c1a-f86e-11da-bd1a-00112444be1e</MSH.10>
    <MSH.12><VID.1>2.6</VID.1></MSH.12>
  </MSH>
  <MSA><MSA.1>CE</MSA.1><MSA.2>{BATCH_ID}</MSA.2></MSA>
  <ERR><ERR.4>E</ERR.4><ERR.5><CWE.1>41</CWE.1></ERR.5>
       <ERR.6>Нарушение схемы: нет элемента PID.7</ERR.6></ERR>
  <ERR><ERR.4>W</ERR.4><ERR.5>99</ERR.5><ERR.6>Прочее</ERR.6></ERR>
</ACK>""".encode()
    answer = parse_transport_answer(xml)
    assert answer.batch_id == BATCH_ID
    assert answer.code == "CE"
    assert answer.errors == (
        ErrorDetail(None, None, "E", "41", "Нарушение схемы: нет элемента PID.7"),
        ErrorDetail(None, None, "W", "99", "Прочее"),
    )


def test_structure_of_application_answer() -> None:
    root = etree.fromstring(
        build_application_answers(_answers(), region_code="45000", created=CREATED)
    )
    ns = {"h": NS}
    acks = root.findall("h:ACK", ns)
    assert len(acks) == 3
    err = acks[2].findall("h:ERR", ns)[0]
    assert err.findtext("h:ERR.2/h:ERL.1", namespaces=ns) == "PID"
    assert err.findtext("h:ERR.2/h:ERL.3", namespaces=ns) == "3"
    assert err.findtext("h:ERR.3/h:CWE.1", namespaces=ns) == "205"
    assert err.findtext("h:ERR.5/h:CWE.1", namespaces=ns) == "69"
    assert acks[2].findtext("h:MSA/h:MSA.2", namespaces=ns) == MSG_3
    assert root.findtext("h:BHS/h:BHS.11", namespaces=ns) == BATCH_ID
    assert root.findtext("h:BTS/h:BTS.1", namespaces=ns) == "3"


def test_multiple_identification() -> None:
    answers = _answers().answers
    assert is_multiple_identification(answers[2])
    assert not is_multiple_identification(answers[0])
    assert not is_multiple_identification(answers[1])
    ae_69 = ChangeAnswer(MSG_1, "AE", (ErrorDetail(None, None, "W", "69", "дубликат"),))
    assert not is_multiple_identification(ae_69)
    assert set(APP_ERROR_TEXTS_RU) == {"41", "43", "67", "68", "69"}
    assert APP_ERROR_TEXTS_RU["41"] == "Застрахованное лицо не найдено в ФЕРЗЛ"


def _replace(data: bytes, old: str, new: str) -> bytes:
    text = data.decode("utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def test_wrong_count_is_43() -> None:
    data = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding="utf-8"
    )
    with pytest.raises(BatchError) as exc:
        parse_application_answers(_replace(data, "<BTS.1>3</BTS.1>", "<BTS.1>2</BTS.1>"))
    assert exc.value.code == 43


def test_tampered_hash_is_44() -> None:
    data = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding="utf-8"
    )
    root = etree.fromstring(data)
    first_id = root.findtext(f"{{{NS}}}ACK/{{{NS}}}MSH/{{{NS}}}MSH.10")
    assert first_id
    with pytest.raises(BatchError) as exc:
        parse_application_answers(_replace(data, first_id, "00000000-0000-0000-0000-000000000000"))
    assert exc.value.code == 44


def test_doctype_refused() -> None:
    for data in (
        build_transport_answer(TransportAnswer(BATCH_ID, "CA"), "utf-8"),
        build_application_answers(
            _answers(), region_code="45000", created=CREATED, encoding="utf-8"
        ),
    ):
        decl, _, body = data.partition(b"?>")
        root = b"ACK" if body.lstrip().startswith(b"<ACK") else b"UPRMessageBatch"
        evil = (
            decl + b"?>\n<!DOCTYPE " + root + b' [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body
        )
        parse = parse_transport_answer if root == b"ACK" else parse_application_answers
        with pytest.raises(BatchError) as exc:
            parse(evil)
        assert exc.value.code == 40


def test_wrong_msa_code_and_bad_values() -> None:
    data = build_transport_answer(TransportAnswer(BATCH_ID, "CA"), "utf-8")
    with pytest.raises(BatchError) as exc:
        parse_transport_answer(_replace(data, "<MSA.1>CA</MSA.1>", "<MSA.1>AA</MSA.1>"))
    assert exc.value.code == 41
    with pytest.raises(ValueError):
        ErrorDetail(None, None, "X", None, "")
    with pytest.raises(ValueError):
        ChangeAnswer(MSG_1, "CA")
    with pytest.raises(ValueError):
        build_transport_answer(TransportAnswer(BATCH_ID, "CA"), "koi8-r")


# --------------------------------------------------------------------------- XSD


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_built_answers_are_valid_against_the_xsds(encoding: str) -> None:
    uprak2 = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding=encoding
    )
    schema("uprak2.xsd").assertValid(etree.fromstring(uprak2))
    for code in ("CA", "CE", "CR"):
        errors = () if code == "CA" else (ErrorDetail(None, None, "E", "41", "Ошибка схемы"),)
        uprak1 = build_transport_answer(TransportAnswer(BATCH_ID, code, errors), encoding)
        schema("ack.xsd").assertValid(etree.fromstring(uprak1))


UPRAK1 = """<ACK xmlns="urn:hl7-org:v2xml">
  <MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.9>ACK</MSH.9>
       <MSH.10>a8098c1a-f86e-11da-bd1a-00112444be1e</MSH.10><MSH.12><VID.1>2.6</VID.1></MSH.12>
  </MSH>
  <MSA><MSA.1>CR</MSA.1><MSA.2>{batch}</MSA.2></MSA>
  <ERR><ERR.3><CWE.1>207</CWE.1></ERR.3><ERR.4>E</ERR.4><ERR.5>44</ERR.5>
       <ERR.6>Контрольная сумма пакета не совпадает</ERR.6></ERR>
</ACK>
""".replace("{batch}", BATCH_ID)


@pytest.mark.parametrize(
    "data",
    [
        UPRAK1.encode("utf-8"),
        b"\xef\xbb\xbf" + UPRAK1.encode("utf-8"),
        b'<?xml version="1.0" encoding="windows-1251"?>\n' + UPRAK1.encode("cp1251"),
    ],
    ids=["no-declaration", "utf-8-bom", "windows-1251"],
)
def test_hand_written_uprak1_in_every_encoding(data: bytes) -> None:
    assert parse_transport_answer(data) == TransportAnswer(
        BATCH_ID,
        "CR",
        (ErrorDetail(None, "207", "E", "44", "Контрольная сумма пакета не совпадает"),),
    )


def _transport_fault(text: str) -> BatchError:
    with pytest.raises(BatchError) as exc:
        parse_transport_answer(text.encode("utf-8"))
    return exc.value


def test_transport_answer_faults() -> None:
    assert _transport_fault(UPRAK1.replace(BATCH_ID, "пакет-1")).code == 42
    error = _transport_fault(
        UPRAK1.replace("<ERR.4>E</ERR.4>", "").replace("<ERR.3>", "<ERR.4>E</ERR.4><ERR.3>")
    )
    assert error.code == 41 and error.text_ru.startswith("нарушение структуры квитанции")
    assert _transport_fault(UPRAK1.replace("<ERR.4>E<", "<ERR.4>X<")).code == 41
    assert _transport_fault(UPRAK1.replace("<MSA>", "<QAK/><MSA>")).code == 41
    error = _transport_fault(UPRAK1.replace("ACK", "NAK"))
    assert error.code == 41 and "ожидался ACK" in error.text_ru
    # a .uprak2 is not a .uprak1, and the other way round
    uprak2 = build_application_answers(_answers(), region_code="45000", created=CREATED)
    with pytest.raises(BatchError) as exc:
        parse_transport_answer(uprak2)
    assert exc.value.code == 41
    with pytest.raises(BatchError) as exc:
        parse_application_answers(UPRAK1.encode("utf-8"))
    assert exc.value.code == 41


def test_application_answer_faults() -> None:
    text = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding="utf-8"
    ).decode("utf-8")
    with pytest.raises(BatchError) as exc:
        parse_application_answers(text.replace(f"<BHS.11>{BATCH_ID}", "<BHS.11>x").encode())
    assert exc.value.code == 42
    with pytest.raises(BatchError) as exc:
        parse_application_answers(text.replace(f"<MSA.2>{MSG_1}", "<MSA.2>x").encode())
    assert exc.value.code == 41 and "MSA.2" in exc.value.text_ru
    with pytest.raises(BatchError) as exc:
        parse_application_answers(text.replace("<MSA.1>AA<", "<MSA.1>CA<").encode())
    assert exc.value.code == 41
    with pytest.raises(BatchError) as exc:
        parse_application_answers(text[: len(text) // 2].encode())
    assert exc.value.code == 40


def test_counts_of_answers_are_small_ascii_numbers() -> None:
    data = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding="utf-8"
    )
    for count in ("3" * 5000, "٣"):
        with pytest.raises(BatchError) as exc:
            parse_application_answers(_replace(data, "<BTS.1>3</BTS.1>", f"<BTS.1>{count}</BTS.1>"))
        assert (exc.value.code, exc.value.batch_id) == (43, BATCH_ID)


def test_guids_of_answers_are_read_in_lower_case() -> None:
    data = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding="utf-8"
    )
    upper = _replace(_replace(data, BATCH_ID, BATCH_ID.upper()), MSG_1, MSG_1.upper())
    parsed = parse_application_answers(upper)
    assert parsed.batch_id == BATCH_ID and parsed.answers[0].message_id == MSG_1
    transport = build_transport_answer(TransportAnswer(batch_id=BATCH_ID.upper(), code="CA"))
    assert parse_transport_answer(transport).batch_id == BATCH_ID
