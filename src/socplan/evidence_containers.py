"""Zip-based evidence (Word, Excel, OpenDocument) checked without trusting it.

The order: the central directory's size (before zipfile parses it), then the directory's own
claims (parts, encryption, expanded size, ratios), then what kind of document the package says
it is ([Content_Types].xml for Office Open XML, a first stored `mimetype` entry for
OpenDocument), then parts that hold code (by name), then every part's first bytes (programs, OLE
objects, archives) and every XML part's text (declared macros, macro links, DDE, encryption),
streamed against one running budget. An archive inside the document is looked at the same way,
once: an archive inside that is refused.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib

from .archives import (
    MACRO_TYPES,
    OLE_MAGIC,
    ZIP_ERRORS,
    ZIP_MAGIC,
    Budget,
    OverBudget,
    code_part,
    encrypted_member,
    expanding_member,
    expansion,
    first_needle,
    open_zip,
    stream_member,
)
from .evidence_formats import (
    ACCEPTED_ADVICE,
    MB,
    AttachmentRefused,
    EvidenceLimits,
    Kind,
    is_not,
    program,
)

# OpenDocument parts that hold macros or scripts (at any depth: embedded objects have their own).
ODF_CODE = re.compile(r"(^|/)(basic|scripts)/")
ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
OOXML_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_WORD = "save it as a Word Document (.docx) or as PDF"
_EXCEL = "save it as an Excel Workbook (.xlsx) or as PDF"
_SLIDES = "save it as PDF or as an OpenDocument Presentation (.odp)"
# Main content types that are recognised and refused: (what it is, whether it holds macros, advice).
OOXML_REFUSED = {
    "application/vnd.ms-word.document.macroenabled.main+xml": (
        "a macro-enabled Word document (.docm)",
        True,
        _WORD,
    ),
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml": (
        "a macro-enabled Word template (.dotm)",
        True,
        _WORD,
    ),
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": (
        "a macro-enabled Excel workbook (.xlsm)",
        True,
        _EXCEL,
    ),
    "application/vnd.ms-excel.template.macroenabled.main+xml": (
        "a macro-enabled Excel template (.xltm)",
        True,
        _EXCEL,
    ),
    "application/vnd.ms-excel.addin.macroenabled.main+xml": (
        "an Excel add-in (.xlam)",
        True,
        _EXCEL,
    ),
    "application/vnd.ms-excel.sheet.binary.macroenabled.main": (
        "a binary Excel workbook (.xlsb)",
        True,
        _EXCEL,
    ),
    "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml": (
        "a macro-enabled PowerPoint presentation (.pptm)",
        True,
        _SLIDES,
    ),
    "application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml": (
        "a macro-enabled PowerPoint show (.ppsm)",
        True,
        _SLIDES,
    ),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": (
        "a Word template (.dotx)",
        False,
        _WORD,
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": (
        "an Excel template (.xltx)",
        False,
        _EXCEL,
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "a PowerPoint presentation (.pptx)",
        False,
        _SLIDES,
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": (
        "a PowerPoint show (.ppsx)",
        False,
        _SLIDES,
    ),
}
# Text in XML parts that makes a document run something: links to macros and scripts
# (OpenDocument), DDE fields and links (Word, Excel).
_ACTIVE_TEXT = (b"vnd.sun.star.script:", b"macro://", b"ddeauto", b"<ddelink")
_ENCRYPTED_ODF = b"encryption-data"
# Relationships that make Office fetch something from elsewhere when the file is opened.
_FETCHED = re.compile(rb"/(attachedtemplate|oleobject|subdocument|frame)$")
_ATTRIBUTE = rb"""\s*=\s*["']([^"']*)["']"""
_PART_NAME = re.compile(rb"\bpartname" + _ATTRIBUTE, re.IGNORECASE)
_CONTENT_TYPE = re.compile(rb"\bcontenttype" + _ATTRIBUTE, re.IGNORECASE)
_TYPE = re.compile(rb"\btype" + _ATTRIBUTE, re.IGNORECASE)
_TARGET = re.compile(rb"\btarget" + _ATTRIBUTE, re.IGNORECASE)
_TARGET_MODE = re.compile(rb"\btargetmode" + _ATTRIBUTE, re.IGNORECASE)
SMALL_PART = 2 * MB  # [Content_Types].xml, relationships, manifests: a few KB in real files


def check_container(who: str, claimed: Kind | None, data: bytes, limits: EvidenceLimits) -> str:
    """The kind ("docx", "xlsx", "odt", "ods", "odp") of a zip-based document, or refuse it."""
    damaged = (
        f"{who} looks damaged: it starts like a Word, Excel or OpenDocument file but cannot be "
        "read. Open the original, save a new copy (or save it as PDF), and attach that."
    )
    size = directory_size(data)
    if size is None:
        raise AttachmentRefused(damaged)
    if size > limits.max_directory_bytes:
        raise AttachmentRefused(_too_many_parts(who, limits))
    budget = Budget(limits.max_uncompressed_bytes)
    try:
        archive, infos = open_zip(data)
        _check_directory(who, infos, budget, limits)
        kind = _kind(who, claimed, archive, infos)
        _check_parts(who, archive, infos, budget, limits, nested=False)
    except AttachmentRefused:
        raise
    except OverBudget as over:
        raise AttachmentRefused(_bomb(who, over.args[0], limits)) from None
    except (*ZIP_ERRORS, zlib.error, struct.error):
        raise AttachmentRefused(damaged) from None
    return kind


def directory_size(data: bytes) -> int | None:
    """The central directory's size as the end records say (zip64's when present), or None."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or len(data) < at + 22:
        return None
    size: int = struct.unpack("<I", data[at + 12 : at + 16])[0]
    locator = at - 20
    if locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        offset = struct.unpack("<Q", data[locator + 8 : locator + 16])[0]
        record = data[offset : offset + 56]
        if len(record) < 56 or not record.startswith(b"PK\x06\x06"):
            return None
        size = max(size, struct.unpack("<Q", record[40:48])[0])
    return size


def _too_many_parts(who: str, limits: EvidenceLimits) -> str:
    return (
        f"{who} has more parts than any genuine document (over {limits.max_members:,}), so it "
        "was not opened. Save it as PDF and attach that."
    )


def _bomb(who: str, total: int, limits: EvidenceLimits) -> str:
    return (
        f"{who} would expand to {total / MB:,.0f} MB when opened, over the "
        f"{limits.max_uncompressed_bytes / MB:,.0f} MB limit, so it was not opened (this is how "
        "a 'zip bomb' works). If it is a genuine document, save it as PDF and attach that."
    )


def _check_directory(
    who: str, infos: list[zipfile.ZipInfo], budget: Budget, limits: EvidenceLimits
) -> None:
    """What the central directory claims: number of parts, encryption, expanded size, ratios.

    `who` is the file's name in quotes, or for a document inside it, that name and the part's.
    """
    if len(infos) > limits.max_members:
        raise AttachmentRefused(_too_many_parts(who, limits))
    if encrypted_member(infos) is not None:
        raise AttachmentRefused(_encrypted(who))
    size = expansion(infos)
    if budget.used + size.total > budget.cap:
        raise AttachmentRefused(_bomb(who, budget.used + size.total, limits))
    if size.total > MB and size.ratio > limits.max_ratio:
        raise AttachmentRefused(
            f"{who} expands {size.ratio:,.0f} times when opened, far more than a genuine document "
            f"(the limit is {limits.max_ratio:.0f} times), so it was not opened (this is how a "
            "'zip bomb' works). If it is a genuine document, save it as PDF and attach that."
        )
    member = expanding_member(infos, limits.max_member_ratio, over=MB)
    if member is not None:
        ratio = member.file_size / max(member.compress_size, 1)
        raise AttachmentRefused(
            f"{who}: its part {member.filename} expands {ratio:,.0f} times when opened (this is "
            "how a 'zip bomb' works), so it was not opened. If it is a genuine document, save it "
            "as PDF and attach that."
        )


def _encrypted(who: str) -> str:
    return (
        f"{who} is password protected (encrypted), so it cannot be checked. Open it, remove the "
        "password, save it, and attach it again."
    )


def _small(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    if info.file_size > SMALL_PART:
        raise zipfile.BadZipFile(f"{info.filename} is too large")
    return b"".join(stream_member(archive, info, budget))


def _kind(
    who: str, claimed: Kind | None, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]
) -> str:
    """What the package says it is: an accepted kind, or a refusal naming what it is."""
    budget = Budget(4 * SMALL_PART)  # these small parts are read again, counted, by _check_parts
    lowered = {info.filename.lower(): info for info in infos}
    if infos and infos[0].filename == "mimetype":
        first = infos[0]
        mimetype = _small(archive, first, budget).strip()
        if first.compress_type != zipfile.ZIP_STORED or not mimetype.startswith(
            b"application/vnd.oasis.opendocument."
        ):
            raise zipfile.BadZipFile("not an OpenDocument signature")
        kind = ODF_TYPES.get(mimetype)
        if kind is None:
            what = f"an OpenDocument file of a kind we do not accept ({mimetype.decode('ascii', 'replace')})"
            raise AttachmentRefused(f"{is_not(who, claimed, what)} {ACCEPTED_ADVICE}")
        if "content.xml" not in lowered or "meta-inf/manifest.xml" not in lowered:
            raise zipfile.BadZipFile("no content or manifest")
        return kind
    if "mimetype" in lowered:
        raise zipfile.BadZipFile("misplaced OpenDocument signature")
    types = lowered.get("[content_types].xml")
    if types is None:
        what = "a zip archive"
        if "meta-inf/manifest.mf" in lowered:
            what = "a Java program"
        return _refuse_archive(who, claimed, what)
    declared = {
        _attribute(_CONTENT_TYPE, element).lower(): _attribute(_PART_NAME, element)
        for element in elements(_small(archive, types, budget), b"override")
    }
    for content_type, (what, macros, advice) in OOXML_REFUSED.items():
        if content_type in declared:
            why = (
                "Its macros can run programs when it is opened"
                if macros
                else "That kind of file is not accepted as evidence"
            )
            raise AttachmentRefused(
                f"{is_not(who, claimed, what)} {why}: {advice}, then attach that."
            )
    for content_type, kind in OOXML_TYPES.items():
        if content_type in declared:
            if declared[content_type].lstrip("/").lower() not in lowered:
                raise zipfile.BadZipFile("main part missing")
            return kind
    what = "an Office file of a kind we do not accept"
    return _refuse_archive(who, claimed, what, ACCEPTED_ADVICE)


def _refuse_archive(who: str, claimed: Kind | None, what: str, advice: str = "") -> str:
    advice = advice or "Attach the documents inside it one by one."
    raise AttachmentRefused(f"{is_not(who, claimed, what)} {advice}")


def _attribute(pattern: re.Pattern[bytes], element: bytes) -> str:
    match = pattern.search(element)
    return match[1].decode("utf-8", "replace") if match else ""


def _check_parts(
    who: str,
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    budget: Budget,
    limits: EvidenceLimits,
    *,
    nested: bool,
) -> None:
    """Parts that hold code (by name), then each part's first bytes and each XML part's text."""
    where = f"{who} contains" if not nested else f"{who} holds a document that contains"
    part = code_part((info.filename for info in infos), extra=ODF_CODE)
    if part is not None:
        raise AttachmentRefused(
            f"{where} macros or embedded programs ({part}), which can run when it is opened. "
            "Save a copy without macros, ActiveX controls or embedded objects (in Word or Excel, "
            "File > Save As > Word Document or Excel Workbook), or save it as PDF, and attach that."
        )
    for info in infos:
        if info.is_dir():
            continue
        head = _head(archive, info, budget)
        what = program(head, strict=True)
        if what is not None:
            raise AttachmentRefused(
                f"{where} {what} ({info.filename}). Programs are never accepted: save the "
                "document as PDF and attach that."
            )
        if head.startswith(OLE_MAGIC):
            raise AttachmentRefused(
                f"{where} an embedded object from another program ({info.filename}), which can "
                "run code when it is opened. Delete the object (or paste it as a picture), save, "
                "and attach it again; or save it as PDF and attach that."
            )
        if head.startswith(ZIP_MAGIC):
            _check_nested(who, archive, info, budget, limits, nested=nested)
            continue
        lower = info.filename.lower()
        if not lower.endswith((".xml", ".rels")):
            continue
        _check_text(who, where, archive, info, budget, lower)


def _head(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    with archive.open(info) as stream:
        head = stream.read(min(1024, info.file_size))
    budget.take(len(head))
    return head


def _check_text(
    who: str,
    where: str,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: Budget,
    lower: str,
) -> None:
    needles: tuple[bytes, ...] = _ACTIVE_TEXT
    if lower == "[content_types].xml":
        needles = (*needles, *MACRO_TYPES)
    if lower == "meta-inf/manifest.xml":
        needles = (*needles, _ENCRYPTED_ODF)
    found = first_needle(stream_member(archive, info, budget), needles)
    if found == _ENCRYPTED_ODF:
        raise AttachmentRefused(_encrypted(who))
    if found in MACRO_TYPES:
        raise AttachmentRefused(
            f"{where} macros, ActiveX controls or embedded objects (its content types declare "
            f"'{found.decode()}'), which can run when it is opened. Save a copy without them, or "
            "save it as PDF, and attach that."
        )
    if found is not None:
        raise AttachmentRefused(
            f"{where} a link or field that runs a macro or a command when it is used "
            f"('{found.decode()}' in {info.filename}). Remove it, or save the document as PDF, "
            "and attach that."
        )
    if lower.endswith(".rels"):
        for relationship in elements(_small(archive, info, budget), b"relationship"):
            target = _attribute(_TARGET, relationship)
            if (
                _attribute(_TARGET_MODE, relationship).lower() != "external"
                or not _FETCHED.search(_attribute(_TYPE, relationship).lower().encode())
                or not reaches_network(target)
            ):
                continue
            raise AttachmentRefused(
                f"{where} a link that makes Word or Excel fetch a template or object from "
                f"elsewhere when it is opened ({target[:80]}), a way to bring in macros. Save it "
                "as PDF (or copy its content into a new document) and attach that."
            )


def reaches_network(target: str) -> bool:
    """Whether a link's target is on another machine (a URL, a UNC path, file://host/)."""
    target = target.strip().lower().replace("\\", "/")
    if target.startswith("//"):
        return True
    scheme, colon, rest = target.partition(":")
    if not colon or len(scheme) == 1:  # a relative name, or a drive letter (C:/...)
        return False
    return not (scheme == "file" and re.match(r"///[a-z]:", rest))


def elements(text: bytes, tag: bytes) -> list[bytes]:
    """The attribute text of every `<tag ...>` (any namespace prefix, any case) in XML text.

    Split on `>` rather than matched by a pattern, so crafted text (thousands of `<tag`s and no
    `>`) costs one pass, not one pass per `<tag`.
    """
    found = []
    for piece in text.split(b">"):
        start = piece.rfind(b"<")
        if start < 0:
            continue
        words = piece[start + 1 :].split(None, 1)
        if words and words[0].rpartition(b":")[2].lower() == tag:
            found.append(words[1] if len(words) > 1 else b"")
    return found


def _check_nested(
    who: str,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: Budget,
    limits: EvidenceLimits,
    *,
    nested: bool,
) -> None:
    """An archive inside the document: only an Office or OpenDocument file (a chart's data in a
    Word document is a whole .xlsx), looked at like the document itself; none deeper."""
    if nested:
        raise AttachmentRefused(
            f"{who} holds archives inside archives ({info.filename}), a way to hide a zip bomb, "
            "so it was not opened. Save it as PDF and attach that."
        )
    if info.file_size > limits.max_uncompressed_bytes // 4:
        raise OverBudget(budget.used + info.file_size)
    inner = b"".join(stream_member(archive, info, budget))
    size = directory_size(inner)
    if size is None or size > limits.max_directory_bytes:
        raise zipfile.BadZipFile("nested archive")
    inner_archive, inner_infos = open_zip(inner)
    names = {i.filename.lower() for i in inner_infos}
    inside = f"{who}: the document inside it ({info.filename})"
    if "[content_types].xml" not in names and not (
        inner_infos and inner_infos[0].filename == "mimetype"
    ):
        raise AttachmentRefused(
            f"{who} contains a zip archive ({info.filename}), which could hold anything. Remove "
            "it, or save the document as PDF, and attach that."
        )
    _check_directory(inside, inner_infos, budget, limits)
    _check_parts(who, inner_archive, inner_infos, budget, limits, nested=True)
