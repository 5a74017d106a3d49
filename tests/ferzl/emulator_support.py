"""Shared set-up of the emulator tests: a region database, a seeded store, batches, answers."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from ferzl.codec import (
    Address,
    ApplicationAnswers,
    BatchHeader,
    ChangeMessage,
    Insurance,
    OutboundMessage,
    PersonDocument,
    TransportAnswer,
    build_batch,
    parse_application_answers,
    parse_transport_answer,
)
from ferzl.emulator import store
from ferzl.emulator.seed import seed_store
from ferzl.emulator.server import create_app
from register.db import make_engine, make_session_factory, transaction
from register.enp import make_enp
from register.settings import Settings, load_settings
from register.snils import make_snils
from tests.factories import add_person, seed_region

REGION = "50"
OKATO = "46000"
SMO_OGRN = "1027700001234"  # СМО 50001 of tests.factories.seed_region
OTHER_REGIONS = 40
CREATED = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
APPLIED = dt.date(2026, 11, 20)

_serial = itertools.count(1)


def make_region(tmp_path: Path, sqlite_url: str, persons: int = 3) -> tuple[Settings, list[str]]:
    """A region database with ``persons`` persons, the data directory, the seeded store."""
    engine = make_engine(sqlite_url)
    enps = []
    with transaction(make_session_factory(engine)) as session:
        seed_region(session)
        for i in range(persons):
            person = add_person(session, surname=f"РЕГИОНОВ{'АБВГДЕЖЗИК'[i % 10]}")
            enps.append(person.enp)
    engine.dispose()
    settings = load_settings(
        {"RSERZ_DATA_DIR": str(tmp_path / "data"), "RSERZ_DATABASE_URL": sqlite_url}
    )
    settings.ensure_dirs()
    seed_store(settings, other_regions_count=OTHER_REGIONS)
    return settings, enps


def new_person(**overrides: Any) -> ChangeMessage:
    """A П01 of a person ФЕРЗЛ does not know; identifiers unique per call."""
    n = next(_serial)
    birth = overrides.pop("birth_date", dt.date(1970, 1, 1) + dt.timedelta(days=n * 37))
    sex = overrides.pop("sex", 2)
    enp = make_enp(REGION, birth, sex, 70_000 + n)
    values: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "mode": "P",
        "event": "П01",
        "application_date": APPLIED,
        "surname": f"НОВИКОВА{'АБВГДЕЖЗИКЛМНОП'[n % 15]}",
        "name": "ЕЛЕНА",
        "patronymic": "СЕРГЕЕВНА",
        "birth_date": birth,
        "sex": sex,
        "documents": (PersonDocument("14", "46 20", f"{700_000 + n:06d}", dt.date(2020, 5, 1)),),
        "enp": enp,
        "snils": make_snils(f"{500_000_000 + n * 7:09d}"),
        "addresses": (Address("L", "46483000000"),),
        "birth_place": "г. Химки",
        "citizenships": ("RUS",),
        "insurance": insurance(enp),
    }
    values.update(overrides)
    return ChangeMessage(**values)


def insurance(enp: str, **overrides: Any) -> Insurance:
    values: dict[str, Any] = {
        "smo_ogrn": SMO_OGRN,
        "start": dt.date(2026, 11, 20),
        "end": None,
        "region_okato": OKATO,
        "policy_form": "Э",
        "policy_number": enp,
        "employed": True,
    }
    values.update(overrides)
    return Insurance(**values)


def edit(person: dict[str, Any], event: str = "П04", **overrides: Any) -> ChangeMessage:
    """A change message about a person as the look-up shows them."""
    values: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "mode": "P",
        "event": event,
        "application_date": APPLIED,
        "surname": person["surname"],
        "name": person["name"],
        "patronymic": person["patronymic"],
        "birth_date": dt.date.fromisoformat(person["birth_date"]),
        "sex": person["sex"],
        "enp": person["enp"],
        "snils": person["snils"],
    }
    values.update(overrides)
    return ChangeMessage(**values)


def write_batch(
    settings: Settings,
    messages: Sequence[OutboundMessage],
    *,
    batch_id: str | None = None,
    region: str = REGION,
    created: dt.datetime = CREATED,
    encoding: str = "windows-1251",
) -> Path:
    """A ``.uprmes`` in ``outbound/`` as the sender writes it."""
    header = BatchHeader(
        region_code=region, created=created, mode="P", batch_id=batch_id or str(uuid.uuid4())
    )
    return write_bytes(settings, header.batch_id, build_batch(header, messages, encoding))


def write_bytes(settings: Settings, batch_id: str, data: bytes) -> Path:
    path = settings.exchange_outbound / f"{OKATO}-{batch_id}.uprmes"
    path.write_bytes(data)
    return path


def stem(path: Path) -> str:
    return path.name.removesuffix(".uprmes")


def transport(settings: Settings, batch: Path) -> TransportAnswer:
    return parse_transport_answer(
        (settings.exchange_inbound / f"{stem(batch)}.uprak1").read_bytes()
    )


def application(settings: Settings, batch: Path, suffix: str = "") -> ApplicationAnswers:
    name = f"{stem(batch)}{suffix}.uprak2"
    return parse_application_answers((settings.exchange_inbound / name).read_bytes())


def client(settings: Settings) -> Client:
    return Client(create_app(store.store_path(settings.data_dir)))


def lookup(settings: Settings, enp: str) -> dict[str, Any]:
    response = client(settings).get(f"/api/v1/persons/{enp}")
    assert response.status_code == 200, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data


def store_counts(settings: Settings) -> tuple[int, int]:
    conn = store.connect(store.store_path(settings.data_dir))
    try:
        persons = store.count_persons(conn)
        versions = int(conn.execute("SELECT count(*) FROM federal_version").fetchone()[0])
    finally:
        conn.close()
    return persons, versions
