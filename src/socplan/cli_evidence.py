"""`socplan evidence ...`: files attached to a milestone's update, kept in the database."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import (
    acting_user,
    db_option,
    echo_rows,
    failing,
    open_store,
    parse_period,
    period_option,
    plan_option,
    plan_settings,
    user_option,
)


@click.group()
def evidence() -> None:
    """Evidence files (PDF, Word, Excel, OpenDocument, PNG, JPEG) attached to milestones."""


@evidence.command(name="add")
@click.argument("ref")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@period_option("The period whose update the file supports (default: the newest).")
@click.option(
    "--public",
    is_flag=True,
    help="Panel members (viewers) may see and download it; otherwise editors only.",
)
@user_option("attaching it")
@plan_option
@db_option
def evidence_add(
    ref: str, file: Path, period: str | None, public: bool, user: str | None, db: str | None
) -> None:
    """Attach FILE to milestone REF, after checking its content (exit status 1 if refused)."""
    from .attachments import AttachmentRefused, evidence_max_bytes
    from .evidence_store import EvidenceStore
    from .store import StoreError

    chosen = parse_period(period)
    store = open_store(db)
    with failing(AttachmentRefused, StoreError):
        stored, checked = EvidenceStore(store).add(
            ref,
            file.name,
            file.read_bytes(),  # whoever runs the command is trusted; the size is checked first
            max_bytes=evidence_max_bytes(plan_settings(store)),
            added_by=acting_user(user),
            period=chosen,
            public=public,
        )
    if checked.note:
        click.echo(checked.note)
    seen = "public" if stored.public else "editors only"
    click.echo(
        f"Stored {stored.name} ({stored.size} bytes) as evidence {stored.id} for {stored.milestone}, "
        f"{stored.period} ({seen})."
    )


@evidence.command(name="list")
@click.option("--ref", default=None, help="Only this milestone's (or recommendation's) files.")
@plan_option
@db_option
def evidence_list(ref: str | None, db: str | None) -> None:
    """List the plan's evidence files: id, milestone, period, name, size, public, who, when."""
    import pandas as pd

    from .evidence_store import EvidenceStore

    found = EvidenceStore(open_store(db)).list()
    if ref:
        found = [e for e in found if ref in (e.milestone, e.recommendation)]
    frame = pd.DataFrame(
        [
            {
                "id": e.id,
                "milestone": e.milestone,
                "period": e.period.label,
                "name": e.name,
                "size": e.size,
                "public": "yes" if e.public else "no",
                "added_by": e.added_by,
                "added_at": e.added_at,
            }
            for e in found
        ]
    )
    echo_rows(frame, "No evidence files.", "added_at", added_by="by", added_at="when (UTC)")


@evidence.command(name="publish")
@click.argument("evidence_id", metavar="ID", type=int)
@click.option("--withdraw", is_flag=True, help="Make it editors-only again instead of public.")
@user_option("changing it")
@plan_option
@db_option
def evidence_publish(evidence_id: int, withdraw: bool, user: str | None, db: str | None) -> None:
    """Mark evidence file ID public (panel members may see it), or with --withdraw, editors-only."""
    from .evidence_store import EvidenceStore
    from .store import StoreError

    store = open_store(db)
    with failing(StoreError):
        EvidenceStore(store).set_public(evidence_id, not withdraw, by=acting_user(user))
    click.echo(f"Evidence {evidence_id} is now {'editors only' if withdraw else 'public'}.")


@evidence.command(name="remove")
@click.argument("evidence_id", metavar="ID", type=int)
@user_option("removing it")
@plan_option
@db_option
def evidence_remove(evidence_id: int, user: str | None, db: str | None) -> None:
    """Remove evidence file ID from listings and downloads (its bytes are kept, and in backups)."""
    from .evidence_store import EvidenceStore
    from .store import StoreError

    store = open_store(db)
    with failing(StoreError):
        EvidenceStore(store).remove(evidence_id, by=acting_user(user))
    click.echo(f"Removed evidence {evidence_id}.")
