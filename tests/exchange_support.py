"""Answering a batch file the way the central segment does, for tests of the regional side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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
            (ErrorDetail("PID.3", "204", "E", "69", "Найдено несколько записей"),)
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
