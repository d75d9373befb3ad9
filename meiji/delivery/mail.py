"""Email: composed in Chinese, UTF-8 encoded, sent through ``MEIJI_SMTP_URL`` or written as ``.eml`` files.

On the embedded default (no SMTP server) each message lands in ``MEIJI_DATA_DIR/mail`` as
``<delivery id>.eml``, so an operator can read what would have been sent. Nothing here logs an
address, a code or a token.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import anyio.to_thread

from kernel.settings import Settings
from meiji.delivery.webhooks import Outcome


def message(settings: Settings, to: str, subject: str, body: str, delivery_id: int) -> EmailMessage:
    msg = EmailMessage()  # the default policy encodes non-ASCII headers and bodies as UTF-8
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    # The same id on every attempt: a mail server or reader can drop a second copy.
    msg["Message-ID"] = make_msgid(idstring=f"delivery-{delivery_id}", domain="meiji.invalid")
    msg.set_content(body, charset="utf-8")
    return msg


def mail_dir(settings: Settings) -> Path:
    return settings.data_dir / "mail"


def _send_smtp(url: str, msg: EmailMessage, timeout: float) -> None:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
    with client:
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)


def _write_file(directory: Path, msg: EmailMessage, delivery_id: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{delivery_id}.eml"
    partial = directory / f".{delivery_id}.eml.part"
    partial.write_bytes(msg.as_bytes())
    partial.replace(final)  # whole files only: a reader never sees half a message


async def send(settings: Settings, msg: EmailMessage, delivery_id: int) -> Outcome:
    try:
        if settings.smtp_url:
            await anyio.to_thread.run_sync(_send_smtp, settings.smtp_url, msg, settings.webhook_timeout_seconds)
        else:
            await anyio.to_thread.run_sync(_write_file, mail_dir(settings), msg, delivery_id)
    except smtplib.SMTPResponseException as refused:
        return Outcome(False, f"SMTP {refused.smtp_code}")
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, type(exc).__name__)
    return Outcome(True, "sent" if settings.smtp_url else "written")
