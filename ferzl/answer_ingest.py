"""Reading the central segment's answers (``.uprak1`` / ``.uprak2``) into the buffer.

One answer file is one transaction: it is claimed by its sha256, every answer in
it is matched by message id and handed to ``register.exchange`` (which applies,
rejects or journals), and only then committed. A crash in the middle rolls the
whole file back; it is read again from scratch. A file that was read moves into
``inbound/done/``; one that cannot be read into ``inbound/bad/`` (journalled).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ferzl.codec.answers import (
    APP_ERROR_TEXTS_RU,
    ApplicationAnswers,
    ChangeAnswer,
    ErrorDetail,
    TransportAnswer,
    parse_application_answers,
    parse_transport_answer,
)
from ferzl.codec.batch import BatchError
from ferzl.transport import TMP_SUFFIX, move_into, sha256_of
from register import exchange
from register.db import transaction
from register.settings import Settings

KINDS = {".uprak1": "uprak1", ".uprak2": "uprak2"}
TRANSPORT_TEXTS_RU = {
    "40": "Файл не является корректным XML",
    "41": "Нарушена структура пакета",
    "42": "Ошибка в идентификаторе пакета",
    "43": "Число сообщений не совпадает с заявленным",
    "44": "Не совпадает контрольная сумма пакета",
}


@dataclass(frozen=True)
class IngestResult:
    file_name: str
    sha256: str
    kind: str
    batch_id: str | None
    outcome: str  # processed / repeat / unreadable
    counts: dict[str, int]
    raw: list[dict[str, object]]  # one row per answer, for the warehouse
    reason: str | None = None  # why an unreadable file could not be read

    def text(self) -> str:
        """One line for the console and the Dagster log, in Russian."""
        if self.outcome == "unreadable":
            return f"{self.file_name}: не прочитан (перемещён в bad/): {self.reason}"
        if self.outcome == "repeat":
            return f"{self.file_name}: повтор полученного ранее файла, ничего не изменено"
        counts = ", ".join(
            f"{COUNT_LABELS[k]}: {v}" for k, v in self.counts.items() if v and k in COUNT_LABELS
        )
        return f"{self.file_name}: обработан" + (f" ({counts})" if counts else "")


COUNT_LABELS = {
    "applied": "применено",
    "rejected": "отклонено",
    "multiple": "множественная идентификация",
    "repeated": "повторных ответов",
    "late": "запоздалых",
    "unknown": "на неизвестные сообщения",
}


def answer_kind(path: Path) -> str | None:
    if path.name.endswith(TMP_SUFFIX):
        return None
    return KINDS.get(path.suffix)


def pending_answer_files(settings: Settings) -> Iterator[Path]:
    """Answer files waiting in the inbound folder, oldest first."""
    folder = settings.exchange_inbound
    if not folder.is_dir():
        return iter(())
    files = [p for p in folder.iterdir() if p.is_file() and answer_kind(p)]
    return iter(sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name)))


def _error(e: ErrorDetail, texts: dict[str, str]) -> exchange.AnswerError:
    known = texts.get(e.app_code or "")
    text = e.text or known or "Ошибка без описания"
    if known and e.text and known.lower() not in e.text.lower():
        text = f"{known}: {e.text}"
    return exchange.AnswerError(
        text=text, code=e.app_code, position=e.position, warning=e.severity == "W"
    )


def _raw(
    sha: str,
    kind: str,
    batch_id: str,
    message_id: str | None,
    code: str,
    errors: list[exchange.AnswerError],
) -> dict[str, object]:
    return {
        "file_sha256": sha,
        "kind": kind,
        "batch_id": batch_id,
        "message_id": message_id,
        "code": code,
        "error_codes": ",".join(e.code or "" for e in errors),
        "error_texts": " | ".join(e.text for e in errors),
    }


def _parse(data: bytes, kind: str) -> TransportAnswer | ApplicationAnswers:
    if kind == "uprak1":
        return parse_transport_answer(data)
    return parse_application_answers(data)


def ingest_answer_bytes(
    session: Session, data: bytes, *, file_name: str, kind: str
) -> IngestResult:
    """Apply one answer file inside the caller's transaction.

    The raw rows describe the file's content whatever it did to the buffer, so a
    retried warehouse load gets them again from a file the buffer has seen.
    """
    sha = sha256_of(data)
    try:
        parsed = _parse(data, kind)
    except (BatchError, ValueError) as exc:
        reason = exc.text_ru if isinstance(exc, BatchError) else str(exc)
        exchange.record_unreadable_file(
            session, sha256=sha, file_name=file_name, kind=kind, reason=reason
        )
        return IngestResult(file_name, sha, kind, None, "unreadable", {}, [], reason)
    batch_id = parsed.batch_id
    fresh = exchange.register_answer_file(
        session, sha256=sha, file_name=file_name, kind=kind, batch_id=batch_id
    )
    outcome = exchange.AnswerOutcome()
    raw: list[dict[str, object]] = []
    if isinstance(parsed, TransportAnswer):
        errors = [_error(e, TRANSPORT_TEXTS_RU) for e in parsed.errors]
        raw.append(_raw(sha, kind, batch_id, None, parsed.code, errors))
        if fresh:
            outcome = exchange.record_transport_answer(
                session, batch_id=batch_id, code=parsed.code, errors=errors, file_name=file_name
            )
    else:
        changes = []
        for answer in parsed.answers:
            if not isinstance(answer, ChangeAnswer):
                continue  # answers to queries belong to the query journal, not the buffer
            errors = [_error(e, APP_ERROR_TEXTS_RU) for e in answer.errors]
            raw.append(_raw(sha, kind, batch_id, answer.message_id, answer.code, errors))
            changes.append(exchange.ChangeAnswerIn(answer.message_id, answer.code, errors))
        if fresh:
            exchange.record_change_answers(
                session, batch_id=batch_id, answers=changes, file_name=file_name, outcome=outcome
            )
    if not fresh:
        return IngestResult(file_name, sha, kind, batch_id, "repeat", {}, raw)
    exchange.finish_answer_file(session, sha, outcome)
    return IngestResult(file_name, sha, kind, batch_id, "processed", outcome.as_json(), raw)


def ingest_answer_file(
    factory: sessionmaker[Session], settings: Settings, path: Path
) -> IngestResult:
    """Read one answer file from the inbound folder, apply it, move it aside."""
    kind = answer_kind(path)
    if kind is None:
        raise ValueError(f"{path.name}: не файл ответа ФЕРЗЛ")
    data = path.read_bytes()
    with transaction(factory) as session:
        result = ingest_answer_bytes(session, data, file_name=path.name, kind=kind)
    set_aside(settings, path, bad=result.outcome == "unreadable")
    return result


def set_aside(settings: Settings, path: Path, *, bad: bool = False) -> None:
    """Move a file that was read out of the inbound folder (gone already: nothing to do)."""
    # Gone already: another reader (the sensor, a retried run) moved it first.
    with contextlib.suppress(FileNotFoundError):
        move_into(path, settings.exchange_inbound / ("bad" if bad else "done"))


def known_file_name(factory: sessionmaker[Session], sha256: str) -> str | None:
    """The name under which a file of this content was read before, if it was."""
    with factory() as session:
        return exchange.known_answer_file_name(session, sha256)


def ingest_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    after_each: Callable[[IngestResult], None] | None = None,
) -> tuple[list[IngestResult], list[str]]:
    """Every answer file waiting in the inbound folder, oldest first.

    A file that fails (database busy, …) stays in the folder for the next attempt and
    does not hold up the others; returns the results and the failures in Russian.
    ``after_each`` runs for every file read (the warehouse load of its raw answers).
    """
    results: list[IngestResult] = []
    failures: list[str] = []
    for path in pending_answer_files(settings):
        try:
            result = ingest_answer_file(factory, settings, path)
        except Exception as exc:  # reported per file; the others go on
            failures.append(f"{path.name}: не обработан, остался во входящей папке: {exc}")
            continue
        results.append(result)
        if after_each is not None:
            after_each(result)
    return results, failures
