"""The answering loop: take each batch from ``exchange/outbound/``, answer into ``inbound/``.

Order of work for one batch, chosen so that no crash loses or doubles a change:

1. read the file, hash it; a file answered before (same sha256, or an accepted
   batch GUID seen before) is answered again with the stored answers — nothing
   is applied twice. The same file still waiting whose answers are not all written
   yet was committed just before a crash: it is only moved on (step 3);
2. parse; identify and apply every message in one transaction that also records
   the batch, its canonical answers and the answer files to write (faults
   included) — committed *before* any file is written;
3. move the batch into ``outbound/taken/``;
4. write the answer files that are due (``.tmp``, fsync, rename, fsync of the
   folder) and mark them written. Files still unwritten after a crash are written
   at the next start.

A file that cannot be read, or whose reading fails in an unforeseen way, is
answered ``CR`` 99 like any refused batch; one whose answering keeps failing is
answered ``CR`` 99 after a few attempts and moved into ``outbound/bad/``. No file
stops the queue.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
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
    StatusAnswer,
    StatusQuery,
    TransportAnswer,
    WorkingAnswer,
    WorkingQuery,
    build_application_answers,
    build_transport_answer,
    parse_batch,
    parse_transport_answer,
)
from ferzl.codec.hl7xml import is_guid
from ferzl.emulator import store
from ferzl.emulator.faults import Faults, faults_from_env
from ferzl.emulator.identification import Region, answer_change
from ferzl.emulator.query_answers import answer_status, answer_working
from ferzl.emulator.regions import own_okato

BATCH_SUFFIX = ".uprmes"
#: Transport codes of the batch-level faults: 40/41 reject the file, the rest are errors.
REJECTED_CODES = frozenset({40, 41})
OTHER_FAULT = 99
#: Failed attempts at answering one file before it is refused (CR 99) and set aside.
MAX_ATTEMPTS = 3
HL7_OTHER = "207"
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
        self.bad = self.outbound / "bad"
        self.faults = faults if faults is not None else faults_from_env()
        self.encoding = encoding
        self.log = log or _print
        self.conn = store.connect(store.store_path(Path(settings.data_dir)), durable=True)
        store.create_indexes(self.conn)
        # Files of this process's life that failed: (name, mtime) → failed attempts; a
        # file that reached MAX_ATTEMPTS and could not even be moved aside is skipped.
        self._failures: dict[tuple[str, int], int] = {}

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
            except OSError:  # renamed away meanwhile (or not even its size can be read)
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if self._failures.get((p.name, st.st_mtime_ns), 0) > MAX_ATTEMPTS:
                continue  # refused already and stuck in place: not again
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
            if self._take(path, now=now):
                taken += 1
            self.deliver_due(now=now)
        self.deliver_due(now=now)
        return taken

    def _take(self, path: Path, *, now: float | None) -> bool:
        """Answer one waiting file and move it on; False when it is not (or no longer) there."""
        try:
            key = (path.name, path.stat().st_mtime_ns)
            data = path.read_bytes()
        except FileNotFoundError:  # taken away meanwhile
            return False
        except OSError as exc:
            text = f"файл пакета не удалось прочитать ({_os_error(exc)})"
            self._refuse(path, text, now)
            return True
        try:
            self.answer_batch(path.name, data, now=now)
        except Exception as exc:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
            self.log(
                f"{_now()} ошибка эмулятора при ответе на пакет {path.name} "
                f"(попытка {failures} из {MAX_ATTEMPTS}): {exc!r}"
            )
            if failures < MAX_ATTEMPTS:
                return False  # left in place: tried again at the next pass
            text = f"внутренняя ошибка ЦС при обработке пакета: {exc.__class__.__name__}"
            self._refuse(path, text, now)
            return True
        self._failures.pop(key, None)
        self._move(path, self.taken)
        return True

    def _refuse(self, path: Path, text: str, now: float | None) -> None:
        """CR 99 for a file that cannot be answered normally, moved into ``outbound/bad/``.

        Recorded as a batch of its own (counted), not by content: the same bytes sent
        again are a new attempt. Should the store itself fail, the answer is written
        directly. A file that cannot be moved either is never taken again by this process.
        """
        batch_id = _guid_of(path.name, path.name)
        stamp = datetime.now().astimezone()
        try:
            self._reject(
                path.name,
                f"unanswered:{uuid.uuid4().hex}",
                batch_id,
                OTHER_FAULT,
                text,
                stamp,
                now,
                rejected=True,
                id_from_name=True,
            )
        except Exception as exc:
            self.log(f"{_now()} пакет {path.name}: CR {OTHER_FAULT} {text}; хранилище: {exc!r}")
            error = ErrorDetail(None, None, "E", str(OTHER_FAULT), text)
            answer = TransportAnswer(batch_id=batch_id, code="CR", errors=(error,))
            try:
                self._write(f"{_stem(path.name)}.uprak1", build_transport_answer(answer))
            except OSError as write_error:
                self.log(f"{_now()} пакет {path.name}: ответ не записан: {write_error!r}")
        if not self._move(path, self.bad):
            try:
                key = (path.name, path.stat().st_mtime_ns)
            except OSError:
                return
            self._failures[key] = MAX_ATTEMPTS + 1
            self.log(f"{_now()} пакет {path.name}: не удалось убрать из каталога, пропускается")

    def _move(self, path: Path, folder: Path) -> bool:
        """``path`` into ``folder`` (durably); False when it could not be moved."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(path, folder / path.name)
        except FileNotFoundError:  # taken away meanwhile
            return True
        except OSError:
            return False
        _fsync_dir(folder)
        _fsync_dir(path.parent)
        return True

    # ----------------------------------------------------------------- one batch

    def answer_batch(self, file_name: str, data: bytes, *, now: float | None = None) -> None:
        """Identify, apply and record one batch (its answer files are then due for writing)."""
        sha = hashlib.sha256(data).hexdigest()
        seen = self.conn.execute(
            "SELECT * FROM processed_batch WHERE sha256 = ?", (sha,)
        ).fetchone()
        if seen is not None:
            if seen["file_name"] == file_name and self._unwritten(seen):
                # Committed, then the process stopped before the file was moved: the
                # scheduled answers (faults and delay included) are still to come.
                return
            self._repeat(file_name, seen, sha)
            return
        stamp = datetime.now().astimezone()
        try:
            parsed = parse_batch(data)
        except BatchError as exc:
            batch_id = exc.batch_id or _guid_of(file_name, sha)
            self._reject(
                file_name,
                sha,
                batch_id,
                exc.code,
                exc.text_ru,
                stamp,
                now,
                id_from_name=exc.batch_id is None,
            )
            return
        except Exception as exc:  # a fault of the reading itself: refused, never retried
            self.log(f"{_now()} ошибка эмулятора при чтении пакета {file_name}: {exc!r}")
            text = f"внутренняя ошибка ЦС при чтении пакета: {exc.__class__.__name__}"
            self._reject(
                file_name,
                sha,
                _guid_of(file_name, sha),
                OTHER_FAULT,
                text,
                stamp,
                now,
                rejected=True,
                id_from_name=True,
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
            self._repeat(file_name, accepted, sha)
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
            return _internal_fault(m, exc)
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
        id_from_name: bool = False,
    ) -> None:
        """CR (the file is refused) or CE (an error in it); no message of the batch is taken.

        ``id_from_name``: ``batch_id`` is the GUID of the file name, not BHS.11; the batch
        is then recorded without one, so a repeat of its content is answered under the
        GUID of the repeat's own name.
        """
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
            recorded_id = None if id_from_name else batch_id
            row = self._record(
                number, sha, recorded_id, file_name, transport_code, transport, None, 0, stamp
            )
            self._schedule(row, [(_stem(file_name) + ".uprak1", transport)], now)
        self._log_batch(file_name, number, _Outcome(code=transport_code, error=f"{code} — {text}"))

    def _unwritten(self, seen: sqlite3.Row) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM answer_file WHERE batch_row = ? AND written_at IS NULL LIMIT 1",
            (seen["id"],),
        ).fetchone()
        return row is not None

    def _repeat(self, file_name: str, seen: sqlite3.Row, sha: str) -> None:
        """A batch answered before: its stored answers again, at once, without faults.

        A refusal whose GUID came from the file name is answered under this file's GUID.
        """
        stem = _stem(file_name)
        transport = bytes(seen["transport"])
        if seen["batch_id"] is None and seen["transport_code"] != "CA":
            stored = parse_transport_answer(transport)
            own = dataclasses.replace(stored, batch_id=_guid_of(file_name, sha))
            transport = build_transport_answer(own, self.encoding)
        self._write(f"{stem}.uprak1", transport)
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
        batch_id: str | None,
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
        """Atomically and durably: ``<name>.tmp``, fsync, rename, fsync of the folder.

        Readers ignore ``.tmp``; a write that fails leaves no target and no ``.tmp``.
        """
        self.inbound.mkdir(parents=True, exist_ok=True)
        target = self.inbound / name
        tmp = target.with_name(name + ".tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.inbound)

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
    """The batch GUID for the answer to an unreadable batch: from its name
    (``<ОКАТО>-<GUID>.uprmes``), else derived from its hash."""
    candidate = _stem(file_name)[-36:]
    return candidate.lower() if is_guid(candidate) else str(uuid.uuid5(_FAULT_NS, sha))


def _internal_fault(m: Any, exc: Exception) -> ApplicationAnswer:
    """``AR`` (ERR.3 207) of the message's own answer type for a fault of the emulator."""
    error = ErrorDetail(
        position=None, hl7_code=HL7_OTHER, severity="E", app_code=None,
        text=f"Внутренняя ошибка ЦС: {exc}",
    )  # fmt: skip
    if isinstance(m, StatusQuery):
        return StatusAnswer(m.message_id, "AR", "AR", 0, 0, 0, (), (error,))
    if isinstance(m, WorkingQuery):
        return WorkingAnswer(m.message_id, "AR", m.year, m.quarter, (), (error,))
    return ChangeAnswer(m.message_id, "AR", (error,))


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_error(exc: OSError) -> str:
    return f"{exc.__class__.__name__}, errno {exc.errno}" if exc.errno else exc.__class__.__name__


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
            except Exception as exc:  # keep serving (a failing batch is set aside after
                # MAX_ATTEMPTS; this is the writing of answers, tried again next time)
                answerer.log(f"{_now()} ошибка цикла ответов: {exc!r}")
            stop.wait(poll)
