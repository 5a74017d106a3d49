"""Package files of the synthetic region: valid, in their encoding, and with true ground truth."""

from __future__ import annotations

import hashlib
import random
import re
import tracemalloc
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from lxml import etree

from ingest.errors import PackageRejected
from ingest.xml_safety import check_encoding, parse_xml_safely
from ingest.xsd import validate_package
from register.documents import fns_to_f011
from register.enp import make_enp, validate_enp
from register.inn import validate_inn
from register.records import parse_date
from register.snils import format_snils, make_snils, validate_snils
from synthetic.packages import (
    CALL_UP,
    DECOY_SHEET,
    DISCHARGE,
    FNS_FAULTS,
    MALFORMED_SAMPLES,
    MILITARY_FAULTS,
    MILITARY_HEADER,
    MILITARY_SHEET,
    ZAGS_FAULTS,
    EnpList,
    PackageSummary,
    malformed_kind,
    write_demo_packages,
    write_fns_package,
    write_malformed_samples,
    write_military_workbook,
    write_zags_package,
)

TODAY = date(2026, 11, 20)
FORMED = date(2026, 11, 14)
MB = 1024 * 1024

_SURNAMES = [
    ("Иванов", "Иванова"),
    ("Петров", "Петрова"),
    ("Смирнов", "Смирнова"),
    ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"),
    ("Соколов", "Соколова"),
    ("Лебедев", "Лебедева"),
    ("Козлов", "Козлова"),
    ("Новиков", "Новикова"),
]
_NAMES = (
    ["Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Иван"],
    ["Елена", "Ольга", "Наталья", "Мария", "Анна", "Татьяна", "Ирина"],
)
_PATRONYMICS = [
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Иванович", "Ивановна"),
    ("Петрович", "Петровна"),
]


def age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def make_person(rng: random.Random, sequence: int, *, region: str = "50") -> dict[str, Any]:
    """A register person as the generator gives it (the keys of RECORD_FIELDS that matter)."""
    sex = rng.choice((1, 2))
    birth = TODAY - timedelta(days=rng.randint(30, 90 * 365))
    years = age(birth, TODAY)
    if years < 14:
        doc_type, series, issued = 3, "IV-МЮ", birth + timedelta(days=rng.randint(5, 30))
    else:
        doc_type = rng.choice((14, 14, 14, 14, 14, 14, 9, 11, 18, 13))
        issued = birth + timedelta(days=365 * (45 if years >= 45 else 20 if years >= 20 else 14))
        series = f"{rng.randint(10, 99)} {issued.year % 100:02d}" if doc_type == 14 else None
    status, closure, death = "insured", None, None
    draw = rng.random()
    if draw < 0.02:
        status, death = "deceased", TODAY - timedelta(days=rng.randint(100, 900))
    elif draw < 0.05:
        status, closure = "closed", "П025" if sex == 1 and 18 <= years <= 27 else "П021"
    return {
        "enp": make_enp(region, birth, sex, sequence),
        "surname": rng.choice(_SURNAMES)[sex - 1],
        "name": rng.choice(_NAMES[sex - 1]),
        "patronymic": rng.choice(_PATRONYMICS)[sex - 1] if rng.random() < 0.9 else None,
        "sex": sex,
        "birth_date": birth,
        "snils": make_snils(f"{rng.randint(1_002_000, 999_999_999):09d}")
        if rng.random() < 0.9
        else None,
        "doc_type": doc_type,
        "doc_series": series,
        "doc_number": f"{rng.randint(0, 999_999):06d}",
        "doc_issue_date": min(issued, TODAY),
        "birth_place": "г. Москва" if rng.random() < 0.7 else None,
        "reg_address": "Московская обл., г. Химки, ул. Мира, д. 1, кв. 2",
        "status": status,
        "closure_reason": closure,
        "death_date": death,
    }


def make_persons(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    persons = [make_person(rng, i) for i in range(n)]
    # Namesakes: same ФИО and birth date, another person (another ЕНП, СНИЛС, document).
    for i in range(3):
        twin = make_person(rng, 90_000 + i)
        original = persons[i]
        for key in ("surname", "name", "patronymic", "sex", "birth_date"):
            twin[key] = original[key]
        twin["enp"] = make_enp("50", original["birth_date"], original["sex"], 90_000 + i)
        original["status"] = twin["status"] = "insured"
        original["death_date"] = twin["death_date"] = None
        persons.append(twin)
    return persons


def current(persons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in persons if p["status"] == "insured" and p["death_date"] is None]


def load(summary: PackageSummary, package_type: str) -> etree._Element:
    tree = parse_xml_safely(summary.path)
    assert validate_package(tree, package_type) == summary.records
    return tree.getroot()


def by_number(root: etree._Element) -> dict[int, etree._Element]:
    return {int(record.get("НомЗап")): record for record in root}


def assert_only_the_file(summary: PackageSummary) -> None:
    assert [p.name for p in summary.path.parent.iterdir()] == [summary.path.name]


# --- ФНС -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def persons() -> list[dict[str, Any]]:
    return make_persons(400)


@pytest.fixture(scope="module")
def fns(
    tmp_path_factory: pytest.TempPathFactory, persons: list[dict[str, Any]]
) -> tuple[PackageSummary, etree._Element]:
    summary = write_fns_package(
        tmp_path_factory.mktemp("fns"),
        persons,
        region_code="50",
        year=2026,
        quarter=3,
        number=1,
        formed=FORMED,
        rng=random.Random(1),
        unmatched=20,
        faulty=len(FNS_FAULTS) + 2,
    )
    return summary, load(summary, "fns_working")


def fns_record_faults(record: etree._Element, formed: date) -> set[str]:
    """The record-level faults of FORMATS.md found in one СвЗЛ (an independent check)."""
    fio, data, document = record.find("ФИО"), record.find("СведЗЛ"), record.find("УдЛичн")
    faults = set()
    snils = data.get("СНИЛС")
    if snils and [e for e in validate_snils(snils) if not e.warning]:
        faults.add("snils_check")
    try:
        if parse_date(data.get("ДатаРожд")) > formed:
            faults.add("birth_after_file_date")
    except ValueError:
        faults.add("impossible_date")
    if document is not None and fns_to_f011(document.get("КодВидДок")) is None:
        faults.add("unknown_doc_code")
    if not fio.get("Фамилия").strip():
        faults.add("empty_surname")
    if data.get("Пол") not in ("1", "2"):
        faults.add("bad_sex")
    if not snils and document is None:
        faults.add("no_identifiers")
    return faults


def test_fns_package_is_valid_in_windows_1251(fns: tuple[PackageSummary, etree._Element]) -> None:
    summary, root = fns
    raw = summary.path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="windows-1251"?>\n<')
    assert "ФайлФНС".encode("cp1251") in raw
    assert "ФайлФНС".encode() not in raw
    assert check_encoding(summary.path).codec == "cp1251"
    assert summary.encoding == "windows-1251"
    assert summary.sha256 == hashlib.sha256(raw).hexdigest()
    assert summary.path.name == "FNS_50_2026_3_0001.xml"
    assert root.attrib == {
        "ИдФайл": "FNS_50_2026_3_0001",
        "ВерсФорм": "1.00",
        "КодТФОМС": "50",
        "Год": "2026",
        "Квартал": "3",
        "ДатаФорм": "14.11.2026",
        "КолЗап": str(summary.records),
    }
    assert [int(r.get("НомЗап")) for r in root] == list(range(1, summary.records + 1))
    assert_only_the_file(summary)


def test_fns_records_are_the_persons_with_recoded_documents(
    fns: tuple[PackageSummary, etree._Element], persons: list[dict[str, Any]]
) -> None:
    summary, root = fns
    records = by_number(root)
    index = {p["enp"]: p for p in persons}
    numbers = list(summary.matched_numbers())
    assert len(numbers) == len(summary.matched_enps)
    assert summary.records == len(numbers) + 20 + len(FNS_FAULTS) + 2
    codes = set()
    for number, enp in zip(numbers, summary.matched_enps, strict=True):
        person, record = index[enp], records[number]
        fio, data, document = record.find("ФИО"), record.find("СведЗЛ"), record.find("УдЛичн")
        assert fio.get("Фамилия") == person["surname"].upper()
        assert fio.get("Отчество") == ((person["patronymic"] or "").upper() or None)
        assert data.get("ДатаРожд") == person["birth_date"].strftime("%d.%m.%Y")
        assert data.get("Пол") == str(person["sex"])
        if person["snils"]:
            assert data.get("СНИЛС") == format_snils(person["snils"])
            assert re.fullmatch(r"\d{3}-\d{3}-\d{3} \d{2}", data.get("СНИЛС"))
        else:
            assert "СНИЛС" not in data.attrib
        if person["doc_type"] in (14, 3, 9, 11, 18):
            codes.add(document.get("КодВидДок"))
            assert fns_to_f011(document.get("КодВидДок")) == person["doc_type"]
            series = f"{person['doc_series']} " if person["doc_series"] else ""
            assert document.get("СерНомДок") == series + person["doc_number"]
        else:
            assert document is None
    assert codes == {"21", "03", "10", "12", "91"}
    skipped = [p["enp"] for p in persons if not p["snils"] and p["doc_type"] == 13]
    assert skipped and summary.skipped_enps == skipped


def test_fns_faulty_records_have_exactly_their_fault(
    fns: tuple[PackageSummary, etree._Element],
) -> None:
    summary, root = fns
    kinds = sorted(f.kind for f in summary.faulty.values())
    assert kinds == sorted([*FNS_FAULTS, *FNS_FAULTS[:2]])
    for number, record in by_number(root).items():
        expected = {summary.faulty[number].kind} if number in summary.faulty else set()
        assert fns_record_faults(record, FORMED) == expected, number
    for fault in summary.faulty.values():
        assert fault.field and re.search("[А-Яа-я]", fault.description)


def test_fns_unmatched_records_are_plausible_strangers(
    fns: tuple[PackageSummary, etree._Element], persons: list[dict[str, Any]]
) -> None:
    summary, root = fns
    records = by_number(root)
    known_snils = {p["snils"] for p in persons}
    known_people = {(p["surname"].upper(), p["birth_date"]) for p in persons}
    assert len(summary.unmatched_numbers) == 20
    for number in summary.unmatched_numbers:
        data = records[number].find("СведЗЛ")
        snils = data.get("СНИЛС").replace("-", "").replace(" ", "")
        assert validate_snils(snils) == []
        assert snils not in known_snils
        surname = records[number].find("ФИО").get("Фамилия")
        assert (surname, parse_date(data.get("ДатаРожд"))) not in known_people
        assert records[number].find("УдЛичн").get("КодВидДок") == "21"


def test_fns_flags_and_inn(fns: tuple[PackageSummary, etree._Element]) -> None:
    summary, root = fns
    flags = [(r.get("НачВзн"), r.get("ПлатСам")) for r in root]
    assert set(flags) <= {("1", "0"), ("0", "0"), ("0", "1"), ("1", "1")}
    assert sum(f == ("1", "0") for f in flags) > 0.8 * len(flags)
    assert any(f[1] == "1" for f in flags)
    inns = {int(r.get("НомЗап")): r.find("СведЗЛ").get("ИННФЛ") for r in root}
    present = {n: inn for n, inn in inns.items() if inn}
    assert 0.2 * len(inns) < len(present) < 0.6 * len(inns)
    assert summary.warnings
    for number, inn in present.items():
        assert re.fullmatch(r"\d{12}", inn)
        findings = validate_inn(inn)
        assert all(f.warning for f in findings)
        assert bool(findings) == (number in summary.warnings)


def test_fns_utf8_with_bom(tmp_path: Path, persons: list[dict[str, Any]]) -> None:
    summary = write_fns_package(
        tmp_path,
        persons[:30],
        region_code="50",
        year=2026,
        quarter=3,
        number=2,
        formed=FORMED,
        rng=random.Random(2),
        encoding="utf-8",
        bom=True,
        unmatched=2,
    )
    raw = summary.path.read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n')
    assert "ФайлФНС".encode() in raw
    assert (summary.encoding, summary.bom) == ("UTF-8", True)
    assert load(summary, "fns_working").get("ИдФайл") == "FNS_50_2026_3_0002"


def test_fns_persons_may_be_a_stream(tmp_path: Path, persons: list[dict[str, Any]]) -> None:
    stream = (p for p in persons[:100])
    summary = write_fns_package(
        tmp_path / "stream.xml",
        stream,
        region_code="50",
        year=2026,
        quarter=3,
        number=1,
        formed=FORMED,
        rng=random.Random(3),
        unmatched=3,
        faulty=2,
    )
    root = load(summary, "fns_working")
    assert root.get("ИдФайл") == "stream"
    assert len(summary.matched_enps) + len(summary.skipped_enps) == 100


def test_fns_writer_refuses_other_encodings_and_leaves_nothing_on_failure(
    tmp_path: Path, persons: list[dict[str, Any]]
) -> None:
    args: dict[str, Any] = {
        "region_code": "50",
        "year": 2026,
        "quarter": 3,
        "number": 1,
        "formed": FORMED,
        "rng": random.Random(4),
    }
    with pytest.raises(ValueError):
        write_fns_package(tmp_path, persons, encoding="koi8-r", **args)
    broken = [*persons[:50], {**persons[50], "surname": "Ива\x01нов"}, *persons[51:]]
    with pytest.raises(ValueError):
        write_fns_package(tmp_path, broken, **args)
    assert list(tmp_path.iterdir()) == []


def _lazy_persons(n: int) -> Iterator[dict[str, Any]]:
    birth = date(1980, 5, 17)
    for i in range(n):
        yield {
            "enp": make_enp("50", birth, 1, i % 100_000),
            "surname": "Иванов",
            "name": "Иван",
            "patronymic": "Петрович",
            "sex": 1,
            "birth_date": birth,
            "snils": "11223344595",
            "doc_type": 14,
            "doc_series": "45 12",
            "doc_number": f"{i % 1_000_000:06d}",
            "doc_issue_date": date(2000, 6, 1),
        }


def test_fns_writer_memory_stays_flat(tmp_path: Path) -> None:
    """Peak traced memory hardly grows with the records (200 000: tests/benchmarks)."""

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            write_fns_package(
                tmp_path / f"{n}.xml",
                _lazy_persons(n),
                region_code="50",
                year=2026,
                quarter=3,
                number=1,
                formed=FORMED,
                rng=random.Random(5),
                unmatched=20,
                faulty=7,
            )
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(10_000)
    assert large < 50 * MB
    # What may grow: the summary's ЕНП, 16 bytes each (×2 while its buffer is resized).
    assert large - small < 9_000 * 16 * 2 + MB


# --- ЗАГС ----------------------------------------------------------------------------------


def namesake_deaths(persons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = [(p["surname"], p["name"], p["patronymic"], p["birth_date"]) for p in persons]
    twins = [p for p, k in zip(persons, keys, strict=True) if keys.count(k) > 1]
    return twins[::2]


@pytest.fixture(scope="module")
def zags(
    tmp_path_factory: pytest.TempPathFactory, persons: list[dict[str, Any]]
) -> tuple[PackageSummary, etree._Element, list[dict[str, Any]]]:
    rng = random.Random(11)
    vague = namesake_deaths(persons)
    others = [p for p in current(persons) if p not in vague][:40]
    deaths = [
        {**p, "death_date": max(p["birth_date"], TODAY - timedelta(days=rng.randint(1, 50)))}
        for p in vague + others
    ]
    summary = write_zags_package(
        tmp_path_factory.mktemp("zags"),
        deaths,
        region_code="50",
        formed=TODAY,
        number=1,
        rng=rng,
        unmatched=5,
        ambiguous=len(vague),
        faulty=len(ZAGS_FAULTS),
    )
    return summary, load(summary, "zags_deaths"), deaths


def zags_record_faults(record: etree._Element, formed: date) -> set[str]:
    faults = set()
    try:
        born = parse_date(record.get("ДатаРожд"))
        died = parse_date(record.get("ДатаСмерт"))
    except ValueError:
        faults.add("impossible_death_date")
    else:
        if died < born:
            faults.add("death_before_birth")
        if died > formed:
            faults.add("death_after_file_date")
    snils = record.findtext("СНИЛС")
    if snils is not None and [e for e in validate_snils(snils) if not e.warning]:
        faults.add("snils_check")
    document = record.find("УдЛичн")
    if document is not None and fns_to_f011(document.get("КодВидДок")) is None:
        faults.add("unknown_doc_code")
    if not record.find("ФИО").get("Фамилия").strip():
        faults.add("empty_surname")
    if record.get("Пол") not in ("1", "2"):
        faults.add("bad_sex")
    return faults


def test_zags_package_is_valid_with_true_ground_truth(
    zags: tuple[PackageSummary, etree._Element, list[dict[str, Any]]],
) -> None:
    summary, root, deaths = zags
    raw = summary.path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="windows-1251"?>\n<')
    assert check_encoding(summary.path).codec == "cp1251"
    assert summary.path.name == "ZAGS_50_20261120_0001.xml"
    assert root.get("ИдФайл") == summary.path.stem
    assert root.get("Источник") == "ЕГР ЗАГС"
    assert root.get("ДатаФорм") == "20.11.2026"
    assert root.get("КолЗап") == str(summary.records) == str(len(deaths) + 5 + len(ZAGS_FAULTS))
    records = by_number(root)
    for number, record in records.items():
        expected = {summary.faulty[number].kind} if number in summary.faulty else set()
        assert zags_record_faults(record, TODAY) == expected, number
        act = record.find("АктЗапись")
        assert re.fullmatch(r"\d{21}", act.get("Номер"))
        assert re.fullmatch(r"R50\d{5}", act.get("КодЗАГС"))
        parse_date(act.get("Дата"))
    assert sorted(f.kind for f in summary.faulty.values()) == sorted(ZAGS_FAULTS)
    assert len(summary.unmatched_numbers) == 5
    assert_only_the_file(summary)


def test_zags_records_are_the_deaths_with_optional_elements_sometimes(
    zags: tuple[PackageSummary, etree._Element, list[dict[str, Any]]],
) -> None:
    summary, root, deaths = zags
    records = by_number(root)
    index = {d["enp"]: d for d in deaths}
    for number, enp in zip(summary.matched_numbers(), summary.matched_enps, strict=True):
        death, record = index[enp], records[number]
        assert record.get("ДатаСмерт") == death["death_date"].strftime("%d.%m.%Y")
        assert record.get("ДатаРожд") == death["birth_date"].strftime("%d.%m.%Y")
        assert record.find("ФИО").get("Фамилия") == death["surname"].upper()
        if record.findtext("СНИЛС") is not None:
            assert record.findtext("СНИЛС") == format_snils(death["snils"])
        document = record.find("УдЛичн")
        if document is not None:
            assert fns_to_f011(document.get("КодВидДок")) == death["doc_type"]
    matched = [records[n] for n in summary.matched_numbers()]
    for tag in ("СНИЛС", "УдЛичн", "МестоРожд", "ПослАдрес"):
        present = sum(r.find(tag) is not None for r in matched)
        assert 0 < present < len(matched), tag
    assert any("Отчество" not in r.find("ФИО").attrib for r in root)


def test_zags_ambiguous_records_carry_only_name_and_birth_date(
    zags: tuple[PackageSummary, etree._Element, list[dict[str, Any]]],
    persons: list[dict[str, Any]],
) -> None:
    summary, root, _ = zags
    records = by_number(root)
    assert len(summary.ambiguous_enps) == 3
    for number, enp in summary.ambiguous_enps.items():
        record = records[number]
        assert record.find("СНИЛС") is None
        assert record.find("УдЛичн") is None
        key = (record.find("ФИО").get("Фамилия"), parse_date(record.get("ДатаРожд")))
        namesakes = [p for p in persons if (p["surname"].upper(), p["birth_date"]) == key]
        assert len(namesakes) >= 2
        assert enp in {p["enp"] for p in namesakes}
        assert enp not in summary.matched_enps


def test_zags_death_without_a_date_is_refused(
    tmp_path: Path, persons: list[dict[str, Any]]
) -> None:
    with pytest.raises(ValueError, match="death_date"):
        write_zags_package(
            tmp_path, persons[:5], region_code="50", formed=TODAY, number=1, rng=random.Random(1)
        )
    assert list(tmp_path.iterdir()) == []


# --- военкомат -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def military(
    tmp_path_factory: pytest.TempPathFactory, persons: list[dict[str, Any]]
) -> tuple[PackageSummary, openpyxl.Workbook, list[dict[str, Any]]]:
    rng = random.Random(21)
    men = [p for p in current(persons) if p["sex"] == 1][:60]
    events = [
        {**p, "event": CALL_UP if i < 45 else DISCHARGE, "event_date": TODAY - timedelta(days=i)}
        for i, p in enumerate(men)
    ]
    path = tmp_path_factory.mktemp("vk") / "VK_50_20261120_0001.xlsx"
    summary = write_military_workbook(path, events, rng=rng, faulty=len(MILITARY_FAULTS) + 1)
    return summary, openpyxl.load_workbook(path), events


def canonical_event(value: Any) -> str:
    return "".join(str(value).split()).upper()


def test_workbook_first_sheet_holds_the_data_while_the_decoy_is_active(
    military: tuple[PackageSummary, openpyxl.Workbook, list[dict[str, Any]]],
) -> None:
    summary, workbook, _ = military
    assert workbook.sheetnames == [MILITARY_SHEET, DECOY_SHEET]
    assert workbook.active.title == DECOY_SHEET
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == list(MILITARY_HEADER)
    assert sheet.max_row == 1 + summary.records + len(summary.empty_rows)
    assert summary.sha256 == hashlib.sha256(summary.path.read_bytes()).hexdigest()
    assert_only_the_file(summary)


def test_workbook_rows_carry_the_variants_a_reader_must_cope_with(
    military: tuple[PackageSummary, openpyxl.Workbook, list[dict[str, Any]]],
) -> None:
    summary, workbook, events = military
    sheet = workbook.worksheets[0]
    col = {name: i for i, name in enumerate(MILITARY_HEADER)}
    index = {e["enp"]: e for e in events}
    rows = {r[0].row: r for r in sheet.iter_rows(min_row=2)}

    (empty,) = summary.empty_rows
    assert 3 < empty < sheet.max_row - 2
    assert all(c.value is None for c in rows[empty])

    snils_numbers = 0
    words, date_kinds = set(), set()
    for number, enp in zip(summary.matched_numbers(), summary.matched_enps, strict=True):
        row, event = rows[number], index[enp]
        assert row[col["Фамилия"]].value == event["surname"]
        enp_cell = row[col["ЕНП"]]
        assert enp_cell.value is None or (enp_cell.data_type == "s" and enp_cell.value == enp)
        snils = row[col["СНИЛС"]].value
        if isinstance(snils, int):
            snils_numbers += 1
            assert f"{snils:011d}" == event["snils"]
        elif snils is not None:
            assert snils.replace("-", "").replace(" ", "") == event["snils"]
        word = row[col["Событие"]].value
        words.add(word)
        assert canonical_event(word) == event["event"]
        for name, key in (("Дата рождения", "birth_date"), ("Дата события", "event_date")):
            value = row[col[name]].value
            date_kinds.add(type(value))
            if isinstance(value, datetime):
                assert value.date() == event[key]
            else:
                assert value == event[key].strftime("%d.%m.%Y")
        assert row[col["Вид ДУЛ"]].value == event["doc_type"]
    assert snils_numbers > 0
    assert words - {CALL_UP, DISCHARGE}, "no case/space variants of the event word"
    assert date_kinds == {datetime, str}


def test_workbook_faulty_rows(
    military: tuple[PackageSummary, openpyxl.Workbook, list[dict[str, Any]]],
) -> None:
    summary, workbook, _ = military
    sheet = workbook.worksheets[0]
    col = {name: i for i, name in enumerate(MILITARY_HEADER)}
    assert sorted(f.kind for f in summary.faulty.values()) == sorted(
        [*MILITARY_FAULTS, MILITARY_FAULTS[0]]
    )
    for row in sheet.iter_rows(min_row=2):
        if row[0].row in summary.empty_rows:
            continue
        found = set()
        if isinstance(row[col["ЕНП"]].value, int):
            found.add("enp_number")
            assert len(str(row[col["ЕНП"]].value)) == 16
        if canonical_event(row[col["Событие"]].value) not in (CALL_UP, DISCHARGE):
            found.add("unknown_event")
        if row[col["Дата рождения"]].value is None:
            found.add("missing_birth_date")
        fault = summary.faulty.get(row[0].row)
        assert found == ({fault.kind} if fault else set()), row[0].row


def test_workbook_bytes_are_reproducible(tmp_path: Path, persons: list[dict[str, Any]]) -> None:
    events = [{**p, "event": CALL_UP, "event_date": TODAY} for p in current(persons)[:10]]
    first = write_military_workbook(tmp_path / "a.xlsx", events, rng=random.Random(3), faulty=3)
    second = write_military_workbook(tmp_path / "b.xlsx", events, rng=random.Random(3), faulty=3)
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


# --- refused whole -------------------------------------------------------------------------


def test_malformed_samples_are_all_refused_for_the_right_reason(tmp_path: Path) -> None:
    paths = write_malformed_samples(tmp_path / "malformed")
    assert sorted(malformed_kind(p) for p in paths) == sorted(MALFORMED_SAMPLES)
    for path in paths:
        package_type, code = MALFORMED_SAMPLES[malformed_kind(path)]
        assert path.name.startswith("FNS_50_" if package_type == "fns_working" else "ZAGS_50_")
        with pytest.raises(PackageRejected) as info:
            validate_package(parse_xml_safely(path), package_type)
        assert info.value.code == code, path.name
        assert re.search("[А-Яа-я]", info.value.reason_ru)


# --- the demo set --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_persons() -> list[dict[str, Any]]:
    return make_persons(4000, seed=99)


def test_demo_packages(tmp_path: Path, demo_persons: list[dict[str, Any]]) -> None:
    summaries = write_demo_packages(
        tmp_path / "a", demo_persons, region_code="50", today=TODAY, seed=42
    )
    fns, fns_utf8, zags, military = summaries
    assert fns.path.name == "FNS_50_2026_3_0001.xml"
    assert (fns.encoding, fns.bom, fns_utf8.encoding, fns_utf8.bom) == (
        "windows-1251",
        False,
        "UTF-8",
        True,
    )
    for summary in (fns, fns_utf8):
        assert load(summary, "fns_working").get("ДатаФорм") == "14.11.2026"  # quarter end + 45
    assert len(fns.unmatched_numbers) == 20
    assert {f.kind for f in fns.faulty.values()} == set(FNS_FAULTS)

    index = {p["enp"]: p for p in demo_persons}
    alive = current(demo_persons)
    working_age = [
        p
        for p in alive
        if 18 <= age(p["birth_date"], date(2026, 9, 30)) < (60 if p["sex"] == 1 else 55)
    ]
    share = (len(fns.matched_enps) + len(fns.skipped_enps)) / len(working_age)
    assert 0.5 < share < 0.7
    assert all(index[enp] in working_age for enp in fns.matched_enps)

    load(zags, "zags_deaths")
    deaths = [index[enp] for enp in zags.matched_enps]
    assert len(deaths) == round(len(alive) * 0.003)
    assert all(p in alive for p in deaths)
    assert len(zags.ambiguous_enps) == 3
    assert len(zags.unmatched_numbers) == 5
    assert {f.kind for f in zags.faulty.values()} == set(ZAGS_FAULTS)

    sheet = openpyxl.load_workbook(military.path).worksheets[0]
    rows = sheet.iter_rows(min_row=2)
    events = {row[0].row: canonical_event(row[9].value) for row in rows if row[0].value}
    called = discharged = 0
    for number, enp in zip(military.matched_numbers(), military.matched_enps, strict=True):
        person = index[enp]
        assert person["sex"] == 1
        if events[number] == CALL_UP:
            called += 1
            assert person in alive and 18 <= age(person["birth_date"], TODAY) <= 27
        else:
            discharged += 1
            assert events[number] == DISCHARGE
    assert (called, discharged) == (50, 20)
    suspended = {p["enp"] for p in demo_persons if p["closure_reason"] == "П025"}
    assert suspended
    chosen = {
        enp
        for n, enp in zip(military.matched_numbers(), military.matched_enps, strict=True)
        if events[n] == DISCHARGE
    }
    assert len(chosen & suspended) == min(20, len(suspended))

    malformed = sorted(p.name for p in (tmp_path / "a" / "malformed").iterdir())
    assert len(malformed) == len(MALFORMED_SAMPLES)

    again = write_demo_packages(
        tmp_path / "b", demo_persons, region_code="50", today=TODAY, seed=42
    )
    assert [s.sha256 for s in again] == [s.sha256 for s in summaries]
    other = write_demo_packages(
        tmp_path / "c", demo_persons, region_code="50", today=TODAY, seed=43
    )
    assert other[0].sha256 != fns.sha256


def test_demo_in_january_takes_the_fourth_quarter(
    tmp_path: Path, demo_persons: list[dict[str, Any]]
) -> None:
    summaries = write_demo_packages(
        tmp_path, demo_persons[:500], region_code="50", today=date(2027, 1, 10), seed=1
    )
    root = load(summaries[0], "fns_working")
    assert (root.get("Год"), root.get("Квартал"), root.get("ДатаФорм")) == (
        "2026",
        "4",
        "10.01.2027",
    )


# --- the summary ---------------------------------------------------------------------------


def test_enp_list_keeps_16_bytes_per_enp() -> None:
    values = [make_enp("01", date(1990, 1, 1), 2, i) for i in range(5)]
    enps = EnpList(values)
    assert len(enps) == 5
    assert enps[0] == values[0] and enps[-1] == values[-1]
    assert enps[1:3] == values[1:3]
    assert enps == values and list(enps) == values
    assert values[2] in enps
    assert all(validate_enp(e) == [] for e in enps)
    with pytest.raises(IndexError):
        enps[5]
    with pytest.raises(ValueError):
        enps.append("123")
