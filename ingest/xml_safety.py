"""Loading inbound XML safely: the declared encoding honoured, no DTDs, no entities, no network.

Every inbound XML file goes through :func:`parse_xml_safely` (or, for the streaming ingest,
through :func:`check_encoding`, :func:`reject_doctype` and a parser from :func:`safe_parser`)
before anything of it is read. A failure is a :class:`~ingest.errors.PackageRejected`: the
whole file is refused with a Russian reason.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ingest.errors import PackageRejected, RejectCode

#: Bytes read at a time when a file is checked; the checks keep memory flat.
CHUNK_SIZE = 1 << 20

#: Python codec name → the name shown to the operator. Real files come only in these two.
SUPPORTED_ENCODINGS = {"cp1251": "windows-1251", "utf-8": "UTF-8"}

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
_DECLARATION = re.compile(
    rb"<\?xml\s+version\s*=\s*(['\"])1\.[0-9]+\1"
    rb"(?:\s+encoding\s*=\s*(['\"])([A-Za-z][A-Za-z0-9._-]*)\2)?"
)
_POSITION_SUFFIX = re.compile(r",? line \d+, column \d+$")

_SAFE_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}

_DOCTYPE_REASON = (
    "Файл содержит объявление DOCTYPE (DTD, сущности): такие файлы не принимаются "
    "из соображений безопасности"
)


@dataclass(frozen=True)
class XmlEncoding:
    """The encoding a file is read in: from its prolog, or UTF-8 when none is declared."""

    codec: str  # Python codec name: "cp1251" or "utf-8"
    declared: str | None  # the name as written in the prolog; None when there is no declaration
    bom: bool  # starts with the UTF-8 byte order mark

    @property
    def label(self) -> str:
        return self.declared or SUPPORTED_ENCODINGS[self.codec]


def safe_parser() -> etree.XMLParser:
    """A new lxml parser that expands no entities, loads no DTD and touches no network.

    A parser serves one parse at a time, so every parse gets its own.
    """
    return etree.XMLParser(**_SAFE_OPTIONS)


def _chunks(source: bytes | Path) -> Iterator[bytes]:
    if isinstance(source, bytes):
        view = memoryview(source)
        for start in range(0, len(source), CHUNK_SIZE):
            yield bytes(view[start : start + CHUNK_SIZE])
        return
    with open(source, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            yield chunk


def _head(source: bytes | Path, size: int) -> bytes:
    if isinstance(source, bytes):
        return source[:size]
    with open(source, "rb") as f:
        return f.read(size)


def sniff_encoding(head: bytes) -> XmlEncoding:
    """The encoding declared at the start of a file (BOM, prolog); refused if not supported."""
    if head.startswith(_UTF16_STARTS):
        raise PackageRejected(
            "Файл в кодировке UTF-16: принимаются только windows-1251 и UTF-8",
            RejectCode.ENCODING,
        )
    bom = head.startswith(_UTF8_BOM)
    match = _DECLARATION.match(head[len(_UTF8_BOM) :] if bom else head)
    if match is None or match.group(3) is None:
        return XmlEncoding("utf-8", None, bom)
    declared = match.group(3).decode("ascii")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise PackageRejected(
            f"В заголовке XML объявлена неизвестная кодировка «{declared}»", RejectCode.ENCODING
        ) from None
    if codec not in SUPPORTED_ENCODINGS:
        raise PackageRejected(
            f"Кодировка «{declared}» не поддерживается: принимаются только windows-1251 и UTF-8",
            RejectCode.ENCODING,
        )
    if bom and codec != "utf-8":
        raise PackageRejected(
            f"Файл начинается с метки порядка байтов UTF-8 (BOM), а в заголовке объявлена "
            f"кодировка {declared}",
            RejectCode.ENCODING,
        )
    return XmlEncoding(codec, declared, bom)


def _bad_bytes(encoding: XmlEncoding, offset: int) -> PackageRejected:
    if encoding.declared is None:
        reason = (
            f"В файле нет объявления кодировки, поэтому он читается как UTF-8, но байт "
            f"в позиции {offset} недопустим в UTF-8 (возможно, файл в windows-1251 "
            f"без объявления кодировки)"
        )
    else:
        reason = (
            f"Содержимое файла не соответствует объявленной кодировке {encoding.label}: "
            f"недопустимая последовательность байтов в позиции {offset}"
        )
    return PackageRejected(reason, RejectCode.ENCODING)


def check_encoding(source: bytes | Path) -> XmlEncoding:
    """The file's encoding, after checking that every byte agrees with it (streaming).

    Refused: an encoding other than windows-1251/UTF-8, a BOM contradicting the prolog,
    bytes invalid in the encoding, and a file declared windows-1251 whose non-ASCII text
    is in fact valid UTF-8 (Cyrillic windows-1251 text practically never is).
    """
    encoding = sniff_encoding(_head(source, 1024))
    decoder = codecs.getincrementaldecoder(encoding.codec)("strict")
    # Only a single-byte declaration can hide UTF-8 text: watch for it alongside.
    utf8 = codecs.getincrementaldecoder("utf-8")("strict") if encoding.codec != "utf-8" else None
    non_ascii = False
    offset = 0
    for chunk in _chunks(source):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise _bad_bytes(encoding, offset - pending + exc.start) from None
        if utf8 is not None:
            non_ascii = non_ascii or not chunk.isascii()
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8 = None
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _bad_bytes(encoding, offset) from None
    if utf8 is not None and non_ascii:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            return encoding
        raise PackageRejected(
            f"В заголовке объявлена кодировка {encoding.label}, но файл записан в UTF-8: "
            f"русский текст был бы прочитан неверно",
            RejectCode.ENCODING,
        )
    return encoding


def detect_encoding_problems(source: bytes | Path) -> str | None:
    """The Russian reason why the file's bytes contradict its declared encoding, or None."""
    try:
        check_encoding(source)
    except PackageRejected as exc:
        return exc.reason_ru
    return None


class _StopProbe(Exception):
    pass


class _PrologProbe:
    """Parser target that stops at the DOCTYPE or at the root's start tag, whichever is first."""

    doctype_seen = False

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        self.doctype_seen = True
        raise _StopProbe

    def start(self, tag: str, attrib: dict[str, str], nsmap: object = None) -> None:
        raise _StopProbe

    def close(self) -> None:
        return None


def reject_doctype(source: bytes | Path) -> None:
    """Refuse a file whose prolog declares a DOCTYPE, before a tree is built.

    libxml2 reads the prolog (however long its comments) and stops at the root's start tag;
    nothing of a DTD is loaded or expanded meanwhile.
    """
    probe = _PrologProbe()
    parser = etree.XMLParser(target=probe, **_SAFE_OPTIONS)
    try:
        for chunk in _chunks(source):
            parser.feed(chunk)
        parser.close()
    except _StopProbe:
        pass
    except etree.XMLSyntaxError:
        pass  # not well-formed: the parse proper says where
    if probe.doctype_seen:
        raise PackageRejected(_DOCTYPE_REASON, RejectCode.DOCTYPE)


def _last_line(source: bytes | Path, encoding: XmlEncoding) -> tuple[int, int]:
    """Number of lines and the length in characters of the last one (streaming)."""
    decoder = codecs.getincrementaldecoder(encoding.codec)("replace")
    lines, last_length = 1, 0
    for chunk in _chunks(source):
        text = decoder.decode(chunk)
        cut = text.rfind("\n")
        lines += text.count("\n")
        last_length = len(text) - cut - 1 if cut >= 0 else last_length + len(text)
    return lines, last_length


def _syntax_rejection(
    exc: etree.XMLSyntaxError, source: bytes | Path, encoding: XmlEncoding
) -> PackageRejected:
    line, column = exc.position
    detail = _POSITION_SUFFIX.sub("", exc.msg or "")
    if exc.code == etree.ErrorTypes.ERR_DOCUMENT_EMPTY:
        return PackageRejected("Файл пуст или не содержит XML", RejectCode.NOT_XML)
    last_line, last_length = _last_line(source, encoding)
    # Cut-off files fail at their very end; libxml2 columns count characters from 1.
    at_end = line == last_line and column > last_length
    if exc.code == etree.ErrorTypes.ERR_TAG_NOT_FINISHED or at_end:
        return PackageRejected(
            f"Файл оборван: XML заканчивается на строке {line}, не закрыв элементы "
            f"(вероятно, файл передан не полностью). {detail}",
            RejectCode.TRUNCATED,
        )
    return PackageRejected(
        f"Файл не является правильно построенным XML (строка {line}, позиция {column}): {detail}",
        RejectCode.NOT_XML,
    )


def parse_xml_safely(source: bytes | Path) -> etree._ElementTree:
    """Parse a whole inbound XML file after the encoding and DOCTYPE checks.

    Raises PackageRejected with a Russian reason when the file must be refused whole.
    """
    encoding = check_encoding(source)
    reject_doctype(source)
    try:
        if isinstance(source, bytes):
            tree = etree.parse(io.BytesIO(source), safe_parser())
        else:
            with open(source, "rb") as f:
                tree = etree.parse(f, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_rejection(exc, source, encoding) from None
    docinfo = tree.docinfo
    # Unreachable after reject_doctype; kept so that no DOCTYPE ever passes silently.
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise PackageRejected(_DOCTYPE_REASON, RejectCode.DOCTYPE)
    return tree
