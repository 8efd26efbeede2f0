"""Settings: built-in defaults, then an optional TOML file, then environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .schema import RAG_DEFINITIONS, STATUS_COLOURS, STATUSES, THEMES

if TYPE_CHECKING:
    from .store import Plan


@dataclass(frozen=True)
class Settings:
    """Everything an installation may change; nothing here is specific to one force."""

    db: str = ""
    organisation: str = "Office of the Police and Crime Commissioner"
    strategy: str = "Serious and Organised Crime Strategy"
    panel: str = "Police and Crime Panel"
    logo: str = ""
    primary_colour: str = "#1d3557"
    themes: tuple[str, ...] = THEMES
    statuses: tuple[str, ...] = STATUSES
    rag_definitions: dict[str, str] = field(default_factory=lambda: dict(RAG_DEFINITIONS))
    # An empty Status cell filled with one of these colours (or the nearest) takes its status.
    status_colours: dict[str, str] = field(default_factory=lambda: dict(STATUS_COLOURS))
    max_upload_mb: int = 25
    max_evidence_mb: int = 20
    meeting_date: str = ""
    secret_key: str = ""
    require_sign_in: bool = True
    trusted_user_header: str = ""
    https: bool = False
    max_request_mb: int = 60
    state_dir: str = ""
    max_query_bytes: int = 4096
    trusted_proxies: int = 0
    render_slots: int = 2
    plan_cache_mb: int = 1024
    max_sheet_rows: int = 250_000
    max_sheet_columns: int = 500
    parse_memory_mb: int = 2048
    parse_cpu_seconds: int = 60
    parse_timeout_seconds: int = 120
    isolate_parsing: bool = True
    chromium_path: str = ""  # empty: found on this machine (see browser.find_chromium)
    # Returns rounds: partners' update links start with `base_url`; mail goes through SMTP when
    # `smtp_host` is set, else into `outbox_dir` (default: the state folder's "outbox") as .eml.
    base_url: str = "http://localhost:8050"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "socplan@localhost"
    outbox_dir: str = ""
    team_email: tuple[str, ...] = ()  # the policy team, copied on escalations
    reminder_days: int = 7  # a reminder this many days before the due date (and one on it)
    escalate_every_days: int = 7  # after the due date, escalate again this often
    link_days_after_due: int = 28  # an update link stops working this long after the due date
    link_uploads_per_hour: int = 20
    contacts: tuple[str, ...] = (
        "Policy team, Office of the Police and Crime Commissioner (see the office's website for "
        "contact details)",
    )

    @property
    def state_path(self) -> Path:
        """Where this installation keeps its own state (the generated secret key, scratch)."""
        if self.state_dir:
            return Path(self.state_dir)
        import platformdirs

        return Path(platformdirs.user_config_dir("socplan"))

    @property
    def scratch_path(self) -> Path:
        """Where Chromium keeps its throwaway profiles while it runs (see browser.scratch)."""
        return self.state_path / "scratch"

    @property
    def outbox_path(self) -> Path:
        """Where messages go as .eml files when no mail server is configured."""
        return Path(self.outbox_dir) if self.outbox_dir else self.state_path / "outbox"

    @property
    def database_url(self) -> str:
        """The database URL in force."""
        from .store import default_url

        return self.db or default_url()


ENV_PREFIX = "SOCPLAN_"


def _coerce(name: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        if isinstance(value, str):
            if value.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(f"{ENV_PREFIX}{name.upper()}: '{value}' is not yes or no")
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(current, dict) and isinstance(value, str):
        # COLOUR=Status pairs: "#FF0000=Off track, #FFC000=At risk"; empty turns it off.
        pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ValueError(f"{ENV_PREFIX}{name.upper()}: write pairs like '#FF0000=Off track'")
        return {k.strip(): v.strip() for k, v in pairs}
    if isinstance(current, tuple):
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return tuple(value)
    if isinstance(current, int) and not isinstance(current, bool):
        return int(value)
    return value


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then `path` or `SOCPLAN_CONFIG` (TOML), then `SOCPLAN_<NAME>` variables, then overrides."""
    settings = Settings()
    names = {f.name for f in fields(Settings)}
    config_path = path or os.environ.get("SOCPLAN_CONFIG")
    values: dict[str, Any] = {}
    if config_path:
        with Path(config_path).open("rb") as handle:
            data = tomllib.load(handle)
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{config_path}: unknown settings {', '.join(sorted(unknown))}")
        values.update(data)
    for name in names:
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None and name != "rag_definitions":
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    coerced = {k: _coerce(k, v, getattr(settings, k)) for k, v in values.items()}
    chosen = replace(settings, **coerced)
    check_settings(chosen)
    return chosen


def for_plan(settings: Settings, plan: Plan | None) -> Settings:
    """The settings for one plan: the installation's, with the plan's title as the strategy and
    the plan's own settings (themes, statuses, RAG definitions, organisation, logo) on top."""
    if plan is None:
        return settings
    # A plan made by a first import, never given a title, has its slug for one: the installation's
    # strategy reads better than "main".
    titled = {"strategy": plan.title} if plan.title != plan.slug else {}
    values: dict[str, Any] = {**titled, **plan.settings}
    coerced = {k: _coerce(k, v, getattr(settings, k)) for k, v in values.items()}
    chosen = replace(settings, **coerced)
    # The definitions in the statuses' order (a plan's are kept as JSON, keys sorted).
    words = chosen.rag_definitions
    ordered = {s: words[s] for s in chosen.statuses if s in words}
    return replace(chosen, rag_definitions={**ordered, **words})


MIN_SECRET_KEY_BYTES = 32


def check_settings(settings: Settings) -> None:
    """Raise ValueError, naming the setting, for a value that would make the server unsafe."""
    if settings.secret_key and len(settings.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
        raise ValueError(
            f"{ENV_PREFIX}SECRET_KEY: the secret key must be at least {MIN_SECRET_KEY_BYTES} bytes "
            "long; make one with python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    for name in (
        "max_query_bytes",
        "render_slots",
        "max_request_mb",
        "plan_cache_mb",
        "max_evidence_mb",
        "smtp_port",
        "escalate_every_days",
        "link_uploads_per_hour",
    ):
        if getattr(settings, name) < 1:
            raise ValueError(f"{ENV_PREFIX}{name.upper()}: must be at least 1")
    for name in ("reminder_days", "link_days_after_due"):
        if getattr(settings, name) < 0:
            raise ValueError(f"{ENV_PREFIX}{name.upper()}: must be 0 or more")
    if settings.trusted_proxies < 0:
        raise ValueError(f"{ENV_PREFIX}TRUSTED_PROXIES: must be 0 or more")
    for colour, status in settings.status_colours.items():
        digits = colour.strip().lstrip("#")
        if len(digits) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in digits):
            raise ValueError(
                f"{ENV_PREFIX}STATUS_COLOURS: '{colour}' is not a colour; write it like #FF0000"
            )
        if status not in settings.statuses:
            raise ValueError(
                f"{ENV_PREFIX}STATUS_COLOURS: '{status}' (for {colour}) is not a status; use one "
                f"of {', '.join(settings.statuses)}"
            )


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated on first run and kept in the state folder.

    Safe when several workers start at once: the key is written to a private temporary file and
    published with a hard link, which fails if another worker published first; everyone then
    reads the one published key.
    """
    import contextlib
    import secrets
    import tempfile

    if settings.secret_key:
        return settings.secret_key
    path = settings.state_path / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
