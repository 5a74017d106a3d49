"""The emulator's HTTP look-up: criteria, paging, person, history, Russian errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ferzl.emulator import lookup as lookup_module
from ferzl.emulator.seed import special_enp
from register.enp import make_enp
from register.settings import Settings
from tests.ferzl.emulator_support import client, lookup, make_region


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Settings:
    import shutil

    tmp = tmp_path_factory.mktemp("lookup")
    shutil.copy(sqlite_template, tmp / "rserz.sqlite")
    return make_region(tmp, f"sqlite:///{tmp / 'rserz.sqlite'}", persons=25)[0]


def _search(settings: Settings, **criteria: Any) -> tuple[int, dict[str, Any]]:
    response = client(settings).get("/api/v1/persons", query_string=criteria)
    assert response.mimetype == "application/json"
    return response.status_code, response.get_json()


def test_health() -> None:
    from werkzeug.test import Client

    from ferzl.emulator.server import create_app

    response = Client(create_app(Path("/nonexistent/federal.sqlite"))).get("/health")
    assert response.status_code == 200 and response.get_json()["status"] == "alive"


def test_search_by_each_criteria_set(settings: Settings) -> None:
    twin = lookup(settings, special_enp(0))
    status, body = _search(settings, surname="двойников", name="ИВАН", birth_date="1980-05-05")
    assert status == 200 and body["total"] == 2
    assert {p["enp"] for p in body["items"]} == {special_enp(0), special_enp(1)}
    status, body = _search(
        settings, surname="Двойников", name="Иван", patronymic="Петрович", birth_date="1980-05-05"
    )
    assert body["total"] == 2
    for criteria in (
        {"doc_type": "14", "doc_number": twin["doc_number"]},
        {"doc_type": "14", "doc_number": twin["doc_number"], "doc_series": "0101"},
        {"enp": twin["enp"]},
        {"policy_number": twin["policy_number"]},
        {"snils": f"{twin['snils'][:3]}-{twin['snils'][3:6]}-{twin['snils'][6:9]} "
                  f"{twin['snils'][9:]}", "birth_date": "1980-05-05"},
    ):  # fmt: skip
        status, body = _search(settings, **criteria)
        assert (status, [p["enp"] for p in body["items"]]) == (200, [twin["enp"]]), criteria
    assert set(body["items"][0]) == {
        "enp", "surname", "name", "patronymic", "sex", "birth_date", "birth_place",
        "citizenship", "snils", "doc_type", "doc_series", "doc_number", "doc_issue_date",
        "doc_expiry", "reg_okato", "res_okato", "status", "death_date", "smo_ogrn",
        "region_code", "insurance_start", "insurance_end", "policy_form", "policy_number",
        "working",
    }  # fmt: skip
    assert body["items"][0]["working"] is True


def test_names_compare_case_insensitively_with_yo_as_e(settings: Settings) -> None:
    _, body = _search(
        settings, surname="двойников", name="Иван", patronymic="ПЁТРОВИЧ", birth_date="1980-05-05"
    )
    assert body["total"] == 2
    _, body = _search(settings, surname="Закрытова", name="анна", birth_date="1990-08-20")
    assert body["total"] == 1
    assert _search(settings, surname="Закрытова", name="Анна", birth_date="1990-08-21") == (
        200,
        {"total": 0, "page": 1, "page_size": 20, "items": []},
    )


def test_paging(settings: Settings) -> None:
    # The 25 region persons are «РЕГИОНОВx ИВАН ИВАНОВИЧ» born 1985-07-15: 3 are РЕГИОНОВА.
    status, body = _search(
        settings, surname="РЕГИОНОВА", name="ИВАН", birth_date="1985-07-15", page_size=2
    )
    assert (status, body["total"], len(body["items"])) == (200, 3, 2)
    status, page2 = _search(
        settings, surname="РЕГИОНОВА", name="ИВАН", birth_date="1985-07-15", page_size=2, page=2
    )
    assert (page2["page"], page2["page_size"], len(page2["items"])) == (2, 2, 1)
    assert not {p["enp"] for p in body["items"]} & {p["enp"] for p in page2["items"]}
    status, beyond = _search(
        settings, surname="РЕГИОНОВА", name="ИВАН", birth_date="1985-07-15", page=9
    )
    assert (beyond["total"], beyond["items"]) == (3, [])


VALID_ENP = make_enp("50", date(1990, 1, 1), 1, 1)


@pytest.mark.parametrize(
    ("criteria", "fragment"),
    [
        ({}, "Укажите критерии поиска"),
        ({"surname": "ИВАНОВ"}, "Неполный набор критериев (фамилия)"),
        ({"surname": "ИВАНОВ", "name": "ИВАН", "birth_date": "05.05.1980"}, "ГГГГ-ММ-ДД"),
        ({"doc_number": "123456"}, "Неполный набор"),
        ({"doc_type": "паспорт", "doc_number": "123456"}, "F011"),
        ({"doc_type": "99", "doc_number": "123456"}, "код 99 отсутствует в справочнике F011"),
        ({"doc_type": "١٤", "doc_number": "123456"}, "F011"),
        ({"doc_type": "1" * 5000, "doc_number": "123456"}, "F011"),
        ({"snils": "123"}, "СНИЛС должен состоять из 11 цифр"),
        ({"snils": "11223344594", "birth_date": "1980-05-05"}, "контрольное число СНИЛС"),
        ({"snils": "11223344595"}, "Неполный набор"),
        ({"enp": "12345"}, "ЕНП должен состоять из 16 цифр"),
        ({"enp": "5000000000000000"}, "Неверное контрольное число ЕНП"),
        ({"enp": "١" * 16}, "только цифры"),
        ({"enp": VALID_ENP, "page": "0"}, "page: ожидалось целое число не меньше 1"),
        ({"enp": VALID_ENP, "page": str(10**30)}, "page: не больше 100000"),
        ({"enp": VALID_ENP, "page": "9" * 5000}, "page: не больше 100000"),
        ({"enp": VALID_ENP, "page": "²"}, "page: ожидалось целое число"),
        ({"enp": VALID_ENP, "page_size": "101"}, "не больше 100"),
    ],
)
def test_bad_criteria_are_400_with_a_russian_text(
    settings: Settings, criteria: dict[str, str], fragment: str
) -> None:
    status, body = _search(settings, **criteria)
    assert status == 400
    assert fragment in body["error"]


def test_person_and_history(settings: Settings) -> None:
    closed = lookup(settings, special_enp(3))
    assert (closed["status"], closed["insurance_end"]) == ("closed", "2022-06-30")
    history = client(settings).get(f"/api/v1/persons/{special_enp(3)}/history").get_json()
    assert history["enp"] == special_enp(3)
    assert [(v["event_code"], v["status"], v["valid_from"], v["valid_to"])
            for v in history["versions"]] == [
        ("П01", "insured", "2015-01-01", "2022-06-30"),
        ("П02", "closed", "2022-06-30", None),
    ]  # fmt: skip


@pytest.mark.parametrize("path", ["/api/v1/persons/{}", "/api/v1/persons/{}/history"])
def test_an_unknown_enp_is_404(settings: Settings, path: str) -> None:
    response = client(settings).get(path.format("5000000000000000"))
    assert response.status_code == 404
    assert response.get_json() == {"error": "Застрахованное лицо не найдено в ФЕРЗЛ"}


def test_unknown_address_and_method(settings: Settings) -> None:
    assert client(settings).get("/api/v2/nothing").status_code == 404
    assert client(settings).post("/api/v1/persons").status_code == 405


def test_every_given_criterion_applies(settings: Settings) -> None:
    enp = special_enp(0)
    assert _search(settings, enp=enp, doc_series="01 01")[1]["total"] == 1
    assert _search(settings, enp=enp, doc_series="99 99")[1]["total"] == 0
    assert _search(settings, enp=enp, birth_date="1980-05-06")[1]["total"] == 0
    assert _search(settings, enp=enp, surname="ДВОЙНИКОВ")[1]["total"] == 1


def test_the_largest_page_is_answered(settings: Settings) -> None:
    status, body = _search(settings, enp=special_enp(0), page="100000", page_size="100")
    assert (status, body["page"], body["items"]) == (200, 100_000, [])


def test_document_numbers_and_series_compare_as_the_register_writes_them(
    settings: Settings,
) -> None:
    twin = special_enp(0)  # passport 01 01 № 990001
    for criteria in (
        {"doc_type": "14", "doc_number": "990 001"},
        {"doc_type": "14", "doc_number": " 99 00 01 ", "doc_series": "0101"},
        {"doc_type": "14", "doc_number": "990001", "doc_series": "01-01"},
        {"enp": twin, "doc_number": "990 001"},
        {"enp": twin, "doc_series": "0101"},
    ):
        status, body = _search(settings, **criteria)
        assert (status, [p["enp"] for p in body["items"]]) == (200, [twin]), criteria
    assert (
        _search(settings, doc_type="14", doc_number="990001", doc_series="01 02")[1]["total"] == 0
    )
    # A GLOB wildcard in a number is a character like any other.
    assert _search(settings, doc_type="14", doc_number="99000*")[1]["total"] == 0


def test_an_unexpected_fault_is_a_json_500_in_russian(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(lookup_module, "search", broken)
    response = client(settings).get("/api/v1/persons", query_string={"enp": VALID_ENP})
    assert response.status_code == 500 and response.mimetype == "application/json"
    assert response.get_json()["error"].startswith("Внутренняя ошибка эмулятора ФЕРЗЛ")
