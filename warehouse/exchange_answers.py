"""The central segment's answers as they came, in ``raw.ferzl_answer`` (one row per answer).

Loaded per answer file and keyed by the file's sha256: loading a file again
replaces its rows, so a retried run never doubles them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa

from warehouse.connection import open_warehouse

ANSWER_TABLE = "raw.ferzl_answer"

ANSWER_SCHEMA = pa.schema(
    [
        ("file_sha256", pa.string()),
        ("file_name", pa.string()),
        ("kind", pa.string()),
        ("batch_id", pa.string()),
        ("message_id", pa.string()),
        ("code", pa.string()),
        ("error_codes", pa.string()),
        ("error_texts", pa.string()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


def load_answers(
    warehouse_path: Path, file_sha256: str, file_name: str, rows: Sequence[Mapping[str, object]]
) -> int:
    """Replace the rows of one answer file; returns how many were written."""
    loaded_at = dt.datetime.now(dt.UTC)
    table = pa.Table.from_pylist(
        [
            {
                **{name: row.get(name) for name in ANSWER_SCHEMA.names},
                "file_sha256": file_sha256,
                "file_name": file_name,
                "loaded_at": loaded_at,
            }
            for row in rows
        ],
        schema=ANSWER_SCHEMA,
    )
    with open_warehouse(warehouse_path) as con:
        con.register("incoming_answers", table)
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {ANSWER_TABLE} AS SELECT * FROM incoming_answers LIMIT 0"
        )
        con.begin()
        try:
            con.execute(f"DELETE FROM {ANSWER_TABLE} WHERE file_sha256 = ?", [file_sha256])
            con.execute(f"INSERT INTO {ANSWER_TABLE} SELECT * FROM incoming_answers")
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return table.num_rows
