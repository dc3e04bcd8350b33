"""Mail through a real SMTP server on loopback: reporters told of decisions, invitations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from .conftest import make_app, moderation_of, settle, sign_in, submit
from .servers import PASSWORD, free_port


class Inbox:
    """Every message the SMTP server received, as the recipient's mail program reads it."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def] # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def mailing_app(sqlite_url: str, port: int) -> Flask:
    return make_app(sqlite_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_STARTTLS=False)


def body(message: Message) -> str:
    return message.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_a_reporter_who_left_an_address_is_told_of_each_decision(sqlite_url, inbox) -> None:  # type: ignore[no-untyped-def]
    box, port = inbox
    app = mailing_app(sqlite_url, port)
    client = app.test_client()
    assert 'name="notify_email"' in client.get("/submit").get_data(as_text=True)
    report = submit(client, "rocket", notify_email="ana@example.org", language="el")
    quiet = submit(client, "chelsea")  # no address: no mail
    settle(app)
    sign_in(app, client, "moderator")
    client.post(f"/moderation/submissions/{report}/request-info", data={"message": "Πηγή;"})
    client.post(f"/moderation/submissions/{quiet}/reject", data={"reason": "Genuine"})
    client.post(
        f"/moderation/submissions/{report}/reject", data={"reason": "Η φωτογραφία είναι γνήσια"}
    )
    settle(app)
    mails = box.to("ana@example.org")
    assert len(mails) == 2 and len(box.messages) == 2
    asked, rejected = (body(m) for m in mails)
    assert "περιμένει περισσότερα από εσάς" in asked and "Πηγή;" in asked  # the post's language
    link = re.search(r"https?://\S+/submit/\d+\?token=\w+", rejected).group(0)
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    assert "Η φωτογραφία είναι γνήσια" in rejected
    # Decided: the address is gone.
    assert moderation_of(app).submission(report).notify_email is None


def test_without_mail_nothing_is_offered_or_kept(client, app) -> None:  # type: ignore[no-untyped-def]
    assert 'name="notify_email"' not in client.get("/submit").get_data(as_text=True)
    report = submit(client, "rocket", notify_email="ana@example.org")
    assert moderation_of(app).submission(report).notify_email is None


def test_an_invitation_by_mail_opens_an_account_with_the_invitee_s_password(
    sqlite_url, inbox
) -> None:  # type: ignore[no-untyped-def]
    box, port = inbox
    app = mailing_app(sqlite_url, port)
    admin = app.test_client()
    sign_in(app, admin, "admin")
    admin.post(
        "/moderation/users",
        data={
            "action": "invite",
            "email": "nikos@example.org",
            "name": "Nikos",
            "role": "moderator",
        },
    )
    settle(app)
    (invitation,) = box.to("nikos@example.org")
    link = re.search(r"https?://\S+/invite/[\w-]+", body(invitation)).group(0)
    path = link.removeprefix("http://localhost")
    assert "invited, until" in admin.get("/moderation/users").get_data(as_text=True)
    invitee = app.test_client()
    page = invitee.get(path).get_data(as_text=True)
    assert "nikos@example.org" in page and 'value="Nikos"' in page
    weak = invitee.post(path, data={"name": "Nikos", "password": "password"})
    assert weak.status_code == 200 and "error" in weak.get_data(as_text=True)
    done = invitee.post(path, data={"name": "Νίκος Π.", "password": PASSWORD})
    assert done.status_code == 302 and "/moderation/" in done.headers["Location"]
    assert invitee.get("/moderation/").status_code == 200  # signed in, as a moderator
    assert invitee.get(path).status_code == 410  # once only
    assert moderation_of(app).authenticate("nikos@example.org", PASSWORD).name == "Νίκος Π."


def test_without_mail_the_admin_gets_the_link_to_pass_on(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "admin")
    page = client.post(
        "/moderation/users",
        data={"action": "invite", "email": "eleni@example.org", "role": "volunteer"},
    ).get_data(as_text=True)
    assert "send them this link yourself" in page
    link = re.search(r'value="(http://localhost/invite/[\w-]+)"', page).group(1)
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    # An account invited but not opened cannot be signed into.
    assert moderation_of(app).authenticate("eleni@example.org", "") is None


def test_a_mail_the_server_could_not_send_is_sent_by_the_sweep(sqlite_url, inbox) -> None:  # type: ignore[no-untyped-def]
    box, port = inbox
    app = make_app(sqlite_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_STARTTLS=False)
    with app.app_context():
        from server.jobs import sweep
        from server.mail import queue_mail

        mail_id = queue_mail("ana@example.org", "Hello", "Body")
        settle(app)
        row = moderation_of(app).mail(mail_id)
        assert row.sent_at is None and row.attempts >= 1 and "Error" in row.last_error
        # The mail server comes back; the sweep finds the row (made overdue here).
        app.config["MAIL_PORT"] = port
        store = moderation_of(app)
        with store._sessions.begin() as session:  # noqa: SLF001 - age the row
            from datetime import UTC, datetime, timedelta

            from server.store import models as m

            session.get(m.OutboxMail, mail_id).created_at = datetime.now(UTC) - timedelta(hours=1)
        assert sweep() >= 1
        settle(app)
    assert [m["Subject"] for m in box.to("ana@example.org")] == ["Hello"]
    assert moderation_of(app).mail(mail_id).sent_at is not None
