"""Accounts and roles, password hashing (scrypt) and the audit log. No web framework here: the
dashboard and the CLI both call these."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .permissions import ROLE_NAMES, ROLES
from .store import Plan, PlanError, Store
from .tables import audit_log, plan_roles, plans, sign_in_throttle, users

# scrypt with N=2^15, r=8, p=1 (OWASP's recommended minimum), 16-byte salt.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSWORD = 12  # ASVS 2.1.1
# Sign-in throttling, per user name and address: this many failures go at full speed, then each
# further attempt must wait twice as long as the one before (from FIRST_DELAY up to MAX_DELAY).
# Nobody is ever locked out, and a stranger elsewhere cannot slow anyone else down.
FREE_FAILURES = 5
FIRST_DELAY = 10.0
MAX_DELAY = 15 * 60.0


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why."""


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form scrypt$N$r$p$salt$hash."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=64 * 1024 * 1024,
        dklen=32,
    )
    encode = base64.b64encode
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"
    )


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash from `hash_password` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 1024 * 1024,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def generate_password() -> str:
    """A random password of about 100 bits, easy to type."""
    return secrets.token_urlsafe(16)


# Roles a person may hold on one plan only (administering accounts is for every plan).
PLAN_ROLE_NAMES: tuple[str, ...] = tuple(r for r in ROLE_NAMES if r != "admin")


def stronger(a: str | None, b: str | None) -> str | None:
    """The stronger of two roles (None and "" are no role)."""
    ranked = [r for r in (a, b) if r in ROLES]
    return max(ranked, key=ROLE_NAMES.index) if ranked else None


@dataclass(frozen=True)
class User:
    """A signed-in person: `role` on every plan ("" for none) and `plans`, (slug, role) pairs
    for their roles on single plans; `session_key` ties their sessions to the account as it
    is now."""

    username: str
    role: str
    session_key: str = field(default="", compare=False, repr=False)
    plans: tuple[tuple[str, str], ...] = ()

    def role_in(self, plan: str | None) -> str | None:
        """Their role on `plan` (with no plan: on every plan); None when they have none."""
        own = dict(self.plans).get(plan) if plan else None
        return stronger(self.role or None, own)

    def sees(self, plan: str) -> bool:
        """True when they may see anything of `plan`."""
        return self.role_in(plan) is not None

    @property
    def describe(self) -> str:
        """Their roles in words: 'editor', or 'viewer of soc-strategy, editor of hmicfrs'."""
        parts = [f"{role} of {slug}" for slug, role in self.plans]
        if self.role:
            parts.insert(0, self.role if not parts else f"{self.role} of every plan")
        return ", ".join(parts) or "no role"


def _new_session_key() -> str:
    return secrets.token_hex(16)


def throttle_delay(failures: int) -> float:
    """Seconds to wait before the next attempt after `failures` failed ones."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY))


def _throttle_key(username: str, address: str) -> str:
    return hashlib.sha256(f"{username.strip().lower()}\0{address}".encode()).hexdigest()


# A hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = (
    "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)


def write_audit(
    conn: sa.Connection,
    username: str,
    action: str,
    detail: str = "",
    address: str = "",
    plan_id: int | None = None,
) -> None:
    """One audit entry, in `conn`'s transaction (so nothing is done without its entry)."""
    conn.execute(
        audit_log.insert().values(
            at=datetime.now(UTC),
            username=username[:150],
            action=action,
            detail=detail,
            address=address[:64],
            plan_id=plan_id,
        )
    )


class Accounts:
    """Users and the audit log, in the plan's database."""

    def __init__(self, store: Store):
        self.store = store

    def _check_role(self, role: str, plan: str | None = None) -> None:
        allowed = PLAN_ROLE_NAMES if plan else ROLE_NAMES
        if role not in allowed:
            extra = " on one plan (an admin has every plan)" if plan and role in ROLES else ""
            raise AccountError(f"'{role}' is not a role{extra}; use one of {', '.join(allowed)}")

    def _plan(self, conn: sa.Connection, slug: str) -> Plan:
        found = next((p for p in self.store._plans(conn) if p.slug == slug), None)
        if found is None:
            listed = ", ".join(p.slug for p in self.store._plans(conn)) or "none yet"
            raise AccountError(f"there is no plan '{slug}'; plans here: {listed}")
        return found

    def _grant(self, conn: sa.Connection, username: str, role: str, slug: str) -> None:
        plan = self._plan(conn, slug)
        user_id = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
        if user_id is None:
            raise AccountError(f"there is no user '{username}'")
        where = (plan_roles.c.user_id == user_id) & (plan_roles.c.plan_id == plan.id)
        conn.execute(plan_roles.delete().where(where))
        if role:
            conn.execute(plan_roles.insert().values(user_id=user_id, plan_id=plan.id, role=role))

    def add(
        self,
        username: str,
        role: str,
        password: str,
        *,
        by: str = "cli",
        plan: str | None = None,
    ) -> User:
        """Create an account with `role` on every plan, or on `plan` only."""
        self._check_role(role, plan)
        name = username.strip()
        if not name or len(name) > 150 or any(c.isspace() for c in name):
            raise AccountError("a user name is 1 to 150 characters with no spaces")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
        self.store.ensure_schema()
        with self.store.transaction() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.username == name)).first():
                raise AccountError(f"there is already a user '{name}'")
            conn.execute(
                users.insert().values(
                    username=name,
                    password_hash=hash_password(password),
                    role="" if plan else role,
                    created_at=datetime.now(UTC),
                    session_key=_new_session_key(),
                )
            )
            if plan:
                self._grant(conn, name, role, plan)
            where = f" of {plan}" if plan else ""
            self._audit(conn, by, "user-add", f"{name} as {role}{where}")
        return User(name, "" if plan else role, plans=((plan, role),) if plan else ())

    def set_role(
        self, username: str, role: str, *, by: str = "cli", plan: str | None = None
    ) -> None:
        """Change someone's role on every plan, or (with `plan`) on that plan only; the role
        "none" takes away their role on that plan. Their sessions end either way."""
        if not (plan and role == "none"):
            self._check_role(role, plan)
        with self.store.transaction() as conn:
            values: dict[str, str] = {"session_key": _new_session_key()}
            if not plan:
                values["role"] = role
            done = conn.execute(users.update().where(users.c.username == username).values(values))
            if not done.rowcount:
                raise AccountError(f"there is no user '{username}'")
            if plan:
                self._grant(conn, username, "" if role == "none" else role, plan)
            where = f" of {plan}" if plan else ""
            self._audit(conn, by, "user-role", f"{username} is now {role}{where}")

    def set_password(self, username: str, password: str, *, by: str = "cli") -> None:
        """Give someone a new password."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
        with self.store.transaction() as conn:
            done = conn.execute(
                users.update()
                .where(users.c.username == username)
                .values(password_hash=hash_password(password), session_key=_new_session_key())
            )
            if not done.rowcount:
                raise AccountError(f"there is no user '{username}'")
            self._audit(conn, by, "user-password", username)

    def remove(self, username: str, *, by: str = "cli") -> None:
        """Delete an account (the audit log keeps what they did)."""
        with self.store.transaction() as conn:
            done = conn.execute(users.delete().where(users.c.username == username))
            if not done.rowcount:
                raise AccountError(f"there is no user '{username}'")
            self._audit(conn, by, "user-remove", username)

    def list(self) -> pd.DataFrame:
        """Every account: user name, role (on every plan, or per plan), created."""
        if not self.store.exists() or not sa.inspect(self.store.engine).has_table("users"):
            return pd.DataFrame(columns=["username", "role", "created_at"])
        self.store.ensure_schema()
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(users.c.username, users.c.role, users.c.created_at).order_by(
                    users.c.username
                )
            ).all()
            held = self._plan_roles(conn)
        described = [
            (name, User(name, role, plans=held.get(name, ())).describe, created)
            for name, role, created in rows
        ]
        return pd.DataFrame(described, columns=["username", "role", "created_at"])

    def _plan_roles(
        self, conn: sa.Connection, username: str | None = None
    ) -> dict[str, tuple[tuple[str, str], ...]]:
        """Roles on single plans (not archived), by user name."""
        query = (
            sa.select(users.c.username, plans.c.slug, plan_roles.c.role)
            .join(plan_roles, plan_roles.c.user_id == users.c.id)
            .join(plans, plans.c.id == plan_roles.c.plan_id)
            .where(plans.c.archived_at.is_(None))
            .order_by(users.c.username, plans.c.slug)
        )
        if username is not None:
            query = query.where(users.c.username == username)
        out: dict[str, tuple[tuple[str, str], ...]] = {}
        for name, slug, role in conn.execute(query):
            out[name] = (*out.get(name, ()), (slug, role))
        return out

    def _user(self, conn: sa.Connection, row: Any, key: str | None = None) -> User:
        held = self._plan_roles(conn, row[0]).get(row[0], ())
        return User(row[0], row[1] or "", key if key is not None else (row[2] or ""), held)

    def visible_plans(self, user: User | None) -> tuple[Plan, ...]:
        """The plans `user` may see (everyone's, for someone with a role on every plan)."""
        if user is None:
            return ()
        return tuple(p for p in self.store.plans() if user.sees(p.slug))

    def count(self) -> int:
        """How many accounts exist."""
        return len(self.list())

    def get(self, username: str) -> User | None:
        """An account by name (the schema is checked once, when the app starts)."""
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(users.c.username, users.c.role, users.c.session_key).where(
                    users.c.username == username
                )
            ).first()
            return self._user(conn, row) if row else None

    def get_session(self, username: str, session_key: str) -> User | None:
        """The account a session belongs to, while the session is still valid (its key is the
        account's current one); None once it was ended by sign-out, a password or role change,
        or removal. One query, no schema check: it runs on every request."""
        if not session_key:
            return None
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(users.c.username, users.c.role, users.c.session_key).where(
                    users.c.username == username
                )
            ).first()
            if row is None or not row[2] or not hmac.compare_digest(row[2], session_key):
                return None
            return self._user(conn, row)

    def end_sessions(self, username: str, *, by: str = "", address: str = "") -> None:
        """End every session of `username` (sign-out ends them everywhere)."""
        with self.store.transaction() as conn:
            conn.execute(
                users.update()
                .where(users.c.username == username)
                .values(session_key=_new_session_key())
            )
            self._audit(conn, by or username, "sign-out", "", address)

    def authenticate(self, username: str, password: str, address: str = "") -> User | None:
        """The user if the password is right; every attempt is audited."""
        self.store.ensure_schema()
        with self.store.transaction() as conn:
            row = conn.execute(
                sa.select(
                    users.c.username, users.c.role, users.c.password_hash, users.c.session_key
                ).where(users.c.username == username)
            ).first()
            ok = verify_password(password, row[2] if row else _DUMMY_HASH) and row is not None
            key = row[3] if row is not None else ""
            if ok and not key:  # an account made before session keys
                key = _new_session_key()
                conn.execute(
                    users.update().where(users.c.username == username).values(session_key=key)
                )
            self._audit(conn, username, "sign-in" if ok else "sign-in-failed", "", address)
            return self._user(conn, row, key) if ok and row else None

    def claim_sign_in(self, username: str, address: str, now: datetime | None = None) -> float:
        """Claim one sign-in attempt for this name from this address: 0 when it may go ahead
        (counted as a failure until `clear_failures`), else the seconds left to wait.

        Read and written under the database's write lock (a row lock on PostgreSQL), so
        concurrent attempts are counted one by one and none slips past the delay."""
        key = _throttle_key(username, address)
        now = now or datetime.now(UTC)
        self.store.ensure_schema()
        with self.store.transaction() as conn:
            # Rows quiet for longer than the longest delay are forgotten, so names sprayed from
            # anywhere cannot grow the table without bound.
            conn.execute(
                sign_in_throttle.delete().where(
                    sign_in_throttle.c.next_allowed_at < now - timedelta(seconds=2 * MAX_DELAY)
                )
            )
            # The row first (a no-op when it exists), then read it locked: two first attempts
            # at once cannot both insert, and each waits for the other's count.
            fresh = {"key": key, "failures": 0, "next_allowed_at": now}
            dialect = conn.dialect.name
            if dialect in ("postgresql", "sqlite"):
                insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                conn.execute(insert(sign_in_throttle).values(**fresh).on_conflict_do_nothing())
            elif (
                conn.execute(
                    sa.select(sign_in_throttle.c.key).where(sign_in_throttle.c.key == key)
                ).first()
                is None
            ):
                conn.execute(sign_in_throttle.insert().values(**fresh))
            row = conn.execute(
                sa.select(sign_in_throttle.c.failures, sign_in_throttle.c.next_allowed_at)
                .where(sign_in_throttle.c.key == key)
                .with_for_update()
            ).one()
            failures = int(row[0])
            allowed_at = row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC)
            if failures >= FREE_FAILURES and allowed_at > now:
                return max((allowed_at - now).total_seconds(), 1.0)
            conn.execute(
                sign_in_throttle.update()
                .where(sign_in_throttle.c.key == key)
                .values(
                    failures=failures + 1,
                    next_allowed_at=now + timedelta(seconds=throttle_delay(failures + 1)),
                )
            )
        return 0.0

    def clear_failures(self, username: str, address: str) -> None:
        """Forget the failed attempts of this name from this address (after a good sign-in)."""
        with self.store.transaction() as conn:
            conn.execute(
                sign_in_throttle.delete().where(
                    sign_in_throttle.c.key == _throttle_key(username, address)
                )
            )

    # -- audit -----------------------------------------------------------------------------
    def _audit(
        self,
        conn: sa.Connection,
        username: str,
        action: str,
        detail: str = "",
        address: str = "",
        plan_id: int | None = None,
    ) -> None:
        write_audit(conn, username, action, detail, address, plan_id)

    def audit(
        self,
        username: str,
        action: str,
        detail: str = "",
        address: str = "",
        *,
        plan: str | None = None,
    ) -> None:
        """Record something someone did (about `plan`, when it was about a plan's data)."""
        self.store.ensure_schema()
        with self.store.transaction() as conn:
            plan_id = None
            if plan:
                try:
                    plan_id = self.store.for_plan(plan).plan_id(conn)
                except PlanError:
                    plan_id = None  # gone meanwhile: the entry is kept without it
            self._audit(conn, username, action, detail, address, plan_id)

    def audit_log(self, limit: int = 500) -> pd.DataFrame:
        """The newest entries of the audit log, with the plan each was about ("" for none)."""
        self.store.ensure_schema()
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    audit_log.c.at,
                    audit_log.c.username,
                    sa.func.coalesce(plans.c.slug, ""),
                    audit_log.c.action,
                    audit_log.c.detail,
                    audit_log.c.address,
                )
                .outerjoin(plans, plans.c.id == audit_log.c.plan_id)
                .order_by(audit_log.c.id.desc())
                .limit(limit)
            ).all()
        return pd.DataFrame(rows, columns=["at", "username", "plan", "action", "detail", "address"])
