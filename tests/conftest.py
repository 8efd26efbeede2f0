"""Shared fixtures: a fresh SQLite store per test, a CLI runner, the sample plan."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("BROWSER_PATH", "/usr/lib/chromium/chromium")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A new SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'plan.db'}"


@pytest.fixture
def store(db_url: str):
    """A Store on a new SQLite database."""
    from socplan.store import Store

    return Store(db_url)


@pytest.fixture
def runner() -> CliRunner:
    """Click's runner; stderr is kept apart from stdout."""
    return CliRunner()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the sample plan, shared by read-only tests."""
    from socplan.demo import load_demo
    from socplan.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    load_demo(Store(url))
    return url
