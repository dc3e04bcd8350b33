"""Who is asking: signed-in people (Flask-Login sessions) and API tokens (Bearer).

Roles rank volunteer < moderator < admin. Web pages redirect anonymous visitors to
the login page and answer 403 to a too-low role; the API answers 401 for a missing
or bad token and 403 for a too-low role, always as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired
from zxcvbn import zxcvbn

from .errors import ApiError
from .limits import limiter
from .records import N_
from .store import Actor, get_moderation

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Please sign in to continue.")

bp = Blueprint("auth", __name__)


class SignedIn(UserMixin):
    """A signed-in account and the sign-in it came through (``store`` keeps those)."""

    def __init__(self, user_id: int, name: str, email: str, role: str, token: str) -> None:
        self.id = user_id
        self.name = name
        self.email = email
        self.role = role
        self.token = token

    def get_id(self) -> str:
        # What the signed cookie carries: without the sign-in's row it opens nothing.
        return f"{self.id}:{self.token}"

    @property
    def actor(self) -> Actor:
        return Actor(label=f"user:{self.id} {self.name}", role=self.role, user_id=self.id)


@login_manager.user_loader
def load_user(value: str) -> SignedIn | None:
    """The account of a cookie, if its sign-in has not been ended (logout, a role
    change, deactivation, a password reset) and is younger than ``SESSION_MAX_AGE``."""
    user_id, _, token = value.partition(":")
    if not user_id.isdigit() or not token:
        return None
    max_age = current_app.config["SESSION_MAX_AGE"]
    user = get_moderation().session_user(int(user_id), token, max_age)
    if user is None:
        return None
    return SignedIn(user.id, user.name, user.email, user.role, token)


MIN_PASSWORD = 12


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None: at least 12 characters, and not guessable
    from common-password lists, names, keyboard walks and repeats (zxcvbn score ≥ 3)."""
    if len(password) < MIN_PASSWORD:
        return f"Passwords need at least {MIN_PASSWORD} characters."
    verdict = zxcvbn(password[:100])
    if verdict["score"] < 3:
        why = verdict["feedback"]["warning"] or "It is too easy to guess."
        return f"Choose a harder password: {why}"
    return None


def web_actor() -> Actor | None:
    return current_user.actor if current_user.is_authenticated else None


def bearer_actor() -> Actor | None:
    """The token's actor; None without a header; 401 for a bad one."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    actor = get_moderation().actor_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if actor is None:
        raise ApiError("unauthorized", "The API token is missing, unknown or revoked.", 401)
    return actor


def api_role(role: str) -> Callable[[F], F]:
    """API views: a Bearer token with at least ``role``.

    Sessions are deliberately not accepted here: the JSON API is exempt from CSRF
    checks, which is only safe while no cookie can authorise it.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = bearer_actor()
            if actor is None:
                raise ApiError("unauthorized", "Send 'Authorization: Bearer <token>'.", 401)
            if not actor.can(role):
                raise ApiError("forbidden", f"This needs the {role} role.", 403)
            g.actor = actor
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def web_role(role: str) -> Callable[[F], F]:
    """Pages: signed in (else to the login page) with at least ``role`` (else 403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.actor.can(role):
                abort(403)
            g.actor = current_user.actor
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        store = get_moderation()
        user = store.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            token = store.start_session(user.id)
            login_user(SignedIn(user.id, user.name, user.email, user.role, token))
            target = request.args.get("next", "")
            # Only local paths: an open redirect would hand the session to a phisher.
            if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
                target = (
                    url_for("moderation.queue")
                    if user.role != "volunteer"
                    else url_for("submit.form")
                )
            return redirect(target)
        flash(lazy_gettext("Wrong email or password."))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


class InviteForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def invite(token: str) -> Any:
    """An invited person chooses their password (and name) and is signed in."""
    store = get_moderation()
    invited = store.invited(token)
    if invited is None:
        message = N_("This invitation has expired or was already used; ask for a new one.")
        return current_app.extensions["origincheck.error_page"](410, message)
    form = InviteForm(name=invited.name)
    problem = None
    if form.validate_on_submit():
        problem = password_problem(form.password.data or "")
        if problem is None:
            user = store.accept_invite(token, form.name.data or "", form.password.data or "")
            login_user(
                SignedIn(user.id, user.name, user.email, user.role, store.start_session(user.id))
            )
            flash(lazy_gettext("Welcome: your account is ready."))
            return redirect(
                url_for("moderation.queue") if user.role != "volunteer" else url_for("submit.form")
            )
    return render_template("auth/invite.html", form=form, email=invited.email, problem=problem)


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        get_moderation().end_session(current_user.token)  # a copied cookie dies too
    logout_user()
    return redirect(url_for("web.index"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
