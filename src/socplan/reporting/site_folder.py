"""The folder a public site is written to: never anyone else's files.

A site folder carries a marker file listing the files socplan wrote there. socplan writes only
into a folder that is missing, empty, or has the marker; writing again replaces the listed
files and removes the listed files the new site no longer has (a recommendation no longer
published), and nothing else. Files are written whole (a temporary file renamed into place), so
a reader never sees half a page and a link planted where a page goes is replaced, not followed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

MARKER = ".socplan-site"
HEADER = (
    "socplan site\n"
    "This folder was written by `socplan site`. Writing the site again replaces the files listed\n"
    "below, and only those. Delete this file to stop socplan writing here.\n"
    "\n"
)


class SiteError(Exception):
    """The site cannot be written there (a message for the person who asked)."""


def _relative(name: str) -> PurePosixPath | None:
    """A listed file name as a path inside the folder; None for anything else."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name or "\0" in name:
        return None
    return path


def check_folder(folder: Path) -> list[str]:
    """Refuse a folder socplan may not write to; the files an earlier site there listed."""
    if folder.exists() and not folder.is_dir():
        raise SiteError(f"{folder} is a file, not a folder; choose a folder for the site")
    if not folder.exists():
        return []
    marker = folder / MARKER
    if not marker.is_file():
        if any(folder.iterdir()):
            raise SiteError(
                f"{folder} is not empty and was not written by `socplan site`, so its files "
                "might be someone else's; choose a new or empty folder"
            )
        return []
    text = marker.read_text(encoding="utf-8", errors="replace")
    if not text.startswith(HEADER.splitlines()[0]):
        raise SiteError(f"{marker} is not a socplan site marker; choose a new or empty folder")
    lines = text.splitlines()[len(HEADER.splitlines()) :]
    return sorted(n for n in (line.strip() for line in lines) if _relative(n) is not None)


def _inside(folder: Path, path: Path) -> bool:
    """True when `path`'s parent folder is `folder` or below it, with no link in between."""
    current = path.parent
    while current != folder:
        if current.is_symlink():
            return False
        if current == current.parent:
            return False
        current = current.parent
    return True


def _put(folder: Path, name: str, data: bytes) -> None:
    target = folder / name
    if not _inside(folder, target):
        raise SiteError(f"{target.parent} is a link; the site writes only inside {folder}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not _inside(folder, target):  # a link made meanwhile
        raise SiteError(f"{target.parent} is a link; the site writes only inside {folder}")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".socplan-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _marker(names: list[str]) -> bytes:
    return (HEADER + "".join(f"{n}\n" for n in sorted(names))).encode("utf-8")


def write_folder(folder: Path, files: Mapping[str, bytes]) -> tuple[list[str], list[str]]:
    """Write `files` (relative POSIX names) into `folder`, replacing an earlier site there;
    returns the names written (the marker last) and the earlier site's files removed."""
    earlier = check_folder(folder)
    for name in files:
        if _relative(name) is None or name == MARKER:
            raise ValueError(f"not a file name inside the site: {name!r}")
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    # Claim every file first: if writing stops half way, the next run may still replace them.
    _put(folder, MARKER, _marker(sorted(set(earlier) | set(files))))
    for name in sorted(files):
        _put(folder, name, files[name])
    removed = []
    for name in sorted(set(earlier) - set(files)):
        path = folder / name
        if _inside(folder, path) and (path.is_file() or path.is_symlink()):
            path.unlink()
            removed.append(name)
            parent = path.parent
            while parent != folder and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    _put(folder, MARKER, _marker(list(files)))
    return [*sorted(files), MARKER], removed
