"""File-level faults: an inbound file refused as a whole, nothing of it loaded."""

from __future__ import annotations

from enum import StrEnum


class RejectCode(StrEnum):
    """Why a whole file was refused; stored in the package journal beside the Russian reason."""

    ENCODING = "encoding"  # bytes contradict the declared encoding, or an unsupported one
    DOCTYPE = "doctype"  # DTD / entity declarations (XXE, "billion laughs")
    NOT_XML = "not_xml"  # not well-formed XML
    TRUNCATED = "truncated"  # the XML stops before its root element is closed
    WRONG_ROOT = "wrong_root"  # the root belongs to another package type than the channel's
    SCHEMA = "schema"  # fails the package's XSD
    COUNT_MISMATCH = "count_mismatch"  # declared record count differs from the records present


class PackageRejected(Exception):
    """The file is refused whole: ``reason_ru`` for the operator, ``code`` for programs."""

    def __init__(self, reason_ru: str, code: str):
        super().__init__(reason_ru)
        self.reason_ru = reason_ru
        self.code = code

    def __repr__(self) -> str:
        return f"PackageRejected({self.reason_ru!r}, code={self.code!r})"
