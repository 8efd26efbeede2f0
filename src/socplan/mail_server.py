"""Reaching the mail server (SMTP, secured and logged in as the settings say), or the outbox
folder in its place; and the server's answers put into words fit for a log (no addresses)."""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from .config import Settings
from .rounds import RoundError

SMTP_TIMEOUT = 60  # seconds for the server to answer, so a hung server cannot hold a daily run
_ADDRESS = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")


class MailError(RoundError):
    """The mail cannot go: the server cannot be reached or refused the login, or another run
    is under way (the message says why and what to do)."""


def scrub(text: str) -> str:
    """`text` with every email address replaced by <address>: for logs."""
    return _ADDRESS.sub("<address>", " ".join(text.split()))[:500]


def answer(exc: BaseException) -> str:
    """A server's answer or an error, as words for the log (no addresses)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = sorted({f"{code} {reply_text(err)}" for code, err in exc.recipients.values()})
        return scrub("every recipient was refused: " + "; ".join(answers))
    if isinstance(exc, smtplib.SMTPResponseException):
        return scrub(f"the mail server answered {exc.smtp_code} {reply_text(exc.smtp_error)}")
    if isinstance(exc, OSError) and exc.strerror:
        return scrub(exc.strerror)
    return scrub(str(exc) or type(exc).__name__)


def reply_text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the configured server, secured and logged in as the settings say."""
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_port == 465:  # the submissions port: TLS from the start
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=SMTP_TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"the mail server at {where} could not be reached: {answer(exc)}") from exc
    try:
        smtp.ehlo()
        if settings.smtp_starttls and settings.smtp_port != 465:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
    except smtplib.SMTPAuthenticationError as exc:
        smtp.close()
        raise MailError(
            f"the mail server at {where} refused the login ({answer(exc)}); check "
            "SOCPLAN_SMTP_USER and SOCPLAN_SMTP_PASSWORD"
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        smtp.close()
        raise MailError(
            f"the mail server at {where} does not offer STARTTLS or login ({exc}); check "
            "SOCPLAN_SMTP_PORT, or set SOCPLAN_SMTP_STARTTLS=false for a server on this machine"
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        smtp.close()
        raise MailError(f"the mail server at {where} failed: {answer(exc)}") from exc
    return smtp


def write_eml(folder: Path, name: str, message: EmailMessage) -> Path:
    """Write the message into the outbox folder as `name` (.eml), readable by its owner only: it
    holds addresses and a working link. An existing file is never overwritten (a number is
    added to the name)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    n = 1
    while path.exists():
        n += 1
        path = folder / name.replace(".eml", f"-{n}.eml")
    temporary = folder / f".{path.name}.part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(message.as_bytes())
    os.replace(temporary, path)
    return path
