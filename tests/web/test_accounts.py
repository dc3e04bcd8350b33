"""Secrets, sign-ins and accounts: what a stolen cookie, a forgotten key or a careless
admin could do (security review F4, F8, F10, F14, F19), and that it no longer can."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from server import create_app
from server.config import UnsafeConfig

from ..conftest import make_app, moderation_of, sign_in

STRONG = "violet staple orbit 42"


def copy_of_cookie(client: FlaskClient, app) -> FlaskClient:  # type: ignore[no-untyped-def]
    """A second browser holding the same session cookie (a stolen or saved copy)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    other.set_cookie("session", cookie.value)
    return other


def test_logout_ends_the_sign_in_for_every_copy_of_the_cookie(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "moderator")
    thief = copy_of_cookie(client, app)
    assert thief.get("/moderation/").status_code == 200
    client.post("/logout")
    assert thief.get("/moderation/").status_code == 302  # to the sign-in page


@pytest.mark.parametrize("change", ["role", "deactivate", "password"])
def test_account_changes_end_its_sign_ins(app, client, change: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "moderator")
    admin = app.test_client()
    sign_in(app, admin, "admin")
    form = {"email": "moderator@example.org", "csrf_token": ""}
    if change == "role":
        form |= {"action": "role", "role": "volunteer"}
    elif change == "deactivate":
        form |= {"action": "deactivate"}
    else:
        form |= {"action": "password", "password": "ember quill harbor 7"}
    assert admin.post("/moderation/users", data=form).status_code == 302
    assert client.get("/moderation/").status_code == 302


def test_admins_manage_accounts_and_tokens_on_the_web(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "admin")
    weak = client.post(
        "/moderation/users",
        data={"action": "add", "email": "v@example.org", "name": "Vi", "password": "password1234"},
        follow_redirects=True,
    )
    assert "Not saved" in weak.get_data(as_text=True)
    client.post(
        "/moderation/users",
        data={"action": "add", "email": "v@example.org", "name": "Vi", "role": "volunteer"}
        | {"password": STRONG},
    )
    assert moderation_of(app).authenticate("v@example.org", STRONG) is not None
    page = client.post(
        "/moderation/users", data={"action": "token", "name": "partner-x", "role": "volunteer"}
    )
    token = page.get_data(as_text=True).split("<code>")[1].split("</code>")[0]
    bulk = client.post(
        "/api/v1/submissions/bulk", data="", headers={"Authorization": f"Bearer {token}"}
    )
    assert bulk.status_code == 202
    token_id = moderation_of(app).tokens()[-1].id
    client.post("/moderation/users", data={"action": "revoke", "token_id": str(token_id)})
    again = client.post(
        "/api/v1/submissions/bulk", data="", headers={"Authorization": f"Bearer {token}"}
    )
    assert again.status_code == 401
    # The only admin cannot lock every admin out.
    demote = client.post(
        "/moderation/users",
        data={"action": "role", "email": "admin@example.org", "role": "moderator"},
        follow_redirects=True,
    )
    assert "at least one active admin" in demote.get_data(as_text=True)
    assert client.get("/moderation/users").status_code == 200


def test_a_wrong_email_takes_as_long_as_a_wrong_password(app, client) -> None:  # type: ignore[no-untyped-def]
    """Security review F14: 136 ms for a known email against 20 ms for an unknown one."""
    moderation_of(app).create_user("known@example.org", "K", STRONG, "moderator")

    def median_ms(email: str) -> float:
        times = []
        for _ in range(7):
            started = time.perf_counter()
            client.post("/login", data={"email": email, "password": "wrong password here"})
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    known, unknown = median_ms("known@example.org"), median_ms("nobody@example.org")
    assert 0.6 < unknown / known < 1.6, (known, unknown)


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(UnsafeConfig):
        create_app({"DATABASE_URL": url})
    with pytest.raises(UnsafeConfig):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "dev"})
    assert create_app({"DATABASE_URL": url, "SECRET_KEY": "k" * 40}).secret_key == "k" * 40


def test_the_embedded_default_keeps_a_generated_key_in_its_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ORIGINCHECK_SECRET_KEY", raising=False)
    first = create_app({"TESTING": False}).secret_key  # instance folder of the checkout
    again = create_app({"TESTING": False}).secret_key
    assert first == again and len(str(first)) == 64 and first != "dev"


def test_rate_limits_see_the_client_behind_the_trusted_proxy_only(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """Security review F10: behind a proxy every client shared one bucket."""
    for hops, shared in ((0, True), (1, False)):
        app = make_app(
            sqlite_url, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute", PROXY_HOPS=hops
        )
        client = app.test_client()
        codes = [
            client.post(
                "/login",
                data={"email": "a@b.c", "password": "x"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(4)
        ]
        assert (429 in codes) == shared, (hops, codes)
