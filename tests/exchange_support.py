"""Answering a batch file the way the central segment does, for tests of the regional side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from ferzl.codec import (
    ApplicationAnswers,
    ChangeAnswer,
    ErrorDetail,
    TransportAnswer,
    build_application_answers,
    build_transport_answer,
    parse_batch,
)

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def answer_batch_file(inbound: Path, path: Path, codes: dict[str, str] | None = None) -> None:
    """CA for the batch, then one ACK per message (AA unless ``codes`` says AR = code 69)."""
    batch = parse_batch(path.read_bytes())
    stem = path.name.removesuffix(".uprmes")
    inbound.mkdir(parents=True, exist_ok=True)
    inbound.joinpath(stem + ".uprak1").write_bytes(
        build_transport_answer(TransportAnswer(batch.header.batch_id, "CA"))
    )
    answers = []
    for m in batch.messages:
        code = (codes or {}).get(m.message_id, "AA")
        errors = (
            (ErrorDetail("PID.5", "205", "E", "69", "Найдено несколько записей"),)
            if code == "AR"
            else ()
        )
        answers.append(ChangeAnswer(m.message_id, code, errors))
    inbound.joinpath(stem + ".uprak2").write_bytes(
        build_application_answers(
            ApplicationAnswers(batch.header.batch_id, tuple(answers)),
            region_code=batch.header.region_code,
            created=NOW,
        )
    )


def queue_registrations(factory: sessionmaker[Session], count: int, *, chunk: int = 5000) -> None:
    """``count`` registration requests waiting to be sent, written in bulk (as the buffer would
    hold them after the ФЛК) — for crash tests and benchmarks of the exchange."""
    from register.buffer import FORMAT_CHECKED, record_to_json
    from register.enp import make_enp
    from register.models import BufferRequest
    from register.names import normalize_name
    from tests.factories import person_record

    done = 0
    while done < count:
        rows = []
        for i in range(done, min(count, done + chunk)):
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000)
            record = person_record(
                enp=make_enp("50", birth, 1, i // 20000),
                surname=f"ОБМЕНОВ{_letters(i)}",
                birth_date=birth,
                doc_number=f"{i:06d}",
                doc_series=f"{10 + i // 1_000_000:02d} 77",
                insurance_start=dt.date(2026, 11, 1),
                mo_code=None,
                attach_date=None,
            )
            rows.append(
                {
                    "buffer_type": 1,
                    "operation": "register",
                    "event_code": "П01",
                    "enp": record["enp"],
                    "surname": record["surname"],
                    "surname_norm": normalize_name(record["surname"]),
                    "name": record["name"],
                    "patronymic": record["patronymic"],
                    "birth_date": record["birth_date"],
                    "proposed": record_to_json(record),
                    "status": FORMAT_CHECKED,
                    "errors": [],
                    "version": 1,
                }
            )
        with factory() as session, session.begin():
            session.execute(insert(BufferRequest), rows)
        done += len(rows)


def _letters(n: int) -> str:
    """A distinct Cyrillic suffix per number (surnames have no digits)."""
    alphabet = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ"
    out = ""
    while True:
        n, r = divmod(n, len(alphabet))
        out += alphabet[r]
        if n == 0:
            return out
