"""Roles and what each may do: the one table that the CLI's choices, the server's route and
callback rules, the navigation and the pages all read.

Adding a permission is an entry here (with the roles that hold it) and its use where it is
needed: a page's `permission=`, a route prefix or a component-id prefix below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    """Something a role may do, and where the server asks for it."""

    name: str
    description: str
    # Dash callbacks naming a component whose id starts with this need the permission.
    callback_prefix: str = ""
    # Requests whose path starts with one of these need the permission.
    url_prefixes: tuple[str, ...] = ()


VIEW = Permission("view", "read the plan: pages, charts, reports and data")
EDIT = Permission(
    "edit",
    "upload, commit and restore; download the original files and the template",
    callback_prefix="edit-",
    url_prefixes=("/files/",),
)
SIGN_OFF = Permission(
    "sign off",
    "publish a period to the panel (sign off) or take it back (withdraw)",
    callback_prefix="signoff-",
)
ADMINISTER = Permission(
    "administer", "accounts and the audit log", callback_prefix="admin-", url_prefixes=("/admin",)
)
PERMISSIONS: tuple[Permission, ...] = (VIEW, EDIT, SIGN_OFF, ADMINISTER)

# Each role, weakest first, with what it may do.
ROLES: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({VIEW}),
    "editor": frozenset({VIEW, EDIT}),
    "lead": frozenset({VIEW, EDIT, SIGN_OFF}),  # the policy lead: an editor who signs off
    "admin": frozenset({VIEW, EDIT, SIGN_OFF, ADMINISTER}),
}
ROLE_NAMES: tuple[str, ...] = tuple(ROLES)


def allows(role: str | None, permission: Permission) -> bool:
    """True when `role` holds `permission`."""
    return role is not None and permission in ROLES.get(role, frozenset())


def weakest_role(permission: Permission) -> str:
    """The first role that holds `permission` (for messages: 'this needs the editor role')."""
    return next(role for role, held in ROLES.items() if permission in held)


def needed_for_path(path: str) -> Permission:
    """The permission a request path needs (VIEW unless a rule above says more)."""
    for permission in reversed(PERMISSIONS):
        if path.startswith(permission.url_prefixes) and permission.url_prefixes:
            return permission
    return VIEW


def needed_for_ids(ids: list[str]) -> Permission:
    """The permission a Dash callback naming these component ids needs (the strongest)."""
    for permission in reversed(PERMISSIONS):
        prefix = permission.callback_prefix
        if prefix and any(
            i.startswith(prefix) or f"..{prefix}" in i or f'"{prefix}' in i for i in ids
        ):
            return permission
    return VIEW
