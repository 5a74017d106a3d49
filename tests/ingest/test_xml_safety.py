"""The shared base of the XML ingest: encodings, DOCTYPE refusal, well-formedness, schemas."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree

from ingest import xml_safety
from ingest.errors import PackageRejected, RejectCode
from ingest.xml_safety import (
    check_encoding,
    detect_encoding_problems,
    parse_xml_safely,
    safe_parser,
)
from ingest.xsd import load_schema, validate_package

BODY = '<ФайлФНС Имя="ЁЖИК" Код="03"><СвЗЛ>Щука</СвЗЛ></ФайлФНС>\n'


def decl(encoding: str | None) -> str:
    if encoding is None:
        return '<?xml version="1.0"?>\n'
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'


def rejected(source: bytes | Path) -> PackageRejected:
    with pytest.raises(PackageRejected) as info:
        parse_xml_safely(source)
    return info.value


# --- encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(BODY.encode(), id="utf8-no-declaration"),
        pytest.param((decl(None) + BODY).encode(), id="utf8-declaration-without-encoding"),
        pytest.param((decl("UTF-8") + BODY).encode(), id="utf8-declared"),
        pytest.param(b"\xef\xbb\xbf" + (decl("UTF-8") + BODY).encode(), id="utf8-bom-declared"),
        pytest.param(b"\xef\xbb\xbf" + BODY.encode(), id="utf8-bom-no-declaration"),
        pytest.param((decl("windows-1251") + BODY).encode("cp1251"), id="cp1251-declared"),
        pytest.param((decl("WINDOWS-1251") + BODY).encode("cp1251"), id="cp1251-upper-case"),
        pytest.param(
            (decl("windows-1251") + BODY).encode("cp1251").replace(b"\n", b"\r\n"), id="crlf"
        ),
    ],
)
def test_accepted_encodings_load_the_same_text(data: bytes) -> None:
    root = parse_xml_safely(data).getroot()
    assert root.tag == "ФайлФНС"
    assert root.get("Имя") == "ЁЖИК"
    assert root[0].text == "Щука"


def test_single_quoted_declaration_is_honoured() -> None:
    data = ("<?xml version='1.0' encoding='windows-1251'?>\n" + BODY).encode("cp1251")
    assert check_encoding(data).codec == "cp1251"
    assert parse_xml_safely(data).getroot().get("Имя") == "ЁЖИК"


def test_ascii_only_file_declared_windows_1251_loads() -> None:
    data = (decl("windows-1251") + '<a b="1">x</a>').encode("ascii")
    assert parse_xml_safely(data).getroot().get("b") == "1"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        pytest.param(BODY.encode("cp1251"), "нет объявления кодировки", id="cp1251-undeclared"),
        pytest.param(
            (decl(None) + BODY).encode("cp1251"),
            "нет объявления кодировки",
            id="cp1251-declaration-without-encoding",
        ),
        pytest.param(
            (decl("UTF-8") + BODY).encode("cp1251"),
            "не соответствует объявленной кодировке UTF-8",
            id="cp1251-bytes-declared-utf8",
        ),
        pytest.param(
            (decl("windows-1251") + BODY).encode("utf-8"),
            "windows-1251",
            id="utf8-bytes-declared-cp1251",
        ),
        pytest.param(
            (decl("windows-1251") + "<a>Жизнь</a>").encode("utf-8"),
            "записан в UTF-8",
            id="utf8-bytes-declared-cp1251-without-0x98",
        ),
        pytest.param(
            (decl("windows-1251") + "<a>x</a>").encode() + b"\x98",
            "не соответствует объявленной кодировке windows-1251",
            id="byte-undefined-in-cp1251",
        ),
        pytest.param(
            b"\xef\xbb\xbf" + (decl("windows-1251") + BODY).encode("cp1251"),
            "метки порядка байтов",
            id="bom-contradicts-declaration",
        ),
        pytest.param((decl("KOI8-R") + BODY).encode("koi8-r"), "не поддерживается", id="koi8-r"),
        pytest.param((decl("x-unknown") + "<a/>").encode(), "неизвестная кодировка", id="unknown"),
        pytest.param((decl("UTF-16") + BODY).encode("utf-16"), "UTF-16", id="utf16-bom"),
        pytest.param(BODY.encode("utf-16-le"), "UTF-16", id="utf16-no-bom"),
        pytest.param((decl("UTF-8") + "<a>Ж</a>").encode()[:-5], "позиции", id="cut-mid-character"),
    ],
)
def test_bytes_contradicting_the_encoding_reject_the_file(data: bytes, words: str) -> None:
    error = rejected(data)
    assert error.code == RejectCode.ENCODING
    assert words in error.reason_ru
    assert detect_encoding_problems(data) == error.reason_ru


def test_detect_encoding_problems_is_none_for_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.xml"
    path.write_bytes((decl("windows-1251") + BODY).encode("cp1251"))
    assert detect_encoding_problems(path) is None
    assert detect_encoding_problems(path.read_bytes()) is None


def test_encoding_is_checked_streaming_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks split the two-byte UTF-8 letters: a correct file must still pass ...
    monkeypatch.setattr(xml_safety, "CHUNK_SIZE", 7)
    text = decl("UTF-8") + "<a>" + "Ёлка" * 200 + "</a>"
    path = tmp_path / "utf8.xml"
    path.write_bytes(text.encode())
    assert parse_xml_safely(path).getroot().text == "Ёлка" * 200
    # ... and a bad byte far into the file is still found, with its position.
    bad = text.encode()[:-10] + b"\xff" + text.encode()[-10:]
    path.write_bytes(bad)
    error = rejected(path)
    assert error.code == RejectCode.ENCODING
    assert str(len(bad) - 11) in error.reason_ru


def test_utf8_mistaken_for_cp1251_is_found_in_a_long_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xml_safety, "CHUNK_SIZE", 5)
    data = (decl("windows-1251") + "<a>" + "Жизнь " * 100 + "</a>").encode()
    assert "записан в UTF-8" in rejected(data).reason_ru


# --- DOCTYPE and entities ------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ENTITY l0 "ха">\n'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n<a>&l9;</a>\n"
)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(
            '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>',
            id="external-entity",
        ),
        pytest.param(
            '<!DOCTYPE a [<!ENTITY % p SYSTEM "http://example.invalid/p.dtd"> %p;]>\n<a/>',
            id="parameter-entity",
        ),
        pytest.param('<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd">\n<a/>', id="external-dtd"),
        pytest.param("<!DOCTYPE a>\n<a/>", id="bare-doctype"),
        pytest.param(
            '<?xml version="1.0"?>\n<!-- комментарий -->\n<?pi x?>\n<!DOCTYPE a>\n<a/>',
            id="after-comment-and-pi",
        ),
    ],
)
def test_doctype_rejects_the_file(text: str) -> None:
    started = time.perf_counter()
    error = rejected(text.encode())
    assert error.code == RejectCode.DOCTYPE
    assert "DOCTYPE" in error.reason_ru
    assert time.perf_counter() - started < 1


def test_doctype_behind_a_long_prolog_is_still_found() -> None:
    text = f"<!--{'x' * 3_000_000}-->\n" + BILLION_LAUGHS.split("\n", 1)[1]
    assert rejected(text.encode()).code == RejectCode.DOCTYPE


def test_the_parser_itself_expands_no_entities_and_reads_no_files(tmp_path: Path) -> None:
    # Defence in depth: even without the DOCTYPE check the parser is safe.
    secret = tmp_path / "secret.txt"
    secret.write_text("СЕКРЕТ")
    text = f'<!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n<a>&x;</a>'
    tree = etree.fromstring(text.encode(), safe_parser())
    assert "СЕКРЕТ" not in etree.tostring(tree, encoding="unicode")
    try:
        laughs = etree.fromstring(BILLION_LAUGHS.encode(), safe_parser())
    except etree.XMLSyntaxError as exc:  # libxml2 refuses the amplification outright
        assert "amplification" in str(exc)
    else:
        assert len(etree.tostring(laughs)) < 1000


def test_predefined_entities_character_references_and_cdata_load() -> None:
    text = (
        decl("windows-1251") + '<a t="&lt;&gt;&amp;&quot;&apos;">&#1046;&#x436; '
        "<![CDATA[<не разметка> & ещё]]></a>"
    )
    root = parse_xml_safely(text.encode("cp1251")).getroot()
    assert root.get("t") == "<>&\"'"
    assert root.text == "Жж <не разметка> & ещё"


def test_characters_outside_windows_1251_arrive_as_references() -> None:
    text = decl("windows-1251") + "<a>&#1240;LIYEV &#x2116;</a>"
    assert parse_xml_safely(text.encode("cp1251")).getroot().text == "ӘLIYEV №"


# --- not XML -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(b"", RejectCode.NOT_XML, id="empty"),
        pytest.param(b"   \n", RejectCode.NOT_XML, id="blank"),
        pytest.param("Фамилия;Имя\n".encode(), RejectCode.NOT_XML, id="csv"),
        pytest.param(b"<a><b></c></a>", RejectCode.NOT_XML, id="mismatched-tags"),
        pytest.param(b"<a/><b/>", RejectCode.NOT_XML, id="two-roots"),
        pytest.param(b"<a>&nbsp;</a>", RejectCode.NOT_XML, id="undefined-entity"),
        pytest.param(b'<a>\n  <b x="1"/>\n  <b', RejectCode.TRUNCATED, id="cut-in-a-tag"),
        pytest.param(b'<a>\n  <b x="1"/>\n', RejectCode.TRUNCATED, id="cut-between-tags"),
        pytest.param(b'<a>\n  <b x="1', RejectCode.TRUNCATED, id="cut-in-a-value"),
    ],
)
def test_files_that_are_not_xml_are_rejected(data: bytes, code: RejectCode) -> None:
    error = rejected(data)
    assert error.code == code
    assert error.reason_ru


def test_path_and_bytes_give_the_same_answers(tmp_path: Path) -> None:
    good = (decl("windows-1251") + BODY).encode("cp1251")
    bad = b'<a>\n  <b x="1'
    for name, data in (("good.xml", good), ("bad.xml", bad)):
        (tmp_path / name).write_bytes(data)
    assert etree.tostring(parse_xml_safely(tmp_path / "good.xml")) == etree.tostring(
        parse_xml_safely(good)
    )
    assert repr(rejected(tmp_path / "bad.xml")) == repr(rejected(bad))


# --- schemas -------------------------------------------------------------------------------

FNS_EXAMPLE = """<?xml version="1.0" encoding="windows-1251"?>
<ФайлФНС ИдФайл="FNS_50_2026_3_0001" ВерсФорм="1.00" КодТФОМС="50"
         Год="2026" Квартал="3" ДатаФорм="14.11.2026" КолЗап="2">
  <СвЗЛ НомЗап="1" НачВзн="1" ПлатСам="0">
    <ФИО Фамилия="ИВАНОВ" Имя="ИВАН" Отчество="ИВАНОВИЧ"/>
    <СведЗЛ ДатаРожд="15.07.1985" Пол="1" СНИЛС="112-233-445 95" ИННФЛ="500100732259"/>
    <УдЛичн КодВидДок="21" СерНомДок="45 12 345678" ДатаДок="10.05.2012"/>
  </СвЗЛ>
  <СвЗЛ НомЗап="2" НачВзн="0" ПлатСам="1">
    <ФИО Фамилия="ПЕТРОВА" Имя="АННА"/>
    <СведЗЛ ДатаРожд="03.02.1979" Пол="2" СНИЛС="123-456-789 64"/>
  </СвЗЛ>
</ФайлФНС>
"""

ZAGS_EXAMPLE = """<?xml version="1.0" encoding="windows-1251"?>
<ФайлЗАГС ИдФайл="ZAGS_50_20261101_0001" ВерсФорм="1.00" Источник="ЕГР ЗАГС"
          ДатаФорм="01.11.2026" КолЗап="1">
  <СведСмерт НомЗап="1" Пол="1" ДатаРожд="15.07.1985" ДатаСмерт="02.10.2026">
    <ФИО Фамилия="ИВАНОВ" Имя="ИВАН" Отчество="ИВАНОВИЧ"/>
    <АктЗапись Номер="170269500001200012345" Дата="05.10.2026" КодЗАГС="R5000012"/>
    <СНИЛС>112-233-445 95</СНИЛС>
    <УдЛичн КодВидДок="21" СерНомДок="45 12 345678" ДатаДок="10.05.2012"/>
    <МестоРожд>Г. МОСКВА</МестоРожд>
    <ПослАдрес>Московская обл., г. Химки, ул. Мира, д. 1, кв. 2</ПослАдрес>
  </СведСмерт>
</ФайлЗАГС>
"""


def check(text: str, package_type: str) -> int:
    return validate_package(parse_xml_safely(text.encode("cp1251")), package_type)


def test_the_examples_of_formats_md_are_valid() -> None:
    assert check(FNS_EXAMPLE, "fns_working") == 2
    assert check(ZAGS_EXAMPLE, "zags_deaths") == 1


def test_load_schema_accepts_the_file_name_and_caches() -> None:
    assert load_schema("fns_working") is load_schema("fns_working.xsd")
    with pytest.raises(ValueError):
        load_schema("no_such_schema")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param('ДатаРожд="15.07.1985"', 'ДатаРожд="31.02.1990"', id="impossible-date"),
        pytest.param('Пол="1"', 'Пол="3"', id="sex-3"),
        pytest.param('НачВзн="1"', 'НачВзн="2"', id="flag-2"),
        pytest.param('Фамилия="ИВАНОВ"', 'Фамилия=""', id="empty-surname"),
        pytest.param('СНИЛС="112-233-445 95"', 'СНИЛС="112-233-445 00"', id="snils-check"),
        pytest.param('ИННФЛ="500100732259"', 'ИННФЛ="500100732258"', id="inn-check"),
        pytest.param('КодВидДок="21"', 'КодВидДок="99"', id="unknown-document"),
        pytest.param('КодВидДок="21"', 'КодВидДок="021"', id="code-as-number"),
        pytest.param(' СНИЛС="123-456-789 64"', "", id="neither-snils-nor-document"),
        pytest.param('ДатаРожд="15.07.1985"', 'ДатаРожд=" 15.07.1985 "', id="untrimmed-date"),
    ],
)
def test_value_faults_pass_the_schema_they_are_record_level(old: str, new: str) -> None:
    assert old in FNS_EXAMPLE
    assert check(FNS_EXAMPLE.replace(old, new, 1), "fns_working") == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param('ДатаРожд="15.07.1985"', 'ДатаРожд="1985-07-15"', id="date-shape"),
        pytest.param('ДатаРожд="15.07.1985"', 'ДатаРожд=""', id="empty-date"),
        pytest.param(' ДатаРожд="15.07.1985"', "", id="missing-birth-date"),
        pytest.param(' Пол="1"', "", id="missing-sex"),
        pytest.param(' ПлатСам="0"', "", id="missing-flag"),
        pytest.param(' ДатаДок="10.05.2012"', "", id="missing-document-date"),
        pytest.param('НомЗап="1"', 'НомЗап="0"', id="record-number-0"),
        pytest.param('НомЗап="1"', 'НомЗап="первый"', id="record-number-text"),
        pytest.param('Квартал="3"', 'Квартал="5"', id="quarter-5"),
        pytest.param('КодТФОМС="50"', 'КодТФОМС="МО"', id="region-code"),
        pytest.param('КолЗап="2"', 'КолЗап="два"', id="count-text"),
        pytest.param(' ВерсФорм="1.00"', "", id="missing-version"),
        pytest.param('Имя="ИВАН"', 'Имя="ИВАН" Кличка="ВАНЯ"', id="unknown-attribute"),
        pytest.param('<ФИО Фамилия="ПЕТРОВА" Имя="АННА"/>\n', "", id="missing-required-element"),
        pytest.param(
            '</СвЗЛ>\n  <СвЗЛ НомЗап="2"',
            '</СвЗЛ>\n  <Прочее/>\n  <СвЗЛ НомЗап="2"',
            id="unknown-element",
        ),
    ],
)
def test_structural_faults_fail_the_schema(old: str, new: str) -> None:
    assert old in FNS_EXAMPLE
    with pytest.raises(PackageRejected) as info:
        check(FNS_EXAMPLE.replace(old, new, 1), "fns_working")
    assert info.value.code == RejectCode.SCHEMA
    assert "схеме" in info.value.reason_ru


def test_order_of_elements_is_enforced() -> None:
    moved = FNS_EXAMPLE.replace(
        '<ФИО Фамилия="ПЕТРОВА" Имя="АННА"/>\n    <СведЗЛ ДатаРожд="03.02.1979" Пол="2" '
        'СНИЛС="123-456-789 64"/>',
        '<СведЗЛ ДатаРожд="03.02.1979" Пол="2" СНИЛС="123-456-789 64"/>\n    '
        '<ФИО Фамилия="ПЕТРОВА" Имя="АННА"/>',
    )
    assert moved != FNS_EXAMPLE
    with pytest.raises(PackageRejected) as info:
        check(moved, "fns_working")
    assert info.value.code == RejectCode.SCHEMA


@pytest.mark.parametrize(
    "element",
    [
        "    <СНИЛС>112-233-445 95</СНИЛС>\n",
        '    <УдЛичн КодВидДок="21" СерНомДок="45 12 345678" ДатаДок="10.05.2012"/>\n',
        "    <МестоРожд>Г. МОСКВА</МестоРожд>\n",
        "    <ПослАдрес>Московская обл., г. Химки, ул. Мира, д. 1, кв. 2</ПослАдрес>\n",
    ],
)
def test_zags_optional_elements_may_be_left_out(element: str) -> None:
    assert element in ZAGS_EXAMPLE
    assert check(ZAGS_EXAMPLE.replace(element, ""), "zags_deaths") == 1


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        pytest.param('ДатаСмерт="02.10.2026"', 'ДатаСмерт="30.02.2026"', None, id="30-feb"),
        pytest.param('ДатаСмерт="02.10.2026"', 'ДатаСмерт="02.10.1970"', None, id="before-birth"),
        pytest.param('Номер="170269500001200012345"', 'Номер="12"', None, id="short-act-number"),
        pytest.param(
            '    <АктЗапись Номер="170269500001200012345" Дата="05.10.2026" КодЗАГС="R5000012"/>\n',
            "",
            RejectCode.SCHEMA,
            id="missing-act-record",
        ),
        pytest.param(' Источник="ЕГР ЗАГС"', "", RejectCode.SCHEMA, id="missing-source"),
        pytest.param('КолЗап="1"', 'КолЗап="0"', RejectCode.COUNT_MISMATCH, id="count"),
    ],
)
def test_zags_schema_checks_structure_only(old: str, new: str, code: RejectCode | None) -> None:
    assert old in ZAGS_EXAMPLE
    text = ZAGS_EXAMPLE.replace(old, new)
    if code is None:
        assert check(text, "zags_deaths") == 1
    else:
        with pytest.raises(PackageRejected) as info:
            check(text, "zags_deaths")
        assert info.value.code == code


def test_a_root_of_another_package_type_is_rejected() -> None:
    with pytest.raises(PackageRejected) as info:
        check(ZAGS_EXAMPLE, "fns_working")
    assert info.value.code == RejectCode.WRONG_ROOT
    assert "ФайлЗАГС" in info.value.reason_ru


def test_declared_count_must_equal_the_records() -> None:
    with pytest.raises(PackageRejected) as info:
        check(FNS_EXAMPLE.replace('КолЗап="2"', 'КолЗап="3"'), "fns_working")
    assert info.value.code == RejectCode.COUNT_MISMATCH
    assert "КолЗап=3" in info.value.reason_ru
    assert check(FNS_EXAMPLE.replace('КолЗап="2"', 'КолЗап=" 2 "'), "fns_working") == 2
