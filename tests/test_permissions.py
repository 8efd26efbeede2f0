"""The permission table: every role, route rule and callback rule reads it."""

from __future__ import annotations

import itertools

from socplan.permissions import (
    ADMINISTER,
    EDIT,
    PERMISSIONS,
    ROLES,
    SIGN_OFF,
    VIEW,
    allows,
    needed_for_ids,
    needed_for_path,
    weakest_role,
)


def test_roles_grow_weakest_first():
    held = list(ROLES.values())
    assert all(a < b for a, b in itertools.pairwise(held))
    assert set().union(*held) == set(PERMISSIONS)


def test_rules():
    assert allows("editor", EDIT) and not allows("viewer", EDIT) and not allows(None, VIEW)
    assert not allows("nobody", VIEW)
    assert weakest_role(EDIT) == "editor" and weakest_role(ADMINISTER) == "admin"
    assert weakest_role(SIGN_OFF) == "lead" and not allows("editor", SIGN_OFF)
    assert needed_for_ids(['{"period":"2020/21 Q1","type":"signoff-period"}']) == SIGN_OFF
    assert needed_for_path("/files/import/1") == EDIT
    assert needed_for_path("/admin/audit") == ADMINISTER
    assert needed_for_path("/recommendations") == VIEW
    assert needed_for_ids(["_pages_content", "edit-result"]) == EDIT
    assert needed_for_ids(['{"type":"admin-user"}']) == ADMINISTER
    assert needed_for_ids(["..url.search..", "filter-theme"]) == VIEW


def test_cli_offers_every_role():
    from socplan.cli import main

    add = main.commands["users"].commands["add"]
    role = next(p for p in add.params if p.name == "role")
    assert tuple(role.type.choices) == tuple(ROLES)
