"""The Chromium socplan runs headless (chart images through kaleido, the PDF report, and the
browser tests): which binary, the flags it runs with, and the scratch folder for its throwaway
profiles."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .config import ENV_PREFIX, Settings

# Debian's Chromium itself; /usr/bin/chromium is a launcher script that adds desktop settings
# (bundled extensions, API keys) a headless renderer does not want.
DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium"
NAMES = ("chromium", "chromium-browser", "google-chrome")

FLAGS = (
    "--no-sandbox",  # the sandbox cannot start as root or in most containers
    "--disable-gpu",
    # Shared memory under /tmp: a container's /dev/shm is often too small for a long report
    # (Debian's launcher adds this for small /dev/shm; kaleido always does).
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_chromium() -> str:
    """The system Chromium: Debian's binary when present, else the first of NAMES on PATH;
    "" when there is none."""
    if _runnable(DEBIAN_CHROMIUM):
        return DEBIAN_CHROMIUM
    return next((found for name in NAMES if (found := shutil.which(name))), "")


def chromium(settings: Settings) -> str:
    """The Chromium to run: the `chromium_path` setting, else `find_chromium()`."""
    path = settings.chromium_path or find_chromium()
    if not path:
        raise RuntimeError(
            "Chromium is not installed: run scripts/setup.sh (Debian package chromium) or set "
            f"{ENV_PREFIX}CHROMIUM_PATH"
        )
    if not _runnable(path):
        raise RuntimeError(f"{ENV_PREFIX}CHROMIUM_PATH: {path} is not a program that can be run")
    return path


def scratch(settings: Settings) -> Path | None:
    """The folder for Chromium's throwaway profiles and the PDF report's working files,
    `scratch/` in the state folder (made private if missing); None, meaning the system's temporary
    folder, when it cannot be made."""
    folder = settings.scratch_path
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder
