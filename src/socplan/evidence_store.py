"""Evidence files of a plan, kept in the database: attached to a milestone's update, checked by
content first (`attachments.check_attachment`), never deleted (removing one hides it), and seen
by editors only unless marked public.

Everything is scoped to the store's plan: an id of another plan's file is "not found", exactly
as an id that never existed. Adding, removing and marking are written to the audit log in the
same transaction; downloads are audited by whoever serves them (they know the address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .accounts import write_audit
from .attachments import Attachment, check_attachment
from .periods import Period
from .store import Store, StoreError
from .tables import evidence_files, milestone_rows

# Every column but the bytes: listings never read file content.
_LISTED = [c for c in evidence_files.c if c.name not in ("content", "plan_id")]


class EvidenceNotFound(StoreError):
    """No evidence file of this plan has that id (or it was removed)."""


@dataclass(frozen=True)
class EvidenceFile:
    """One stored evidence file, without its bytes."""

    id: int
    milestone: str
    recommendation: str
    period: Period
    name: str
    kind: str
    media_type: str
    size: int
    sha256: str
    public: bool
    added_by: str
    added_at: datetime
    removed_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> EvidenceFile:
        """From a row of `evidence_files` (times in UTC whatever the backend answers in)."""
        values = dict(row._mapping)
        index = int(values.pop("period_index"))
        values.pop("content", None)
        values.pop("plan_id", None)
        for key in ("added_at", "removed_at"):
            values[key] = _utc(values[key])
        return cls(period=Period(index // 4, index % 4 + 1), **values)


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    # SQLite keeps the UTC we wrote without its zone; PostgreSQL answers in the session's.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class EvidenceStore:
    """The evidence files of one plan: the plan of `store` (see `Store.for_plan`)."""

    def __init__(self, store: Store):
        self.store = store

    def _plan_id(self, conn: Connection) -> int:
        plan_id = self.store.plan_id(conn)
        if plan_id is None:
            raise StoreError("there is no plan yet: import a workbook first")
        return plan_id

    def _milestone(self, conn: Connection, plan_id: int, ref: str) -> tuple[str, Period]:
        """The recommendation of milestone `ref` in the plan's newest period, and that period."""
        current = self.store._current_ids(conn, plan_id)
        if not current:
            raise StoreError("there is no plan yet: import a workbook first")
        newest = max(current)
        found = conn.execute(
            sa.select(milestone_rows.c.recommendation).where(
                (milestone_rows.c.import_id == current[newest]) & (milestone_rows.c.ref == ref)
            )
        ).first()
        if found is None:
            raise StoreError(f"there is no milestone '{ref[:64]}' in this plan")
        return str(found[0]), Period(newest // 4, newest % 4 + 1)

    def _audit(
        self, conn: Connection, plan_id: int, by: str, action: str, detail: str, address: str
    ) -> None:
        # In the change's own transaction: no file is added or removed without its entry.
        write_audit(conn, by, action, detail, address, plan_id)

    def add(
        self,
        milestone: str,
        file_name: str,
        data: bytes,
        *,
        max_bytes: int,
        added_by: str,
        period: Period | None = None,
        public: bool = False,
        address: str = "",
    ) -> tuple[EvidenceFile, Attachment]:
        """Check `data` (AttachmentRefused with a message for the person when refused) and
        store it as evidence for `milestone`'s update in `period` (default: the newest)."""
        checked = check_attachment(file_name, data, max_bytes=max_bytes)
        with self.store.transaction() as conn:
            plan_id = self._plan_id(conn)
            recommendation, newest = self._milestone(conn, plan_id, milestone)
            when = datetime.now(UTC)
            result = conn.execute(
                evidence_files.insert().values(
                    plan_id=plan_id,
                    milestone=milestone,
                    recommendation=recommendation,
                    period_index=(period or newest).index,
                    name=checked.name,
                    kind=checked.kind,
                    media_type=checked.media_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    content=data,
                    public=public,
                    added_by=added_by,
                    added_at=when,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            new_id = int(key[0])
            self._audit(
                conn,
                plan_id,
                added_by,
                "evidence-add",
                f"{checked.name} ({checked.size} bytes, sha256 {checked.sha256[:12]}) "
                f"for {milestone} as evidence {new_id}" + (", public" if public else ""),
                address,
            )
            row = conn.execute(sa.select(*_LISTED).where(evidence_files.c.id == new_id)).one()
        return EvidenceFile.from_row(row), checked

    def list(
        self,
        *,
        milestone: str | None = None,
        recommendation: str | None = None,
        public_only: bool = False,
    ) -> list[EvidenceFile]:
        """The plan's evidence files (not removed), by milestone then when added; narrowed to
        a milestone or a recommendation, or to those marked public."""
        if not self.store.exists():
            return []
        self.store.ensure_schema()
        with self.store.engine.connect() as conn:
            plan_id = self.store.plan_id(conn)
            if plan_id is None:
                return []
            query = sa.select(*_LISTED).where(
                (evidence_files.c.plan_id == plan_id) & evidence_files.c.removed_at.is_(None)
            )
            if milestone is not None:
                query = query.where(evidence_files.c.milestone == milestone)
            if recommendation is not None:
                query = query.where(evidence_files.c.recommendation == recommendation)
            if public_only:
                query = query.where(evidence_files.c.public.is_(True))
            query = query.order_by(evidence_files.c.milestone, evidence_files.c.id)
            return [EvidenceFile.from_row(r) for r in conn.execute(query)]

    def _row(self, conn: Connection, evidence_id: int, *columns: Any) -> Any:
        plan_id = self.store.plan_id(conn)
        row = conn.execute(
            sa.select(*columns).where(
                (evidence_files.c.id == evidence_id)
                & (evidence_files.c.plan_id == plan_id)
                & evidence_files.c.removed_at.is_(None)
            )
        ).first()
        if row is None or plan_id is None:
            raise EvidenceNotFound(f"there is no evidence file {evidence_id} in this plan")
        return row

    def get(self, evidence_id: int) -> EvidenceFile:
        """One of the plan's evidence files, without its bytes (EvidenceNotFound otherwise)."""
        with self.store.engine.connect() as conn:
            return EvidenceFile.from_row(self._row(conn, evidence_id, *_LISTED))

    def fetch(self, evidence_id: int) -> tuple[EvidenceFile, bytes]:
        """One of the plan's evidence files with its bytes (EvidenceNotFound otherwise)."""
        with self.store.engine.connect() as conn:
            row = self._row(conn, evidence_id, *_LISTED, evidence_files.c.content)
        return EvidenceFile.from_row(row), bytes(row.content)

    def set_public(self, evidence_id: int, public: bool, *, by: str, address: str = "") -> None:
        """Mark a file public (viewers and the public may see it) or editors' only."""
        with self.store.transaction() as conn:
            row = self._row(conn, evidence_id, evidence_files.c.name, evidence_files.c.plan_id)
            conn.execute(
                evidence_files.update()
                .where(evidence_files.c.id == evidence_id)
                .values(public=public)
            )
            state = "public" if public else "editors only"
            self._audit(
                conn,
                row.plan_id,
                by,
                "evidence-public",
                f"evidence {evidence_id} ({row.name}): {state}",
                address,
            )

    def remove(self, evidence_id: int, *, by: str, address: str = "") -> None:
        """Hide a file from every listing and download; its row and bytes are kept."""
        with self.store.transaction() as conn:
            row = self._row(conn, evidence_id, evidence_files.c.name, evidence_files.c.plan_id)
            conn.execute(
                evidence_files.update()
                .where(evidence_files.c.id == evidence_id)
                .values(removed_at=datetime.now(UTC))
            )
            self._audit(
                conn,
                row.plan_id,
                by,
                "evidence-remove",
                f"evidence {evidence_id} ({row.name})",
                address,
            )
