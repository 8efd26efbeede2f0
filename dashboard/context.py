"""The running app's plans and settings, reached through Flask's app and request context.

Which plan a request is about is decided once, by `auth.identify`, from the path
(`/plans/<slug>/...`) or, for Dash's callbacks, from the page the callback came from; it is
checked there against the plans the person may see, and kept on `flask.g`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g

from socplan.accounts import Accounts
from socplan.config import Settings, for_plan
from socplan.permissions import EDIT

if TYPE_CHECKING:
    from socplan.store import Plan

    from .source import PlanSource, PlanSources

PLAN_PREFIX = "/plans/"


class NoPlanChosen(LookupError):
    """Something needed a plan in a request that is about none (a 400)."""


def plan_slug() -> str | None:
    """The slug of the plan this request is about, if any."""
    return g.get("socplan_plan")


def plan_record() -> Plan | None:
    """This request's plan (title and own settings), read once per request."""
    if "socplan_plan_record" not in g:
        slug = plan_slug()
        g.socplan_plan_record = (
            next((p for p in sources().store.plans() if p.slug == slug), None) if slug else None
        )
    return g.socplan_plan_record


def sources() -> PlanSources:
    """The running app's plan sources, one per plan."""
    return current_app.extensions["socplan"]


def sees_drafts() -> bool:
    """True when the requester sees this plan's drafts (editors, leads, admins); everyone else
    sees only what was signed off for the panel."""
    from .auth import can  # auth reads this module's plan_slug

    return can(EDIT)


def source() -> PlanSource:
    """The source of this request's plan, in the view the requester may see: with drafts for
    those who edit it, else the panel's (signed-off periods only)."""
    slug = plan_slug()
    if slug is None:
        raise NoPlanChosen("this request is about no plan")
    return sources().get(slug, published=not sees_drafts())


def here(path: str = "") -> str:
    """`path` within this request's plan: here("/recommendations") is /plans/<slug>/recommendations."""
    slug = plan_slug()
    if slug is None:
        raise NoPlanChosen("this request is about no plan")
    return f"{PLAN_PREFIX}{slug}{path}"


def plan_of_path(path: str | None) -> str | None:
    """The slug in a path under /plans/ (not checked), else None."""
    if not path or not path.startswith(PLAN_PREFIX):
        return None
    return path[len(PLAN_PREFIX) :].split("/", 1)[0] or None


def installation_settings() -> Settings:
    """The installation's settings."""
    return current_app.extensions["socplan_settings"]


def settings() -> Settings:
    """The settings in force for this request's plan (the installation's, with the plan's own)."""
    return for_plan(installation_settings(), plan_record())


def accounts() -> Accounts:
    """The running app's accounts and audit log."""
    return current_app.extensions["socplan_accounts"]
