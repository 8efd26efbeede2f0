"""Uploads waiting for an editor's Commit: kept in the database (any app server can finish
them), with the version of the plan their preview was made against."""

from __future__ import annotations

import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..periods import Period
from ..store import Store
from ..tables import staged_uploads

KEEP_FOR = timedelta(hours=12)


@dataclass(frozen=True)
class Staged:
    """An upload that passed its checks and awaits Commit or Cancel."""

    token: str
    username: str
    period: Period
    partial: bool
    last_import: int
    files: list[tuple[str, bytes]]


def _pack(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i, (name, data) in enumerate(files):
            archive.writestr(f"{i:03d}/{name}", data)
    return buffer.getvalue()


def _unpack(blob: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return [
            (info.filename.split("/", 1)[1], archive.read(info))
            for info in sorted(archive.infolist(), key=lambda i: i.filename)
        ]


def stage(
    store: Store,
    username: str,
    period: Period,
    partial: bool,
    last_import: int,
    files: list[tuple[str, bytes]],
) -> str:
    """Keep checked files until Commit; returns the token that names them."""
    token = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        conn.execute(staged_uploads.delete().where(staged_uploads.c.created_at < now - KEEP_FOR))
        conn.execute(
            staged_uploads.insert().values(
                token=token,
                plan_id=store.plan_id(conn),
                username=username,
                created_at=now,
                period=period.label,
                partial=partial,
                base_import_id=last_import,
                files=_pack(files),
            )
        )
    return token


def fetch(store: Store, token: str, username: str) -> Staged | None:
    """The staged upload if it exists, belongs to `username` and to the store's plan."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(staged_uploads).where(
                (staged_uploads.c.token == token) & (staged_uploads.c.username == username)
            )
        ).first()
        plan_id = store.plan_id(conn)
    if row is None or row.plan_id != plan_id:
        return None
    return Staged(
        row.token,
        row.username,
        Period.parse(row.period),
        bool(row.partial),
        int(row.base_import_id or 0),
        _unpack(row.files),
    )


def drop(store: Store, token: str) -> None:
    """Forget a staged upload (after Commit or Cancel)."""
    with store.transaction() as conn:
        conn.execute(staged_uploads.delete().where(staged_uploads.c.token == token))
