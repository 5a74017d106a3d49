"""Answers to the queries in the .uprak2: RSP_ZK1 (status, with person hits) and RSP_ZK6."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ferzl.codec.answers import (
    APP_ERROR_TEXTS_RU,
    ApplicationAnswer,
    ApplicationAnswers,
    ChangeAnswer,
    ErrorDetail,
    PersonHit,
    StatusAnswer,
    WorkingAnswer,
    build_application_answers,
    parse_application_answers,
)
from ferzl.codec.batch import (
    NS,
    Address,
    BatchError,
    Insurance,
    PersonDocument,
    parse_batch,
)
from ferzl.codec.hl7xml import schema

DATA = Path(__file__).parent / "data" / "codec"
MSK = timezone(timedelta(hours=3))
CREATED = datetime(2026, 11, 26, 9, 0, tzinfo=MSK)
BATCH_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
MSG_1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
MSG_2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
MSG_3 = "16fd2706-8baf-433b-82eb-8c7fada847da"
MSG_4 = "9b2f9f3c-4d1e-4b8a-8c2a-3f1d2e3c4b5a"
MSG_5 = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
ns = {"h": NS}

CURRENT = Insurance(
    smo_ogrn="1027739008440",
    start=date(2026, 11, 20),
    end=None,
    region_okato="45000",
    policy_form="Э",
    policy_number="4550000000000012",
    employed=True,
)
EARLIER = Insurance(
    smo_ogrn="1025002040250",
    start=date(2010, 1, 1),
    end=date(2026, 11, 19),
    region_okato="46000",
    policy_form="П",
    policy_number="ВС123456789",
    employed=False,
)


def _hit(n: int = 0, **changes: object) -> PersonHit:
    values: dict[str, object] = {
        "match": "Д",
        "key": "H01",
        "surname": ["Ёлкина-Щукина", "Иванова", "Петрова"][n % 3],
        "name": "Анна",
        "patronymic": "Юрьевна",
        "birth_date": date(1985, 2, 28),
        "sex": 2,
        "enp": f"455000000000001{n}",
        "snils": "112-233-445 95",
        "documents": (PersonDocument("14", "45 10", "123456", issued=date(2010, 3, 1)),),
        "addresses": (Address("L", "45286575000"), Address("H", "46236000000")),
        "insurances": (CURRENT, EARLIER),
        "birth_place": "г. Москва",
        "citizenships": ("RUS",),
    }
    values.update(changes)
    return PersonHit(**values)  # type: ignore[arg-type]


def _answers() -> ApplicationAnswers:
    return ApplicationAnswers(
        batch_id=BATCH_ID,
        answers=(
            ChangeAnswer(message_id=MSG_1, code="AA"),
            # 0 hits
            StatusAnswer(MSG_2, "AA", "NF", total=0, in_answer=0, remaining=0, hits=()),
            # 1 hit, current insurance and an earlier one
            StatusAnswer(MSG_3, "AA", "OK", total=1, in_answer=1, remaining=0, hits=(_hit(),)),
            # several fuzzy hits, more than fit in the answer
            StatusAnswer(
                MSG_4,
                "AE",
                "OK",
                total=5,
                in_answer=3,
                remaining=2,
                hits=(
                    _hit(0, match="В", key="P01", insurances=()),
                    _hit(1, match="В", key="P02", death_date=date(2026, 1, 2), insurances=()),
                    _hit(2, match="В", key="P01", patronymic=None, insurances=(EARLIER,)),
                ),
                errors=(ErrorDetail(None, None, "W", "69", APP_ERROR_TEXTS_RU["69"]),),
            ),
            WorkingAnswer(MSG_5, "AA", 2026, 3, ("4550000000000012", "7750000000000011")),
        ),
    )


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_round_trip_with_0_1_several_hits(encoding: str) -> None:
    data = build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding=encoding
    )
    assert "Ёлкина-Щукина".encode(encoding) in data
    schema("uprak2.xsd").assertValid(etree.fromstring(data))
    parsed = parse_application_answers(data)
    assert parsed == _answers()
    assert [a.structure for a in parsed.answers] == [
        "ACK",
        "RSP_ZK1",
        "RSP_ZK1",
        "RSP_ZK1",
        "RSP_ZK6",
    ]


def test_structure_of_status_answers() -> None:
    root = etree.fromstring(
        build_application_answers(_answers(), region_code="45000", created=CREATED)
    )
    assert [etree.QName(el).localname for el in root] == [
        "BHS",
        "ACK",
        "RSP_ZK1",
        "RSP_ZK1",
        "RSP_ZK1",
        "RSP_ZK6",
        "BTS",
    ]
    none, one, several = root.findall("h:RSP_ZK1", ns)
    msh9 = [one.findtext(f"h:MSH/h:MSH.9/h:MSG.{i}", namespaces=ns) for i in (1, 2, 3)]
    assert msh9 == ["RSP", "ZK1", "RSP_ZK1"]
    assert one.findtext("h:MSA/h:MSA.2", namespaces=ns) == MSG_3
    assert [etree.QName(el).localname for el in none] == ["MSH", "MSA", "QAK"]
    assert none.findtext("h:QAK/h:QAK.2", namespaces=ns) == "NF"
    group = one.find("h:RSP_ZK1.QUERY_RESPONSE", ns)
    assert [etree.QName(el).localname for el in group] == ["PID", "IN1", "IN1", "QRI"]
    assert [i.findtext("h:IN1.1", namespaces=ns) for i in group.findall("h:IN1", ns)] == ["1", "2"]
    assert group.findtext("h:IN1/h:IN1.13", namespaces=ns) == "2200-01-01"
    assert group.findtext("h:QRI/h:QRI.1", namespaces=ns) == "Д"
    assert group.findtext("h:QRI/h:QRI.2", namespaces=ns) == "H01"
    assert group.findtext("h:PID/h:PID.5/h:XPN.1/h:FN.1", namespaces=ns) == "Ёлкина-Щукина"
    assert [several.findtext(f"h:QAK/h:QAK.{n}", namespaces=ns) for n in (2, 4, 5, 6)] == [
        "OK",
        "5",
        "3",
        "2",
    ]
    assert [etree.QName(el).localname for el in several][:4] == ["MSH", "MSA", "ERR", "QAK"]
    assert several.findtext("h:RSP_ZK1.QUERY_RESPONSE[2]/h:PID/h:PID.30", namespaces=ns) == "Y"
    zk6 = root.find("h:RSP_ZK6", ns)
    assert zk6.findtext("h:MSH/h:MSH.9/h:MSG.3", namespaces=ns) == "RSP_ZK6"
    assert zk6.findtext("h:QPD/h:QPD.4", namespaces=ns) == "2026"
    assert [z.findtext("h:ZWL.1", namespaces=ns) for z in zk6.findall("h:ZWL", ns)] == [
        "4550000000000012",
        "7750000000000011",
    ]


@pytest.mark.parametrize("enps", [(), ("4550000000000012",)])
def test_working_answer_with_none_and_one(enps: tuple[str, ...]) -> None:
    answer = ApplicationAnswers(BATCH_ID, (WorkingAnswer(MSG_1, "AA", 2025, 4, enps),))
    data = build_application_answers(answer, region_code="45000", created=CREATED)
    assert parse_application_answers(data) == answer
    qak2 = etree.fromstring(data).findtext("h:RSP_ZK6/h:QAK/h:QAK.2", namespaces=ns)
    assert qak2 == ("OK" if enps else "NF")


def test_rejected_query_answers() -> None:
    refused = ErrorDetail("QPD.5", "204", "E", "41", APP_ERROR_TEXTS_RU["41"])
    answer = ApplicationAnswers(
        BATCH_ID,
        (
            StatusAnswer(MSG_1, "AR", "AR", 0, 0, 0, (), errors=(refused,)),
            WorkingAnswer(MSG_2, "AR", 2026, 1, (), errors=(refused,)),
        ),
    )
    data = build_application_answers(answer, region_code="45000", created=CREATED)
    assert parse_application_answers(data) == answer


def test_answer_values_are_checked() -> None:
    with pytest.raises(ValueError, match=r"QAK\.5"):
        StatusAnswer(MSG_1, "AA", "OK", 2, 2, 0, (_hit(),))
    with pytest.raises(ValueError, match="NF"):
        StatusAnswer(MSG_1, "AA", "NF", 1, 1, 0, (_hit(),))
    with pytest.raises(ValueError, match="больше"):
        StatusAnswer(MSG_1, "AA", "OK", 1, 1, 1, (_hit(),))
    with pytest.raises(ValueError, match="статус"):
        StatusAnswer(MSG_1, "AA", "XX", 0, 0, 0, ())
    with pytest.raises(ValueError, match="код ответа"):
        WorkingAnswer(MSG_1, "CA", 2026, 1, ())
    with pytest.raises(ValueError, match="квартал"):
        WorkingAnswer(MSG_1, "AA", 2026, 0, ())
    with pytest.raises(ValueError, match="не соответствует"):
        _hit(match="Д", key="P01")
    with pytest.raises(ValueError, match="ключ"):
        _hit(key="H07")
    with pytest.raises(ValueError, match="Д/В"):
        _hit(match="X")
    with pytest.raises(ValueError, match="не GUID"):
        ChangeAnswer("m-1", "AA")


def test_hand_written_uprak2_in_windows_1251() -> None:
    data = (DATA / "answers.cp1251.uprak2").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    assert "Ёлкина".encode("cp1251") in data
    parsed = parse_application_answers(data)
    assert parsed.batch_id == "a8098c1a-f86e-11da-bd1a-00112444be1e"
    change, status, working = parsed.answers
    assert change == ChangeAnswer(
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "AR",
        (ErrorDetail("PID.3", "205", "E", "69", "Найден дубликат: множественная идентификация"),),
    )
    assert status == StatusAnswer(
        message_id="6fa459ea-ee8a-3ca4-894e-db77e160355e",
        code="AA",
        query_status="OK",
        total=1,
        in_answer=1,
        remaining=0,
        hits=(
            PersonHit(
                match="Д",
                key="H02",
                surname="Ёлкина-Щукина",
                name="Анна",
                birth_date=date(1985, 2, 28),
                sex=2,
                enp="4550000000000012",
                documents=(PersonDocument("14", "45 10", "123456"),),
                insurances=(CURRENT,),
            ),
        ),
    )
    assert working == WorkingAnswer(
        "886313e1-3b8a-5372-9b90-0c9aee199e5d", "AA", 2026, 2, ("4550000000000012",)
    )


# --------------------------------------------------------------------------- faults


def _utf8() -> str:
    return build_application_answers(
        _answers(), region_code="45000", created=CREATED, encoding="utf-8"
    ).decode("utf-8")


def _fault(text: str) -> BatchError:
    with pytest.raises(BatchError) as exc:
        parse_application_answers(text.encode("utf-8"))
    return exc.value


def test_hit_count_other_than_qak5_is_41() -> None:
    text = _utf8()
    error = _fault(text.replace("<QAK.5>1</QAK.5>", "<QAK.5>2</QAK.5>", 1))
    assert error.code == 41 and "QAK.5" in error.text_ru
    error = _fault(text.replace("<QAK.5>2</QAK.5>", "<QAK.5>3</QAK.5>", 1))  # the ZK6
    assert error.code == 41 and "ЕНП" in error.text_ru


def test_a_hit_count_that_is_not_a_small_ascii_number_is_41() -> None:
    text = _utf8()
    for value in ("1" * 5000, "١"):
        error = _fault(text.replace("<QAK.4>1</QAK.4>", f"<QAK.4>{value}</QAK.4>", 1))
        assert error.code == 41 and "QAK.4" in error.text_ru and len(error.text_ru) < 200


def test_segments_of_a_hit_out_of_order_are_41() -> None:
    text = _utf8()
    start = text.index("<QRI>")
    end = text.index("</QRI>") + len("</QRI>")
    qri = text[start:end]
    moved = text[:start] + text[end:]
    first_in1 = moved.index("<IN1>")
    error = _fault(moved[:first_in1] + qri + moved[first_in1:])
    assert error.code == 41 and "IN1" in error.text_ru


def test_insurance_numbering_is_checked() -> None:
    text = _utf8()
    error = _fault(text.replace("<IN1.1>2</IN1.1>", "<IN1.1>3</IN1.1>", 1))
    assert error.code == 41 and "IN1.1" in error.text_ru


def test_missing_qak_and_qpd_are_41() -> None:
    text = _utf8()
    start = text.index("<QAK>")
    end = text.index("</QAK>") + len("</QAK>")
    assert _fault(text[:start] + text[end:]).code == 41
    start = text.index("<QPD>")
    end = text.index("</QPD>") + len("</QPD>")
    assert _fault(text[:start] + text[end:]).code == 41
    assert _fault(text.replace("<QRI.1>Д<", "<QRI.1>X<")).code == 41


def test_count_hash_and_roots() -> None:
    text = _utf8()
    assert _fault(text.replace("<BTS.1>5</BTS.1>", "<BTS.1>4</BTS.1>")).code == 43
    zk6_id = etree.fromstring(text.encode()).findtext("h:RSP_ZK6/h:MSH/h:MSH.10", namespaces=ns)
    assert zk6_id
    assert _fault(text.replace(zk6_id, "00000000-0000-0000-0000-000000000000")).code == 44
    # an answer batch is not an outbound batch, and the other way round
    with pytest.raises(BatchError) as exc:
        parse_batch(text.encode())
    assert exc.value.code == 41
    error = _fault(text.replace("RSP_ZK6>", "QBP_ZP6>"))
    assert error.code == 41 and "QBP_ZP6" in error.text_ru


# --------------------------------------------------------------------------- hypothesis

_TEXT = st.text(
    alphabet="АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    "ABCXYZabcxyz0123456789 -.'&<>\"",
    min_size=1,
    max_size=20,
).filter(lambda s: s == s.strip() and "№" not in s)
_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
_GUIDS = st.uuids().map(str)
_ERRORS = st.builds(
    ErrorDetail,
    position=st.none() | st.sampled_from(["PID", "PID.3", "PID.11.9", "QPD.5"]),
    hl7_code=st.none() | st.sampled_from(["102", "103", "204", "205", "207"]),
    severity=st.sampled_from("EW"),
    app_code=st.none() | st.sampled_from(sorted(APP_ERROR_TEXTS_RU)),
    text=st.just("") | _TEXT,
)


@st.composite
def _insurances(draw: st.DrawFn) -> Insurance:
    start = draw(_DATES)
    end = draw(st.none() | st.dates(min_value=start, max_value=date(2199, 12, 31)))
    return Insurance(
        smo_ogrn=draw(_TEXT),
        start=start,
        end=end,
        region_okato=draw(_TEXT),
        policy_form=draw(st.sampled_from("ПВЭКЕ")),
        policy_number=draw(_TEXT),
        employed=draw(st.booleans()),
    )


@st.composite
def _hits(draw: st.DrawFn) -> PersonHit:
    exact = draw(st.booleans())
    return PersonHit(
        match="Д" if exact else "В",
        key=("H" if exact else "P") + draw(st.sampled_from(["01", "02", "03", "04", "05"])),
        surname=draw(_TEXT),
        name=draw(st.just("") | _TEXT),
        patronymic=draw(st.none() | _TEXT),
        birth_date=draw(_DATES),
        sex=draw(st.sampled_from([1, 2])),
        enp=draw(st.none() | _TEXT),
        snils=draw(st.none() | _TEXT),
        documents=tuple(
            draw(
                st.lists(
                    st.builds(
                        PersonDocument,
                        doc_type=st.sampled_from(["3", "14"]),
                        series=st.just("") | _TEXT,
                        number=_TEXT,
                        issued=st.none() | _DATES,
                        expires=st.none() | _DATES,
                    ),
                    max_size=2,
                )
            )
        ),
        addresses=tuple(
            draw(st.lists(st.builds(Address, st.sampled_from("LH"), _TEXT), max_size=2))
        ),
        death_date=draw(st.none() | _DATES),
        insurances=tuple(draw(st.lists(_insurances(), max_size=3))),
        birth_place=draw(st.none() | _TEXT),
        citizenships=tuple(draw(st.lists(st.sampled_from(["RUS", "BLR", "UKR"]), max_size=2))),
    )


@st.composite
def _status_answers(draw: st.DrawFn) -> StatusAnswer:
    hits = tuple(draw(st.lists(_hits(), max_size=3)))
    remaining = draw(st.integers(0, 3))
    return StatusAnswer(
        message_id=draw(_GUIDS),
        code=draw(st.sampled_from(["AA", "AE"])),
        query_status="OK" if hits else draw(st.sampled_from(["OK", "NF", "AE", "AR"])),
        total=len(hits) + remaining + draw(st.integers(0, 3)),
        in_answer=len(hits),
        remaining=remaining,
        hits=hits,
        errors=tuple(draw(st.lists(_ERRORS, max_size=2))),
    )


_ANSWERS: st.SearchStrategy[ApplicationAnswer] = st.one_of(
    st.builds(
        ChangeAnswer,
        message_id=_GUIDS,
        code=st.sampled_from(["AA", "AE", "AR"]),
        errors=st.lists(_ERRORS, max_size=3).map(tuple),
    ),
    _status_answers(),
    st.builds(
        WorkingAnswer,
        message_id=_GUIDS,
        code=st.sampled_from(["AA", "AE", "AR"]),
        year=st.integers(1900, 9999),
        quarter=st.integers(1, 4),
        enps=st.lists(_TEXT, max_size=4).map(tuple),
        errors=st.lists(_ERRORS, max_size=1).map(tuple),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=st.lists(_ANSWERS, max_size=4),
    batch_id=_GUIDS,
    encoding=st.sampled_from(["windows-1251", "utf-8"]),
)
def test_application_answers_round_trip(
    answers: list[ApplicationAnswer], batch_id: str, encoding: str
) -> None:
    value = ApplicationAnswers(batch_id, tuple(answers))
    data = build_application_answers(value, region_code="45000", created=CREATED, encoding=encoding)
    assert parse_application_answers(data) == value
