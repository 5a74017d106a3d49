"""Benchmark: the HL7 v2.6 XML codec of the exchange with the central segment.

    .venv/bin/python -m tests.benchmarks.bench_codec --messages 10000

Builds and parses an outbound batch of N realistic change messages (windows-1251 and
UTF-8) and a ``.uprak2`` of N answers (change answers with and without errors, status
answers with hits, working-persons answers); parsing includes the XSD check. Prints
messages per second, the file size and the peak RSS of this process (the machine's load
average is shown, since other work on a 2-core machine changes the figures). Not
collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from ferzl.codec import (
    APP_ERROR_TEXTS_RU,
    Address,
    ApplicationAnswer,
    ApplicationAnswers,
    BatchHeader,
    ChangeAnswer,
    ChangeMessage,
    ErrorDetail,
    Insurance,
    PersonDocument,
    PersonHit,
    StatusAnswer,
    WorkingAnswer,
    build_application_answers,
    build_batch,
    parse_application_answers,
    parse_batch,
)
from ferzl.codec.hl7xml import schema

MSK = timezone(timedelta(hours=3))
SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Ёлкин", "Щукин", "Соколов", "Лебедев")
NAMES_M = ("Александр", "Сергей", "Дмитрий", "Андрей", "Пётр", "Юрий")
NAMES_F = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Юлия")
PATRONYMICS = ("Александров", "Сергеев", "Дмитриев", "Андреев", "Петров", "Юрьев")


def _person(rng: random.Random, n: int) -> dict[str, object]:
    sex = rng.choice((1, 2))
    ending = ("ич", "на")[sex - 1]
    return {
        "surname": rng.choice(SURNAMES) + ("а" if sex == 2 else ""),
        "name": rng.choice(NAMES_M if sex == 1 else NAMES_F),
        "patronymic": rng.choice(PATRONYMICS) + ending if rng.random() < 0.95 else None,
        "birth_date": date(1930, 1, 1) + timedelta(days=rng.randrange(33_000)),
        "sex": sex,
        "enp": f"45{n:014d}",
        "snils": f"{rng.randrange(10**9):09d}{rng.randrange(100):02d}"
        if rng.random() < 0.8
        else None,
        "documents": (
            PersonDocument(
                doc_type="14",
                series=f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}",
                number=f"{rng.randrange(10**6):06d}",
                issued=date(2005, 1, 1) + timedelta(days=rng.randrange(7000)),
            ),
        ),
        "addresses": (
            Address("L", f"45{rng.randrange(10**9):09d}"),
            Address("H", f"46{rng.randrange(10**9):09d}"),
        ),
    }


def _insurance(rng: random.Random, n: int, start: date) -> Insurance:
    return Insurance(
        smo_ogrn=rng.choice(("1027739008440", "1025002040250", "1047796961270")),
        start=start,
        end=None,
        region_okato="45000",
        policy_form=rng.choice("ЭПВ"),
        policy_number=f"45{n:014d}",
        employed=rng.random() < 0.6,
    )


def change_messages(count: int, seed: int = 1) -> list[ChangeMessage]:
    """``count`` varied change messages: П01…П11, some deaths (ADT_A03), some П02 with ZDR."""
    rng = random.Random(seed)
    out: list[ChangeMessage] = []
    for n in range(count):
        person = _person(rng, n)
        event = rng.choice([f"П{k:02d}" for k in range(1, 12)])
        applied = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        death = event == "П03" and rng.random() < 0.5
        out.append(
            ChangeMessage(
                message_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                mode="P",
                event=event,
                application_date=applied,
                birth_place="г. Москва" if rng.random() < 0.7 else None,
                citizenships=("RUS",),
                death_date=applied - timedelta(days=3) if event == "П03" else None,
                death_other_region=death,
                insurance=None if death else _insurance(rng, n, applied),
                zdr_reason="1" if event == "П02" else None,
                zdr_date=applied if event == "П02" else None,
                **person,  # type: ignore[arg-type]
            )
        )
    return out


def application_answers(batch_id: str, count: int, seed: int = 2) -> ApplicationAnswers:
    """``count`` answers: 80 % change answers (a fifth with an error), 15 % status, 5 % working."""
    rng = random.Random(seed)
    out: list[ApplicationAnswer] = []
    for n in range(count):
        message_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        roll = rng.random()
        if roll < 0.8:
            errors: tuple[ErrorDetail, ...] = ()
            if rng.random() < 0.2:
                errors = (ErrorDetail("PID.3", "205", "E", "69", APP_ERROR_TEXTS_RU["69"]),)
            out.append(ChangeAnswer(message_id, "AR" if errors else "AA", errors))
        elif roll < 0.95:
            hits = tuple(
                PersonHit(
                    match="Д",
                    key="H01",
                    insurances=(_insurance(rng, n, date(2020, 1, 1)),),
                    **_person(rng, n),  # type: ignore[arg-type]
                )
                for _ in range(rng.choice((0, 1, 1, 1, 2)))
            )
            out.append(
                StatusAnswer(
                    message_id, "AA", "OK" if hits else "NF", len(hits), len(hits), 0, hits
                )
            )
        else:
            enps = tuple(f"45{rng.randrange(10**14):014d}" for _ in range(50))
            out.append(WorkingAnswer(message_id, "AA", 2026, 3, enps))
    return ApplicationAnswers(batch_id, tuple(out))


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    n = args.messages

    for name in ("uprmessagebatch.xsd", "uprak2.xsd"):
        schema(name)  # compiled once per process; not part of the figures
    header = BatchHeader("45000", datetime(2026, 11, 25, 10, 0, tzinfo=MSK), "P", str(uuid.uuid4()))
    messages = change_messages(n)
    answers = application_answers(header.batch_id, n)
    print(f"load average {os.getloadavg()[0]:.2f}, {n} messages, best of {args.repeat}")
    print(f"{'what':<34}{'seconds':>9}{'msg/s':>10}{'MB':>8}")
    for encoding in ("windows-1251", "utf-8"):
        seconds, data = _timed(lambda e=encoding: build_batch(header, messages, e), args.repeat)
        assert isinstance(data, bytes)
        size = len(data) / 1e6
        print(f"{'build batch ' + encoding:<34}{seconds:>9.2f}{n / seconds:>10.0f}{size:>8.1f}")
        seconds, parsed = _timed(lambda d=data: parse_batch(d), args.repeat)
        assert len(parsed.messages) == n  # type: ignore[attr-defined]
        print(f"{'parse batch ' + encoding:<34}{seconds:>9.2f}{n / seconds:>10.0f}{size:>8.1f}")
    for encoding in ("windows-1251", "utf-8"):
        seconds, data = _timed(
            lambda e=encoding: build_application_answers(
                answers, region_code="45000", created=header.created, encoding=e
            ),
            args.repeat,
        )
        assert isinstance(data, bytes)
        size = len(data) / 1e6
        print(f"{'build answers ' + encoding:<34}{seconds:>9.2f}{n / seconds:>10.0f}{size:>8.1f}")
        seconds, parsed = _timed(lambda d=data: parse_application_answers(d), args.repeat)
        assert parsed == answers
        print(f"{'parse answers ' + encoding:<34}{seconds:>9.2f}{n / seconds:>10.0f}{size:>8.1f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
