"""Search benchmark over the register as it is (run with `rserz bench-search`)."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from register.db import make_engine, make_session_factory
from register.models import Person
from register.search import PersonQuery, count_persons, search_persons


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return p50 * 1000, p95 * 1000


def run_search_benchmark(database_url: str, *, repeat: int = 200, seed: int = 7) -> Iterator[str]:
    """Yield one line per kind of query: p50/p95 in milliseconds."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    rng = random.Random(seed)
    with factory() as session:
        total = int(session.scalar(select(func.count()).select_from(Person)) or 0)
        top = int(session.scalar(select(func.max(Person.id))) or 0)
        sample = _sample(session, rng, top, repeat)
    yield f"База: {engine.url.render_as_string(hide_password=True)}; застрахованных: {total}"
    kinds: dict[str, Callable[[Session, Person], object]] = {
        "ФИО (префикс) + дата рождения": lambda s, p: search_persons(
            s, PersonQuery(surname=p.surname[:4], name=p.name[:2], birth_date=p.birth_date)
        ),
        "ЕНП": lambda s, p: search_persons(s, PersonQuery(enp=p.enp)),
        "Фамилия (префикс), первая страница": lambda s, p: search_persons(
            s, PersonQuery(surname=p.surname[:3])
        ),
        "Количество: фамилия (префикс)": lambda s, p: count_persons(
            s, PersonQuery(surname=p.surname[:3])
        ),
        "Количество: СМО + статус": lambda s, p: count_persons(
            s, PersonQuery(smo_code=p.smo_code, status="insured")
        ),
    }
    for label, run in kinds.items():
        timings = []
        for person in sample:
            with factory() as session:
                t0 = time.perf_counter()
                run(session, person)
                timings.append(time.perf_counter() - t0)
        p50, p95 = _percentiles(timings)
        yield f"{label:40} p50 {p50:7.2f} мс   p95 {p95:7.2f} мс   (n={len(timings)})"
    engine.dispose()


def _sample(session: Session, rng: random.Random, top: int, n: int) -> list[Person]:
    people: list[Person] = []
    while len(people) < n and top:
        person = session.get(Person, rng.randint(1, top))
        if person is not None:
            people.append(person)
    session.expunge_all()
    return people
