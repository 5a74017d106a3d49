"""The emulator's own database: federal persons, their history, the batches it answered.

A plain SQLite file ``<data>/ferzl/federal.sqlite`` in WAL mode (the HTTP threads
read while the answering loop writes). Dates are ISO ``YYYY-MM-DD`` text, as the
register keeps them in SQLite, so rows copy across without conversion.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from ferzl.codec.hl7xml import is_small_int
from register.documents import normalize_number, normalize_series
from register.names import normalize_name

#: Person attributes, named as in ``register.models.RECORD_FIELDS`` where they exist there.
PERSON_FIELDS: tuple[str, ...] = (
    "enp",
    "surname",
    "name",
    "patronymic",
    "sex",
    "birth_date",
    "birth_place",
    "citizenship",
    "snils",
    "doc_type",
    "doc_series",
    "doc_number",
    "doc_issue_date",
    "doc_expiry",
    "reg_okato",
    "res_okato",
    "status",
    "death_date",
    "smo_ogrn",
    "region_code",
    "insurance_start",
    "insurance_end",
    "policy_form",
    "policy_number",
    "working",
)
#: Derived columns kept for the indexes: normalised names and one key of the ДУЛ.
DERIVED_FIELDS: tuple[str, ...] = ("surname_norm", "name_norm", "patronymic_norm", "doc_key")
STORED_FIELDS: tuple[str, ...] = (*PERSON_FIELDS, *DERIVED_FIELDS)
VERSION_EXTRA: tuple[str, ...] = ("valid_from", "valid_to", "event_code")

INSURED = "insured"
CLOSED = "closed"
DECEASED = "deceased"

_COLUMNS_SQL = """
    enp TEXT NOT NULL,
    surname TEXT NOT NULL,
    name TEXT NOT NULL,
    patronymic TEXT,
    sex INTEGER NOT NULL,
    birth_date TEXT NOT NULL,
    birth_place TEXT,
    citizenship TEXT,
    snils TEXT,
    doc_type INTEGER,
    doc_series TEXT,
    doc_number TEXT,
    doc_issue_date TEXT,
    doc_expiry TEXT,
    reg_okato TEXT,
    res_okato TEXT,
    status TEXT NOT NULL,
    death_date TEXT,
    smo_ogrn TEXT,
    region_code TEXT,
    insurance_start TEXT,
    insurance_end TEXT,
    policy_form TEXT,
    policy_number TEXT,
    working INTEGER
"""
# The search columns exist on the current state only: history is read by person.
_DERIVED_SQL = """
    surname_norm TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    patronymic_norm TEXT NOT NULL DEFAULT '',
    doc_key TEXT
"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS federal_person (
    id INTEGER PRIMARY KEY,
    {_COLUMNS_SQL},
    {_DERIVED_SQL}
);
CREATE TABLE IF NOT EXISTS federal_version (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES federal_person (id),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    event_code TEXT,
    {_COLUMNS_SQL}
);
-- One row per batch file taken (by content); ``number`` counts batches from 1 in the
-- order they were taken and drives the deterministic faults.
CREATE TABLE IF NOT EXISTS processed_batch (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    sha256 TEXT NOT NULL UNIQUE,
    batch_id TEXT,
    file_name TEXT NOT NULL,
    transport_code TEXT NOT NULL,
    transport BLOB NOT NULL,
    application BLOB,
    messages INTEGER NOT NULL DEFAULT 0,
    taken_at TEXT NOT NULL
);
-- The answer files of a batch as they are to be written (faults included), in order.
CREATE TABLE IF NOT EXISTS answer_file (
    id INTEGER PRIMARY KEY,
    batch_row INTEGER NOT NULL REFERENCES processed_batch (id),
    name TEXT NOT NULL,
    content BLOB NOT NULL,
    due_at REAL NOT NULL,
    written_at TEXT
);
CREATE TABLE IF NOT EXISTS emulator_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Created after the bulk copy of the seeding (building an index once is faster than
# keeping it up to date row by row); one per identification key and look-up criterion.
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS uq_federal_person_enp ON federal_person (enp);
CREATE INDEX IF NOT EXISTS ix_federal_person_fio
    ON federal_person (surname_norm, name_norm, patronymic_norm, birth_date);
CREATE INDEX IF NOT EXISTS ix_federal_person_birth
    ON federal_person (birth_date, surname_norm, name_norm, sex);
CREATE INDEX IF NOT EXISTS ix_federal_person_snils ON federal_person (snils);
CREATE INDEX IF NOT EXISTS ix_federal_person_doc_key ON federal_person (doc_key);
CREATE INDEX IF NOT EXISTS ix_federal_person_doc_number ON federal_person (doc_number);
CREATE INDEX IF NOT EXISTS ix_federal_person_policy ON federal_person (policy_number);
CREATE INDEX IF NOT EXISTS ix_federal_person_region
    ON federal_person (region_code, status, working);
CREATE INDEX IF NOT EXISTS ix_federal_version_person
    ON federal_version (person_id, valid_from);
CREATE INDEX IF NOT EXISTS ix_processed_batch_batch_id ON processed_batch (batch_id);
CREATE INDEX IF NOT EXISTS ix_answer_file_pending ON answer_file (written_at, due_at);
"""


def store_path(data_dir: Path) -> Path:
    return data_dir / "ferzl" / "federal.sqlite"


def connect(path: Path, *, create: bool = True, durable: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, rows by name.

    ``durable``: ``synchronous=FULL``, so that a commit survives a power cut — the
    answering loop writes answer files only after their batch is committed.
    """
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    conn.executescript(SCHEMA)
    return conn


def create_indexes(conn: sqlite3.Connection) -> None:
    # One statement at a time: ``executescript`` would commit the caller's transaction.
    for statement in INDEXES.split(";"):
        if statement.strip():
            conn.execute(statement)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM emulator_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO emulator_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


# --------------------------------------------------------------------------- keys


def doc_type_code(value: Any) -> int | str | None:
    """An F011 type as an int when it is a number ("14" → 14), else as given; None if absent.

    Only ASCII digits count (``str.isdigit`` also takes "١" and "²"), at most nine.
    """
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    return int(text) if is_small_int(text) else text


def series_key(doc_type: Any, series: str | None) -> str:
    """A ДУЛ series as compared: as the register writes it for the type
    (``register.documents.normalize_series``), upper case, without spaces or hyphens
    ("45 12" = "4512", "iv-мю" = "IV-МЮ"). Ё stays Ё: a series is not a name."""
    code = doc_type_code(doc_type)
    written = normalize_series(code, series) if isinstance(code, int) else series
    return "".join(ch for ch in (written or "").upper() if not ch.isspace() and ch != "-")


def number_key(doc_type: Any, number: str | None) -> str:
    """A ДУЛ number as compared: as the register writes it for the type
    (``register.documents.normalize_number``: "100 001" = "100001" for a passport),
    upper case."""
    code = doc_type_code(doc_type)
    if isinstance(code, int):
        written = normalize_number(code, number)
    else:
        written = " ".join((number or "").split())
    return (written or "").upper()


def doc_key(doc_type: Any, series: str | None, number: str | None) -> str | None:
    """One indexed value for type + series + number of a ДУЛ; None without type or number.

    The only implementation: the seeding registers it as an SQLite function, the
    identification and the look-up call it.
    """
    code = doc_type_code(doc_type)
    numbered = number_key(code, number)
    if code is None or not numbered:
        return None
    return f"{code}|{series_key(code, series)}|{numbered}"


def with_derived(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with its normalised names and ДУЛ key (what the indexes are built on)."""
    out = {f: record.get(f) for f in PERSON_FIELDS}
    out["surname_norm"] = normalize_name(out["surname"])
    out["name_norm"] = normalize_name(out["name"])
    out["patronymic_norm"] = normalize_name(out["patronymic"])
    out["doc_key"] = doc_key(out["doc_type"], out["doc_series"], out["doc_number"])
    return out


def iso(value: date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


# --------------------------------------------------------------------------- persons

_SELECT_PERSON = f"SELECT id, {', '.join(STORED_FIELDS)} FROM federal_person"


def person_by_enp(conn: sqlite3.Connection, enp: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(f"{_SELECT_PERSON} WHERE enp = ?", (enp,)).fetchone()
    return row


def persons_where(
    conn: sqlite3.Connection, where: str, params: tuple[Any, ...]
) -> list[sqlite3.Row]:
    return list(conn.execute(f"{_SELECT_PERSON} WHERE {where} ORDER BY id", params))


def current_version(conn: sqlite3.Connection, person_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, valid_from FROM federal_version WHERE person_id = ? AND valid_to IS NULL "
        "ORDER BY valid_from DESC, id DESC LIMIT 1",
        (person_id,),
    ).fetchone()
    return row


def _insert_version(
    conn: sqlite3.Connection, person_id: int, row: Mapping[str, Any], valid_from: str, event: str
) -> None:
    columns = ("person_id", "valid_from", "valid_to", "event_code", *PERSON_FIELDS)
    values = (person_id, valid_from, None, event, *(row[f] for f in PERSON_FIELDS))
    conn.execute(
        f"INSERT INTO federal_version ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})",
        values,
    )


def insert_person(
    conn: sqlite3.Connection, record: Mapping[str, Any], *, valid_from: str, event: str
) -> int:
    """A new federal person with its first history version; returns its id."""
    row = with_derived(record)
    cur = conn.execute(
        f"INSERT INTO federal_person ({', '.join(STORED_FIELDS)}) "
        f"VALUES ({', '.join('?' * len(STORED_FIELDS))})",
        tuple(row[f] for f in STORED_FIELDS),
    )
    person_id = int(cur.lastrowid or 0)
    _insert_version(conn, person_id, row, valid_from, event)
    return person_id


def update_person(
    conn: sqlite3.Connection,
    person_id: int,
    record: Mapping[str, Any],
    *,
    valid_from: str,
    event: str,
) -> None:
    """Replace the person's current state; the current version ends where the new one starts."""
    row = with_derived(record)
    conn.execute(
        f"UPDATE federal_person SET {', '.join(f'{f} = ?' for f in STORED_FIELDS)} WHERE id = ?",
        (*(row[f] for f in STORED_FIELDS), person_id),
    )
    current = current_version(conn, person_id)
    if current is not None:
        # A change dated before the current version (a late correction) starts with it.
        valid_from = max(valid_from, str(current["valid_from"]))
        conn.execute(
            "UPDATE federal_version SET valid_to = ? WHERE id = ?", (valid_from, current["id"])
        )
    _insert_version(conn, person_id, row, valid_from, event)


def person_dict(row: Mapping[str, Any] | sqlite3.Row) -> dict[str, Any]:
    """The public form of a person (look-up API, tests): register field names, JSON values."""
    out = {f: row[f] for f in PERSON_FIELDS}
    if out["working"] is not None:
        out["working"] = bool(out["working"])
    return out


def count_persons(conn: sqlite3.Connection, where: str = "1", params: tuple[Any, ...] = ()) -> int:
    return int(
        conn.execute(f"SELECT count(*) FROM federal_person WHERE {where}", params).fetchone()[0]
    )
