"""The synthetic population: determinism, valid identifiers, plausible persons, histories,
and planted duplicates that differ from their originals exactly as declared."""

from __future__ import annotations

from collections import Counter
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from register.documents import validate_document
from register.enp import validate_enp
from register.models import RECORD_FIELDS
from register.names import normalize_name
from register.reference import CLOSURE_REASONS, EVENT_CODES, PERSON_CATEGORIES
from register.snils import validate_snils
from register.validation import blocking
from synthetic import names as data
from synthetic.persons import (
    DAY_MONTH_SWAPPED,
    DUPLICATE_KINDS,
    NO_PATRONYMIC,
    OTHER_DOCUMENT,
    PERSON_FIELDS,
    SURNAME_CHANGED,
    SURNAME_TYPO,
    VERSION_FIELDS,
    YO_E,
    PersonChunk,
    age_on,
    duplicates_for,
    generate_chunk,
    generate_persons,
    plan_chunks,
    read_duplicates_truth,
    write_duplicates_truth,
)
from synthetic.reference import mo_list, ogrn_with_check, smo_list

AS_OF = date(2026, 11, 1)
PERSONS = 6000
CHUNK = 2000


@pytest.fixture(scope="module")
def chunks() -> list[PersonChunk]:
    return list(generate_persons(PERSONS, seed=7, region_code="50", as_of=AS_OF, chunk_size=CHUNK))


@pytest.fixture(scope="module")
def persons(chunks: list[PersonChunk]) -> list[dict[str, Any]]:
    return [p for c in chunks for p in c.persons]


@pytest.fixture(scope="module")
def histories(chunks: list[PersonChunk]) -> list[list[dict[str, Any]]]:
    return [h for c in chunks for h in c.versions]


# --- data ------------------------------------------------------------------------


def test_name_data_is_large_enough_and_has_yo() -> None:
    assert len(data.SURNAMES) >= 300
    assert len(data.MALE_NAMES) >= 80
    assert len(data.FEMALE_NAMES) >= 80
    assert {"Пётр", "Семён", "Артём"} <= {n.name for n in data.MALE_NAMES}
    assert {"Фёдоров", "Лёвин"} <= {s.male for s in data.SURNAMES}


@pytest.mark.parametrize(
    ("father", "son", "daughter"),
    [
        ("Иван", "Иванович", "Ивановна"),
        ("Никита", "Никитич", "Никитична"),
        ("Илья", "Ильич", "Ильинична"),
        ("Лев", "Львович", "Львовна"),
        ("Павел", "Павлович", "Павловна"),
        ("Пётр", "Петрович", "Петровна"),
        ("Сергей", "Сергеевич", "Сергеевна"),
        ("Алексей", "Алексеевич", "Алексеевна"),
        ("Юрий", "Юрьевич", "Юрьевна"),
        ("Фома", "Фомич", "Фоминична"),
        ("Николай", "Николаевич", "Николаевна"),
        ("Игорь", "Игоревич", "Игоревна"),
        ("Семён", "Семёнович", "Семёновна"),
    ],
)
def test_patronymics(father: str, son: str, daughter: str) -> None:
    assert data.patronymics(father) == (son, daughter)


@pytest.mark.parametrize(
    ("male", "female"),
    [
        ("Иванов", "Иванова"),
        ("Красный", "Красная"),
        ("Толстой", "Толстая"),
        ("Вишневский", "Вишневская"),
        ("Шевченко", "Шевченко"),
        ("Ким", "Ким"),
        ("Белых", "Белых"),
        ("Саркисян", "Саркисян"),
        ("Лёвин", "Лёвина"),
    ],
)
def test_feminine_surnames(male: str, female: str) -> None:
    assert data.feminine_surname(male) == female


def test_towns_have_okato_of_the_region() -> None:
    assert {"Химки", "Подольск", "Балашиха", "Королёв"} <= {t.name for t in data.TOWNS}
    okato = [t.okato for t in data.TOWNS]
    assert len(set(okato)) == len(okato)
    assert all(len(o) == 11 and o.isdigit() and o.startswith("46") for o in okato)


def test_reference_books() -> None:
    smo = smo_list("50")
    assert 4 <= len(smo) <= 6
    assert all(len(s.code) == 5 and s.code.startswith("50") for s in smo)
    assert all(s.ogrn == ogrn_with_check(s.ogrn[:12]) for s in smo)
    assert len({s.ogrn for s in smo}) == len(smo)
    mo = mo_list("50")
    assert len(mo) >= 30
    assert len({m.code for m in mo}) == len(mo)
    assert all(len(m.code) == 6 and m.code.startswith("50") for m in mo)
    assert mo_list("77")[0].code == "770001"


# --- determinism ---------------------------------------------------------------------


def test_same_seed_same_chunk_and_chunks_are_independent(chunks: list[PersonChunk]) -> None:
    again = generate_chunk(
        1, persons=PERSONS, seed=7, region_code="50", as_of=AS_OF, chunk_size=CHUNK
    )
    assert again.persons == chunks[1].persons
    assert again.versions == chunks[1].versions
    assert again.duplicates == chunks[1].duplicates
    # Chunk 2 alone, before any other, is the same as in the sequential run.
    last = generate_chunk(
        2, persons=PERSONS, seed=7, region_code="50", as_of=AS_OF, chunk_size=CHUNK
    )
    assert last.persons == chunks[2].persons


def test_other_seed_other_persons(chunks: list[PersonChunk]) -> None:
    other = generate_chunk(
        0, persons=PERSONS, seed=8, region_code="50", as_of=AS_OF, chunk_size=CHUNK
    )
    assert [p["enp"] for p in other.persons] != [p["enp"] for p in chunks[0].persons]


def test_plan_and_sizes(chunks: list[PersonChunk]) -> None:
    assert plan_chunks(4500, 2000) == [2000, 2000, 500]
    for chunk in chunks:
        assert len(chunk.duplicates) == duplicates_for(CHUNK) == 30
        assert len(chunk.persons) == len(chunk.versions) == CHUNK + 30


# --- identifiers -------------------------------------------------------------------


def test_keys_are_those_of_the_models(persons: list[dict[str, Any]], histories: list) -> None:
    assert all(tuple(p) == PERSON_FIELDS for p in persons)
    assert all(tuple(v) == VERSION_FIELDS for h in histories for v in h)
    assert PERSON_FIELDS[: len(RECORD_FIELDS)] == RECORD_FIELDS


def test_enp_valid_and_unique(persons: list[dict[str, Any]]) -> None:
    for p in persons:
        assert p["enp"].startswith("50")
        assert validate_enp(p["enp"], birth_date=p["birth_date"], sex=p["sex"]) == [], p["enp"]
    assert len({p["enp"] for p in persons}) == len(persons)


def test_snils_valid_unique_and_mostly_present(persons: list[dict[str, Any]]) -> None:
    values = [p["snils"] for p in persons if p["snils"]]
    assert all(validate_snils(v) == [] for v in values)
    assert len(set(values)) == len(values)
    assert len(values) > 0.9 * len(persons)
    newborns = [p for p in persons if (AS_OF - p["birth_date"]).days < 60]
    assert newborns and all(p["snils"] is None for p in newborns)


def test_policy_numbers(persons: list[dict[str, Any]], histories: list) -> None:
    forms = Counter(p["policy_form"] for p in persons)
    assert forms["Э"] + forms["П"] > 0.9 * len(persons)
    for h in histories:
        for v in h:
            if v["policy_form"] in ("П", "Э", "К"):
                assert v["policy_number"] == v["enp"]
            else:
                assert v["policy_form"] == "В"
                assert len(v["policy_number"]) == 9 and v["policy_number"].isdigit()


# --- persons -----------------------------------------------------------------------


def test_age_pyramid_and_sexes(persons: list[dict[str, Any]]) -> None:
    ages = [age_on(p["birth_date"], AS_OF) for p in persons]
    assert min(ages) == 0 and 90 <= max(ages) <= 101
    children = sum(a < 18 for a in ages) / len(ages)
    seniors = sum(a >= 60 for a in ages) / len(ages)
    assert 0.15 < children < 0.27
    assert 0.18 < seniors < 0.35
    men = sum(p["sex"] == 1 for p in persons) / len(persons)
    assert 0.42 < men < 0.50
    old = [p for p, a in zip(persons, ages, strict=True) if a >= 80]
    assert sum(p["sex"] == 2 for p in old) > 2 * sum(p["sex"] == 1 for p in old)
    reliable = sum(p["birth_date_reliability"] == 1 for p in persons) / len(persons)
    assert reliable > 0.99


def _forms(surnames: list[data.Surname]) -> tuple[set[str], set[str]]:
    male = {normalize_name(s.male) for s in surnames}
    female = {normalize_name(s.female) for s in surnames}
    return male, female


def test_names_agree_with_sex(chunks: list[PersonChunk], persons: list[dict[str, Any]]) -> None:
    all_surnames = list(data.SURNAMES)
    for foreign in data.SURNAMES_BY_CITIZENSHIP.values():
        all_surnames.extend(foreign)
    male_forms, female_forms = _forms(all_surnames)
    male_names = {n.name for n in data.MALE_NAMES}
    female_names = {n.name for n in data.FEMALE_NAMES}
    for lists in data.FOREIGN_MALE_NAMES.values():
        male_names |= {n.name for n in lists}
    for lists in data.FOREIGN_FEMALE_NAMES.values():
        female_names |= {n.name for n in lists}
    male_names = {normalize_name(n) for n in male_names}
    female_names = {normalize_name(n) for n in female_names}
    typos = {t.duplicate_enp for c in chunks for t in c.duplicates if SURNAME_TYPO in t.kinds}
    for p in persons:
        if p["sex"] == 1:
            assert p["name_norm"] in male_names
            assert p["enp"] in typos or p["surname_norm"] in male_forms
            assert p["patronymic"] is None or p["patronymic"].endswith(("вич", "ич"))
        else:
            assert p["name_norm"] in female_names
            assert p["enp"] in typos or p["surname_norm"] in female_forms, p["surname"]
            assert p["patronymic"] is None or p["patronymic"].endswith(("вна", "чна", "ична"))
    # A feminine form is really used where the surname has one.
    assert any(p["sex"] == 2 and p["surname"].endswith("ова") for p in persons)
    assert any(p["surname"].endswith("ская") for p in persons)


def test_yo_is_kept_in_most_records(persons: list[dict[str, Any]]) -> None:
    with_yo = sum("ё" in f"{p['surname']}{p['name']}{p['patronymic']}" for p in persons)
    assert with_yo > 0.03 * len(persons)
    assert all(
        p["surname_norm"] == normalize_name(p["surname"])
        and p["name_norm"] == normalize_name(p["name"])
        and p["patronymic_norm"] == normalize_name(p["patronymic"])
        for p in persons
    )


def test_documents_fit_the_age(histories: list) -> None:
    for h in histories:
        for v in h:
            on = v["valid_from"]
            errors = validate_document(
                v["doc_type"],
                v["doc_series"],
                v["doc_number"],
                birth_date=v["birth_date"],
                issue_date=v["doc_issue_date"],
                on_date=on,
            )
            assert blocking(errors) == [], (v["enp"], errors)
            if v["doc_type"] == 14:
                assert age_on(v["birth_date"], v["doc_issue_date"]) >= 14
            assert v["doc_issue_date"] <= on
            assert v["doc_expiry"] is None or v["doc_expiry"] > on
        if h[-1]["status"] == "insured":  # the current document is valid today
            assert h[-1]["doc_expiry"] is None or h[-1]["doc_expiry"] > AS_OF
    current = [h[-1] for h in histories]
    assert all(v["doc_type"] != 14 for v in current if age_on(v["birth_date"], AS_OF) < 14)
    kids = [v for v in current if age_on(v["birth_date"], AS_OF) < 13 and v["citizenship"] == "RUS"]
    assert kids and all(v["doc_type"] == 3 for v in kids)
    passports = Counter(v["doc_series"][:2] for v in current if v["doc_type"] == 14)
    assert passports.most_common(1)[0][0] == "46"


def test_foreigners_and_stateless(persons: list[dict[str, Any]]) -> None:
    foreign = [p for p in persons if p["citizenship"] != "RUS"]
    assert 0.01 < len(foreign) / len(persons) < 0.035
    for p in foreign:
        assert p["person_category"] in (2, 3, 4, 5)
        assert p["doc_type"] in (9, 11, 12, 22, 23, 24)
        if p["citizenship"] is None:
            assert p["person_category"] == 4
    assert {p["citizenship"] for p in foreign} >= {"UZB", "TJK"}
    assert all(p["person_category"] == 1 for p in persons if p["citizenship"] == "RUS")
    assert set(PERSON_CATEGORIES) >= {p["person_category"] for p in persons}


def test_addresses_and_attachment(persons: list[dict[str, Any]]) -> None:
    mo_codes = {m.code for m in mo_list("50")}
    smo_codes = {s.code for s in smo_list("50")}
    for p in persons:
        assert p["homeless"] or p["reg_okato"].startswith("46")
        assert p["mo_code"] in mo_codes and p["smo_code"] in smo_codes
        assert p["attach_date"] >= p["birth_date"]
    children_mo = {m.code for m in mo_list("50") if m.for_children}
    grown = [
        p for p in persons if p["status"] == "insured" and age_on(p["birth_date"], AS_OF) >= 19
    ]
    assert all(p["mo_code"] not in children_mo for p in grown)
    assert any(p["mo_code"] in children_mo for p in persons)
    assert any(p["res_address"] for p in persons)
    assert sum(bool(p["phone"]) for p in persons) > 0.2 * len(persons)


# --- histories and statuses ----------------------------------------------------------


def test_histories_are_contiguous_and_end_in_the_current_state(
    persons: list[dict[str, Any]], histories: list
) -> None:
    lengths = Counter(len(h) for h in histories)
    assert set(lengths) == {1, 2, 3, 4}
    for person, history in zip(persons, histories, strict=True):
        assert history[0]["event_code"] == "П01"
        for before, after in pairwise(history):
            assert before["valid_to"] == after["valid_from"]
            assert before["valid_from"] < after["valid_from"]
        assert history[-1]["valid_to"] is None
        assert all(v["source"] == "initial_load" for v in history)
        assert all(v["event_code"] in EVENT_CODES for v in history)
        assert all(v["valid_from"] <= AS_OF for v in history)
        assert {f: history[-1][f] for f in RECORD_FIELDS} == {f: person[f] for f in RECORD_FIELDS}
        assert len({v["enp"] for v in history}) == 1
    events = Counter(v["event_code"] for h in histories for v in h)
    assert {"П01", "П02", "П03", "П04", "П06"} <= set(events)


def test_marriage_changes_the_surname_of_women(histories: list) -> None:
    changed = [h for h in histories if any(a["surname"] != b["surname"] for a, b in pairwise(h))]
    assert changed
    for h in changed:
        assert h[0]["sex"] == 2
        for a, b in pairwise(h):
            if a["surname"] != b["surname"]:
                # A new passport comes with the new surname (in a version of its own, П04,
                # or merged into the next change the migrated history kept).
                assert b["doc_number"] != a["doc_number"]


def test_statuses_are_consistent(persons: list[dict[str, Any]], histories: list) -> None:
    statuses = Counter(p["status"] for p in persons)
    assert statuses["insured"] > 0.85 * len(persons)
    assert statuses["closed"] and statuses["deceased"]
    for p, h in zip(persons, histories, strict=True):
        if p["death_date"] is not None or p["status"] == "deceased":
            assert p["status"] == "deceased" and p["death_date"] is not None
            assert p["closure_reason"] == "П022"
            assert p["closure_date"] == p["death_date"] > p["birth_date"]
        if p["status"] == "closed":
            assert p["closure_reason"] in CLOSURE_REASONS and p["closure_reason"] != "П022"
            assert p["closure_date"] is not None and p["death_date"] is None
        if p["status"] == "insured":
            assert p["closure_date"] is None and p["closure_reason"] is None
            assert p["insurance_end"] is None or p["insurance_end"] > AS_OF
        else:
            assert h[-1]["event_code"] == "П02"
            assert h[-1]["valid_from"] == p["closure_date"] == p["insurance_end"]
            assert all(v["status"] == "insured" for v in h[:-1])
        assert p["insurance_start"] <= (p["closure_date"] or AS_OF)
    conscripts = [p for p in persons if p["closure_reason"] == "П025"]
    assert all(p["sex"] == 1 for p in conscripts)


# --- duplicates --------------------------------------------------------------------

_IDENTITY = (
    "sex",
    "birth_date_reliability",
    "birth_place",
    "citizenship",
    "person_category",
    "doc_type",
    "reg_okato",
    "reg_address",
)
_DOCUMENT = ("doc_series", "doc_number", "doc_issue_date", "doc_issuer", "doc_expiry")


def _strip_yo(value: str | None) -> str | None:
    return value.replace("ё", "е").replace("Ё", "Е") if value else value


def _one_edit_apart(a: str, b: str) -> bool:
    """Levenshtein distance 1, or two neighbouring letters swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    long, short = (a, b) if len(a) > len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _check_duplicate(orig: dict[str, Any], dup: dict[str, Any], kinds: tuple[str, ...]) -> None:
    for field in _IDENTITY:
        assert dup[field] == orig[field], field
    yo = YO_E in kinds
    expect_name = _strip_yo(orig["name"]) if yo else orig["name"]
    assert dup["name"] == expect_name
    if NO_PATRONYMIC in kinds:
        assert orig["patronymic"] and dup["patronymic"] is None
    else:
        assert dup["patronymic"] == (_strip_yo(orig["patronymic"]) if yo else orig["patronymic"])
    base = _strip_yo(orig["surname"]) if yo else orig["surname"]
    if SURNAME_TYPO in kinds:
        assert _one_edit_apart(base, dup["surname"]), (base, dup["surname"])
    elif SURNAME_CHANGED in kinds:
        assert normalize_name(dup["surname"]) != normalize_name(base)
    else:
        assert dup["surname"] == base
    if yo:
        assert kinds == (YO_E,)
        assert "ё" in f"{orig['surname']}{orig['name']}{orig['patronymic']}"
    b = orig["birth_date"]
    if DAY_MONTH_SWAPPED in kinds:
        assert dup["birth_date"] == date(b.year, b.day, b.month) != b
    else:
        assert dup["birth_date"] == b
    if OTHER_DOCUMENT in kinds:
        assert dup["doc_number"] != orig["doc_number"]
    else:
        assert all(dup[f] == orig[f] for f in _DOCUMENT)
    # Its own registration: another ЕНП, no СНИЛС (that is why nobody found the original).
    assert dup["enp"] != orig["enp"] and dup["snils"] is None
    assert dup["status"] == "insured"


def test_duplicates_differ_only_as_declared(chunks: list[PersonChunk]) -> None:
    kinds_seen: Counter[str] = Counter()
    for chunk in chunks:
        by_enp = {p["enp"]: p for p in chunk.persons}
        assert len(chunk.duplicates) == 30
        for truth in chunk.duplicates:
            assert truth.kinds and set(truth.kinds) <= set(DUPLICATE_KINDS)
            _check_duplicate(by_enp[truth.original_enp], by_enp[truth.duplicate_enp], truth.kinds)
            kinds_seen.update(truth.kinds)
        originals = [t.original_enp for t in chunk.duplicates]
        assert len(set(originals)) == len(originals)
    assert set(kinds_seen) >= {SURNAME_TYPO, OTHER_DOCUMENT, NO_PATRONYMIC}


def test_truth_file_round_trip(chunks: list[PersonChunk], tmp_path: Path) -> None:
    truths = [t for c in chunks for t in c.duplicates]
    path = tmp_path / "duplicates_truth.csv"
    assert write_duplicates_truth(path, truths) == len(truths)
    assert read_duplicates_truth(path) == truths
    assert path.read_text(encoding="utf-8").splitlines()[0] == "duplicate_enp,original_enp,kinds"
