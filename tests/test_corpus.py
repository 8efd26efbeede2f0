"""A corpus of malformed and hostile workbooks: each gives a clear message naming its place,
exit status 1, and leaves the database byte for byte as it was."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from builders import (
    T,
    basic_milestones,
    edit,
    milestone,
    milestones,
    ods_edit,
    ods_stray_rows,
    ods_template_bytes,
    recs,
    rewrite_member,
    sheet_bytes,
    stray_cell,
    template_bytes,
)

from socplan.cli import main
from socplan.periods import Period

Q3 = Period(2019, 3)


def good() -> bytes:
    return template_bytes(Q3, recs(), basic_milestones())


def with_rows(*rows) -> bytes:
    return template_bytes(Q3, recs(), milestones(*rows))


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def add_member(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members[name] = content
    return zip_of(members)


def declared_size(data: bytes, size: int) -> bytes:
    """Patch the central directory so one member claims `size` uncompressed bytes (a bomb's lie)."""
    at = data.rfind(b"PK\x01\x02")
    return data[: at + 24] + struct.pack("<I", size) + data[at + 28 :]


def without_sheet(data: bytes, sheet: str) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    del book[sheet]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def drop_column(data: bytes, sheet: str, col: int) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    book[sheet].delete_cols(col)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def padded_content_types(declaration: bytes) -> bytes:
    """A good workbook whose [Content_Types].xml hides a declaration behind 300 KB of padding."""
    padding = b"<!--" + b" " * 300_000 + b"-->"
    return rewrite_member(
        good(),
        "[Content_Types].xml",
        lambda xml: xml.replace(b"</Types>", padding + declaration + b"</Types>"),
    )


FAR = "a value far outside the table; delete it (or clear the rows and columns beyond the plan) and save again"


def ole(extra: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + extra + b"\0" * 1024


def good_ods() -> bytes:
    return ods_template_bytes(Q3, recs(), basic_milestones())


def ods_manifest(extra: str) -> bytes:
    """The good .ods with `extra` added inside its manifest."""
    return rewrite_member(
        good_ods(),
        "META-INF/manifest.xml",
        lambda xml: xml.replace(b"</manifest:manifest>", extra.encode() + b"</manifest:manifest>"),
    )


def ods_content(change) -> bytes:
    return rewrite_member(good_ods(), "content.xml", change)


ENCRYPTED_ENTRY = (
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
    '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
    '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="x"/>'
    "</manifest:encryption-data></manifest:file-entry>"
)
LISTENER = (
    '<office:event-listeners xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"><script:event-listener '
    'script:language="ooo:script" script:event-name="dom:load" '
    'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
    "</office:event-listeners>"
)

ODS_CASES: dict[str, tuple[str, object, str, str]] = {
    "ods: value at XFD1048576": (
        "plan.ods",
        lambda: ods_edit(good_ods(), {"Milestones": {"XFD1048576": "x"}}),
        "Milestones!XFD1048576",
        FAR,
    ),
    "ods: value at ZZ200000": (
        "plan.ods",
        lambda: ods_edit(good_ods(), {"Milestones": {"ZZ200000": "x"}}),
        "Milestones!ZZ200000",
        FAR,
    ),
    "ods: repeated row holding a value": (
        "plan.ods",
        lambda: ods_stray_rows(
            good_ods(),
            "About",
            '<table:table-row table:number-rows-repeated="1048553"><table:table-cell '
            'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
            "</table:table-row>",
        ),
        "About!A1048558",
        FAR,
    ),
    "ods: repeated cell holding a value": (
        "plan.ods",
        lambda: ods_stray_rows(
            good_ods(),
            "Lists",
            '<table:table-row><table:table-cell table:number-columns-repeated="16384" '
            'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>',
        ),
        "Lists!XFD",
        FAR,
    ),
    "ods: encrypted": ("plan.ods", lambda: ods_manifest(ENCRYPTED_ENTRY), "", "encrypted"),
    "ods: basic macros": (
        "plan.ods",
        lambda: add_member(good_ods(), "Basic/Standard/Module1.xml", b"<script:module/>"),
        "",
        "contains macros, scripts or embedded programs (Basic/Standard/Module1.xml)",
    ),
    "ods: python scripts": (
        "plan.ods",
        lambda: add_member(good_ods(), "Scripts/python/run.py", b"import os"),
        "",
        "contains macros, scripts or embedded programs (Scripts/python/run.py)",
    ),
    "ods: script in the manifest": (
        "plan.ods",
        lambda: ods_manifest(
            '<manifest:file-entry manifest:full-path="Basic/" '
            'manifest:media-type="application/binary"/>'
        ),
        "",
        "contains macros, scripts or embedded programs",
    ),
    "ods: embedded OLE object": (
        "plan.ods",
        lambda: ods_manifest(
            '<manifest:file-entry manifest:full-path="Object 1" '
            'manifest:media-type="application/vnd.sun.star.oleobject"/>'
        ),
        "",
        "contains macros, scripts or embedded programs (Object 1)",
    ),
    "ods: event listener running a macro": (
        "plan.ods",
        lambda: ods_content(
            lambda xml: xml.replace(b"<office:body>", LISTENER.encode() + b"<office:body>")
        ),
        "",
        "contains macros, scripts or embedded programs (event-listener)",
    ),
    "ods: a text document": (
        "plan.ods",
        lambda: rewrite_member(
            good_ods(), "mimetype", lambda _: b"application/vnd.oasis.opendocument.text"
        ),
        "",
        "this is an OpenDocument text document (.odt), not a spreadsheet",
    ),
    "ods: no mimetype": (
        "plan.ods",
        lambda: zip_of({"content.xml": b"<x/>", "META-INF/manifest.xml": b"<m/>"}),
        "",
        "it has no mimetype",
    ),
    "ods: entity expansion": (
        "plan.ods",
        lambda: ods_content(
            lambda xml: xml.replace(
                b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1
            )
        ),
        "",
        "declares a DOCTYPE",
    ),
    "ods: truncated content": (
        "plan.ods",
        lambda: ods_content(lambda xml: xml[: len(xml) // 2]),
        "",
        "the OpenDocument spreadsheet is damaged",
    ),
    "ods: zip bomb": (
        "plan.ods",
        lambda: add_member(good_ods(), "Pictures/blob.png", b"\0" * 30_000_000),
        "",
        "zip bomb",
    ),
    "ods: unknown status": (
        "plan.ods",
        lambda: ods_edit(good_ods(), {"Milestones": {"I2": "Compelte"}}),
        "Milestones!I2",
        "'Compelte' is not a status",
    ),
    "ods: impossible date": (
        "plan.ods",
        lambda: ods_edit(good_ods(), {"Milestones": {"F3": "31/02/2020"}}),
        "Milestones!F3",
        "February 2020 has 29 days",
    ),
}

CASES: dict[str, tuple[str, object, str, str]] = {
    # name: (file name, builder, place, message fragment)
    "text file": ("plan.xlsx", lambda: b"Ref,Milestone\nR1.1,Do it\n", "", "not an Excel workbook"),
    "empty file": ("plan.xlsx", lambda: b"", "", "the file is empty"),
    "random zip": (
        "plan.xlsx",
        lambda: zip_of({"notes.txt": b"hello"}),
        "",
        "not an Excel workbook",
    ),
    "word document": (
        "plan.xlsx",
        lambda: zip_of({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}),
        "",
        "Word document",
    ),
    "opendocument without a manifest": (
        "plan.ods",
        lambda: zip_of(
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}
        ),
        "",
        "the OpenDocument spreadsheet is damaged",
    ),
    "zip bomb (ratio)": (
        "plan.xlsx",
        lambda: add_member(good(), "xl/media/blob.bin", b"\0" * 30_000_000),
        "",
        "zip bomb",
    ),
    "zip bomb (declared size)": (
        "plan.xlsx",
        lambda: declared_size(good(), 0xFFFFFFF0),
        "",
        "over the 400 MB limit",
    ),
    "over size cap": (
        "plan.xlsx",
        lambda: b"PK\x03\x04" + b"\0" * (26 * 1024 * 1024),
        "",
        "over the 25 MB limit",
    ),
    "macros inside": (
        "plan.xlsx",
        lambda: add_member(good(), "xl/vbaProject.bin", b"VBA"),
        "",
        "contains macros",
    ),
    "xlsm name": ("plan.xlsm", good, "", "macro-enabled"),
    "macro content type behind padding": (
        "plan.xlsx",
        lambda: padded_content_types(
            b'<Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>'
        ),
        "",
        "macro-enabled",
    ),
    "vba content type behind padding": (
        "plan.xlsx",
        lambda: padded_content_types(
            b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        ),
        "",
        "macro-enabled",
    ),
    "activex content type": (
        "plan.xlsx",
        lambda: padded_content_types(
            b'<Override PartName="/xl/ctrl.xml" ContentType="application/vnd.ms-office.activeX+xml"/>'
        ),
        "",
        "macro-enabled",
    ),
    "vba project under another name": (
        "plan.xlsx",
        lambda: add_member(good(), "xl/media/vbaProject2.bin", b"VBA"),
        "",
        "contains macros",
    ),
    "activex control": (
        "plan.xlsx",
        lambda: add_member(good(), "xl/activeX/activeX1.bin", b"OCX"),
        "",
        "xl/activeX/activeX1.bin",
    ),
    "embedded ole object": (
        "plan.xlsx",
        lambda: add_member(good(), "xl/embeddings/oleObject1.bin", b"OLE"),
        "",
        "xl/embeddings/oleObject1.bin",
    ),
    "excel 4 macro sheet": (
        "plan.xlsx",
        lambda: add_member(good(), "xl/macrosheets/sheet1.xml", b"<xm:macrosheet/>"),
        "",
        "contains macros",
    ),
    "custom ribbon": (
        "plan.xlsx",
        lambda: add_member(good(), "customUI/customUI14.xml", b"<customUI/>"),
        "",
        "contains macros",
    ),
    "value at XFD1048576": (
        "plan.xlsx",
        lambda: stray_cell(good(), "Milestones", "XFD1048576"),
        "Milestones!XFD1048576",
        FAR,
    ),
    "value at ZZ200000": (
        "plan.xlsx",
        lambda: stray_cell(good(), "Milestones", "ZZ200000"),
        "Milestones!ZZ200000",
        FAR,
    ),
    "dimension that lies": (
        "plan.xlsx",
        lambda: stray_cell(good(), "Milestones", "ZZ200000", dimension="A1:M20"),
        "Milestones!ZZ200000",
        FAR,
    ),
    "far value in another sheet": (
        "plan.xlsx",
        lambda: stray_cell(good(), "Lists", "A900000"),
        "Lists!A900000",
        FAR,
    ),
    "encrypted": (
        "plan.xlsx",
        lambda: ole("EncryptedPackage".encode("utf-16-le")),
        "",
        "encrypted",
    ),
    "old xls": ("plan.xls", lambda: ole(b"Workbook"), "", "old-format .xls"),
    "truncated": ("plan.xlsx", lambda: good()[:4000], "", "damaged"),
    "no milestones sheet": (
        "plan.xlsx",
        lambda: without_sheet(good(), "Milestones"),
        "Milestones",
        "has no 'Milestones' sheet",
    ),
    "no recommendations sheet": (
        "plan.xlsx",
        lambda: without_sheet(good(), "Recommendations"),
        "Recommendations",
        "has no 'Recommendations' sheet",
    ),
    "missing Due column": (
        "plan.xlsx",
        lambda: drop_column(good(), "Milestones", 6),
        "Milestones!",
        "the required column 'Due' is missing",
    ),
    "duplicate milestone refs": (
        "plan.xlsx",
        lambda: with_rows(milestone("R1.1"), milestone("R1.1")),
        "Milestones!A3",
        "'R1.1' is used twice (also in row 2)",
    ),
    "duplicate recommendation refs": (
        "plan.xlsx",
        lambda: edit(good(), {"Recommendations": {"A3": "R1"}}),
        "Recommendations!A3",
        "'R1' is used twice",
    ),
    "unknown recommendation": (
        "plan.xlsx",
        lambda: with_rows(milestone("R9.1")),
        "Milestones!B2",
        "there is no recommendation 'R9'",
    ),
    "impossible date": (
        "plan.xlsx",
        lambda: edit(good(), {"Milestones": {"F2": "31/02/2020"}}),
        "Milestones!F2",
        "February 2020 has 29 days",
    ),
    "month-first date": (
        "plan.xlsx",
        lambda: edit(good(), {"Milestones": {"E2": "10/13/2019"}}),
        "Milestones!E2",
        "there is no month 13",
    ),
    "start after due": (
        "plan.xlsx",
        lambda: with_rows(milestone("R1.1", start=T("2020-05-01"))),
        "Milestones!E2",
        "is after the due date",
    ),
    "progress over 100": (
        "plan.xlsx",
        lambda: edit(good(), {"Milestones": {"J2": 150}}),
        "Milestones!J2",
        "outside 0 to 100",
    ),
    "progress not a number": (
        "plan.xlsx",
        lambda: edit(good(), {"Milestones": {"J2": "lots"}}),
        "Milestones!J2",
        "is not a percentage",
    ),
    "off track without update": (
        "plan.xlsx",
        lambda: with_rows(milestone("R1.1", status="Off track", update="")),
        "Milestones!K2",
        "needs its corrective action",
    ),
    "forecast without reason": (
        "plan.xlsx",
        lambda: with_rows(milestone("R1.1", forecast=T("2020-06-30"))),
        "Milestones!H2",
        "give the reason",
    ),
    "unknown status": (
        "plan.xlsx",
        lambda: edit(good(), {"Milestones": {"I2": "Compelte"}}),
        "Milestones!I2",
        "'Compelte' is not a status; use one of Not started, On track, At risk, Off track, "
        "Complete, Cancelled",
    ),
    "empty status": (
        "plan.xlsx",
        lambda: edit(good(), {"Milestones": {"I3": None}}),
        "Milestones!I3",
        "the status is empty",
    ),
    "unknown theme": (
        "plan.xlsx",
        lambda: edit(good(), {"Recommendations": {"C2": "Pursuit"}}),
        "Recommendations!C2",
        "'Pursuit' is not a theme",
    ),
    "period disagrees": (
        "plan.xlsx",
        lambda: edit(good(), {"About": {"B1": "2019/20 Q4"}}),
        "About!B1",
        "the workbook is for 2019/20 Q4 but the import is for 2019/20 Q3",
    ),
    "period impossible": (
        "plan.xlsx",
        lambda: edit(good(), {"About": {"B1": "2019/20 Q7"}}),
        "About!B1",
        "is not a reporting period",
    ),
    "no header row": (
        "plan.xlsx",
        lambda: sheet_bytes(
            {"Recommendations": [["nothing here"]], "Milestones": [["just text"], ["more"]]}
        ),
        "Milestones!A1",
        "no header row found",
    ),
    "header only": (
        "plan.xlsx",
        lambda: template_bytes(Q3, recs(), basic_milestones().iloc[0:0]),
        "Milestones!A1",
        "has no milestones",
    ),
    "bad public flag": (
        "plan.xlsx",
        lambda: edit(good(), {"Milestones": {"M2": "perhaps"}}),
        "Milestones!M2",
        "is not Yes or No",
    ),
    **ODS_CASES,
}


@pytest.fixture
def populated(tmp_path: Path, runner) -> tuple[str, Path]:
    """A database holding one good import, with its WAL checkpointed into the main file."""
    db = tmp_path / "plan.db"
    url = f"sqlite:///{db}"
    source = tmp_path / "good.xlsx"
    source.write_bytes(good())
    result = runner.invoke(main, ["import", str(source), "--period", "2019/20 Q3", "--db", url])
    assert result.exit_code == 0, result.output
    import sqlite3

    with sqlite3.connect(db) as conn:  # move the WAL into the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return url, db


def state(db: Path) -> tuple[bytes, bytes]:
    """The database file and its write-ahead log, byte for byte."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes(), wal.read_bytes() if wal.exists() else b""


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", list(CASES))
def test_bad_workbook_is_refused(case, populated, runner, tmp_path):
    url, db = populated
    name, build, place, fragment = CASES[case]
    path = tmp_path / name
    path.write_bytes(build())  # type: ignore[operator]
    before = state(db)
    result = runner.invoke(main, ["import", str(path), "--period", "2019/20 Q3", "--db", url])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    matching = [line for line in lines if fragment in line]
    assert matching, f"no error line contains {fragment!r}:\n{result.stderr}"
    if place:
        assert any(line.startswith(f"error: {place}") for line in matching), result.stderr
    assert "Traceback" not in result.output
    assert state(db) == before


def test_validate_reports_all_problems_at_once(tmp_path, runner):
    data = edit(good(), {"Milestones": {"I2": "Compelte", "F3": "31/02/2020", "J4": 150}})
    path = tmp_path / "bad.xlsx"
    path.write_bytes(data)
    result = runner.invoke(main, ["validate", str(path), "--period", "2019/20 Q3"])
    assert result.exit_code == 1
    assert [
        line.split(":")[1].strip()
        for line in result.output.splitlines()
        if line.startswith("error")
    ] == ["Milestones!I2", "Milestones!F3", "Milestones!J4"]
