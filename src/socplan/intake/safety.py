"""Refuse hostile or non-workbook files before any of their cells is used.

The size checks work from the file's first bytes and the zip central directory, so a zip bomb is
refused without inflating a single member; only then are the content types and each sheet's
extent read, streaming, each member no further than its declared (and already capped) size.
All of it runs before any parser sees the file, except an xlsx's extents in the limited child
process, which are measured while calamine parses it (see `importer._ExtentScan`).
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.parsers import expat

from ..archives import (
    OLE_MAGIC,
    ZIP_ERRORS,
    ZIP_MAGIC,
    code_part,
    declared_macros,
    encrypted_member,
    expanding_member,
    expansion,
    open_zip,
)
from ..config import Settings
from . import opendocument as odf
from .extents import far_cell, sheet_parts

_DEFAULT = Settings()
Kind = Literal["xlsx", "ods"]
# What reading a damaged zip member raises: a damaged zip's errors, and its inflating's.
_READ_ERRORS = (*ZIP_ERRORS, zlib.error)
FAR = (
    "a value far outside the table; delete it (or clear the rows and columns beyond the plan) "
    "and save again"
)


@dataclass(frozen=True)
class Limits:
    """Caps for uploaded workbooks."""

    max_uncompressed_bytes: int = 400 * 1024 * 1024
    max_ratio: float = 150.0
    max_members: int = 2_000
    # The rest are settings: their defaults are the settings' own (config.Settings).
    max_file_bytes: int = _DEFAULT.max_upload_mb * 1024 * 1024
    max_sheet_rows: int = _DEFAULT.max_sheet_rows
    max_sheet_columns: int = _DEFAULT.max_sheet_columns
    parse_memory_mb: int = _DEFAULT.parse_memory_mb
    parse_cpu_seconds: int = _DEFAULT.parse_cpu_seconds
    parse_timeout_seconds: int = _DEFAULT.parse_timeout_seconds
    isolate: bool = _DEFAULT.isolate_parsing

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits an installation's settings ask for."""
        return cls(
            max_file_bytes=settings.max_upload_mb * 1024 * 1024,
            max_sheet_rows=settings.max_sheet_rows,
            max_sheet_columns=settings.max_sheet_columns,
            parse_memory_mb=settings.parse_memory_mb,
            parse_cpu_seconds=settings.parse_cpu_seconds,
            parse_timeout_seconds=settings.parse_timeout_seconds,
            isolate=settings.isolate_parsing,
        )


class UnsafeFile(Exception):
    """A file refused before parsing; the message is one line saying why."""


def check_workbook_bytes(
    data: bytes, name: str, limits: Limits | None = None, *, extents: bool = True
) -> Kind:
    """Raise UnsafeFile unless `data` looks like a plain, unencrypted, macro-free xlsx or ods;
    return which it is.

    Without `extents`, an xlsx's sheets are not measured: the caller runs `check_extents`
    itself, before any reader builds a sheet's grid in Python (see `importer`).
    """
    limits = limits or Limits()
    if len(data) > limits.max_file_bytes:
        raise UnsafeFile(
            f"{name}: the file is {len(data) / 1048576:.1f} MB, over the "
            f"{limits.max_file_bytes / 1048576:.0f} MB limit; split it or remove pictures"
        )
    if not data:
        raise UnsafeFile(f"{name}: the file is empty; save the workbook again as .xlsx or .ods")
    lower = name.lower()
    if lower.endswith((".xlsm", ".xltm", ".xlsb")):
        raise UnsafeFile(
            f"{name}: macro-enabled or binary workbooks are refused; save it as an "
            "Excel Workbook (.xlsx)"
        )
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise UnsafeFile(
                f"{name}: the workbook is encrypted (password protected); remove the "
                "password (File > Info > Protect Workbook) and save it again"
            )
        raise UnsafeFile(
            f"{name}: this is an old-format .xls workbook; save it as an Excel Workbook (.xlsx)"
        )
    if not data.startswith(ZIP_MAGIC):
        raise UnsafeFile(
            f"{name}: this is not an Excel workbook (.xlsx) or an OpenDocument spreadsheet "
            "(.ods); open it in Excel or LibreOffice and save it as one"
        )
    return _check_zip(data, name, limits, extents)


def check_extents(data: bytes, name: str, limits: Limits | None = None) -> None:
    """Raise UnsafeFile if a sheet of an xlsx that passed `check_workbook_bytes(...,
    extents=False)` reaches past the limits (named by its farthest cell)."""
    limits = limits or Limits()
    try:
        archive, _ = open_zip(data)
        _check_extents(archive, name, limits)
    except _READ_ERRORS as exc:
        raise _damaged(name, exc) from None


def read_workbook_file(path: Path, limits: Limits | None = None) -> bytes:
    """A workbook's bytes from disk; never reads past the size cap. The content is not checked."""
    limits = limits or Limits()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnsafeFile(f"{path.name}: cannot read the file ({exc.strerror})") from exc
    if path.is_dir():
        raise UnsafeFile(f"{path.name}: is a folder, not a workbook")
    if size > limits.max_file_bytes:
        raise UnsafeFile(
            f"{path.name}: the file is {size / 1048576:.1f} MB, over the "
            f"{limits.max_file_bytes / 1048576:.0f} MB limit; split it or remove pictures"
        )
    try:
        with path.open("rb") as handle:
            return handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise UnsafeFile(f"{path.name}: cannot read the file ({exc.strerror})") from exc


def check_workbook_file(path: Path, limits: Limits | None = None) -> bytes:
    """Check a workbook on disk and return its bytes; never reads past the size cap."""
    data = read_workbook_file(path, limits)
    check_workbook_bytes(data, path.name, limits)
    return data


def _check_zip(data: bytes, name: str, limits: Limits, extents: bool) -> Kind:
    try:
        archive, infos = open_zip(data)
    except ZIP_ERRORS:
        raise UnsafeFile(
            f"{name}: the file is damaged or not an Excel workbook; open it in Excel and save "
            "it again as .xlsx"
        ) from None
    if len(infos) > limits.max_members:
        raise UnsafeFile(f"{name}: the workbook has {len(infos)} parts, too many to be a plan")
    names = {info.filename for info in infos}
    if encrypted_member(infos) is not None:
        raise UnsafeFile(
            f"{name}: the workbook is encrypted; remove the password and save it again"
        )
    size = expansion(infos)
    if size.total > limits.max_uncompressed_bytes:
        raise UnsafeFile(
            f"{name}: the workbook would expand to {size.total / 1048576:.0f} MB, over the "
            f"{limits.max_uncompressed_bytes / 1048576:.0f} MB limit (a zip bomb or a very large "
            "workbook); it was not opened"
        )
    if size.total > 1_000_000 and size.ratio > limits.max_ratio:
        raise UnsafeFile(
            f"{name}: the workbook expands {size.ratio:.0f} times, over the "
            f"{limits.max_ratio:.0f}× limit (a zip bomb?); it was not opened"
        )
    bomb = expanding_member(infos, limits.max_ratio * 4)
    if bomb is not None:
        raise UnsafeFile(
            f"{name}: the part {bomb.filename} expands "
            f"{bomb.file_size / max(bomb.compress_size, 1):.0f} times (a zip bomb?); "
            "it was not opened"
        )
    if odf.is_opendocument(names):
        _check_opendocument(archive, name, limits)
        return "ods"
    lowered = {n.lower() for n in names}
    executable = code_part(names)
    if executable is not None:
        raise UnsafeFile(
            f"{name}: the workbook contains macros or embedded programs ({executable}); save it "
            "as an Excel Workbook (.xlsx) without macros, ActiveX controls or embedded objects"
        )
    if "[content_types].xml" not in lowered or "xl/workbook.xml" not in lowered:
        if "word/document.xml" in lowered:
            raise UnsafeFile(f"{name}: this is a Word document, not an Excel workbook")
        raise UnsafeFile(
            f"{name}: this zip file is not an Excel workbook (.xlsx) or an OpenDocument "
            "spreadsheet (.ods)"
        )
    try:
        declared = declared_macros(archive)
        if declared:
            raise UnsafeFile(
                f"{name}: the workbook is macro-enabled (it declares {declared}); save it as an "
                "Excel Workbook (.xlsx)"
            )
        if extents:
            _check_extents(archive, name, limits)
    except _READ_ERRORS as exc:
        raise _damaged(name, exc) from None
    return "xlsx"


def _check_extents(archive: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """UnsafeFile for the first sheet that reaches past the limits (the caller turns a damaged
    member's `_READ_ERRORS` into `_damaged`)."""
    for sheet, member in sheet_parts(archive):
        cell = far_cell(archive, member, limits.max_sheet_rows, limits.max_sheet_columns)
        if cell is not None:
            raise UnsafeFile(f"{sheet}!{cell}: {FAR}")


def _damaged(name: str, exc: BaseException) -> UnsafeFile:
    return UnsafeFile(
        f"{name}: the file is damaged ({type(exc).__name__}); open it in Excel and save it "
        "again as .xlsx"
    )


_ODF_KINDS = {
    "application/vnd.oasis.opendocument.text": "an OpenDocument text document (.odt)",
    "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp)",
    "application/vnd.oasis.opendocument.graphics": "an OpenDocument drawing (.odg)",
    "application/vnd.oasis.opendocument.spreadsheet-template": "an OpenDocument template (.ots)",
}


def _check_opendocument(archive: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """Refuse an OpenDocument file unless it is a plain spreadsheet within the limits."""

    def damaged(why: object = "") -> str:
        return (
            f"{name}: the OpenDocument spreadsheet is damaged{f' ({why})' if why else ''}; open "
            "it in LibreOffice and save it again as .ods"
        )

    try:
        verdict = odf.inspect(archive, limits.max_sheet_rows, limits.max_sheet_columns)
    except (odf.Refused, expat.ExpatError) as exc:
        raise UnsafeFile(damaged(exc)) from None
    except (*_READ_ERRORS, KeyError):
        raise UnsafeFile(damaged()) from None
    if verdict is None:
        return
    if verdict.kind == "not-spreadsheet":
        what = _ODF_KINDS.get(verdict.detail)
        if what is None:
            kind = f"its type is '{verdict.detail}'" if verdict.detail else "it has no mimetype"
            raise UnsafeFile(
                f"{name}: this is not an OpenDocument spreadsheet ({kind}); save the plan as an "
                "OpenDocument spreadsheet (.ods) or an Excel workbook (.xlsx)"
            )
        raise UnsafeFile(
            f"{name}: this is {what}, not a spreadsheet; save the plan as an OpenDocument "
            "spreadsheet (.ods) or an Excel workbook (.xlsx)"
        )
    if verdict.kind == "encrypted":
        raise UnsafeFile(
            f"{name}: the spreadsheet is encrypted (password protected); remove the password "
            "(File > Properties > Security, or Save As without a password) and save it again"
        )
    if verdict.kind == "macros":
        raise UnsafeFile(
            f"{name}: the spreadsheet contains macros, scripts or embedded programs "
            f"({verdict.detail}); save a copy without them (delete the document's macro modules "
            "and embedded objects) as .ods"
        )
    if verdict.kind == "far":
        raise UnsafeFile(f"{verdict.detail}: {FAR}")
    raise UnsafeFile(damaged(verdict.detail))
