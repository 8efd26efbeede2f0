"""What an evidence file is, by its content: the accepted kinds, and why anything else is refused.

PDF, PNG and JPEG are checked here (the zip-based documents in `evidence_containers`): images by
their header alone (never decoded), PDF by its dictionaries and its object streams (inflated
against a cap), where actions hide.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

ACCEPTED = "PDF, Word (.docx), Excel (.xlsx), OpenDocument (.odt, .ods, .odp), PNG or JPEG"
MB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """One kind of evidence file that is accepted."""

    key: str
    label: str  # as a sentence names it: "a PDF"
    extensions: tuple[str, ...]  # the first is the one given to a file renamed to match
    media_type: str


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("pdf", "a PDF", (".pdf",), "application/pdf"),
        Kind(
            "docx",
            "a Word document (.docx)",
            (".docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        Kind(
            "xlsx",
            "an Excel workbook (.xlsx)",
            (".xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Kind(
            "odt",
            "an OpenDocument text (.odt)",
            (".odt",),
            "application/vnd.oasis.opendocument.text",
        ),
        Kind(
            "ods",
            "an OpenDocument spreadsheet (.ods)",
            (".ods",),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        Kind(
            "odp",
            "an OpenDocument presentation (.odp)",
            (".odp",),
            "application/vnd.oasis.opendocument.presentation",
        ),
        Kind("png", "a PNG image", (".png",), "image/png"),
        Kind("jpeg", "a JPEG image", (".jpg", ".jpeg", ".jpe"), "image/jpeg"),
    )
}


@dataclass(frozen=True)
class EvidenceLimits:
    """Caps beyond the file size (a setting): what a genuine document never needs."""

    max_uncompressed_bytes: int = 400 * MB  # all a document's parts, inflated
    max_ratio: float = 150.0  # the whole document's compression ratio (over 1 MB)
    max_member_ratio: float = 600.0  # one part's (over 1 MB); zeros compress ~1,000 times
    max_members: int = 5_000
    max_directory_bytes: int = 2 * MB  # a zip's central directory, before it is parsed
    max_pixels: int = 100_000_000  # 100 megapixels: ~400 MB once decoded
    max_pdf_inflated_bytes: int = 200 * MB  # PDF object streams, inflated to be read


class AttachmentRefused(ValueError):
    """An evidence file that is not accepted; the message says why and what to do instead."""


def is_not(who: str, claimed: Kind | None, what: str) -> str:
    """The start of a refusal: "'x.pdf' is not a PDF: its content is <what>." or "'x' is <what>."."""
    if claimed is None:
        return f"{who} is {what}."
    return f"{who} is not {claimed.label}: its content is {what}."


# --- what a refused file is -------------------------------------------------------------------

ATTACH_DOCUMENT = "Attach the document itself."
ACCEPTED_ADVICE = f"Evidence can be {ACCEPTED}: save it as one of those and attach that."


def ole_refusal(who: str, claimed: Kind | None, data: bytes) -> str:
    """Why an OLE compound file (old Office, encrypted Office, Outlook message) is refused.

    Stream names are looked for in the directory's UTF-16 names; the container is not parsed.
    """

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return (
            f"{who} is password protected (encrypted), so it cannot be checked. Open it, remove "
            "the password (File > Info > Protect Document or Protect Workbook > Encrypt with "
            "Password, and clear it), save it, and attach it again."
        )
    for stream, what, advice in (
        ("WordDocument", "an old-format Word document (.doc)", "a Word Document (.docx)"),
        ("Workbook", "an old-format Excel workbook (.xls)", "an Excel Workbook (.xlsx)"),
        ("Book", "an old-format Excel workbook (.xls)", "an Excel Workbook (.xlsx)"),
        ("PowerPoint Document", "an old-format PowerPoint presentation (.ppt)", "PDF"),
        ("__substg1.0_", "an Outlook email message (.msg)", "PDF"),
    ):
        if has(stream):
            return (
                f"{is_not(who, claimed, what)} Old Office formats can hide macros and are not "
                f"accepted: open it and save it as {advice} or as PDF, then attach that."
            )
    return (
        f"{is_not(who, claimed, 'an old-format Microsoft file (or an installer)')} "
        f"{ACCEPTED_ADVICE}"
    )


def program(head: bytes, *, strict: bool = False) -> str | None:
    """What kind of program `head` (a file's first bytes) starts, or None.

    `strict` (for parts inside a document, where two bytes can occur by chance) needs a
    Windows program's PE header as well as its `MZ`.
    """
    if head.startswith(b"MZ"):
        if not strict:
            return "a Windows program"
        if len(head) >= 64:
            offset = struct.unpack("<I", head[60:64])[0]
            if head[offset : offset + 4] == b"PE\0\0":
                return "a Windows program"
    if head.startswith(b"\x7fELF"):
        return "a Linux program"
    if head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ):
        return "a Mac program"
    if head.startswith(b"\xca\xfe\xba\xbe"):
        return "a program (Java or Mac)"
    if head.startswith(b"#!") and not strict:
        return "a script (a small program)"
    return None


_OTHER_FORMATS: tuple[tuple[tuple[bytes, ...], str, str], ...] = (
    ((b"{\\rtf",), "a Rich Text document (.rtf)", "save it as a Word Document (.docx) or as PDF"),
    ((b"GIF87a", b"GIF89a"), "a GIF image", "save it as PNG"),
    ((b"II*\x00", b"MM\x00*"), "a TIFF image", "save it as PDF or PNG"),
    ((b"%!PS",), "a PostScript file", "save it as PDF"),
    ((b"Rar!",), "a RAR archive", "attach the documents inside it one by one"),
    ((b"7z\xbc\xaf\x27\x1c",), "a 7-Zip archive", "attach the documents inside it one by one"),
    ((b"\x1f\x8b",), "a gzip archive", "attach the documents inside it one by one"),
    ((b"PK\x05\x06",), "an empty zip archive", "attach the documents themselves"),
)


def foreign_refusal(who: str, claimed: Kind | None, data: bytes) -> str:
    """Why a file that is none of the accepted kinds is refused, naming what it is if known."""
    head = data[:4096]
    what = program(head)
    if what is not None:
        return f"{is_not(who, claimed, what)} Programs are never accepted. {ATTACH_DOCUMENT}"
    for magics, what, advice in _OTHER_FORMATS:
        if head.startswith(magics):
            return f"{is_not(who, claimed, what)} It is not accepted as evidence: {advice}, then attach that."
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return f"{is_not(who, claimed, 'a WebP image')} Save it as PNG or JPEG, then attach that."
    if head[4:8] == b"ftyp":
        if head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc"):
            return (
                f"{is_not(who, claimed, 'a HEIC photo (as iPhones take them)')} Export or save it "
                "as JPEG, then attach that."
            )
        return (
            f"{is_not(who, claimed, 'a video or audio file')} Attach a still image (PNG or JPEG) "
            "or a PDF instead."
        )
    if head.startswith(b"BM") and len(data) > 6 and struct.unpack("<I", head[2:6])[0] == len(data):
        return f"{is_not(who, claimed, 'a BMP image')} Save it as PNG, then attach that."
    markup = _markup(head)
    if markup == "svg":
        script = " (this one contains a script)" if _has_script(data) else ""
        return (
            f"{is_not(who, claimed, 'an SVG image' + script)} SVG images can carry scripts that "
            "run when they are opened, so SVG is never accepted: export it as PNG, then attach that."
        )
    if markup == "html":
        return (
            f"{is_not(who, claimed, 'a web page (HTML)')} Web pages can run scripts when they are "
            "opened and are not accepted: open it in a browser and print or save it as PDF, then "
            "attach that."
        )
    if markup == "xml":
        return f"{is_not(who, claimed, 'an XML file')} {ACCEPTED_ADVICE}"
    if claimed is not None:
        return (
            f"{who} is not {claimed.label}: its content is not a kind of file we accept. "
            f"{ACCEPTED_ADVICE}"
        )
    return f"{who} is not a kind of file we accept. {ACCEPTED_ADVICE}"


_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<meta ")


def _markup(head: bytes) -> str:
    """ "svg", "html", "xml" or "" for a file's first bytes, in UTF-8 or UTF-16."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode()
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n\x0c").lower()
    if not text.startswith(b"<"):
        return ""
    if b"<svg" in text and b"<html" not in text:
        return "svg"
    if any(marker in text for marker in _HTML_MARKERS):
        return "html"
    return "xml"


def _has_script(data: bytes) -> bool:
    text = data[:1_048_576].lower()
    return any(word in text for word in (b"<script", b"javascript:", b"onload=", b"onclick="))


# --- images -----------------------------------------------------------------------------------


def _damaged(who: str, what: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"{who} looks damaged: it starts like {what} but {_DAMAGE_HINT[what]}. Open the "
        "original, save a new copy, and attach that."
    )


_DAMAGE_HINT = {
    "a PNG image": "its header is broken",
    "a JPEG image": "its header is broken",
    "a PDF": "part of it cannot be read",
}


def _check_pixels(who: str, width: int, height: int, limits: EvidenceLimits) -> None:
    if width * height > limits.max_pixels:
        raise AttachmentRefused(
            f"{who} says it is {width:,} × {height:,} pixels ({width * height / 1e6:,.0f} "
            f"megapixels), over the {limits.max_pixels / 1e6:,.0f} megapixel limit: opening an "
            "image that large could exhaust a computer's memory. Resize it (a phone photo is "
            "under 50 megapixels) and attach it again."
        )


def check_png(who: str, data: bytes, limits: EvidenceLimits) -> None:
    """A PNG's IHDR (the first chunk, its CRC checked): sane, and not too many pixels."""
    if (
        len(data) < 33
        or data[8:16] != b"\x00\x00\x00\x0dIHDR"
        or zlib.crc32(data[12:29]) != struct.unpack(">I", data[29:33])[0]
    ):
        raise _damaged(who, "a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    if not width or not height:
        raise _damaged(who, "a PNG image")
    _check_pixels(who, width, height, limits)


# Start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_MAX_SEGMENTS = 1_000  # a real JPEG has a dozen or so segments before its frame header


def check_jpeg(who: str, data: bytes, limits: EvidenceLimits) -> None:
    """A JPEG's frame header (found by walking the segments before it): not too many pixels."""
    at = 2
    for _ in range(_MAX_SEGMENTS):
        if at + 4 > len(data) or data[at] != 0xFF:
            break
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or the scan, before any frame header
            break
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in _SOF:
            if length < 8 or at + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            if not width or not height:
                break
            _check_pixels(who, width, height, limits)
            return
        if length < 2:
            break
        at += 2 + length
    raise _damaged(who, "a JPEG image")


# --- PDF ---------------------------------------------------------------------------------------

# Where a stream's body starts: the end of its dictionary, then (whitespace or comments) `stream`.
# Possessive quantifiers: text that almost matches is given up on at once, not backtracked.
_STREAM_START = re.compile(rb">>(?:\s|%[^\r\n]*+)*+stream(?:\r\n|\n|\r)")
# The names that matter, as whole names (a delimiter, whitespace or the end follows).
_WATCHED = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|Encrypt|ObjStm|FlateDecode|Fl"
    rb"|LZWDecode|ASCIIHexDecode|ASCII85Decode|RunLengthDecode|Crypt)(?![^\s/()<>\[\]{}%])"
)
# `#xx` escapes of letters (`/J#61vaScript` is /JavaScript); other characters cannot spell a name
# that matters, so only these are undone, with one C-speed replace each.
_LETTER_ESCAPES = sorted(
    {
        (f"#{code:{case}}".encode(), bytes([code]))
        for code in [*range(0x41, 0x5B), *range(0x61, 0x7B)]
        for case in ("02x", "02X")
    }
)
_FILTERS = {b"FlateDecode", b"Fl", b"LZWDecode", b"ASCIIHexDecode", b"ASCII85Decode"}
_FILTERS |= {b"RunLengthDecode", b"Crypt"}
# What a PDF may not hold, and how the refusal names it.
_ACTIVE_NAMES = {
    b"JavaScript": "JavaScript (/JavaScript), which can run when it is opened",
    b"JS": "JavaScript (/JS), which can run when it is opened",
    b"Launch": "an action that starts programs (/Launch)",
    b"EmbeddedFile": "files embedded in it (/EmbeddedFile), which cannot be checked",
    b"EmbeddedFiles": "files embedded in it (/EmbeddedFiles), which cannot be checked",
    b"RichMedia": "embedded media or Flash (/RichMedia), which can run code",
    b"XFA": "an XFA form (/XFA), which can run scripts",
}
_PRINT_IT = (
    "Print it to a new PDF (Print > Microsoft Print to PDF, or Save as PDF), which keeps the "
    "pages and leaves the rest behind, and attach that."
)


def _names(text: bytes) -> set[bytes]:
    """The watched names `text` holds, `#xx` letter escapes undone."""
    if b"#" in text:
        for escaped, letter in _LETTER_ESCAPES:
            text = text.replace(escaped, letter)
    return set(_WATCHED.findall(text))


def check_pdf(who: str, data: bytes, limits: EvidenceLimits) -> None:
    """No JavaScript, launch actions, embedded files, rich media, XFA forms or encryption.

    Names are read from everything outside stream bodies and from every object stream (where
    dictionaries can hide, compressed), inflated against a cap; other streams (pages, images,
    fonts) hold no dictionaries and are skipped, unread.
    """
    if b"%%EOF" not in data[-65_536:]:
        raise AttachmentRefused(
            f"{who} looks incomplete: it starts like a PDF but its end is missing (perhaps it "
            "was cut short while downloading). Save or download it again and attach that."
        )
    budget = limits.max_pdf_inflated_bytes
    found: set[bytes] = set()
    at = 0
    for match in _STREAM_START.finditer(data):
        if match.start() < at:
            continue  # inside a stream body already skipped
        end = data.find(b"endstream", match.end())
        if end < 0:
            raise _damaged(who, "a PDF")
        header = data[at : match.start()]
        found |= _names(header)
        dictionary = _names(header[header.rfind(b"obj") :])
        if b"ObjStm" in dictionary:
            inflated = _inflate(who, data[match.end() : end], dictionary, budget, limits)
            budget -= len(inflated)
            found |= _names(inflated)
        at = end + len(b"endstream")
    found |= _names(data[at:])
    if b"Encrypt" in found:
        raise AttachmentRefused(
            f"{who} is a password-protected or restricted (encrypted) PDF, so its content "
            f"cannot be checked. {_PRINT_IT}"
        )
    active = [why for name, why in _ACTIVE_NAMES.items() if name in found]
    if active:
        raise AttachmentRefused(f"{who} is a PDF with {active[0]}. {_PRINT_IT}")


def _inflate(
    who: str, body: bytes, dictionary: set[bytes], budget: int, limits: EvidenceLimits
) -> bytes:
    filters = dictionary & _FILTERS
    if not filters:
        return body
    if filters - {b"FlateDecode", b"Fl"}:
        raise AttachmentRefused(
            f"{who} is a PDF compressed in an unusual way that cannot be checked. {_PRINT_IT}"
        )
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(body, max(budget, 0) + 1)
    except zlib.error:
        raise _damaged(who, "a PDF") from None
    if len(inflated) > budget:
        raise AttachmentRefused(
            f"{who} is a PDF whose compressed parts expand past "
            f"{limits.max_pdf_inflated_bytes / MB:,.0f} MB, far more than a genuine document "
            "(this is how a 'zip bomb' works), so it was not opened. " + _PRINT_IT
        )
    return inflated
