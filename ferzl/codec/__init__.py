"""Codec of the HL7 v2.6 XML batches exchanged with the central segment (ЦС ЕРЗ / ФЕРЗЛ)."""

from ferzl.codec.batch import (
    Address,
    BatchError,
    BatchHeader,
    ChangeMessage,
    Insurance,
    ParsedBatch,
    PersonDocument,
    batch_hash,
    build_batch,
    parse_batch,
)

__all__ = [
    "Address",
    "BatchError",
    "BatchHeader",
    "ChangeMessage",
    "Insurance",
    "ParsedBatch",
    "PersonDocument",
    "batch_hash",
    "build_batch",
    "parse_batch",
]
