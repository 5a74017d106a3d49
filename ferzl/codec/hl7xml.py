"""HL7 v2.xml plumbing shared by the codec: element helpers, the safe load, the XSD check.

A segment holds field elements ``SEG.n``; a composite field holds component elements
``TYPE.n``; a sub-component ``TYPE.n`` is nested in its component; a primitive field
holds its text directly. Everything lives in the namespace ``urn:hl7-org:v2xml``.

Faults of a whole file raise :class:`BatchError` with the ERR.5 code of the transport
answer: 40 not XML (a DOCTYPE included), 41 structure (the XSDs of
``ferzl/schemas/``), 42 batch id, 43 message count, 44 hash.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

NS = "urn:hl7-org:v2xml"
REGION_OID = "1.2.643.2.40.3.3.1.0"
OMS_OID = "1.2.643.2.40.5.100.72"
RECEIVER = "ЦК ЕРП"
RECEIVER_FACILITY = "00"
OPEN_END = date(2200, 1, 1)
ENCODINGS = ("windows-1251", "utf-8")
MODES = frozenset({"P", "D", "T"})

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_PREFIX = f"{{{NS}}}"


class BatchError(Exception):
    """A fault of the whole batch; ``code`` is the ERR.5 code of the transport answer.

    ``batch_id`` is the batch GUID (BHS.11, lower case) when it could be read before the
    fault was found, so that the transport answer can name it (MSA.2); else None.
    """

    def __init__(self, code: int, text_ru: str, batch_id: str | None = None) -> None:
        super().__init__(f"{code}: {text_ru}")
        self.code = code
        self.text_ru = text_ru
        self.batch_id = batch_id


def is_guid(value: object) -> bool:
    """A GUID in its canonical 8-4-4-4-12 hex form (the shape the XSDs require)."""
    return isinstance(value, str) and _GUID_RE.fullmatch(value) is not None


def normalize_guid(value: str) -> str:
    """A GUID as the codec hands it out: lower case (``A1B2…`` and ``a1b2…`` are one GUID)."""
    return value.lower() if is_guid(value) else value


def check_encoding(encoding: str) -> str:
    if encoding.lower() not in ENCODINGS:
        raise ValueError(f"кодировка {encoding!r} не из {ENCODINGS}")
    return encoding.lower()


def check_created(created: datetime) -> None:
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("время создания пакета без смещения часового пояса")


# --------------------------------------------------------------------------- build


def q(name: str) -> str:
    return f"{_PREFIX}{name}"


def sub(parent: Any, name: str, text: str | None = None) -> Any:
    el = etree.SubElement(parent, _PREFIX + name)
    if text is not None:
        el.text = text
    return el


def composite(parent: Any, name: str, **components: str | None) -> Any:
    """A field ``name`` with components given as ``XPN_1="..."`` keyword arguments."""
    el = sub(parent, name)
    for key, value in components.items():
        if value is not None:
            sub(el, key.replace("_", "."), value)
    return el


def iso(d: date) -> str:
    return d.isoformat()


def new_root(name: str) -> Any:
    return etree.Element(q(name), nsmap={None: NS})


def serialize(root: Any, encoding: str) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding=encoding)
    return data


# --------------------------------------------------------------------------- parse


def structure_error(text: str, what: str = "пакета") -> BatchError:
    return BatchError(41, f"нарушение структуры {what}: {text}")


def local(el: Any) -> str | None:
    tag = el.tag
    if not isinstance(tag, str):
        return None  # comment or processing instruction
    if not tag.startswith(_PREFIX):
        raise structure_error(f"элемент {tag} вне пространства имён {NS}")
    return tag[len(_PREFIX) :]


def children(el: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for child in el:
        name = local(child)
        if name is not None:
            out.append((name, child))
    return out


def child(el: Any, name: str) -> Any:
    """The first child element ``name`` (local name) of ``el``, or None."""
    # iterchildren filters in C; find() goes through ElementPath and is twice as slow
    for node in el.iterchildren(_PREFIX + name):
        return node
    return None


def repeats(el: Any, name: str) -> Any:
    """The child elements ``name`` (local name) of ``el``, in order."""
    return el.iterchildren(_PREFIX + name)


def text(el: Any, path: str) -> str | None:
    """Text at a ``/``-separated path of local names below ``el``; None if absent."""
    node = el
    for part in path.split("/"):
        node = child(node, part)
        if node is None:
            return None
    if len(node):
        raise structure_error(f"{path}: ожидалось значение, найдены вложенные элементы")
    return (node.text or "").strip()


def req(el: Any, path: str) -> str:
    value = text(el, path)
    if not value:
        raise structure_error(f"нет обязательного значения {path}")
    return value


def parse_date(value: str, where: str) -> date:
    if not _DATE_RE.fullmatch(value):
        raise structure_error(f"{where}: дата {value!r} не в формате yyyy-MM-dd")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise structure_error(f"{where}: недопустимая дата {value!r}") from exc


def req_date(el: Any, path: str) -> date:
    return parse_date(req(el, path), path)


def opt_date(el: Any, path: str) -> date | None:
    value = text(el, path)
    return parse_date(value, path) if value else None


#: The longest integer the codec reads (counts, years, set ids): nine ASCII digits.
MAX_INT_DIGITS = 9


def _shown(value: str, limit: int = 20) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def is_small_int(value: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes "١" and "²"), at most nine of them."""
    return value.isascii() and value.isdigit() and len(value) <= MAX_INT_DIGITS


def parse_int(value: str, path: str, code: int = 41, what: str = "пакета") -> int:
    """``value`` as a non-negative integer; BatchError ``code`` unless :func:`is_small_int`."""
    if not is_small_int(value):
        text = f"{path} = {_shown(value)} не целое число (до {MAX_INT_DIGITS} цифр)"
        raise structure_error(text, what) if code == 41 else BatchError(code, text)
    return int(value)


def req_int(el: Any, path: str) -> int:
    return parse_int(req(el, path), path)


def expect(el: Any, path: str, expected: str) -> None:
    value = text(el, path)
    if value != expected:
        raise structure_error(f"{path} = {value!r}, ожидалось {expected!r}")


def coded(el: Any, field: str, component: str = "CWE.1") -> str | None:
    """A coded field written as ``<F><CWE.1>x</CWE.1></F>`` or as plain ``<F>x</F>``."""
    node = child(el, field)
    if node is None:
        return None
    if len(node):
        return text(node, component) or None
    return (node.text or "").strip() or None


def load(data: bytes) -> Any:
    """The root element of ``data``; no DTD, no entities, no network (40 otherwise)."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise BatchError(40, f"файл не является корректным XML: {exc}") from exc
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise BatchError(40, "DOCTYPE в файле запрещён")
    # No declaration (or a UTF-8 BOM) reads as UTF-8; libxml2 also honours UTF-16/32 BOMs
    # and any declared encoding, which the exchange does not allow.
    encoding = info.encoding or "UTF-8"
    if encoding.lower() not in ENCODINGS:
        raise BatchError(40, f"кодировка {encoding} не допускается: только windows-1251 или UTF-8")
    return tree.getroot()


def check_root(root: Any, expected: str) -> None:
    name = root.tag if not isinstance(root.tag, str) else root.tag.removeprefix(_PREFIX)
    if root.tag != q(expected):
        raise structure_error(f"корневой элемент {name}, ожидался {expected}")


def check_batch_id(root: Any) -> str:
    """BHS.11 of a batch root; 42 when it is missing or not a GUID."""
    bhs = child(root, "BHS")
    node = child(bhs, "BHS.11") if bhs is not None else None
    value = None if node is None or len(node) else (node.text or "").strip()
    if not value or not is_guid(value):
        shown = None if value is None else _shown(value, 60)
        raise BatchError(42, f"идентификатор пакета BHS.11 {shown} отсутствует или не GUID")
    return value.lower()


# --------------------------------------------------------------------------- XSD


_SCHEMAS = threading.local()


def schema(file_name: str) -> etree.XMLSchema:
    """The XSD ``ferzl/schemas/<file_name>``, compiled once per thread.

    A validator keeps its error log on itself, so threads (the web server, Dagster's
    executors) must not share one; compiling one takes under a millisecond.
    """
    cached: dict[str, etree.XMLSchema] | None = getattr(_SCHEMAS, "by_name", None)
    if cached is None:
        cached = _SCHEMAS.by_name = {}
    found = cached.get(file_name)
    if found is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        found = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / file_name), parser))
        cached[file_name] = found
    return found


_XSD_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (
            r"Element '(?P<el>[^']+)': This element is not expected\. Expected is "
            r"(?:one of )?\( (?P<exp>.+) \)\.",
            "элемент {el} здесь не ожидается, ожидается {exp}",
        ),
        (r"Element '(?P<el>[^']+)': This element is not expected\.", "лишний элемент {el}"),
        (
            r"Element '(?P<el>[^']+)': Missing child element\(s\)\. Expected is "
            r"(?:one of )?\( (?P<exp>.+) \)\.",
            "в элементе {el} нет обязательного элемента {exp}",
        ),
        (
            r"Element '(?P<el>[^']+)': \[facet 'pattern'\] The value '(?P<v>.*)' is not "
            r"accepted by the pattern '(?P<p>.*)'\.",
            "элемент {el}: значение '{v}' {p}",
        ),
        (
            r"Element '(?P<el>[^']+)': \[facet 'enumeration'\] The value '(?P<v>.*)' is not "
            r"an element of the set \{(?P<set>.*)\}\.",
            "элемент {el}: значение '{v}' не из допустимых {{{set}}}",
        ),
        (
            r"Element '(?P<el>[^']+)': \[facet '(?:minLength|length)'\].*",
            "элемент {el}: пустое значение",
        ),
        (
            r"Element '(?P<el>[^']+)': '(?P<v>.*)' is not a valid value of the "
            r"(?:atomic|local atomic|list|union) type '(?P<t>[^']*)'\.",
            "элемент {el}: недопустимое значение '{v}'",
        ),
        (
            r"Element '(?P<el>[^']+)': Element content is not allowed, because the "
            r"(?:content type|type definition) is (?:a )?simple(?: type definition)?\.",
            "элемент {el}: ожидалось значение, найдены вложенные элементы",
        ),
        (
            r"Element '(?P<el>[^']+)': Character content other than whitespace is not "
            r"allowed.*",
            "элемент {el}: текст здесь не допускается",
        ),
        (
            r"Element '(?P<el>[^']+)': No matching global declaration available for the "
            r"validation root\.",
            "корневой элемент {el} не предусмотрен схемой",
        ),
    )
)


# The patterns of hl7-common.xsd, said in words.
_PATTERN_WORDS = {
    r"[\s\S]*\S[\s\S]*": "пустое",
    r"\d{4}-\d{2}-\d{2}": "не дата в формате yyyy-MM-dd",
    r"\d+": "не целое неотрицательное число",
    r"\d{4}": "не год из четырёх цифр",
    r"[1-4]": "не номер квартала 1…4",
    _GUID_RE.pattern: "не GUID",
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+\-]\d{2}:\d{2}|Z)": (
        "не дата-время ISO 8601 со смещением"
    ),
}


def _russian(message: str) -> str:
    """libxml2's (English) validation message in Russian, namespace prefixes dropped."""
    message = message.replace(_PREFIX, "").strip()
    for pattern, template in _XSD_MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            found = match.groupdict()
            if "p" in found:
                found["p"] = _PATTERN_WORDS.get(
                    found["p"], f"не соответствует образцу {found['p']}"
                )
            return template.format(**found)
    return message


def validate(root: Any, file_name: str, what: str) -> None:
    """Check ``root`` against an XSD; the first violation as a 41 :class:`BatchError`."""
    xsd = schema(file_name)
    if xsd.validate(root):
        return
    error = xsd.error_log[0] if len(xsd.error_log) else None
    if error is None:
        raise structure_error("документ не соответствует схеме", what)
    raise structure_error(f"{_russian(error.message)} (строка {error.line})", what)


# --------------------------------------------------------------------------- MSH


def build_request_msh(
    parent: Any,
    *,
    region_code: str,
    created: datetime,
    message_type: tuple[str, str, str],
    message_id: str,
    mode: str,
) -> Any:
    """The MSH of a message of the outbound batch (sender = the region)."""
    msh = sub(parent, "MSH")
    sub(msh, "MSH.1", "|")
    sub(msh, "MSH.2", "^~\\&")
    composite(msh, "MSH.3", HD_1=f"СРЗ {region_code}")
    composite(msh, "MSH.4", HD_1=region_code, HD_2=REGION_OID, HD_3="ISO")
    composite(msh, "MSH.5", HD_1=RECEIVER)
    composite(msh, "MSH.6", HD_1=RECEIVER_FACILITY)
    sub(msh, "MSH.7", created.isoformat())
    code, event, structure = message_type
    composite(msh, "MSH.9", MSG_1=code, MSG_2=event, MSG_3=structure)
    sub(msh, "MSH.10", message_id)
    composite(msh, "MSH.11", PT_1=mode)
    composite(msh, "MSH.12", VID_1="2.6")
    sub(msh, "MSH.15", "AL")
    sub(msh, "MSH.16", "AL")
    return msh


def check_request_msh(msh: Any, message_type: tuple[str, str, str]) -> tuple[str, str]:
    """(MSH.10 in lower case, MSH.11) of a request's MSH after checking MSH.9 and MSH.12."""
    for i, expected in enumerate(message_type, start=1):
        expect(msh, f"MSH.9/MSG.{i}", expected)
    expect(msh, "MSH.12/VID.1", "2.6")
    return normalize_guid(req(msh, "MSH.10")), req(msh, "MSH.11/PT.1")
