"""The XSDs of the inbound XML packages and the file-level checks made with them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ingest.errors import PackageRejected, RejectCode
from ingest.xml_safety import safe_parser

SCHEMA_DIR = Path(__file__).with_name("schemas")


@dataclass(frozen=True)
class PackageType:
    """One XML package type: its schema, root element and record element."""

    schema: str  # file stem in ingest/schemas
    root: str
    record: str
    title: str  # for messages


PACKAGE_TYPES: dict[str, PackageType] = {
    "fns_working": PackageType("fns_working", "ФайлФНС", "СвЗЛ", "сведения о работающих ЗЛ (ФНС)"),
    "zags_deaths": PackageType("zags_deaths", "ФайлЗАГС", "СведСмерт", "сведения о смерти (ЗАГС)"),
}

# An XMLSchema keeps its error log on the instance, so one instance must not validate in
# two threads at once (Dagster runs and web requests do run in threads): one per thread.
_local = threading.local()


def load_schema(name: str) -> etree.XMLSchema:
    """The compiled XSD ``ingest/schemas/<name>.xsd`` (``name`` with or without ``.xsd``).

    Cached per thread.
    """
    stem = name.removesuffix(".xsd")
    cache: dict[str, etree.XMLSchema] = _local.__dict__.setdefault("schemas", {})
    if stem not in cache:
        path = SCHEMA_DIR / f"{stem}.xsd"
        if not path.is_file():
            raise ValueError(f"no schema {name!r} in {SCHEMA_DIR}")
        with open(path, "rb") as f:
            cache[stem] = etree.XMLSchema(etree.parse(f, safe_parser()))
    return cache[stem]


def validate_package(tree: etree._ElementTree, package_type: str) -> int:
    """File-level checks of a parsed package: root, XSD, КолЗап; the number of records.

    Raises PackageRejected (wrong_root, schema, count_mismatch) when the file must be
    refused whole.
    """
    spec = PACKAGE_TYPES[package_type]
    root = tree.getroot()
    if root.tag != spec.root:
        raise PackageRejected(
            f"Корневой элемент <{root.tag}> не соответствует типу пакета «{spec.title}»: "
            f"ожидается <{spec.root}>",
            RejectCode.WRONG_ROOT,
        )
    schema = load_schema(spec.schema)
    if not schema.validate(tree):
        error = schema.error_log[0]
        raise PackageRejected(
            f"Файл не соответствует схеме пакета «{spec.title}» (строка {error.line}): "
            f"{error.message}",
            RejectCode.SCHEMA,
        )
    declared = int(root.get("КолЗап", "0"))
    present = sum(1 for _ in root.iterchildren(spec.record))
    if declared != present:
        raise PackageRejected(
            f"В заголовке указано КолЗап={declared}, а записей <{spec.record}> в файле {present}",
            RejectCode.COUNT_MISMATCH,
        )
    return present
