"""Synthetic insured persons of the demo region: current records, histories, planted duplicates.

The population is generated in chunks; chunk ``i`` draws from its own
``random.Random(f"{seed}:{i}")``, so chunks can be generated in any order, in any
number of processes, and the result depends only on the seed, the number of persons,
the chunk size and the ``as_of`` date.  Identifiers never collide across chunks: every
counter (ЕНП sequence within a facet, СНИЛС body, document number within a series) hands
out the numbers ``chunk + k * chunks`` for k = 0, 1, … — a residue class of its own.

A person is a dict with the keys of ``register.models.RECORD_FIELDS`` plus the
normalised search columns; its history is a list of version dicts (the same keys plus
``valid_from``, ``valid_to``, ``event_code``, ``source``) whose last element equals the
current state.  About 1.5 % extra records are duplicates of another person of the same
chunk with the errors operators make; the ground truth comes with the chunk.
"""

from __future__ import annotations

import csv
import gc
import random
import zlib
from bisect import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from register.enp import MAX_SEQUENCE, make_enp
from register.models import RECORD_FIELDS
from register.names import normalize_name
from register.settings import load_settings
from register.snils import make_snils
from synthetic import names as data
from synthetic.reference import MoInfo, SmoInfo, mo_list, smo_list

CHUNK_SIZE = 50_000
DUPLICATE_RATE = 0.015
FOREIGNER_RATE = 0.02
MAX_VERSIONS = 4
SOURCE = "initial_load"

INSURED = "insured"
CLOSED = "closed"
DECEASED = "deceased"

NORM_FIELDS: tuple[str, ...] = ("surname_norm", "name_norm", "patronymic_norm")
PERSON_FIELDS: tuple[str, ...] = (*RECORD_FIELDS, *NORM_FIELDS)
VERSION_FIELDS: tuple[str, ...] = (*RECORD_FIELDS, "valid_from", "valid_to", "event_code", "source")

# Kinds of planted duplicate errors (the ground truth names them).
SURNAME_TYPO = "surname_typo"
YO_E = "yo_e"
DAY_MONTH_SWAPPED = "day_month_swapped"
NO_PATRONYMIC = "no_patronymic"
SURNAME_CHANGED = "surname_changed"
OTHER_DOCUMENT = "other_document"
DUPLICATE_KINDS: tuple[str, ...] = (
    SURNAME_TYPO,
    YO_E,
    DAY_MONTH_SWAPPED,
    NO_PATRONYMIC,
    SURNAME_CHANGED,
    OTHER_DOCUMENT,
)
_KIND_WEIGHTS = {
    SURNAME_TYPO: 30,
    YO_E: 12,
    DAY_MONTH_SWAPPED: 12,
    NO_PATRONYMIC: 12,
    SURNAME_CHANGED: 10,
    OTHER_DOCUMENT: 24,
}

# Document types (F011) used here.
BIRTH_CERTIFICATE = 3
FOREIGN_PASSPORT = 9
RESIDENCE_PERMIT = 11
REFUGEE_CERTIFICATE = 12
PASSPORT = 14
STATELESS_DOCUMENT = 22
TEMPORARY_RESIDENCE = 23
FOREIGN_BIRTH_CERTIFICATE = 24

_ORD = date.toordinal
ERZ_START = _ORD(date(2011, 5, 1))  # unified policies (326-ФЗ)
NEW_PASSPORTS = _ORD(date(1997, 10, 1))  # passports of the Russian Federation
EXCHANGE_END = _ORD(date(2004, 6, 30))  # end of the exchange of Soviet passports
UEC_FROM, UEC_TO = _ORD(date(2013, 1, 1)), _ORD(date(2016, 12, 31))
ELECTRONIC_POLICY = _ORD(date(2022, 12, 1))
INDEFINITE_RESIDENCE_PERMIT = _ORD(date(2019, 11, 1))


@dataclass(frozen=True)
class DuplicateTruth:
    """A planted duplicate: its ЕНП, the ЕНП of the person it duplicates, the errors made."""

    duplicate_enp: str
    original_enp: str
    kinds: tuple[str, ...]


@dataclass
class PersonChunk:
    """One chunk of the population: persons (duplicates last), their histories, the truth."""

    index: int
    persons: list[dict[str, Any]]
    versions: list[list[dict[str, Any]]]
    duplicates: list[DuplicateTruth]


def duplicates_for(base_persons: int) -> int:
    """Duplicates planted in a chunk of ``base_persons`` (a fixed number: ids can be planned)."""
    return round(base_persons * DUPLICATE_RATE)


def plan_chunks(persons: int, chunk_size: int = CHUNK_SIZE) -> list[int]:
    """The number of (non-duplicate) persons in each chunk."""
    if persons < 0 or chunk_size <= 0:
        raise ValueError("persons must be ≥ 0 and chunk_size > 0")
    full, rest = divmod(persons, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def generate_chunk(
    index: int,
    *,
    persons: int,
    seed: int = 1,
    region_code: str | None = None,
    as_of: date | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> PersonChunk:
    """Chunk ``index`` of a population of ``persons`` persons (plus duplicates)."""
    plan = plan_chunks(persons, chunk_size)
    if not 0 <= index < len(plan):
        raise IndexError(f"chunk {index} out of range 0..{len(plan) - 1}")
    region = region_code or load_settings().region_code
    generator = _ChunkGenerator(seed, index, len(plan), region, as_of or date.today())
    # The chunk makes no reference cycles; collecting would only rescan its growing lists.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return generator.run(plan[index])
    finally:
        if was_enabled:
            gc.enable()


def generate_persons(
    persons: int,
    *,
    seed: int = 1,
    region_code: str | None = None,
    as_of: date | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[PersonChunk]:
    """All chunks of the population, in order, generated in this process."""
    as_of = as_of or date.today()
    region = region_code or load_settings().region_code
    for index in range(len(plan_chunks(persons, chunk_size))):
        yield generate_chunk(
            index,
            persons=persons,
            seed=seed,
            region_code=region,
            as_of=as_of,
            chunk_size=chunk_size,
        )


def write_duplicates_truth(path: Path, truths: Iterable[DuplicateTruth]) -> int:
    """Write ``duplicates_truth.csv`` (duplicate_enp, original_enp, kinds joined by ";")."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("duplicate_enp", "original_enp", "kinds"))
        for t in truths:
            writer.writerow((t.duplicate_enp, t.original_enp, ";".join(t.kinds)))
            count += 1
    return count


def read_duplicates_truth(path: Path) -> list[DuplicateTruth]:
    """Read a file written by ``write_duplicates_truth``."""
    with path.open(newline="", encoding="utf-8") as f:
        return [
            DuplicateTruth(
                row["duplicate_enp"], row["original_enp"], tuple(row["kinds"].split(";"))
            )
            for row in csv.DictReader(f)
        ]


# --- tables ------------------------------------------------------------------

# Population by single year of age (Russia, early 2020s; relative units), ages 0..100.
_AGES_0_4 = (1.25, 1.3, 1.4, 1.45, 1.5)
_AGE_BANDS = (1.86, 1.76, 1.52, 1.38, 1.48, 2.1, 2.44, 2.2, 2.04, 1.84, 1.98, 2.12)
_AGE_BANDS_OLD = (1.86, 1.44, 0.7, 0.66, 0.34, 0.1, 0.02)
AGE_WEIGHTS: tuple[float, ...] = (
    *_AGES_0_4,
    *(w for w in _AGE_BANDS for _ in range(5)),
    *(w for w in _AGE_BANDS_OLD for _ in range(5)),
    0.004,
)


def male_share(age: int) -> float:
    """Share of men among persons of ``age`` (women live longer)."""
    if age < 30:
        return 0.512
    if age < 50:
        return 0.49
    if age < 60:
        return 0.46
    if age < 70:
        return 0.42
    if age < 80:
        return 0.34
    return 0.25


def _death_probability(age: int) -> float:
    # Share of register records of persons of this (would-be) age that belong to the dead.
    if age < 1:
        return 0.001
    if age < 40:
        return 0.004
    if age < 60:
        return 0.02
    if age < 70:
        return 0.06
    if age < 80:
        return 0.15
    if age < 90:
        return 0.3
    return 0.45


_FOREIGN_CITIZENSHIPS = (
    ("UZB", 30),
    ("TJK", 25),
    ("KGZ", 10),
    ("UKR", 15),
    ("ARM", 8),
    ("AZE", 5),
    ("MDA", 4),
    ("BLR", 3),
)
# Members of the Eurasian Economic Union work with their national passport.
_EAEU = ("ARM", "KGZ", "BLR")
_FOREIGN_PASSPORT_FORMAT = {
    "UZB": (("FA", "AB", "AC"), 7, "МВД Республики Узбекистан"),
    "TJK": ((None,), 9, "МВД Республики Таджикистан"),
    "KGZ": (("AC", "ID"), 7, "ГРС при ПКР"),
    "UKR": (("FE", "FK", "EK"), 6, "ГМС Украины"),
    "ARM": (("AR", "AU"), 7, "Полиция Республики Армения"),
    "AZE": (("C",), 8, "МВД Азербайджанской Республики"),
    "MDA": (("AB",), 7, "ГП Агентство публичных услуг"),
    "BLR": (("MP", "HB"), 7, "МВД Республики Беларусь"),
}
_REGION_AUTHORITY = "ГУ МВД России по Московской обл."


def _cumulative(weights: Sequence[float]) -> tuple[list[float], float]:
    cum: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    return cum, total


class _Table:
    """Items with weights, sampled by bisecting the cumulative weights (faster than choices)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]):
        self.items = tuple(items)
        self.cum, self.total = _cumulative(weights)

    def pick(self, r: float) -> Any:
        return self.items[bisect(self.cum, r * self.total)]


_AGE_TABLE = _Table(range(len(AGE_WEIGHTS)), AGE_WEIGHTS)
_ERA_COUNT = len(data.ERAS) + 1
_MALE_BY_ERA = [
    _Table(data.MALE_NAMES, [n.weights[e] for n in data.MALE_NAMES]) for e in range(_ERA_COUNT)
]
_FEMALE_BY_ERA = [
    _Table(data.FEMALE_NAMES, [n.weights[e] for n in data.FEMALE_NAMES]) for e in range(_ERA_COUNT)
]
_SURNAME_TABLE = _Table(data.SURNAMES, [1.0 / (rank + 8) for rank in range(len(data.SURNAMES))])
_TOWN_TABLE = _Table(data.TOWNS, [t.population for t in data.TOWNS])
_BIRTH_PLACES_ALL = _Table([p for p, _ in data.BIRTH_PLACES], [w for _, w in data.BIRTH_PLACES])
_BIRTH_PLACES_RECENT = _Table(
    [p for p, _ in data.BIRTH_PLACES[:3]], [w for _, w in data.BIRTH_PLACES[:3]]
)
_PASSPORT_REGION_TABLE = _Table(
    [(code, name) for code, name, _ in data.PASSPORT_REGIONS],
    [w for _, _, w in data.PASSPORT_REGIONS],
)
_CITIZENSHIP_TABLE = _Table(
    [c for c, _ in _FOREIGN_CITIZENSHIPS], [w for _, w in _FOREIGN_CITIZENSHIPS]
)

# Letters operators confuse (keyboard neighbours and look-alikes): letter → mistyped letter.
_TYPO_SUBSTITUTES = dict(
    zip("аоеиыясздтвшщнмлкгрпбуючйёцхжфэ", "оаиеиазсдтфщшмндгкпрпюущиоскшве", strict=True)
)


def anniversary(birth: date, years: int) -> int:
    """Ordinal of the day ``birth`` turns ``years`` old (29 February → 1 March)."""
    try:
        return _ORD(birth.replace(year=birth.year + years))
    except ValueError:
        return _ORD(date(birth.year + years, 3, 1))


def age_on(birth: date, day: date) -> int:
    """Full years of a person born on ``birth`` on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _has_triple(digits: str) -> bool:
    return any(digits[i] == digits[i + 1] == digits[i + 2] for i in range(len(digits) - 2))


def _strip_yo(value: str | None) -> str | None:
    if value is None:
        return None
    return value.replace("ё", "е").replace("Ё", "Е")


# --- the generator -------------------------------------------------------------


@dataclass
class _Doc:
    doc_type: int
    series: str | None
    number: str
    issue: int  # ordinal
    issuer: str
    expiry: int | None = None


@dataclass
class _Plan:
    """Everything about one person before it is cut into versions."""

    enp: str
    sex: int
    birth: date
    reliability: int
    name: str
    patronymic: str | None
    surname: str
    married_surname: str | None
    marriage: int | None  # ordinal from which the married surname is used
    birth_place: str | None
    citizenship: str | None
    category: int
    snils: str | None
    snils_from: int
    docs: list[_Doc]
    # from, town, registration address, МО, attachment day, residence (ОКАТО, address) or None
    addresses: list[tuple[int, data.Town, str, MoInfo, int, tuple[str, str] | None]]
    homeless: bool
    smo_periods: list[tuple[int, SmoInfo]]
    policy_periods: list[tuple[int, str, str]]  # from, form, number
    insurance_end: int | None
    worker: bool
    phone: str | None
    email: str | None


class _ChunkGenerator:
    """Generates one chunk; all randomness comes from ``random.Random(f"{seed}:{index}")``."""

    def __init__(self, seed: int, index: int, chunks: int, region_code: str, as_of: date):
        self.rng = random.Random(f"{seed}:{index}")
        self.r = self.rng.random
        self.index = index
        self.chunks = chunks
        self.region = region_code
        self.as_of = as_of
        self.today = _ORD(as_of)
        self.smos = smo_list(region_code)
        self.mos = mo_list(region_code)
        self._mo_by_town: dict[tuple[str, bool], list[MoInfo]] = {}
        for mo in self.mos:
            self._mo_by_town.setdefault((mo.town, mo.for_children), []).append(mo)
        self._enp_counters: dict[tuple[int, int], int] = {}
        self._number_counters: dict[str, list[int]] = {}
        self._snils_k = 0
        self._dates: dict[int, date] = {}
        self._norms: dict[str, str] = {}
        self._smo_tables: dict[tuple[int, str], _Table] = {}
        # Days on which the set of working СМО changes.
        self._smo_bounds = sorted(
            {_ORD(s.date_begin) for s in self.smos}
            | {_ORD(s.date_end) + 1 for s in self.smos if s.date_end is not None}
        )

    # --- small helpers --------------------------------------------------------

    def day(self, ordinal: int) -> date:
        d = self._dates.get(ordinal)
        if d is None:
            d = self._dates[ordinal] = date.fromordinal(ordinal)
        return d

    def norm(self, value: str | None) -> str:
        if value is None:
            return ""
        n = self._norms.get(value)
        if n is None:
            n = self._norms[value] = normalize_name(value)
        return n

    def between(self, lo: int, hi: int) -> int:
        """A day ordinal in [lo, hi] (hi < lo gives lo)."""
        if hi <= lo:
            return lo
        return lo + int(self.r() * (hi - lo + 1))

    def enp(self, birth: date, sex: int) -> str:
        key = (_ORD(birth), sex)
        n = self._enp_counters.get(key, 0)
        self._enp_counters[key] = n + 1
        sequence = 1 + self.index + n * self.chunks
        if sequence > MAX_SEQUENCE:
            raise OverflowError("ЕНП: исчерпаны порядковые номера для даты рождения и пола")
        return make_enp(self.region, birth, sex, sequence)

    def snils(self) -> str:
        # An affine permutation of the residue class of this chunk: unique, random-looking,
        # above 001-001-998 (so the control number is checked), no triple digits.
        while True:
            g = self.index + self._snils_k * self.chunks
            self._snils_k += 1
            body = f"{(g * 387_420_489 + 123_456_789) % 997_000_000 + 2_000_000:09d}"
            if not _has_triple(body):
                return make_snils(body)

    def unique_number(self, key: str, digits: int) -> str:
        """A number of ``digits`` digits never given twice for ``key`` (a document series)."""
        counter = self._number_counters.get(key)
        if counter is None:
            modulus = 10**digits
            counter = self._number_counters[key] = [0, zlib.crc32(key.encode()) % modulus, modulus]
        k, offset, modulus = counter
        counter[0] = k + 1
        g = self.index + k * self.chunks
        if g >= modulus:
            raise OverflowError(f"номера серии {key!r} исчерпаны")
        return f"{(g * 7_654_321 + offset) % modulus:0{digits}d}"

    def smo_on(self, ordinal: int, exclude: SmoInfo | None = None) -> SmoInfo:
        """A СМО working on that day (weighted by market share), not ``exclude``."""
        key = (bisect(self._smo_bounds, ordinal), exclude.code if exclude else "")
        table = self._smo_tables.get(key)
        if table is None:
            d = self.day(ordinal)
            chosen = [s for s in self.smos if s.active_on(d) and s is not exclude]
            table = self._smo_tables[key] = _Table(chosen, [s.share for s in chosen])
        return table.pick(self.r())

    def policy_form_on(self, ordinal: int) -> str:
        if ordinal >= ELECTRONIC_POLICY:
            return "Э"
        if UEC_FROM <= ordinal <= UEC_TO and self.r() < 0.03:
            return "К"
        return "П"

    def temporary_certificate(self) -> str:
        return self.unique_number("В", 9)

    def address(self, town: data.Town) -> str:
        r = self.r
        street = data.STREETS[int(r() * len(data.STREETS))]
        house = 1 + int(r() * r() * 120)
        postcode = f"{town.postcode}{int(r() * 100):02d}"
        head = f"{postcode}, {data.REGION_ADDRESS_PREFIX}, {town.prefix}, {street}, д. {house}"
        u = r()
        if u < 0.1:
            return head
        if u < 0.25:
            head += f", корп. {1 + int(r() * 4)}"
        return f"{head}, кв. {1 + int(r() * 300)}"

    def mo_for(self, town: data.Town, child: bool) -> MoInfo:
        choices = self._mo_by_town.get((town.name, child)) or self._mo_by_town[(town.name, False)]
        return choices[int(self.r() * len(choices))]

    # --- names ----------------------------------------------------------------

    def russian_name(self, sex: int, birth: date) -> tuple[str, str | None, data.Surname]:
        r = self.r
        era = data.era_of(birth.year)
        table = _MALE_BY_ERA[era] if sex == 1 else _FEMALE_BY_ERA[era]
        name = table.pick(r()).name
        father = _MALE_BY_ERA[data.era_of(birth.year - 28)].pick(r())
        patronymic: str | None = father.son if sex == 1 else father.daughter
        if r() < 0.004:
            patronymic = None
        return name, patronymic, _SURNAME_TABLE.pick(r())

    # --- documents ------------------------------------------------------------

    def birth_certificate(self, issue: int, birth_place: str | None) -> _Doc:
        series = data.BIRTH_CERTIFICATE_SERIES[int(self.r() * len(data.BIRTH_CERTIFICATE_SERIES))]
        if birth_place and "Моск" in birth_place and "г. " in birth_place:
            town = birth_place.split("г. ", 1)[1].split(" Моск", 1)[0]
            issuer = f"Отдел ЗАГС г. {town} Главного управления ЗАГС Московской области"
        elif birth_place == "г. Москва":
            issuer = f"Органом ЗАГС Москвы № {1 + int(self.r() * 40)}"
        else:
            issuer = f"Отдел ЗАГС {birth_place or ''}".strip()
        return _Doc(BIRTH_CERTIFICATE, series, self.unique_number(series, 6), issue, issuer)

    def passport(self, issue: int, town: data.Town) -> _Doc:
        code, region_name = _PASSPORT_REGION_TABLE.pick(self.r())
        year = self.day(issue).year
        printed = year - 1 if self.r() < 0.1 else year  # blanks are printed ahead
        series = f"{code} {printed % 100:02d}"
        if code == "46":
            if year < 2006:
                issuer = f"ОВД г. {town.name} Московской обл."
            elif year < 2016:
                issuer = f"ТП УФМС России по Московской обл. в г. {town.name}"
            else:
                issuer = _REGION_AUTHORITY
        elif code == "45":
            issuer = "ОВД района Москвы" if year < 2016 else "ГУ МВД России по г. Москве"
        else:
            issuer = f"{'УФМС' if year < 2016 else 'УМВД'} России по {region_name}"
        return _Doc(PASSPORT, series, self.unique_number(series, 6), issue, issuer)

    def citizen_document_days(self, birth: date, marriage: int | None) -> list[int]:
        """Issue days of a citizen's documents until today: birth certificate, then passports."""
        r = self.r
        end = self.today
        birth_ord = _ORD(birth)
        days = [min(birth_ord + 1 + int(r() * 25), end)]
        issues: list[int] = []
        for years in (14, 20, 45):
            issue = anniversary(birth, years) + 1 + int(r() * 45)
            if issue < end:
                issues.append(issue)
        if issues and issues[0] < NEW_PASSPORTS:  # Soviet passports were exchanged
            issues = [i for i in issues if i >= NEW_PASSPORTS]
            if not issues or issues[0] > EXCHANGE_END:
                lo = max(NEW_PASSPORTS, anniversary(birth, 14))
                issues.insert(0, self.between(lo, max(lo, EXCHANGE_END)))
        if marriage is not None and marriage < end:
            issues.append(marriage)
            issues.sort()
        days.extend(issues)
        return days

    def citizen_documents(
        self, days: list[int], reg: int, birth_place: str | None, town: data.Town
    ) -> list[_Doc]:
        """The documents the history can show: the one valid at registration and later ones."""
        first = 0
        for i, day in enumerate(days):
            if day <= reg:
                first = i
        docs = []
        for i in range(first, len(days)):
            if i == 0:
                docs.append(self.birth_certificate(days[0], birth_place))
            else:
                docs.append(self.passport(days[i], town))
        return docs

    def foreign_document(self, kind: int, citizenship: str | None, issue: int) -> _Doc:
        r = self.r
        if kind == FOREIGN_PASSPORT and citizenship in _FOREIGN_PASSPORT_FORMAT:
            series_options, digits, issuer = _FOREIGN_PASSPORT_FORMAT[citizenship]
            series = series_options[int(r() * len(series_options))]
            number = self.unique_number(f"{citizenship}{series}", digits)
            return _Doc(kind, series, number, issue, issuer, issue + 3652)
        if kind == RESIDENCE_PERMIT:
            series = "82" if r() < 0.6 else "83"
            expiry = None if issue >= INDEFINITE_RESIDENCE_PERMIT else issue + 1826
            number = self.unique_number(f"ВНЖ{series}", 7)
            return _Doc(kind, series, number, issue, _REGION_AUTHORITY, expiry)
        if kind == TEMPORARY_RESIDENCE:
            number = self.unique_number("РВП", 7)
            return _Doc(kind, None, number, issue, _REGION_AUTHORITY, issue + 1095)
        if kind == REFUGEE_CERTIFICATE:
            number = self.unique_number("УБ", 7)
            return _Doc(kind, "УБ", number, issue, _REGION_AUTHORITY, issue + 1095)
        if kind == FOREIGN_BIRTH_CERTIFICATE:
            number = self.unique_number(f"СР{citizenship}", 7)
            return _Doc(kind, None, number, issue, f"Органы ЗАГС ({citizenship or 'Б/Г'})")
        number = self.unique_number("ЛБГ", 7)
        return _Doc(STATELESS_DOCUMENT, None, number, issue, _REGION_AUTHORITY, issue + 3652)

    # --- one person -----------------------------------------------------------

    def birth_date(self, age: int) -> date:
        ordinal = self.today - int((age + self.r()) * 365.2425)
        return self.day(min(ordinal, self.today - 1))

    def registration(self, birth_ord: int, earliest_doc: int) -> int:
        """The day the person entered the register (first choice of СМО)."""
        r = self.r
        if birth_ord >= ERZ_START - 30:
            return min(earliest_doc + int(r() * 60), self.today)
        if r() < 0.15:  # arrived in the region later
            return self.between(ERZ_START, self.today - 1)
        return ERZ_START + int(r() * r() * 4 * 365)

    def contacts(self, name: str, surname: str, birth: date, adult: bool) -> tuple[str | None, ...]:
        r = self.r
        phone = f"+79{int(r() * 1e9):09d}" if adult and r() < 0.45 else None
        email = None
        if adult and r() < 0.08:
            tr = data.TRANSLIT
            login = (
                "".join(tr.get(c, c) for c in name.lower())
                + "."
                + "".join(tr.get(c, c) for c in surname.lower())
            )
            domain = data.EMAIL_DOMAINS[int(r() * len(data.EMAIL_DOMAINS))]
            email = f"{login}{birth.year % 100:02d}@{domain}"
        return phone, email

    def citizen(self) -> _Plan:
        r = self.r
        age = _AGE_TABLE.pick(r())
        sex = 1 if r() < male_share(age) else 2
        birth = self.birth_date(age)
        birth_ord = _ORD(birth)
        name, patronymic, surname_pair = self.russian_name(sex, birth)
        surname = surname_pair.male if sex == 1 else surname_pair.female
        married_surname = marriage = None
        if sex == 2 and age >= 19 and r() < 0.72:
            wedding = anniversary(birth, 19) + int(r() * r() * 20 * 365)
            passport_day = wedding + 5 + int(r() * 25)
            if passport_day < self.today and r() < 0.9:
                other = _SURNAME_TABLE.pick(r()).female
                if other != surname:
                    married_surname, marriage = other, passport_day
        if birth.year >= 1995:
            place_template = _BIRTH_PLACES_RECENT.pick(r())
        else:
            place_template = _BIRTH_PLACES_ALL.pick(r())
        town = _TOWN_TABLE.pick(r())
        birth_town = town if r() < 0.6 else _TOWN_TABLE.pick(r())
        birth_place = place_template.replace("{town}", birth_town.name)
        if "Ленинград" in birth_place and birth.year >= 1991:
            birth_place = "г. Санкт-Петербург"
        if r() < 0.2:  # many records lost the ё
            name, surname = _strip_yo(name) or name, _strip_yo(surname) or surname
            patronymic = _strip_yo(patronymic)
            married_surname = _strip_yo(married_surname)

        doc_days = self.citizen_document_days(birth, marriage)
        reg = self.registration(birth_ord, doc_days[0])
        docs = self.citizen_documents(doc_days, reg, birth_place, town)
        # Newborns get their СНИЛС a few weeks after birth; some adults never gave it.
        snils: str | None = None
        snils_from = reg
        if self.today - birth_ord >= 60 and (age < 14 or r() < 0.97):
            snils = self.snils()
            snils_from = max(reg, birth_ord + 20 + int(r() * 40))
        return self._finish_plan(
            enp=self.enp(birth, sex),
            sex=sex,
            birth=birth,
            reliability=1,
            name=name,
            patronymic=patronymic,
            surname=surname,
            married_surname=married_surname,
            marriage=marriage,
            birth_place=birth_place,
            citizenship="RUS",
            category=1,
            snils=snils,
            snils_from=snils_from,
            docs=docs,
            town=town,
            reg=reg,
            age=age,
        )

    def foreigner(self) -> _Plan:
        r = self.r
        stateless = r() < 0.04
        citizenship = None if stateless else _CITIZENSHIP_TABLE.pick(r())
        lists_of = citizenship or "UKR"
        u = r()
        age = (
            18 + int(r() * 38) if u < 0.85 else (int(r() * 18) if u < 0.95 else 56 + int(r() * 25))
        )
        sex = 1 if r() < 0.62 else 2
        birth = self.birth_date(age)
        reliability = 1
        if r() < 0.02:
            reliability = 3
            birth = date(birth.year, 1, 1)
        elif r() < 0.03:
            reliability = 2
            birth = date(birth.year, birth.month, 1)
        names = (
            data.FOREIGN_MALE_NAMES[lists_of] if sex == 1 else data.FOREIGN_FEMALE_NAMES[lists_of]
        )
        name = names[int(r() * len(names))].name
        fathers = data.FOREIGN_MALE_NAMES[lists_of]
        father = fathers[int(r() * len(fathers))]
        patronymic = (father.son if sex == 1 else father.daughter) if r() < 0.5 else None
        surnames = data.SURNAMES_BY_CITIZENSHIP[lists_of]
        pair = surnames[int(r() * len(surnames))]
        surname = pair.male if sex == 1 else pair.female
        places = data.FOREIGN_BIRTH_PLACES[lists_of]
        birth_place = places[int(r() * len(places))]

        today = self.today
        if stateless:
            category, kind = 4, (RESIDENCE_PERMIT if r() < 0.6 else STATELESS_DOCUMENT)
            reg = self.between(ERZ_START, today - 1)
        elif r() < 0.3:
            category, kind = 2, RESIDENCE_PERMIT
            reg = self.between(ERZ_START, today - 1)
        elif citizenship == "UKR" and r() < 0.1:
            category, kind = 5, REFUGEE_CERTIFICATE
            reg = self.between(today - 1000, today - 1)
        else:
            category = 3
            kind = FOREIGN_PASSPORT if citizenship in _EAEU else TEMPORARY_RESIDENCE
            reg = self.between(today - 1000, today - 1)
        birth_ord = _ORD(birth)
        reg = max(reg, birth_ord + 1)
        if age < 14 and kind in (FOREIGN_PASSPORT, TEMPORARY_RESIDENCE):
            kind = FOREIGN_BIRTH_CERTIFICATE
        if kind == FOREIGN_BIRTH_CERTIFICATE:
            issue = min(birth_ord + 1 + int(r() * 25), today)
        else:
            lo = anniversary(birth, 14) if kind == FOREIGN_PASSPORT else birth_ord + 1
            if category == 3:  # the permit is still valid today
                lo = max(lo, today - 1060)
            issue = self.between(max(lo, reg - 700), reg)
        docs = [self.foreign_document(kind, citizenship, issue)]
        reg = min(max(reg, docs[0].issue), today)
        while category != 3 and (expiry := docs[-1].expiry) is not None and expiry <= today:
            # Renewed shortly before it expired (a residence permit since 2019 is indefinite).
            docs.append(self.foreign_document(kind, citizenship, expiry - int(r() * 30)))
        snils = None
        if today - birth_ord >= 60 and r() < (0.9 if category == 2 else 0.5):
            snils = self.snils()
        town = _TOWN_TABLE.pick(r())
        return self._finish_plan(
            enp=self.enp(birth, sex),
            sex=sex,
            birth=birth,
            reliability=reliability,
            name=name,
            patronymic=patronymic,
            surname=surname,
            married_surname=None,
            marriage=None,
            birth_place=birth_place,
            citizenship=citizenship,
            category=category,
            snils=snils,
            snils_from=reg,
            docs=docs,
            town=town,
            reg=reg,
            age=age,
        )

    def _finish_plan(self, *, town: data.Town, reg: int, age: int, **fields: Any) -> _Plan:
        """Addresses, insurance, contacts — the parts citizens and foreigners share."""
        r = self.r
        birth: date = fields["birth"]
        birth_ord = _ORD(birth)
        homeless = r() < 0.0005
        address = "" if homeless else self.address(town)
        reg_age = (reg - birth_ord) * 4 // 1461
        attach = max(birth_ord, reg - int(r() * min(1800, reg - birth_ord + 1)))
        res = None
        if not homeless and r() < 0.12:
            if r() < 0.25:
                street = data.MOSCOW_STREETS[int(r() * len(data.MOSCOW_STREETS))]
                res = (data.MOSCOW_OKATO, f"г. Москва, {street}, д. {1 + int(r() * 90)}")
            else:
                other = _TOWN_TABLE.pick(r())
                res = (other.okato, self.address(other))
        addresses = [(reg, town, address, self.mo_for(town, reg_age < 18), attach, res)]
        first_smo = self.smo_on(reg)
        policy_number = fields["enp"]
        if r() < 0.2:  # a temporary certificate first, the policy 20–45 days later
            policies = [(reg, "В", self.temporary_certificate())]
            issued = reg + 20 + int(r() * 25)
            policies.append((issued, self.policy_form_on(issued), policy_number))
        else:
            policies = [(reg, self.policy_form_on(reg), policy_number)]
        if policies[-1][1] != "Э" and r() < 0.06:  # a paper policy replaced by the electronic
            day = self.between(max(policies[-1][0] + 30, ELECTRONIC_POLICY), self.today - 1)
            policies.append((day, "Э", policy_number))
        insurance_end = None
        if fields["category"] == 3:
            insurance_end = fields["docs"][-1].expiry
        worker = r() < 0.72
        adult = age >= 18
        phone, email = self.contacts(fields["name"], fields["surname"], birth, adult)
        return _Plan(
            addresses=addresses,
            homeless=homeless,
            smo_periods=[(reg, first_smo)],
            policy_periods=policies,
            insurance_end=insurance_end,
            worker=worker,
            phone=phone,
            email=email,
            **fields,
        )

    # --- history --------------------------------------------------------------

    def ending(self, plan: _Plan, reg: int, age: int) -> tuple[str, int | None, str | None]:
        """Status, closure day and closure reason (R001) of the record."""
        today = self.today
        if today - reg <= 3:
            return INSURED, None, None
        u = self.r()
        dead = _death_probability(age)
        if u < dead:
            return DECEASED, self.between(max(reg + 1, today - 13 * 365), today - 1), "П022"
        if u < dead + 0.03:  # moved to another region
            return CLOSED, self.between(reg + 1, today - 1), "П021"
        if plan.sex == 1 and 18 <= age <= 27 and u < dead + 0.06:  # called up
            return CLOSED, self.between(max(reg + 1, today - 365), today - 1), "П025"
        if u < dead + 0.033:
            reason = "П023" if self.r() < 0.8 else "П024"
            return CLOSED, self.between(reg + 1, today - 1), reason
        return INSURED, None, None

    def insurance(self, plan: _Plan, reg: int, end: int, events: dict[int, str]) -> list[int]:
        """Changes of СМО (voluntary, and forced when a СМО leaves the market); the forced days."""
        candidates: dict[int, bool] = {}  # day -> forced
        if self.r() < 0.25:
            day = self.between(reg + 90, self.today - 1)
            if reg + 90 <= day:
                candidates[day] = False
        for smo in self.smos:
            if smo.date_end is not None:
                candidates.setdefault(_ORD(smo.date_end) + 1, True)
        forced_days = []
        for day in sorted(candidates):
            if not reg < day < end:
                continue
            current = plan.smo_periods[-1][1]
            if candidates[day]:
                if current.date_end is None or _ORD(current.date_end) + 1 != day:
                    continue
                forced_days.append(day)
            plan.smo_periods.append((day, self.smo_on(day, exclude=current)))
            events[day] = "П03"
        return forced_days

    def adult_attachment(self, plan: _Plan, end: int) -> int | None:
        """At 18 a child attached to a children's polyclinic moves to an adult МО: the day."""
        day = anniversary(plan.birth, 18) + 1 + int(self.r() * 60)
        if not plan.addresses[0][0] < day < end:
            return None
        current = plan.addresses[0]
        for entry in plan.addresses:
            if entry[0] <= day:
                current = entry
        if not current[3].for_children:
            return None
        _from, town, address, _mo, _attached, res = current
        plan.addresses.append((day, town, address, self.mo_for(town, False), day, res))
        plan.addresses.sort(key=lambda entry: entry[0])
        return day

    def history(self, plan: _Plan) -> list[dict[str, Any]]:
        """Cut the plan into 1–4 versions; the last one is the current state.

        Every timeline (documents, СМО, policy, address) is simulated in full first; the
        versions are the states on the registration day and on up to three change days.
        A change that gets no version of its own shows up in the next version, as it does
        in a history migrated from an older system.
        """
        r = self.r
        today = self.today
        birth_ord = _ORD(plan.birth)
        reg = plan.addresses[0][0]
        status, closure, reason = self.ending(plan, reg, (today - birth_ord) * 4 // 1461)
        end = closure if closure is not None else today + 1

        events: dict[int, str] = {}  # change day -> event code
        for day, _form, _number in plan.policy_periods[1:]:
            events[day] = "П06"
        for doc in plan.docs:
            if doc.issue > reg:
                events.setdefault(doc.issue, "П04")
        if plan.snils is not None and plan.snils_from > reg:
            events.setdefault(plan.snils_from, "П04")
        if r() < 0.08 and not plan.homeless:  # moved within the region
            day = self.between(reg + 30, today - 1)
            if reg + 30 <= day < end:
                town = _TOWN_TABLE.pick(r())
                child = (day - birth_ord) * 4 // 1461 < 18
                address = self.address(town)
                plan.addresses.append((day, town, address, self.mo_for(town, child), day, None))
                events.setdefault(day, "П04")
        forced = self.insurance(plan, reg, end, events)
        grown_up = self.adult_attachment(plan, end)
        if grown_up is not None:
            events.setdefault(grown_up, "П04")

        # Kept: the forced changes of СМО (no version may show a СМО that has gone), and the
        # last change of a record still open (its version is the current state, complete).
        # The closure version of a closed record shows everything before it anyway.
        changes = sorted(d for d in events if reg < d < end)
        kept = set(forced)
        if closure is None and changes:
            kept.add(changes[-1])
        optional = [d for d in changes if d not in kept]
        room = MAX_VERSIONS - 1 - len(kept) - (closure is not None)
        if len(optional) > room:
            optional = [optional[i] for i in sorted(self.rng.sample(range(len(optional)), room))]
        days = [reg, *sorted(kept.union(optional))]
        codes = ["П01", *(events[d] for d in days[1:])]
        if closure is not None:
            days.append(closure)
            codes.append("П02")

        versions = []
        last = len(days) - 1
        for i, day in enumerate(days):
            if closure is not None and i == last:
                version = self.state(plan, day, status, closure, reason)
            else:
                version = self.state(plan, day, INSURED, None, None)
            version["valid_from"] = self.day(day)
            version["valid_to"] = self.day(days[i + 1]) if i < last else None
            version["event_code"] = codes[i]
            version["source"] = SOURCE
            versions.append(version)
        return versions

    def state(
        self, plan: _Plan, day: int, status: str, closure: int | None, reason: str | None
    ) -> dict[str, Any]:
        """The person record as it was on ``day``."""
        doc = plan.docs[0]
        for d in plan.docs:
            if d.issue <= day:
                doc = d
        address = plan.addresses[0]
        for a in plan.addresses:
            if a[0] <= day:
                address = a
        smo_start, smo = plan.smo_periods[0]
        for start, s in plan.smo_periods:
            if start <= day:
                smo_start, smo = start, s
        policy = plan.policy_periods[0]
        for p in plan.policy_periods:
            if p[0] <= day:
                policy = p
        age = (day - _ORD(plan.birth)) * 4 // 1461
        surname = plan.surname
        if plan.marriage is not None and day >= plan.marriage and plan.married_surname:
            surname = plan.married_surname
        day_of = self.day
        closure_date = day_of(closure) if closure is not None else None
        end = plan.insurance_end
        return {
            "enp": plan.enp,
            "surname": surname,
            "name": plan.name,
            "patronymic": plan.patronymic,
            "sex": plan.sex,
            "birth_date": plan.birth,
            "birth_date_reliability": plan.reliability,
            "birth_place": plan.birth_place,
            "citizenship": plan.citizenship,
            "person_category": plan.category,
            "snils": plan.snils if plan.snils_from <= day else None,
            "doc_type": doc.doc_type,
            "doc_series": doc.series,
            "doc_number": doc.number,
            "doc_issue_date": day_of(doc.issue),
            "doc_issuer": doc.issuer,
            "doc_expiry": day_of(doc.expiry) if doc.expiry is not None else None,
            "reg_okato": address[1].okato,
            "reg_address": address[2] or None,
            "res_okato": address[5][0] if address[5] else None,
            "res_address": address[5][1] if address[5] else None,
            "homeless": plan.homeless,
            "smo_code": smo.code,
            "insurance_start": day_of(smo_start),
            "insurance_end": closure_date if closure_date else (day_of(end) if end else None),
            "policy_form": policy[1],
            "policy_number": policy[2],
            "mo_code": address[3].code,
            "attach_date": day_of(address[4]),
            "working": plan.worker and 18 <= age < 63,
            "status": status,
            "closure_date": closure_date,
            "closure_reason": reason,
            "death_date": closure_date if status == DECEASED else None,
            "phone": plan.phone,
            "email": plan.email,
        }

    def person_record(self, current: dict[str, Any]) -> dict[str, Any]:
        """The ``person`` row: the current state plus the normalised search columns."""
        record = dict(current)
        del record["valid_from"], record["valid_to"], record["event_code"], record["source"]
        record["surname_norm"] = self.norm(current["surname"])
        record["name_norm"] = self.norm(current["name"])
        record["patronymic_norm"] = self.norm(current["patronymic"])
        return record

    # --- duplicates -----------------------------------------------------------

    def typo(self, surname: str) -> str:
        """The surname with one letter substituted, dropped or two neighbours swapped."""
        r = self.r
        for _ in range(20):
            pos = 1 + int(r() * (len(surname) - 1))
            op = r()
            lower = surname[pos]
            if op < 0.5 and lower in _TYPO_SUBSTITUTES:
                result = surname[:pos] + _TYPO_SUBSTITUTES[lower] + surname[pos + 1 :]
            elif op < 0.75 and len(surname) > 4:
                result = surname[:pos] + surname[pos + 1 :]
            elif pos + 1 < len(surname) and surname[pos] != surname[pos + 1]:
                result = surname[:pos] + surname[pos + 1] + surname[pos] + surname[pos + 2 :]
            else:
                continue
            if self.norm(result) != self.norm(surname):
                return result
        return surname[:-1] if len(surname) > 2 else surname + "а"

    def applicable_kinds(self, person: dict[str, Any]) -> list[str]:
        """The kinds of error that can be made in a copy of ``person``."""
        kinds = []
        if len(person["surname"]) >= 4:
            kinds.append(SURNAME_TYPO)
        if "ё" in f"{person['surname']}{person['name']}{person['patronymic'] or ''}".lower():
            kinds.append(YO_E)
        birth: date = person["birth_date"]
        if birth.day <= 12 and birth.day != birth.month and person["birth_date_reliability"] == 1:
            swapped = date(birth.year, birth.day, birth.month)
            if _ORD(swapped) < self.today - 60 and self.document_fits(person, swapped):
                kinds.append(DAY_MONTH_SWAPPED)
        if person["patronymic"]:
            kinds.append(NO_PATRONYMIC)
        if person["sex"] == 2 and age_on(birth, self.as_of) >= 18:
            kinds.append(SURNAME_CHANGED)
        doc_type = person["doc_type"]
        issue = _ORD(person["doc_issue_date"])
        if doc_type in (RESIDENCE_PERMIT, FOREIGN_PASSPORT) or (
            doc_type in (PASSPORT, BIRTH_CERTIFICATE) and issue + 32 < self.today
        ):
            kinds.append(OTHER_DOCUMENT)
        return kinds

    @staticmethod
    def document_fits(person: dict[str, Any], birth: date) -> bool:
        """Whether the person's document still fits a (mistyped) birth date."""
        issued: date = person["doc_issue_date"]
        if issued <= birth:
            return False
        return person["doc_type"] != PASSPORT or age_on(birth, issued) >= 14

    def other_document(self, person: dict[str, Any]) -> _Doc:
        """Another document of the same kind: an older or newer passport, a re-issued one."""
        r = self.r
        birth: date = person["birth_date"]
        issue = _ORD(person["doc_issue_date"])
        doc_type = person["doc_type"]
        if doc_type == PASSPORT:
            lo = max(anniversary(birth, 14) + 1, NEW_PASSPORTS)
            if issue - lo > 400 and (r() < 0.7 or issue + 32 >= self.today):
                new_issue = self.between(lo, issue - 200)
            else:
                new_issue = self.between(issue + 30, self.today - 2)
            return self.passport(new_issue, _TOWN_TABLE.pick(r()))
        if doc_type == BIRTH_CERTIFICATE:  # a repeated certificate
            return self.birth_certificate(
                self.between(issue + 30, self.today - 2), person["birth_place"]
            )
        earlier = max(issue - 365, _ORD(birth) + 1)
        if doc_type == FOREIGN_PASSPORT:
            earlier = max(earlier, anniversary(birth, 14) + 1)
        return self.foreign_document(doc_type, person["citizenship"], earlier)

    def choose_kinds(self, available: list[str]) -> list[str]:
        """One error (70 %) or two; ё/е only alone, a typo and another surname not together."""
        r = self.r
        first = _Table(available, [_KIND_WEIGHTS[k] for k in available]).pick(r())
        kinds = [first]
        if first != YO_E and r() >= 0.7:
            pool = [k for k in available if k not in (first, YO_E)]
            if first in (SURNAME_TYPO, SURNAME_CHANGED):
                pool = [k for k in pool if k not in (SURNAME_TYPO, SURNAME_CHANGED)]
            if pool:
                kinds.append(_Table(pool, [_KIND_WEIGHTS[k] for k in pool]).pick(r()))
        kinds.sort(key=DUPLICATE_KINDS.index)
        return kinds

    def duplicate(
        self, original: dict[str, Any], maiden_surname: str
    ) -> tuple[dict[str, Any], tuple[str, ...]] | None:
        """A copy of ``original`` with the errors an operator makes, and the kinds of them."""
        available = self.applicable_kinds(original)
        if not available:
            return None
        kinds = self.choose_kinds(available)
        dup = dict(original)
        for kind in kinds:
            if kind == SURNAME_TYPO:
                dup["surname"] = self.typo(dup["surname"])
            elif kind == YO_E:
                for f in ("surname", "name", "patronymic"):
                    dup[f] = _strip_yo(dup[f])
            elif kind == DAY_MONTH_SWAPPED:
                b = dup["birth_date"]
                dup["birth_date"] = date(b.year, b.day, b.month)
            elif kind == NO_PATRONYMIC:
                dup["patronymic"] = None
            elif kind == SURNAME_CHANGED:
                # Registered again under the maiden name, or under a new married one.
                other = maiden_surname
                while self.norm(other) == self.norm(original["surname"]):
                    other = _SURNAME_TABLE.pick(self.r()).female
                dup["surname"] = other
            elif kind == OTHER_DOCUMENT:
                doc = self.other_document(dup)
                dup["doc_series"] = doc.series
                dup["doc_number"] = doc.number
                dup["doc_issue_date"] = self.day(doc.issue)
                dup["doc_issuer"] = doc.issuer
                dup["doc_expiry"] = self.day(doc.expiry) if doc.expiry is not None else None
        return dup, tuple(kinds)

    def duplicate_history(self, dup: dict[str, Any], original_from: int) -> list[dict[str, Any]]:
        """The duplicate's own registration (another СМО, a new ЕНП) and its versions."""
        r = self.r
        today = self.today
        dup["enp"] = self.enp(dup["birth_date"], dup["sex"])
        earliest = max(
            original_from + 30,
            today - 6 * 365,
            _ORD(dup["birth_date"]) + 1,
            _ORD(dup["doc_issue_date"]),
        )
        reg = self.between(earliest, today - 1)
        smo = self.smo_on(reg)
        dup["smo_code"] = smo.code
        dup["insurance_start"] = self.day(reg)
        dup["insurance_end"] = None
        dup["snils"] = None
        dup["phone"] = None
        dup["email"] = None
        dup["status"] = INSURED
        dup["closure_date"] = dup["closure_reason"] = dup["death_date"] = None
        final_form = self.policy_form_on(reg)
        versions = []
        if r() < 0.3 and reg + 45 < today:
            first = dict(dup, policy_form="В", policy_number=self.temporary_certificate())
            issued = reg + 20 + int(r() * 25)
            dup["policy_form"], dup["policy_number"] = self.policy_form_on(issued), dup["enp"]
            first.update(valid_from=self.day(reg), valid_to=self.day(issued), event_code="П01")
            first["source"] = SOURCE
            versions.append(first)
            second = dict(dup, valid_from=self.day(issued), valid_to=None, event_code="П06")
            second["source"] = SOURCE
            versions.append(second)
        else:
            dup["policy_form"], dup["policy_number"] = final_form, dup["enp"]
            only = dict(dup, valid_from=self.day(reg), valid_to=None, event_code="П01")
            only["source"] = SOURCE
            versions.append(only)
        for v in versions:
            for key in NORM_FIELDS:
                v.pop(key, None)
        return versions

    # --- the chunk ------------------------------------------------------------

    def run(self, base_persons: int) -> PersonChunk:
        persons: list[dict[str, Any]] = []
        histories: list[list[dict[str, Any]]] = []
        r = self.r
        for _ in range(base_persons):
            plan = self.foreigner() if r() < FOREIGNER_RATE else self.citizen()
            versions = self.history(plan)
            histories.append(versions)
            persons.append(self.person_record(versions[-1]))

        truths: list[DuplicateTruth] = []
        wanted = duplicates_for(base_persons)
        used: set[int] = set()
        attempts = 0
        while len(truths) < wanted:
            attempts += 1
            i = int(r() * base_persons)
            if i in used or (persons[i]["status"] != INSURED and attempts < 50 * (wanted + 1)):
                continue
            registered = _ORD(histories[i][0]["valid_from"])
            if registered + 30 >= self.today - 1:  # the duplicate comes later than that
                continue
            original = persons[i]
            made = self.duplicate(original, histories[i][0]["surname"])
            if made is None:
                continue
            used.add(i)
            dup, kinds = made
            versions = self.duplicate_history(dup, registered)
            dup.update(
                surname_norm=self.norm(dup["surname"]),
                name_norm=self.norm(dup["name"]),
                patronymic_norm=self.norm(dup["patronymic"]),
            )
            persons.append(dup)
            histories.append(versions)
            truths.append(DuplicateTruth(dup["enp"], original["enp"], kinds))
        return PersonChunk(self.index, persons, histories, truths)
