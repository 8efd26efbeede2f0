"""The running app's plan source and settings, reached through Flask's app context."""

from __future__ import annotations

from flask import current_app

from socplan.accounts import Accounts
from socplan.config import Settings

from .source import PlanSource


def source() -> PlanSource:
    """The running app's plan source."""
    return current_app.extensions["socplan"]


def settings() -> Settings:
    """The running app's settings."""
    return current_app.extensions["socplan_settings"]


def accounts() -> Accounts:
    """The running app's accounts and audit log."""
    return current_app.extensions["socplan_accounts"]
