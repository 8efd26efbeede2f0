"""Pieces shared by the editor pages: the refusal shown to people without the role, and the
rendering of a check report and a preview."""

from __future__ import annotations

from typing import Any

from dash import html

from socplan.intake.preview import Preview
from socplan.intake.uploads import Checked
from socplan.permissions import Permission, weakest_role

from .components import changes_sections, note, section, table


def not_allowed(needed: Permission) -> html.Div:
    """What someone without the permission sees: no data, just how to get access."""
    role = weakest_role(needed)
    return html.Div(
        [
            html.H1("Not available"),
            html.P(
                f"This page is for the {role} role. Sign in with an account that has it, or ask an "
                "administrator."
            ),
        ],
    )


def problems(checked: Checked) -> html.Div:
    """Every file's errors and warnings, each with its sheet and cell."""
    parts: list[Any] = []
    for name, outcome in checked.outcomes:
        report = outcome.report
        errors, warnings = report.errors, report.warnings
        state = "cannot be imported" if errors else "passes its checks"
        parts.append(html.H3(f"{name}: {state}", className="h5"))
        if errors:
            parts.append(
                html.P(f"{len(errors)} errors: fix them in the workbook and upload it again.")
            )
            parts.append(
                html.Ul([html.Li(str(p)) for p in errors], className="problem-list errors")
            )
        if warnings:
            parts.append(html.P(f"{len(warnings)} warnings (the import can go ahead):"))
            parts.append(
                html.Ul([html.Li(str(p)) for p in warnings], className="problem-list warnings")
            )
        if report.notices:
            parts.append(html.Ul([html.Li(str(p)) for p in report.notices], className="small"))
    return html.Div(parts, role="status")


def preview_view(item: Preview) -> html.Div:
    """What committing would change."""
    changes = item.changes
    return html.Div(
        [
            html.H2(f"Preview: {item.period} compared with {item.compared_with}"),
            note(
                f"{item.milestones} milestones after the commit: {len(changes['moves'])} status moves, "
                f"{len(changes['new'])} new, {len(changes['cancelled'])} cancelled, "
                f"{len(changes['dates'])} date changes, {len(item.no_update)} open with no update."
            ),
            *changes_sections(changes, level=3),
            section(
                "No update received",
                table(
                    item.no_update.rename(
                        columns={
                            "ref": "Ref",
                            "milestone": "Milestone",
                            "owner": "Owner",
                            "status": "Status",
                        }
                    )
                ),
                level=3,
            ),
        ]
    )
