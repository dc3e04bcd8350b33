"""Mail the server sends: reporters told of a decision, people invited to an account.

A mail is a row of the outbox first (``store``), then a background job sends it with the
standard library's SMTP client; the sweep sends again what a lost or failed job left, up
to ``MAX_ATTEMPTS`` times, and a sent row is never sent twice. Without ``MAIL_SERVER``
nothing is queued: the product says so where it matters (no updates offered, the
invitation link shown to the admin).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from .jobs import enqueue, sweeper, task
from .store import get_moderation

MAX_ATTEMPTS = 5
RETRY_AFTER = dt.timedelta(minutes=2)


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def queue_mail(to_address: str, subject: str, body: str) -> int | None:
    """Store the mail and have it sent in the background; None when mail is off."""
    if not mail_enabled():
        return None
    mail_id = get_moderation().add_mail(to_address, subject, body)
    enqueue("send_mail", mail_id)
    return mail_id


@task
def send_mail(mail_id: int) -> None:
    store = get_moderation()
    row = store.mail(mail_id)
    if row is None or row.sent_at is not None or not mail_enabled():
        return
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain="origincheck")
    message.set_content(row.body)
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]
        ) as smtp:
            if config["MAIL_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        store.mail_done(mail_id, f"{type(exc).__name__}: {exc}"[:500])
        raise  # the job queue retries; the sweep tries later again
    store.mail_done(mail_id)


@sweeper
def unsent_mail() -> int:
    if not mail_enabled():
        return 0
    found = get_moderation().unsent_mail(RETRY_AFTER, MAX_ATTEMPTS)
    for mail_id in found:
        enqueue("send_mail", mail_id)
    return len(found)
