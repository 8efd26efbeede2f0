"""Every command, each command of a group, and every setting is documented (README.md or
docs/deploy.md)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import click

from socplan.cli import main
from socplan.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md").read_text() + (ROOT / "docs" / "deploy.md").read_text()


def test_every_command_is_documented():
    names = [*main.commands]
    names += [
        f"{name} {sub}"
        for name, group in main.commands.items()
        if isinstance(group, click.Group)
        for sub in group.commands
    ]
    missing = [name for name in names if f"socplan {name}" not in DOCS]
    assert not missing, f"commands not in README.md or docs/deploy.md: {missing}"


def test_every_setting_is_documented():
    missing = [
        f.name
        for f in fields(Settings)
        if f"`{f.name}`" not in DOCS and f"SOCPLAN_{f.name.upper()}" not in DOCS
    ]
    assert not missing, f"settings not in README.md or docs/deploy.md: {missing}"


def test_deploy_guide_covers_both_shapes():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for needed in (
        "nginx",
        "gunicorn",
        "PostgreSQL",
        "load balancer",
        "/health",
        "socplan backup",
        "socplan restore-backup",
        "socplan migrate",
        "Alembic",
        # The daily mail job: both ways to run it, and the timer catching up a missed day.
        "socplan round remind --plan",
        "OnCalendar=",
        "Persistent=true",
        "/etc/cron.d/socplan-remind",
    ):
        assert needed in guide, needed
