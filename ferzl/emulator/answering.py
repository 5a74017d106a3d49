"""The answering loop: take each batch from ``exchange/outbound/``, answer into ``inbound/``.

Order of work for one batch, chosen so that no crash loses or doubles a change:

1. read the file, hash it; a file answered before (same sha256, or an accepted
   batch GUID seen before) is answered again with the stored answers — nothing
   is applied twice;
2. parse; identify and apply every message in one transaction that also records
   the batch, its canonical answers and the answer files to write (faults
   included) — committed *before* any file is written;
3. move the batch into ``outbound/taken/``;
4. write the answer files that are due (``.tmp``, fsync, rename) and mark them
   written. Files still unwritten after a crash are written at the next start.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ferzl.codec import (
    ApplicationAnswer,
    ApplicationAnswers,
    BatchError,
    ChangeAnswer,
    ChangeMessage,
    ErrorDetail,
    StatusQuery,
    TransportAnswer,
    WorkingQuery,
    build_application_answers,
    build_transport_answer,
    parse_batch,
)
from ferzl.emulator import store
from ferzl.emulator.faults import Faults, faults_from_env
from ferzl.emulator.identification import Region, answer_change
from ferzl.emulator.query_answers import answer_status, answer_working
from ferzl.emulator.regions import own_okato

BATCH_SUFFIX = ".uprmes"
#: Transport codes of the batch-level faults: 40/41 reject the file, the rest are errors.
REJECTED_CODES = frozenset({40, 41})
OTHER_FAULT = 99
_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_FAULT_NS = uuid.UUID("2b8e1d4c-7a3f-4e6b-9c0d-5f1a2e3b4c5d")

Log = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


@dataclass
class _Outcome:
    """What the log line of a batch says."""

    code: str
    messages: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    queries: int = 0
    error: str = ""


class Answerer:
    """Answers the batches of one data directory; one instance per process (one writer)."""

    def __init__(
        self,
        settings: Any,
        *,
        faults: Faults | None = None,
        encoding: str = "windows-1251",
        log: Log | None = None,
    ) -> None:
        self.region = Region(code=str(settings.region_code), okato=own_okato(settings))
        self.outbound = Path(settings.exchange_outbound)
        self.inbound = Path(settings.exchange_inbound)
        self.taken = self.outbound / "taken"
        self.faults = faults if faults is not None else faults_from_env()
        self.encoding = encoding
        self.log = log or _print
        self.conn = store.connect(store.store_path(Path(settings.data_dir)))
        store.create_indexes(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Answerer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- the loop's step

    def pending(self) -> list[Path]:
        """Batches waiting in ``outbound/``, oldest first (subfolders and ``.tmp`` ignored)."""
        if not self.outbound.is_dir():
            return []
        found = []
        for p in self.outbound.iterdir():
            if not p.name.endswith(BATCH_SUFFIX):
                continue
            try:
                st = p.stat()
            except FileNotFoundError:  # renamed away meanwhile
                continue
            if stat.S_ISREG(st.st_mode):
                found.append((st.st_mtime_ns, p.name, p))
        return [p for _, _, p in sorted(found)]

    def answer_pending(
        self, *, now: float | None = None, stop: threading.Event | None = None
    ) -> int:
        """Answer every waiting batch once, then write the files due; returns batches taken."""
        taken = 0
        for path in self.pending():
            if stop is not None and stop.is_set():
                break
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # taken away meanwhile
                continue
            self.answer_batch(path.name, data, now=now)
            self._move_taken(path)
            taken += 1
            self.deliver_due(now=now)
        self.deliver_due(now=now)
        return taken

    def _move_taken(self, path: Path) -> None:
        self.taken.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # taken away meanwhile
            os.replace(path, self.taken / path.name)

    # ----------------------------------------------------------------- one batch

    def answer_batch(self, file_name: str, data: bytes, *, now: float | None = None) -> None:
        """Identify, apply and record one batch (its answer files are then due for writing)."""
        sha = hashlib.sha256(data).hexdigest()
        seen = self.conn.execute(
            "SELECT * FROM processed_batch WHERE sha256 = ?", (sha,)
        ).fetchone()
        if seen is not None:
            self._repeat(file_name, seen)
            return
        stamp = datetime.now().astimezone()
        try:
            parsed = parse_batch(data)
        except BatchError as exc:
            self._reject(
                file_name, sha, _guid_of(file_name, sha), exc.code, exc.text_ru, stamp, now
            )
            return
        header = parsed.header
        if header.region_code != self.region.code:
            text = (
                f"пакет от имени региона {header.region_code} (BHS.4) получен в обмене "
                f"региона {self.region.code}"
            )
            self._reject(
                file_name, sha, header.batch_id, OTHER_FAULT, text, stamp, now, rejected=True
            )
            return
        accepted = self.conn.execute(
            "SELECT * FROM processed_batch WHERE batch_id = ? AND transport_code = 'CA' "
            "ORDER BY number LIMIT 1",
            (header.batch_id,),
        ).fetchone()
        if accepted is not None:
            self._repeat(file_name, accepted)
            return

        outcome = _Outcome(code="CA", messages=len(parsed.messages))
        transport = build_transport_answer(
            TransportAnswer(batch_id=header.batch_id, code="CA"), self.encoding
        )
        with store.write_transaction(self.conn):
            number = self._next_number()
            answers = [self._answer(m, i) for i, m in enumerate(parsed.messages)]
            for a in answers:
                if isinstance(a, ChangeAnswer):
                    outcome.counts[a.code] = outcome.counts.get(a.code, 0) + 1
                else:
                    outcome.queries += 1
            application = self._application(header.batch_id, answers, stamp)
            row = self._record(
                number,
                sha,
                header.batch_id,
                file_name,
                "CA",
                transport,
                application,
                len(parsed.messages),
                stamp,
            )
            files = self._plan(file_name, number, transport, header.batch_id, answers, stamp)
            self._schedule(row, files, now)
        self._log_batch(file_name, number, outcome)

    def _answer(self, m: Any, index: int) -> ApplicationAnswer:
        """One message's answer; a fault of the emulator itself rejects only that message."""
        self.conn.execute("SAVEPOINT message")
        try:
            if isinstance(m, ChangeMessage):
                answer: ApplicationAnswer = answer_change(self.conn, m, self.region)
            elif isinstance(m, StatusQuery):
                answer = answer_status(self.conn, m, self.region)
            elif isinstance(m, WorkingQuery):
                answer = answer_working(self.conn, m, self.region)
            else:
                raise TypeError(f"неизвестный вид сообщения {type(m).__name__}")
        except Exception as exc:
            self.conn.execute("ROLLBACK TO message")
            self.conn.execute("RELEASE message")
            self.log(f"{_now()} ошибка эмулятора в сообщении {index + 1}: {exc!r}")
            text = f"Внутренняя ошибка ЦС: {exc}"
            error = ErrorDetail(
                position=None, hl7_code="207", severity="E", app_code=None, text=text
            )
            return ChangeAnswer(m.message_id, "AR", (error,))
        self.conn.execute("RELEASE message")
        return answer

    def _application(
        self, batch_id: str, answers: Sequence[ApplicationAnswer], stamp: datetime
    ) -> bytes:
        return build_application_answers(
            ApplicationAnswers(batch_id=batch_id, answers=tuple(answers)),
            region_code=self.region.code,
            created=stamp,
            encoding=self.encoding,
        )

    def _reject(
        self,
        file_name: str,
        sha: str,
        batch_id: str,
        code: int,
        text: str,
        stamp: datetime,
        now: float | None,
        *,
        rejected: bool | None = None,
    ) -> None:
        """CR (the file is refused) or CE (an error in it); no message of the batch is taken."""
        if rejected is None:
            rejected = code in REJECTED_CODES
        transport_code = "CR" if rejected else "CE"
        error = ErrorDetail(
            position=None, hl7_code=None, severity="E", app_code=str(code), text=text
        )
        transport = build_transport_answer(
            TransportAnswer(batch_id=batch_id, code=transport_code, errors=(error,)), self.encoding
        )
        with store.write_transaction(self.conn):
            number = self._next_number()
            row = self._record(
                number, sha, batch_id, file_name, transport_code, transport, None, 0, stamp
            )
            self._schedule(row, [(_stem(file_name) + ".uprak1", transport)], now)
        self._log_batch(file_name, number, _Outcome(code=transport_code, error=f"{code} — {text}"))

    def _repeat(self, file_name: str, seen: sqlite3.Row) -> None:
        """A batch answered before: its stored answers again, at once, without faults."""
        stem = _stem(file_name)
        self._write(f"{stem}.uprak1", bytes(seen["transport"]))
        if seen["application"] is not None:
            self._write(f"{stem}.uprak2", bytes(seen["application"]))
        self.log(
            f"{_now()} пакет {file_name}: повтор пакета № {seen['number']} "
            f"({seen['transport_code']}), ответы записаны повторно, изменения не применялись"
        )

    def _next_number(self) -> int:
        return int(
            self.conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM processed_batch"
            ).fetchone()[0]
        )

    def _record(
        self,
        number: int,
        sha: str,
        batch_id: str,
        file_name: str,
        code: str,
        transport: bytes,
        application: bytes | None,
        messages: int,
        stamp: datetime,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO processed_batch (number, sha256, batch_id, file_name, transport_code, "
            "transport, application, messages, taken_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
                sha,
                batch_id,
                file_name,
                code,
                transport,
                application,
                messages,
                stamp.isoformat(),
            ),
        )
        return int(cur.lastrowid or 0)

    # ----------------------------------------------------------------- answer files

    def _plan(
        self,
        file_name: str,
        number: int,
        transport: bytes,
        batch_id: str,
        answers: Sequence[ApplicationAnswer],
        stamp: datetime,
    ) -> list[tuple[str, bytes]]:
        """The answer files of an accepted batch, in writing order, with its faults applied."""
        f = self.faults
        stem = _stem(file_name)
        delivered = list(reversed(answers)) if f.reorder else list(answers)
        unknown = f.hits("unknown", number)
        if unknown:
            stray = str(uuid.uuid5(_FAULT_NS, f"{batch_id}/stray-answer"))
            delivered.append(ChangeAnswer(stray, "AA"))
        application = self._application(batch_id, delivered, stamp)
        uprak2: list[tuple[str, bytes]] = []
        if f.hits("malformed", number):
            uprak2.append((f"{stem}.uprak2", application[: len(application) // 2]))
            uprak2.append((f"{stem}.resend.uprak2", application))
        else:
            uprak2.append((f"{stem}.uprak2", application))
        if f.hits("duplicate", number):
            uprak2.append((f"{stem}.dup.uprak2", application))
        if unknown:
            stray_batch = str(uuid.uuid5(_FAULT_NS, f"{batch_id}/stray-batch"))
            stray_message = str(uuid.uuid5(_FAULT_NS, f"{batch_id}/stray-message"))
            content = self._application(stray_batch, [ChangeAnswer(stray_message, "AA")], stamp)
            uprak2.append((f"{self.region.okato}-{stray_batch}.uprak2", content))
        uprak1 = [(f"{stem}.uprak1", transport)]
        return uprak2 + uprak1 if f.reorder else uprak1 + uprak2

    def _schedule(self, row: int, files: Sequence[tuple[str, bytes]], now: float | None) -> None:
        due = _clock(now) + self.faults.delay
        self.conn.executemany(
            "INSERT INTO answer_file (batch_row, name, content, due_at) VALUES (?, ?, ?, ?)",
            [(row, name, content, due) for name, content in files],
        )

    def deliver_due(self, *, now: float | None = None) -> int:
        """Write the answer files whose time has come; returns how many were written."""
        rows = self.conn.execute(
            "SELECT id, name, content FROM answer_file WHERE written_at IS NULL AND due_at <= ? "
            "ORDER BY batch_row, id",
            (_clock(now),),
        ).fetchall()
        for row in rows:
            self._write(str(row["name"]), bytes(row["content"]))
            self.conn.execute(
                "UPDATE answer_file SET written_at = ? WHERE id = ?", (_now(), row["id"])
            )
        return len(rows)

    def _write(self, name: str, content: bytes) -> None:
        """Atomically: ``<name>.tmp``, fsync, rename (readers ignore ``.tmp``)."""
        self.inbound.mkdir(parents=True, exist_ok=True)
        target = self.inbound / name
        tmp = target.with_name(name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def _log_batch(self, file_name: str, number: int, outcome: _Outcome) -> None:
        if outcome.code != "CA":
            line = f"пакет {file_name} (№ {number}): {outcome.code} {outcome.error}"
        else:
            counts = ", ".join(
                f"{code} {outcome.counts.get(code, 0)}" for code in ("AA", "AE", "AR")
            )
            line = f"пакет {file_name} (№ {number}): CA, сообщений {outcome.messages}: {counts}"
            if outcome.queries:
                line += f", запросов {outcome.queries}"
            faults = self.faults.names(number)
            if faults:
                line += f"; сбои: {', '.join(faults)}"
        self.log(f"{_now()} {line}")


# --------------------------------------------------------------------------- helpers


def _stem(file_name: str) -> str:
    return file_name[: -len(BATCH_SUFFIX)] if file_name.endswith(BATCH_SUFFIX) else file_name


def _guid_of(file_name: str, sha: str) -> str:
    """The batch GUID for the answer to an unreadable batch: from its name, else from its hash."""
    found = _GUID_RE.findall(file_name)
    return found[-1].lower() if found else str(uuid.uuid5(_FAULT_NS, sha))


def _clock(now: float | None) -> float:
    return time.time() if now is None else now


def _now() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")


def answer_pending(
    settings: Any,
    *,
    faults: Faults | None = None,
    now: float | None = None,
    log: Log | None = None,
) -> int:
    """Answer every batch waiting in ``outbound/`` once (tests, benchmarks); returns how many."""
    with Answerer(settings, faults=faults, log=log) as answerer:
        return answerer.answer_pending(now=now)


def run_loop(
    settings: Any,
    stop: threading.Event,
    *,
    faults: Faults | None = None,
    poll: float = 0.5,
    log: Log | None = None,
) -> None:
    """Poll until ``stop`` is set; the batch in hand is finished first."""
    with Answerer(settings, faults=faults, log=log) as answerer:
        while not stop.is_set():
            try:
                answerer.answer_pending(stop=stop)
            except Exception as exc:  # keep serving: the batch stays and is retried
                answerer.log(f"{_now()} ошибка цикла ответов: {exc!r}")
            stop.wait(poll)
