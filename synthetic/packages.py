"""Inbound package files of the synthetic demo region: ФНС, ЗАГС, военкомат, broken samples.

Persons are plain dicts with the keys of ``register.models.RECORD_FIELDS`` (missing keys
read as None). Every writer returns a :class:`PackageSummary`: the ground truth of the
file — which record numbers are register persons (and which ЕНП), which are strangers,
which carry which record-level fault — for the ingest tests and the demo.

The XML writers stream: records go to a temporary body file as they come, the header
(whose КолЗап is known only at the end) is written last in front of it, so a million
records take flat memory (the summary keeps 16 bytes per matched ЕНП).
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import itertools
import os
import random
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, overload

from openpyxl import Workbook
from openpyxl.styles import Font

from register.documents import fns_to_f011
from register.enp import make_enp
from register.inn import make_inn12
from register.snils import format_snils, make_snils

#: The ФНС document codes FORMATS.md §1 names; other F011 types have no ФНС code here and
#: are written without УдЛичн.
FNS_DOCUMENT_CODES = ("21", "03", "10", "12", "91")
_F011_TO_FNS = {fns_to_f011(code): code for code in FNS_DOCUMENT_CODES}

#: A ФНС document code that the recoding does not know.
UNKNOWN_DOCUMENT_CODE = "99"

FORM_VERSION = "1.00"
ZAGS_SOURCE = "ЕГР ЗАГС"

CALL_UP = "ПРИЗЫВ"
DISCHARGE = "УВОЛЬНЕНИЕ"
MILITARY_HEADER = (
    "№ п/п",
    "Фамилия",
    "Имя",
    "Отчество",
    "Дата рождения",
    "СНИЛС",
    "ЕНП",
    "Вид ДУЛ",
    "Серия и номер ДУЛ",
    "Событие",
    "Дата события",
    "Код военкомата",
)
MILITARY_SHEET = "Призывники"
DECOY_SHEET = "Образец заполнения"
# The decoy looks like data: a reader of the active sheet would load this sample person.
_DECOY_ROW = (1, "Образцов", "Образец", "Образцович", "01.01.2000", "000-000-000 00", None, 14,
              "00 00 000000", CALL_UP, "01.01.2026", "00000")  # fmt: skip

# Pension age (Form 8 default): the upper bound of "working age" for the demo selection.
_PENSION_AGE = {1: 60, 2: 55}
_ENP_WIDTH = 16


# --- the summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """A deliberate problem in one record: its kind, the register field, a Russian description."""

    kind: str
    field: str
    description: str

    def __str__(self) -> str:
        return self.description


class EnpList(Sequence[str]):
    """ЕНП in file order, kept as 16 ASCII bytes each (a million take 16 MB, not 70)."""

    def __init__(self, values: Iterable[str] = ()):
        self._data = bytearray()
        for value in values:
            self.append(value)

    def append(self, enp: str) -> None:
        raw = enp.encode("ascii")
        if len(raw) != _ENP_WIDTH:
            raise ValueError(f"ЕНП of 16 characters expected, got {enp!r}")
        self._data += raw

    def __len__(self) -> int:
        return len(self._data) // _ENP_WIDTH

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = index * _ENP_WIDTH
        return self._data[start : start + _ENP_WIDTH].decode("ascii")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EnpList):
            return self._data == other._data
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EnpList({len(self)} ЕНП)"


@dataclass
class PackageSummary:
    """Ground truth of one written package file.

    Record numbers are НомЗап for XML packages and worksheet row numbers for the workbook.
    ``matched_enps`` are the register persons in file order; :meth:`matched_numbers` gives
    their record numbers in the same order.
    """

    path: Path
    sha256: str
    records: int
    matched_enps: EnpList = field(default_factory=EnpList)
    unmatched_numbers: list[int] = field(default_factory=list)
    faulty: dict[int, Fault] = field(default_factory=dict)
    encoding: str = "windows-1251"
    bom: bool = False
    #: ЗАГС: records with only ФИО + birth date, НомЗап → ЕНП of the person the caller meant.
    ambiguous_enps: dict[int, str] = field(default_factory=dict)
    #: Records that load with a warning (a wrong ИНН check digit).
    warnings: dict[int, Fault] = field(default_factory=dict)
    #: Persons given to the writer but left out: nothing in them a package could carry.
    skipped_enps: list[str] = field(default_factory=list)
    #: Workbook: rows left empty on purpose.
    empty_rows: list[int] = field(default_factory=list)
    #: Number of the first record: 1 for НомЗап, 2 for a worksheet row under the header.
    first_number: int = 1

    def matched_numbers(self) -> Iterator[int]:
        """Record numbers of the register persons, in the order of ``matched_enps``."""
        other = (
            set(self.unmatched_numbers)
            | set(self.faulty)
            | set(self.ambiguous_enps)
            | set(self.empty_rows)
        )
        last = self.first_number + self.records + len(self.empty_rows)
        return (n for n in range(self.first_number, last) if n not in other)


# --- names and values ----------------------------------------------------------------------


def fns_package_name(region_code: str, year: int, quarter: int, number: int) -> str:
    """``FNS_<КодТФОМС>_<Год>_<Квартал>_<NNNN>.xml`` (FORMATS.md §1; informative only)."""
    return f"FNS_{region_code}_{year}_{quarter}_{number:04d}.xml"


def zags_package_name(region_code: str, formed: date, number: int) -> str:
    """``ZAGS_<КодТФОМС>_<ГГГГММДД>_<NNNN>.xml``, as in the example of FORMATS.md §3."""
    return f"ZAGS_{region_code}_{formed:%Y%m%d}_{number:04d}.xml"


def military_workbook_name(region_code: str, formed: date, number: int) -> str:
    """``VK_<КодТФОМС>_<ГГГГММДД>_<NNNN>.xlsx`` (convention: FORMATS.md names no file)."""
    return f"VK_{region_code}_{formed:%Y%m%d}_{number:04d}.xlsx"


def _ru(value: date) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _is_current(person: dict[str, Any]) -> bool:
    """Alive and insured in the register."""
    return person.get("death_date") is None and person.get("status") in (None, "insured")


def _fns_document(person: dict[str, Any]) -> tuple[str, str, str] | None:
    """(ФНС code, "series number", issue date) of the person's document, if ФНС has a code."""
    code = _F011_TO_FNS.get(person.get("doc_type"))
    number = person.get("doc_number")
    issued = person.get("doc_issue_date")
    if code is None or not number or issued is None:
        return None
    series = person.get("doc_series")
    return code, f"{series} {number}" if series else str(number), _ru(issued)


def _person_inn(enp: str, region_code: str) -> str | None:
    """A stable ИНН for a register person (four in ten have one in the packages)."""
    h = int.from_bytes(hashlib.blake2b(enp.encode(), digest_size=8).digest(), "big")
    if h % 10 >= 4:
        return None
    return make_inn12(f"{region_code}{(h >> 8) % 99 + 1:02d}{(h >> 16) % 1_000_000:06d}")


def _break_inn(inn: str) -> str:
    return inn[:-1] + str((int(inn[-1]) + 1) % 10)


_TRIPLE = re.compile(r"([0-9])\1\1")


def _random_snils(rng: random.Random) -> str:
    while True:
        body = f"{rng.randint(1_002_000, 999_999_999):09d}"
        if not _TRIPLE.search(body):
            return make_snils(body)


def _wrong_snils(rng: random.Random) -> str:
    digits = _random_snils(rng)
    wrong = (int(digits[9:]) + rng.randint(1, 98)) % 100
    return f"{digits[:9]}{wrong:02d}"


# Surnames rare enough that a stranger is not taken for a register person by ФИО + birth date.
_SURNAMES = (
    ("ЗАБОЛОТНЫЙ", "ЗАБОЛОТНАЯ"),
    ("КРУТИКОВ", "КРУТИКОВА"),
    ("ЛЕВАШОВ", "ЛЕВАШОВА"),
    ("ОВЧИННИКОВ", "ОВЧИННИКОВА"),
    ("ПРОХОРЕНКО", "ПРОХОРЕНКО"),
    ("РАСТОРГУЕВ", "РАСТОРГУЕВА"),
    ("СЕЛИВЕРСТОВ", "СЕЛИВЕРСТОВА"),
    ("ТРЕТЬЯКОВ", "ТРЕТЬЯКОВА"),
    ("УШАКОВ", "УШАКОВА"),
    ("ХАРИТОНОВ", "ХАРИТОНОВА"),
    ("ЧЕРНЫШЁВ", "ЧЕРНЫШЁВА"),
    ("ШУВАЛОВ", "ШУВАЛОВА"),
)
_MALE_NAMES = ("АРТЁМ", "БОРИС", "ВАДИМ", "ГЛЕБ", "ДАНИИЛ", "ЕГОР", "ЗАХАР", "ЛЕВ", "МАТВЕЙ")
_FEMALE_NAMES = ("АЛИНА", "ВЕРА", "ГАЛИНА", "ДАРЬЯ", "ЕВА", "ЗОЯ", "ЛИДИЯ", "МИЛАНА", "ЯНА")
_PATRONYMICS = (
    ("АРКАДЬЕВИЧ", "АРКАДЬЕВНА"),
    ("ВЛАДЛЕНОВИЧ", "ВЛАДЛЕНОВНА"),
    ("ГЕННАДЬЕВИЧ", "ГЕННАДЬЕВНА"),
    ("ЕФИМОВИЧ", "ЕФИМОВНА"),
    ("ИННОКЕНТЬЕВИЧ", "ИННОКЕНТЬЕВНА"),
    ("ЛЕОНИДОВИЧ", "ЛЕОНИДОВНА"),
    ("РОСТИСЛАВОВИЧ", "РОСТИСЛАВОВНА"),
)


def _stranger(
    rng: random.Random,
    region_code: str,
    on: date,
    *,
    min_age: int,
    max_age: int,
    sex: int | None = None,
) -> dict[str, Any]:
    """A plausible adult who is not in the register, with valid identifiers."""
    sex = sex or rng.choice((1, 2))
    i = sex - 1
    birth = on - timedelta(days=rng.randint(min_age * 365 + 1, max_age * 365 + 300))
    age = _age(birth, on)
    passport_age = 45 if age >= 45 else 20 if age >= 20 else 14
    at_age = birth.replace(year=birth.year + passport_age, day=min(birth.day, 28))
    issued = min(on, at_age + timedelta(days=rng.randint(0, 60)))
    return {
        "enp": make_enp(region_code, birth, sex, rng.randint(50_000, 99_999)),
        "surname": rng.choice(_SURNAMES)[i],
        "name": rng.choice(_MALE_NAMES if sex == 1 else _FEMALE_NAMES),
        "patronymic": rng.choice(_PATRONYMICS)[i] if rng.random() < 0.95 else None,
        "sex": sex,
        "birth_date": birth,
        "snils": _random_snils(rng),
        "doc_type": 14,
        "doc_series": f"{rng.randint(10, 99)} {issued.year % 100:02d}",
        "doc_number": f"{rng.randint(0, 999_999):06d}",
        "doc_issue_date": issued,
        "birth_place": rng.choice(("Г. МОСКВА", "Г. ТУЛА", "Г. КАЛУГА", "Г. РЯЗАНЬ")),
        "reg_address": "Московская обл., г. Коломна, ул. Октябрьская, д. 5",
        "status": "insured",
        "death_date": None,
    }


def _interleave(
    main: Iterable[dict[str, Any]], extras: list[Any], rng: random.Random
) -> Iterator[tuple[str, Any]]:
    """Main items in order, with the extras dropped in at random places.

    Spread over the whole file when ``main`` has a length; otherwise (a stream) at random
    gaps of up to 40 items, the rest at the end.
    """
    pending = list(extras)
    rng.shuffle(pending)
    if isinstance(main, Sized):
        # after[i]: how many extras follow the i-th main item (index -1: before the first)
        after = Counter(rng.randint(-1, len(main) - 1) for _ in pending)
        yield from (("extra", pending.pop()) for _ in range(after[-1]))
        for i, item in enumerate(main):
            yield "main", item
            yield from (("extra", pending.pop()) for _ in range(after[i]))
        return
    gap = rng.randint(1, 40)
    for item in main:
        yield "main", item
        gap -= 1
        if gap == 0 and pending:
            yield "extra", pending.pop()
            gap = rng.randint(1, 40)
    while pending:
        yield "extra", pending.pop()


# --- streaming XML -------------------------------------------------------------------------

_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _checked(value: str) -> str:
    if _NOT_XML_CHAR.search(value):
        raise ValueError(f"a character XML cannot carry: {value!r}")
    return value


def _empty_element(name: str, attrs: Iterable[tuple[str, str | None]], indent: str) -> str:
    rendered = "".join(
        f' {key}="{_checked(value).translate(_ATTR_ESCAPES)}"'
        for key, value in attrs
        if value is not None
    )
    return f"{indent}<{name}{rendered}/>\n"


def _text_element(name: str, text: str, indent: str) -> str:
    return f"{indent}<{name}>{_checked(text).translate(_TEXT_ESCAPES)}</{name}>\n"


def _declared_name(encoding: str) -> str:
    codec = codecs.lookup(encoding).name
    if codec == "cp1251":
        return "windows-1251"
    if codec == "utf-8":
        return "UTF-8"
    raise ValueError(f"packages are written in windows-1251 or UTF-8, not {encoding!r}")


def _target(path: Path, name: str) -> Path:
    """``path`` itself, or the standard name inside it when it is a directory."""
    return path / name if path.is_dir() else path


class _XmlPackageWriter:
    """Records go to a temporary body file; :meth:`finish` puts the header in front of it.

    The file appears under its name only when complete (an inbox watcher never sees half).
    """

    def __init__(self, path: Path, encoding: str, bom: bool):
        self.path = path
        self.declared = _declared_name(encoding)
        if bom and self.declared != "UTF-8":
            raise ValueError("a byte order mark goes only with UTF-8")
        self.bom = bom
        self.codec = codecs.lookup(encoding).name
        self.records = 0
        self._body_path = path.with_name(f".{path.name}.body")
        self._part_path = path.with_name(f".{path.name}.part")
        # Characters the encoding lacks become character references: still the same text.
        self._body = open(  # noqa: SIM115 - closed in finish() / close()
            self._body_path, "w", encoding=self.codec, errors="xmlcharrefreplace", newline="\n"
        )

    def next_number(self) -> int:
        """Number of the record about to be written (НомЗап)."""
        self.records += 1
        return self.records

    def write(self, text: str) -> None:
        self._body.write(text)

    def finish(self, root: str, header: list[tuple[str, str | None]]) -> str:
        """Write the file (declaration, header, body, end tag); its sha256."""
        self._body.close()
        digest = hashlib.sha256()
        start = _empty_element(root, header, "")[:-3] + ">\n"
        prolog = f'<?xml version="1.0" encoding="{self.declared}"?>\n'
        head = (codecs.BOM_UTF8 if self.bom else b"") + (prolog + start).encode(
            self.codec, errors="xmlcharrefreplace"
        )
        with open(self._part_path, "wb") as out, open(self._body_path, "rb") as body:
            for chunk in itertools.chain(
                (head,), iter(lambda: body.read(1 << 20), b""), (f"</{root}>\n".encode(self.codec),)
            ):
                out.write(chunk)
                digest.update(chunk)
        os.replace(self._part_path, self.path)
        return digest.hexdigest()

    def close(self) -> None:
        self._body.close()
        for leftover in (self._body_path, self._part_path):
            leftover.unlink(missing_ok=True)


# --- ФНС -----------------------------------------------------------------------------------

#: Record-level faults of a ФНС package, one per faulty record, in this order of cycling.
FNS_FAULTS = (
    "snils_check",
    "impossible_date",
    "birth_after_file_date",
    "unknown_doc_code",
    "empty_surname",
    "bad_sex",
    "no_identifiers",
)


@dataclass
class _FnsRecord:
    surname: str
    name: str
    patronymic: str | None
    birth_date: str
    sex: str
    snils: str | None  # formatted, or as the fault wants it
    inn: str | None
    document: tuple[str, str, str] | None
    accrued: str = "1"
    self_paying: str = "0"

    def xml(self, number: int) -> str:
        parts = [
            f'  <СвЗЛ НомЗап="{number}" НачВзн="{self.accrued}" ПлатСам="{self.self_paying}">\n',
            _empty_element(
                "ФИО",
                (("Фамилия", self.surname), ("Имя", self.name), ("Отчество", self.patronymic)),
                "    ",
            ),
            _empty_element(
                "СведЗЛ",
                (
                    ("ДатаРожд", self.birth_date),
                    ("Пол", self.sex),
                    ("СНИЛС", self.snils),
                    ("ИННФЛ", self.inn),
                ),
                "    ",
            ),
        ]
        if self.document is not None:
            code, series_number, issued = self.document
            parts.append(
                _empty_element(
                    "УдЛичн",
                    (("КодВидДок", code), ("СерНомДок", series_number), ("ДатаДок", issued)),
                    "    ",
                )
            )
        parts.append("  </СвЗЛ>\n")
        return "".join(parts)


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None


def _fns_record(person: dict[str, Any], inn: str | None) -> _FnsRecord | None:
    snils = person.get("snils")
    document = _fns_document(person)
    if not snils and document is None:
        return None
    return _FnsRecord(
        surname=person["surname"].upper(),
        name=person["name"].upper(),
        patronymic=_upper(person.get("patronymic")),
        birth_date=_ru(person["birth_date"]),
        sex=str(person["sex"]),
        snils=format_snils(snils) if snils else None,
        inn=inn,
        document=document,
    )


def _contributions(record: _FnsRecord, rng: random.Random) -> None:
    """НачВзн / ПлатСам: most are employees; some are ИП (paying for themselves)."""
    draw = rng.random()
    if draw < 0.06:  # ИП, lawyer, …; a quarter of them also employed somewhere
        record.self_paying = "1"
        record.accrued = "1" if rng.random() < 0.25 else "0"
    elif draw < 0.09:  # in the personalised data, but nothing accrued this quarter
        record.accrued = "0"


def _fns_fault(
    kind: str, rng: random.Random, region_code: str, formed: date
) -> tuple[_FnsRecord, Fault]:
    person = _stranger(rng, region_code, formed, min_age=20, max_age=60)
    record = _fns_record(person, None)
    assert record is not None
    if kind == "snils_check":
        wrong = _wrong_snils(rng)
        record.snils = format_snils(wrong)
        fault = Fault(kind, "snils", f"Неверное контрольное число СНИЛС {record.snils}")
    elif kind == "impossible_date":
        record.birth_date = f"31.02.{rng.randint(1965, 2000)}"
        fault = Fault(kind, "birth_date", f"Несуществующая дата рождения {record.birth_date}")
    elif kind == "birth_after_file_date":
        record.birth_date = _ru(formed + timedelta(days=rng.randint(1, 300)))
        fault = Fault(kind, "birth_date", "Дата рождения позже даты формирования файла")
    elif kind == "unknown_doc_code":
        _, series_number, issued = record.document or ("", "", "")
        record.document = (UNKNOWN_DOCUMENT_CODE, series_number, issued)
        fault = Fault(kind, "doc_type", f"Неизвестный код вида документа {UNKNOWN_DOCUMENT_CODE}")
    elif kind == "empty_surname":
        record.surname = ""
        fault = Fault(kind, "surname", "Не указана фамилия")
    elif kind == "bad_sex":
        record.sex = "3"
        fault = Fault(kind, "sex", "Пол должен быть 1 или 2, указано 3")
    elif kind == "no_identifiers":
        record.snils = None
        record.document = None
        fault = Fault(kind, "snils", "Нет ни СНИЛС, ни документа, удостоверяющего личность")
    else:
        raise ValueError(f"unknown ФНС fault {kind!r}")
    return record, fault


def _fault_kinds(kinds: tuple[str, ...], count: int) -> list[str]:
    return list(itertools.islice(itertools.cycle(kinds), count))


def write_fns_package(
    path: Path,
    persons: Iterable[dict[str, Any]],
    *,
    region_code: str,
    year: int,
    quarter: int,
    number: int,
    formed: date,
    rng: random.Random,
    encoding: str = "windows-1251",
    unmatched: int = 0,
    faulty: int = 0,
    bom: bool = False,
) -> PackageSummary:
    """Write a ФНС working-persons package (FORMATS.md §1), streaming.

    ``persons`` are register persons (all present in the ФНС data of the quarter); one
    without СНИЛС and without a document ФНС has a code for is left out (``skipped_enps``).
    ``unmatched`` strangers and ``faulty`` records (cycling through :data:`FNS_FAULTS`) are
    dropped in between. ``path`` may be a directory: the standard name is used inside it.
    """
    path = _target(path, fns_package_name(region_code, year, quarter, number))
    extras = [("unmatched", None)] * unmatched + [
        ("faulty", kind) for kind in _fault_kinds(FNS_FAULTS, faulty)
    ]
    summary = PackageSummary(path=path, sha256="", records=0, bom=bom)
    writer = _XmlPackageWriter(path, encoding, bom)
    summary.encoding = writer.declared
    bad_inn_left = 1  # the first ИНН of the file is wrong, then one in two hundred
    try:
        for kind, item in _interleave(persons, extras, rng):
            if kind == "main":
                inn = _person_inn(item["enp"], region_code)
                record = _fns_record(item, inn)
                if record is None:
                    summary.skipped_enps.append(item["enp"])
                    continue
                _contributions(record, rng)
                n = writer.next_number()
                summary.matched_enps.append(item["enp"])
                if inn is not None and (bad_inn_left or rng.random() < 0.005):
                    bad_inn_left = 0
                    record.inn = _break_inn(inn)
                    summary.warnings[n] = Fault(
                        "inn_check", "inn", "Неверные контрольные цифры ИНН (предупреждение)"
                    )
            elif item[0] == "unmatched":
                stranger = _stranger(rng, region_code, formed, min_age=18, max_age=64)
                record = _fns_record(stranger, _person_inn(stranger["enp"], region_code))
                assert record is not None
                n = writer.next_number()
                summary.unmatched_numbers.append(n)
            else:
                record, fault = _fns_fault(item[1], rng, region_code, formed)
                n = writer.next_number()
                summary.faulty[n] = fault
            writer.write(record.xml(n))
        summary.records = writer.records
        summary.sha256 = writer.finish(
            "ФайлФНС",
            [
                ("ИдФайл", path.stem),
                ("ВерсФорм", FORM_VERSION),
                ("КодТФОМС", region_code),
                ("Год", str(year)),
                ("Квартал", str(quarter)),
                ("ДатаФорм", _ru(formed)),
                ("КолЗап", str(writer.records)),
            ],
        )
    finally:
        writer.close()
    return summary


# --- ЗАГС ----------------------------------------------------------------------------------

#: Record-level faults of a ЗАГС package, one per faulty record, in this order of cycling.
ZAGS_FAULTS = (
    "death_before_birth",
    "impossible_death_date",
    "death_after_file_date",
    "snils_check",
    "unknown_doc_code",
    "empty_surname",
    "bad_sex",
)


@dataclass
class _ZagsRecord:
    surname: str
    name: str
    patronymic: str | None
    sex: str
    birth_date: str
    death_date: str
    act_number: str
    act_date: str
    office: str
    snils: str | None = None
    document: tuple[str, str, str] | None = None
    birth_place: str | None = None
    address: str | None = None

    def xml(self, number: int) -> str:
        parts = [
            f'  <СведСмерт НомЗап="{number}" Пол="{_checked(self.sex).translate(_ATTR_ESCAPES)}"'
            f' ДатаРожд="{self.birth_date}" ДатаСмерт="{self.death_date}">\n',
            _empty_element(
                "ФИО",
                (("Фамилия", self.surname), ("Имя", self.name), ("Отчество", self.patronymic)),
                "    ",
            ),
            _empty_element(
                "АктЗапись",
                (("Номер", self.act_number), ("Дата", self.act_date), ("КодЗАГС", self.office)),
                "    ",
            ),
        ]
        if self.snils is not None:
            parts.append(_text_element("СНИЛС", self.snils, "    "))
        if self.document is not None:
            code, series_number, issued = self.document
            parts.append(
                _empty_element(
                    "УдЛичн",
                    (("КодВидДок", code), ("СерНомДок", series_number), ("ДатаДок", issued)),
                    "    ",
                )
            )
        if self.birth_place is not None:
            parts.append(_text_element("МестоРожд", self.birth_place, "    "))
        if self.address is not None:
            parts.append(_text_element("ПослАдрес", self.address, "    "))
        parts.append("  </СведСмерт>\n")
        return "".join(parts)


def _act(rng: random.Random, region_code: str, died: date, formed: date) -> tuple[str, str, str]:
    """(act record number, act date, ЗАГС office code) of a death registration.

    Convention: the 21 digits are 1, the office's 7 digits, the act year, a 9-digit sequence;
    the office code is R, the region code and 5 digits ("R5000012").
    """
    office = rng.randint(1, 99)
    registered = min(died + timedelta(days=rng.randint(0, 7)), max(formed, died))
    act_number = (
        f"1{int(region_code):02d}{office:05d}{registered.year:04d}{rng.randint(1, 99_999):09d}"
    )
    return act_number, _ru(registered), f"R{region_code}{office:05d}"


def _zags_record(
    person: dict[str, Any],
    died: date,
    rng: random.Random,
    region_code: str,
    formed: date,
    *,
    identifiers: bool = True,
) -> _ZagsRecord:
    act_number, act_date, office = _act(rng, region_code, died, formed)
    record = _ZagsRecord(
        surname=person["surname"].upper(),
        name=person["name"].upper(),
        patronymic=_upper(person.get("patronymic")),
        sex=str(person["sex"]),
        birth_date=_ru(person["birth_date"]),
        death_date=_ru(died),
        act_number=act_number,
        act_date=act_date,
        office=office,
    )
    if identifiers:
        if person.get("snils") and rng.random() < 0.85:
            record.snils = format_snils(person["snils"])
        if rng.random() < 0.7:
            record.document = _fns_document(person)
    if person.get("birth_place") and rng.random() < 0.5:
        record.birth_place = person["birth_place"].upper()
    if person.get("reg_address") and rng.random() < 0.6:
        record.address = person["reg_address"]
    return record


def _recent_death(rng: random.Random, birth: date, formed: date) -> date:
    return max(birth, formed - timedelta(days=rng.randint(1, 60)))


def _zags_fault(
    kind: str, rng: random.Random, region_code: str, formed: date
) -> tuple[_ZagsRecord, Fault]:
    person = _stranger(rng, region_code, formed, min_age=40, max_age=90)
    died = _recent_death(rng, person["birth_date"], formed)
    record = _zags_record(person, died, rng, region_code, formed)
    if kind == "death_before_birth":
        record.death_date = _ru(person["birth_date"] - timedelta(days=rng.randint(1, 400)))
        fault = Fault(kind, "death_date", "Дата смерти раньше даты рождения")
    elif kind == "impossible_death_date":
        record.death_date = f"30.02.{formed.year}"
        fault = Fault(kind, "death_date", f"Несуществующая дата смерти {record.death_date}")
    elif kind == "death_after_file_date":
        record.death_date = _ru(formed + timedelta(days=rng.randint(1, 30)))
        fault = Fault(kind, "death_date", "Дата смерти позже даты формирования файла")
    elif kind == "snils_check":
        record.snils = format_snils(_wrong_snils(rng))
        fault = Fault(kind, "snils", f"Неверное контрольное число СНИЛС {record.snils}")
    elif kind == "unknown_doc_code":
        _, series_number, issued = _fns_document(person) or ("", "", "")
        record.document = (UNKNOWN_DOCUMENT_CODE, series_number, issued)
        fault = Fault(kind, "doc_type", f"Неизвестный код вида документа {UNKNOWN_DOCUMENT_CODE}")
    elif kind == "empty_surname":
        record.surname = ""
        fault = Fault(kind, "surname", "Не указана фамилия")
    elif kind == "bad_sex":
        record.sex = "0"
        fault = Fault(kind, "sex", "Пол должен быть 1 или 2, указано 0")
    else:
        raise ValueError(f"unknown ЗАГС fault {kind!r}")
    return record, fault


def write_zags_package(
    path: Path,
    deaths: Iterable[dict[str, Any]],
    *,
    region_code: str,
    formed: date,
    number: int,
    rng: random.Random,
    encoding: str = "windows-1251",
    unmatched: int = 0,
    ambiguous: int = 0,
    faulty: int = 0,
    bom: bool = False,
) -> PackageSummary:
    """Write a ЗАГС deaths package (FORMATS.md §3), streaming.

    ``deaths`` are register persons with ``death_date`` set. The first ``ambiguous`` of them
    are written with ФИО and birth date only (no СНИЛС, no document): the caller passes
    persons who have a namesake in the register (same ФИО and birth date), so that these
    records match more than one person. ``unmatched`` deaths of strangers and ``faulty``
    records (cycling through :data:`ZAGS_FAULTS`) are dropped in between. ``path`` may be a
    directory: the standard name is used inside it.
    """
    path = _target(path, zags_package_name(region_code, formed, number))
    extras = [("unmatched", None)] * unmatched + [
        ("faulty", kind) for kind in _fault_kinds(ZAGS_FAULTS, faulty)
    ]
    summary = PackageSummary(path=path, sha256="", records=0, bom=bom)
    writer = _XmlPackageWriter(path, encoding, bom)
    summary.encoding = writer.declared
    try:
        main_seen = 0
        for kind, item in _interleave(deaths, extras, rng):
            n = writer.next_number()
            if kind == "main":
                died = item.get("death_date")
                if died is None:
                    raise ValueError(f"death of {item.get('enp')} without death_date")
                vague = main_seen < ambiguous
                main_seen += 1
                record = _zags_record(item, died, rng, region_code, formed, identifiers=not vague)
                if vague:
                    summary.ambiguous_enps[n] = item["enp"]
                else:
                    summary.matched_enps.append(item["enp"])
            elif item[0] == "unmatched":
                stranger = _stranger(rng, region_code, formed, min_age=30, max_age=95)
                died = _recent_death(rng, stranger["birth_date"], formed)
                record = _zags_record(stranger, died, rng, region_code, formed)
                summary.unmatched_numbers.append(n)
            else:
                record, summary.faulty[n] = _zags_fault(item[1], rng, region_code, formed)
            writer.write(record.xml(n))
        summary.records = writer.records
        summary.sha256 = writer.finish(
            "ФайлЗАГС",
            [
                ("ИдФайл", path.stem),
                ("ВерсФорм", FORM_VERSION),
                ("Источник", ZAGS_SOURCE),
                ("ДатаФорм", _ru(formed)),
                ("КолЗап", str(writer.records)),
            ],
        )
    finally:
        writer.close()
    return summary


# --- военкомат -----------------------------------------------------------------------------

#: Row-level faults of a военкомат workbook, one per faulty row, in this order of cycling.
MILITARY_FAULTS = ("enp_number", "unknown_event", "missing_birth_date")

_DATE_FORMAT = "DD.MM.YYYY"


def _excel_rounded(enp: str) -> int:
    """The ЕНП as Excel keeps a number: 15 significant digits, the 16th lost."""
    return int(float(f"{int(enp):.15g}"))


def _event_word(event: str, rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.08:
        return event.lower() + " "
    if draw < 0.16:
        return event.capitalize()
    if draw < 0.2:
        return f" {event}  "
    return event


def _date_cell(value: date, rng: random.Random) -> date | str:
    return _ru(value) if rng.random() < 0.15 else value


def _snils_cell(snils: str | None, rng: random.Random) -> str | int | None:
    if not snils:
        return None
    draw = rng.random()
    if draw < 0.05:
        return None
    if draw < 0.3:  # a number cell: leading zeros are lost, the reader restores them
        return int(snils)
    if draw < 0.45:
        return snils
    return format_snils(snils)


def _military_row(event: dict[str, Any], rng: random.Random, commissariat: str) -> list[Any]:
    doc_type = event.get("doc_type")
    series, number = event.get("doc_series"), event.get("doc_number")
    series_number = " ".join(str(p) for p in (series, number) if p) or None
    return [
        None,  # № п/п, filled in by the caller
        event["surname"],
        event["name"],
        event.get("patronymic"),
        _date_cell(event["birth_date"], rng),
        _snils_cell(event.get("snils"), rng),
        event.get("enp") if rng.random() < 0.95 else None,
        doc_type,
        series_number,
        _event_word(event["event"], rng),
        _date_cell(event["event_date"], rng),
        event.get("commissariat_code") or commissariat,
    ]


def _military_fault(
    kind: str, rng: random.Random, region_code: str, on: date, commissariat: str
) -> tuple[list[Any], Fault]:
    person = _stranger(rng, region_code, on, min_age=18, max_age=26, sex=1)
    person["surname"] = person["surname"].capitalize()
    person["name"] = person["name"].capitalize()
    person["patronymic"] = _capitalized(person["patronymic"])
    event = {**person, "event": CALL_UP, "event_date": on - timedelta(days=rng.randint(1, 60))}
    row = _military_row(event, rng, commissariat)
    row[9] = CALL_UP
    if kind == "enp_number":
        row[6] = _excel_rounded(person["enp"])
        fault = Fault(kind, "enp", "ЕНП записан числом: 16-значное число теряет точность")
    elif kind == "unknown_event":
        row[9] = "ОТСРОЧКА"
        fault = Fault(kind, "event", "Неизвестное событие «ОТСРОЧКА»")
    elif kind == "missing_birth_date":
        row[4] = None
        fault = Fault(kind, "birth_date", "Не указана дата рождения")
    else:
        raise ValueError(f"unknown военкомат fault {kind!r}")
    return row, fault


def _capitalized(value: str | None) -> str | None:
    return value.capitalize() if value else None


def _save_reproducibly(workbook: Workbook, path: Path, stamp: datetime) -> str:
    """Save with fixed timestamps (zip entries, core properties): same content, same bytes.

    A package is identified by its sha256, so regenerating the demo must not make new ones.
    """
    workbook.properties.creator = "РС ЕРЗ, синтетический регион"
    workbook.properties.created = stamp
    part = path.with_name(f".{path.name}.part")
    raw = path.with_name(f".{path.name}.raw")
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    try:
        workbook.save(raw)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(part, "w") as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "docProps/core.xml":
                    data = re.sub(
                        rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                        rb"\g<1>" + iso + rb"\g<2>",
                        data,
                    )
                entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = info.external_attr
                dst.writestr(entry, data)
        digest = hashlib.sha256(part.read_bytes()).hexdigest()
        os.replace(part, path)
    finally:
        raw.unlink(missing_ok=True)
        part.unlink(missing_ok=True)
    return digest


def write_military_workbook(
    path: Path,
    events: Iterable[dict[str, Any]],
    *,
    rng: random.Random,
    faulty: int = 0,
) -> PackageSummary:
    """Write a военкомат workbook (FORMATS.md §2): conscripts and discharged, one per row.

    ``events`` are register persons plus ``event`` (:data:`CALL_UP` / :data:`DISCHARGE`) and
    ``event_date``; optional ``commissariat_code``. The data are on the first sheet; the
    second, a decoy, is the active one. Variants a reader must cope with: dates as date cells
    or text, СНИЛС formatted, bare or as a number cell, event words in other case and with
    spaces, an empty row in the middle. ``faulty`` rows cycle through :data:`MILITARY_FAULTS`.
    Record numbers in the summary are worksheet rows.
    """
    items = list(events)  # a военкомат list is small; the workbook is built in memory anyway
    region_code = next((e["enp"][:2] for e in items if e.get("enp")), "50")
    latest = max((e["event_date"] for e in items), default=date(2000, 1, 1))
    commissariats = [f"{region_code}{rng.randint(1, 40):03d}" for _ in range(3)]
    extras = [("faulty", kind) for kind in _fault_kinds(MILITARY_FAULTS, faulty)]

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = MILITARY_SHEET
    sheet.append(list(MILITARY_HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    summary = PackageSummary(path=path, sha256="", records=0, encoding="xlsx", first_number=2)
    empty_after = (len(items) + len(extras)) // 2 or None
    row_number = 1
    for kind, item in _interleave(items, extras, rng):
        commissariat = rng.choice(commissariats)
        row_number += 1
        if kind == "main":
            row = _military_row(item, rng, commissariat)
            summary.matched_enps.append(item["enp"])
        else:
            row, summary.faulty[row_number] = _military_fault(
                item[1], rng, region_code, latest, commissariat
            )
        summary.records += 1
        row[0] = summary.records
        sheet.append(row)
        for column in (5, 11):  # Дата рождения, Дата события
            cell = sheet.cell(row_number, column)
            if isinstance(cell.value, date):
                cell.number_format = _DATE_FORMAT
        if summary.records == empty_after:
            row_number += 1
            summary.empty_rows.append(row_number)
            sheet.append([])  # moves on by one row and writes nothing
    for letter, width in zip(
        "ABCDEFGHIJKL", (7, 16, 12, 16, 14, 16, 19, 9, 16, 13, 14, 15), strict=True
    ):
        sheet.column_dimensions[letter].width = width

    decoy = workbook.create_sheet(DECOY_SHEET)
    decoy.append(list(MILITARY_HEADER))
    decoy.append(list(_DECOY_ROW))
    workbook.active = decoy
    sheet.sheet_view.tabSelected = False
    decoy.sheet_view.tabSelected = True

    summary.sha256 = _save_reproducibly(
        workbook, path, datetime(latest.year, latest.month, latest.day, 12)
    )
    return summary


# --- files to be refused whole ---------------------------------------------------------------

_SAMPLE_FNS = """<?xml version="1.0" encoding="{encoding}"?>
<ФайлФНС ИдФайл="{file_id}" ВерсФорм="1.00" КодТФОМС="{region}"
         Год="2026" Квартал="3" ДатаФорм="14.11.2026" КолЗап="{count}">
  <СвЗЛ НомЗап="1" НачВзн="1" ПлатСам="0">
    {first_children}
  </СвЗЛ>
  <СвЗЛ НомЗап="2" НачВзн="0" ПлатСам="1">
    <ФИО Фамилия="ПЕТРОВА" Имя="АННА"/>
    <СведЗЛ ДатаРожд="03.02.1979" Пол="2" СНИЛС="123-456-789 64"/>
  </СвЗЛ>
</ФайлФНС>
"""
_FIO = '<ФИО Фамилия="ИВАНОВ" Имя="ИВАН" Отчество="ИВАНОВИЧ"/>'
_SVED = '<СведЗЛ ДатаРожд="15.07.1985" Пол="1" СНИЛС="112-233-445 95" ИННФЛ="500100732259"/>'
_DOC = '<УдЛичн КодВидДок="21" СерНомДок="45 12 345678" ДатаДок="10.05.2012"/>'

_SAMPLE_ZAGS = """<?xml version="1.0" encoding="windows-1251"?>
<ФайлЗАГС ИдФайл="{file_id}" ВерсФорм="1.00" Источник="ЕГР ЗАГС"
          ДатаФорм="01.11.2026" КолЗап="1">
  <СведСмерт НомЗап="1" Пол="1" ДатаРожд="15.07.1985" ДатаСмерт="02.10.2026">
    <ФИО Фамилия="ИВАНОВ" Имя="ИВАН" Отчество="ИВАНОВИЧ"/>
    {act}
    <СНИЛС>112-233-445 95</СНИЛС>
  </СведСмерт>
</ФайлЗАГС>
"""
_ACT = '<АктЗапись Номер="170269500001200012345" Дата="05.10.2026" КодЗАГС="R5000012"/>'

_BILLION_LAUGHS = """<!DOCTYPE ФайлФНС [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""
_EXTERNAL_ENTITY = '<!DOCTYPE ФайлФНС [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'

#: Broken samples: name part → (package type whose channel receives it, expected reject code).
MALFORMED_SAMPLES: dict[str, tuple[str, str]] = {
    "billion_laughs": ("fns_working", "doctype"),
    "external_entity": ("fns_working", "doctype"),
    "truncated": ("fns_working", "truncated"),
    "wrong_root": ("fns_working", "wrong_root"),
    "count_mismatch": ("fns_working", "count_mismatch"),
    "invalid_utf8": ("fns_working", "encoding"),
    "cp1251_undeclared": ("fns_working", "encoding"),
    "element_out_of_place": ("fns_working", "schema"),
    "missing_attribute": ("fns_working", "schema"),
    "missing_act_record": ("zags_deaths", "schema"),
}


def _malformed_bytes(kind: str, file_id: str, region_code: str) -> bytes:
    children = f"{_FIO}\n    {_SVED}\n    {_DOC}"
    fns = {"file_id": file_id, "region": region_code, "count": 2, "encoding": "windows-1251"}

    def sample(**changes: Any) -> str:
        return _SAMPLE_FNS.format(**{**fns, "first_children": children, **changes})

    def with_doctype(doctype: str, reference: str) -> bytes:
        text = sample(first_children=children.replace('"ИВАНОВ"', f'"{reference}"'))
        declaration, rest = text.split("\n", 1)
        return f"{declaration}\n{doctype}{rest}".encode("cp1251")

    if kind == "billion_laughs":
        return with_doctype(_BILLION_LAUGHS, "&lol9;")
    if kind == "external_entity":
        return with_doctype(_EXTERNAL_ENTITY, "&xxe;")
    if kind == "truncated":
        data = sample().encode("cp1251")
        cut = data.index("<СведЗЛ ДатаРожд=".encode("cp1251")) + len('<СведЗЛ ДатаРожд="15.0')
        return data[:cut]  # stops inside an attribute value of the first record
    if kind == "wrong_root":
        return _SAMPLE_ZAGS.format(file_id=file_id, act=_ACT).encode("cp1251")
    if kind == "count_mismatch":
        return sample(count=3).encode("cp1251")
    if kind == "invalid_utf8":
        return sample(encoding="UTF-8").encode("cp1251")
    if kind == "cp1251_undeclared":
        return sample().split("\n", 1)[1].encode("cp1251")
    if kind == "element_out_of_place":
        return sample(first_children=f"{_DOC}\n    {_FIO}\n    {_SVED}").encode("cp1251")
    if kind == "missing_attribute":
        return sample(first_children=children.replace(' ДатаРожд="15.07.1985"', "")).encode(
            "cp1251"
        )
    if kind == "missing_act_record":
        return _SAMPLE_ZAGS.format(file_id=file_id, act="").encode("cp1251")
    raise ValueError(f"unknown malformed sample {kind!r}")


def write_malformed_samples(directory: Path, *, region_code: str = "50") -> list[Path]:
    """Files that must be refused whole, one per kind of :data:`MALFORMED_SAMPLES`.

    Named ``<FNS|ZAGS>_<region>_<kind>.xml``: the prefix tells the channel (package type).
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, (package_type, _) in MALFORMED_SAMPLES.items():
        prefix = "FNS" if package_type == "fns_working" else "ZAGS"
        path = directory / f"{prefix}_{region_code}_{kind}.xml"
        path.write_bytes(_malformed_bytes(kind, path.stem, region_code))
        paths.append(path)
    return paths


def malformed_kind(path: Path) -> str:
    """The :data:`MALFORMED_SAMPLES` kind of a file written by :func:`write_malformed_samples`."""
    return path.stem.split("_", 2)[2]


# --- the demo set --------------------------------------------------------------------------


def _last_finished_quarter(today: date) -> tuple[int, int, date]:
    """(year, quarter, last day) of the last quarter that ended before ``today``."""
    quarter = (today.month - 1) // 3  # the current one is quarter + 1
    year = today.year
    if quarter == 0:
        year, quarter = year - 1, 4
    last_month = quarter * 3
    return year, quarter, date(year, last_month, calendar.monthrange(year, last_month)[1])


def _weighted_sample(
    rng: random.Random, people: list[dict[str, Any]], k: int, weight: Any
) -> list[dict[str, Any]]:
    """``k`` people without replacement, with probability growing with ``weight(person)``."""
    keyed = [(rng.random() ** (1.0 / weight(p)), i) for i, p in enumerate(people)]
    keyed.sort(reverse=True)
    return [people[i] for _, i in keyed[:k]]


def write_demo_packages(
    out_dir: Path,
    persons: list[dict[str, Any]],
    *,
    region_code: str,
    today: date,
    seed: int,
) -> list[PackageSummary]:
    """The inbound files of the demo region, chosen from ``persons`` (the register).

    * ФНС (windows-1251) for the last finished quarter: ~60 % of the working-age insured,
      20 strangers and one record of each fault kind;
    * a small ФНС variant in UTF-8 with a BOM (a subset of the same persons, 2 strangers);
    * ЗАГС: deaths of ~0.3 % of the insured (older people more likely) the register does not
      know yet, 5 strangers, one record per namesake group found in the sample (up to 3,
      ambiguous: ФИО and birth date only) and one record of each fault kind;
    * военкомат: ~50 men aged 18–27 called up and ~20 discharged (persons suspended with
      reason П025 first, others of 19–28 when the sample has too few), 3 faulty rows;
    * the broken samples in ``out_dir/malformed`` (not in the returned list).

    Deterministic: the same persons (in the same order), date and seed give the same bytes.
    """
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    current = [p for p in persons if _is_current(p)]

    year, quarter, quarter_end = _last_finished_quarter(today)
    fns_formed = min(today, quarter_end + timedelta(days=45))
    working_age = [
        p
        for p in current
        if 18 <= _age(p["birth_date"], quarter_end) < _PENSION_AGE.get(p["sex"], 60)
    ]
    working = [p for p in working_age if rng.random() < 0.6]
    fns_args: dict[str, Any] = {
        "region_code": region_code,
        "year": year,
        "quarter": quarter,
        "formed": fns_formed,
        "rng": rng,
    }
    summaries = [
        write_fns_package(
            out_dir, working, number=1, unmatched=20, faulty=len(FNS_FAULTS), **fns_args
        ),
        write_fns_package(
            out_dir,
            rng.sample(working, min(30, len(working))),
            number=2,
            encoding="utf-8",
            bom=True,
            unmatched=2,
            **fns_args,
        ),
    ]

    namesakes: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for p in current:
        key = (p["surname"].upper(), p["name"].upper(), _upper(p.get("patronymic")))
        namesakes.setdefault((*key, p["birth_date"]), []).append(p)
    groups = [group for group in namesakes.values() if len(group) > 1]
    vague = [rng.choice(group) for group in groups[:3]]
    in_groups = {p["enp"] for group in groups for p in group}
    candidates = [p for p in current if p["enp"] not in in_groups]
    dying = _weighted_sample(
        rng,
        candidates,
        max(1, round(len(current) * 0.003)) if candidates else 0,
        lambda p: 2.0 ** (_age(p["birth_date"], today) / 8),
    )
    deaths = [
        {**p, "death_date": _recent_death(rng, p["birth_date"], today)} for p in vague + dying
    ]
    summaries.append(
        write_zags_package(
            out_dir,
            deaths,
            region_code=region_code,
            formed=today,
            number=1,
            rng=rng,
            unmatched=5,
            ambiguous=len(vague),
            faulty=len(ZAGS_FAULTS),
        )
    )

    dead = {p["enp"] for p in deaths}
    men = [p for p in current if p["sex"] == 1 and p["enp"] not in dead]
    young = [p for p in men if 18 <= _age(p["birth_date"], today) <= 27]
    conscripts = rng.sample(young, min(50, len(young)))
    called = {p["enp"] for p in conscripts}
    suspended = [
        p
        for p in persons
        if p.get("sex") == 1 and p.get("closure_reason") == "П025" and p.get("death_date") is None
    ]
    discharged = rng.sample(suspended, min(20, len(suspended)))
    if len(discharged) < 20:
        others = [
            p for p in men if p["enp"] not in called and 19 <= _age(p["birth_date"], today) <= 28
        ]
        discharged += rng.sample(others, min(20 - len(discharged), len(others)))
    events = [
        {**p, "event": event, "event_date": today - timedelta(days=rng.randint(1, 60))}
        for event, group in ((CALL_UP, conscripts), (DISCHARGE, discharged))
        for p in group
    ]
    rng.shuffle(events)
    summaries.append(
        write_military_workbook(
            out_dir / military_workbook_name(region_code, today, 1), events, rng=rng, faulty=3
        )
    )

    write_malformed_samples(out_dir / "malformed", region_code=region_code)
    return summaries
