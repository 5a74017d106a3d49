"""Two operators changing the same person at the same moment: one wins, the other is told."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from register.buffer import RecordConflict, create_request
from register.db import transaction
from register.models import BufferRequest
from tests.factories import add_person, user
from tests.register.test_buffer import TODAY


def test_second_concurrent_edit_waits_then_gets_a_conflict(region: sessionmaker[Session]) -> None:
    with transaction(region) as s:
        person = add_person(s)
        pid, version = person.id, person.version
    outcome: dict[str, object] = {}

    def second_operator() -> None:
        try:
            with transaction(region) as s:
                create_request(
                    s,
                    user(s, "smo1"),
                    operation="edit",
                    raw={"name": "Павел"},
                    region_code="50",
                    person_id=pid,
                    base_version=version,
                    today=TODAY,
                )
            outcome["result"] = "saved"
        except Exception as exc:
            outcome["result"] = exc

    first = region()
    first.begin()
    create_request(
        first,
        user(first, "tfoms"),
        operation="edit",
        raw={"name": "Пётр"},
        region_code="50",
        person_id=pid,
        base_version=version,
        today=TODAY,
    )
    thread = threading.Thread(target=second_operator)
    thread.start()
    time.sleep(0.7)
    assert thread.is_alive(), "the second operator waits for the first one's transaction"
    first.commit()
    first.close()
    thread.join(30)
    assert isinstance(outcome.get("result"), RecordConflict), outcome
    with region() as s:
        assert s.scalar(select(func.count()).select_from(BufferRequest)) == 1
