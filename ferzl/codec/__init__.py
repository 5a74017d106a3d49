"""Codec of the HL7 v2.6 XML batches exchanged with the central segment (ЦС ЕРЗ / ФЕРЗЛ)."""

from ferzl.codec.answers import (
    APP_ERROR_TEXTS_RU,
    ApplicationAnswers,
    ChangeAnswer,
    ErrorDetail,
    TransportAnswer,
    build_application_answers,
    build_transport_answer,
    is_multiple_identification,
    parse_application_answers,
    parse_transport_answer,
)
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
    "APP_ERROR_TEXTS_RU",
    "Address",
    "ApplicationAnswers",
    "BatchError",
    "BatchHeader",
    "ChangeAnswer",
    "ChangeMessage",
    "ErrorDetail",
    "Insurance",
    "ParsedBatch",
    "PersonDocument",
    "TransportAnswer",
    "batch_hash",
    "build_application_answers",
    "build_batch",
    "build_transport_answer",
    "is_multiple_identification",
    "parse_application_answers",
    "parse_batch",
    "parse_transport_answer",
]
