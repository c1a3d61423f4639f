"""Staff login and logout, and the guard every staff page goes through."""

from __future__ import annotations

import asyncio
import hmac
import math
import secrets
from functools import wraps
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import redirect

from bot.web.auth import client_address
from bot.web.context import (
    LOGIN_FREE_FAILURES,
    USER_LOGIN_FREE_FAILURES,
    WebContext,
    web_context,
)
from bot.web.passwords import verify_password
from bot.web.sessions import Session
from bot.web.settings import WebSettings
from bot.web.templates import render
from bot.web.throttle import backoff_delay

SESSION_COOKIE = "fronten_staff"
LOGIN_CSRF_COOKIE = "fronten_login"
STAFF_PATH = "/staff"
LOGIN_PATH = "/staff/login"
# The login form is short; longer values are cut before any comparison.
MAX_FIELD = 256

# What went wrong, as the login page (login.html) words it in Danish.
WRONG_LOGIN = "wrong"
BUSY = "busy"
EXPIRED_FORM = "expired"
NOT_CONFIGURED = "not_configured"
FORBIDDEN = "Formularen kunne ikke godkendes. Genindlæs siden, og prøv igen."

StaffHandler = Callable[..., Awaitable[HTTPResponse]]


def login_blueprint() -> Blueprint:
    """A fresh blueprint per app: Sanic ties a blueprint's routes to the apps it joins."""
    blueprint = Blueprint("login", url_prefix=STAFF_PATH)
    blueprint.add_route(login_form, "/login", methods=["GET"])
    blueprint.add_route(login, "/login", methods=["POST"])
    blueprint.add_route(logout, "/logout", methods=["POST"])
    return blueprint


def current_session(request: Request) -> Session | None:
    """The logged-in session from the cookie, or None."""
    signer = web_context(request).signer
    if signer is None:
        return None
    return signer.read(request.cookies.get(SESSION_COOKIE))


def staff_page(handler: StaffHandler) -> StaffHandler:
    """Lets only logged-in staff through; others are sent to the login page.

    The wrapped handler gets the session as its second argument.
    """

    @wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        session = current_session(request)
        if session is None:
            target = request.path + (f"?{request.query_string}" if request.query_string else "")
            return redirect(f"{LOGIN_PATH}?{urlencode({'next': target})}", status=303)
        return await handler(request, session, *args, **kwargs)

    return guarded


def csrf_ok(request: Request, session: Session) -> bool:
    """Whether a posted form carries the session's CSRF token."""
    given = (request.form.get("csrf") or "")[:MAX_FIELD]
    return bool(given) and hmac.compare_digest(given.encode(), session.csrf.encode())


async def login_form(request: Request) -> HTTPResponse:
    """The login page; a logged-in user goes straight on."""
    if current_session(request) is not None:
        return redirect(safe_next(request.args.get("next")), status=303)
    return _login_page(request, status=200, problem=None)


async def login(request: Request) -> HTTPResponse:
    """Checks the form; on success sets the session cookie and goes on to the staff page.

    Wrong passwords make the next attempts from the same address, or for the same user
    name, wait before they are checked (1, 2, 4 … seconds, capped); the right password is
    never refused, only slowed. One attempt per address runs at a time.
    """
    context = web_context(request)
    user = (request.form.get("user") or "")[:MAX_FIELD]
    password = (request.form.get("password") or "")[:MAX_FIELD]
    given = (request.form.get("csrf") or "")[:MAX_FIELD]
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        return _login_page(request, 403, EXPIRED_FORM)
    if context.signer is None:
        return _login_page(request, 401, NOT_CONFIGURED)
    failures = context.state.login_failures
    address, name = _throttle_keys(request, user)
    wait = login_wait(context, address, name)
    if not failures.begin(address):
        # Parallel guesses from one address would multiply its rate; one at a time.
        seconds = max(1, math.ceil(wait))
        return _login_page(request, 429, BUSY, {"Retry-After": str(seconds)}, seconds=seconds)
    try:
        if wait > 0:
            await context.state.sleep(wait)
        # scrypt takes a moment on purpose; the event loop keeps serving meanwhile.
        matches = await asyncio.get_running_loop().run_in_executor(
            None, credentials_match, context.settings, user, password
        )
    finally:
        failures.end(address)
    if not matches:
        failures.failed(address)
        failures.failed(name)
        return _login_page(request, 401, WRONG_LOGIN)
    failures.succeeded(address)
    failures.succeeded(name)
    token, _ = context.signer.issue(context.settings.staff_user)
    response = redirect(safe_next(request.form.get("next")), status=303)
    _set_cookie(response, SESSION_COOKIE, token, STAFF_PATH, context.settings)
    _clear_cookie(response, LOGIN_CSRF_COOKIE, LOGIN_PATH)
    return response


def login_wait(context: WebContext, address: str, name: str) -> float:
    """Seconds the next login from this address for this user name waits before its check.

    Args:
        context: The app's settings and failure counts.
        address: The address key (``ip:…``).
        name: The user name key (``user:…``).

    Returns:
        The longer of the two keys' back-off waits; 0 while both have few failures.

    """
    settings, failures = context.settings, context.state.login_failures
    base, cap = settings.login_backoff_seconds, settings.login_backoff_max_seconds
    return max(
        backoff_delay(failures.count(address), LOGIN_FREE_FAILURES, base, cap),
        backoff_delay(failures.count(name), USER_LOGIN_FREE_FAILURES, base, cap),
    )


async def logout(request: Request) -> HTTPResponse:
    """Ends the session (it cannot be used again, even with a copied cookie)."""
    context = web_context(request)
    session = current_session(request)
    if session is not None:
        if not csrf_ok(request, session):
            return render("error.html", status=403, session=None, message=FORBIDDEN)
        if context.signer is not None:
            context.signer.revoke(session)
    response = redirect(LOGIN_PATH, status=303)
    _clear_cookie(response, SESSION_COOKIE, STAFF_PATH)
    return response


def credentials_match(settings: WebSettings, user: str, password: str) -> bool:
    """Checks a login against the configuration, in constant time where it matters.

    Args:
        settings: The configured user, password or hash, and session secret.
        user: The typed user name.
        password: The typed password.

    Returns:
        False whenever login is not configured.

    """
    user_ok = hmac.compare_digest(user.encode(), settings.staff_user.encode())
    if settings.staff_password_hash:
        password_ok = verify_password(password, settings.staff_password_hash)
    elif settings.staff_password:
        password_ok = hmac.compare_digest(password.encode(), settings.staff_password.encode())
    else:
        password_ok = False
    return user_ok and password_ok and settings.login_configured


def safe_next(target: str | None) -> str:
    """Where to go after login: a staff path on this site, never another site."""
    target = (target or "")[:MAX_FIELD]
    if not target.startswith(STAFF_PATH) or target.startswith(LOGIN_PATH):
        return STAFF_PATH
    if "//" in target or "\\" in target or any(ord(c) < 32 for c in target):
        return STAFF_PATH
    return target


def _login_page(
    request: Request,
    status: int,
    problem: str | None,
    headers: dict[str, str] | None = None,
    seconds: int = 0,
) -> HTTPResponse:
    token = secrets.token_urlsafe(24)
    next_ = request.form.get("next") if request.method == "POST" else request.args.get("next")
    response = render(
        "login.html",
        status=status,
        headers=headers,
        session=None,
        csrf=token,
        next=safe_next(next_),
        problem=problem,
        seconds=seconds,
        configured=web_context(request).signer is not None,
    )
    # Double submit: the form's token must match this cookie, which other sites cannot set.
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, LOGIN_PATH, web_context(request).settings)
    return response


def _throttle_keys(request: Request, user: str) -> tuple[str, str]:
    return f"ip:{client_address(request)}", f"user:{user.strip().lower()}"


def _set_cookie(
    response: HTTPResponse, name: str, value: str, path: str, settings: WebSettings
) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["path"] = path
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["secure"] = settings.cookie_secure
    if name == SESSION_COOKIE:
        cookie["max-age"] = settings.session_seconds


def _clear_cookie(response: HTTPResponse, name: str, path: str) -> None:
    response.cookies[name] = ""
    cookie = response.cookies[name]
    cookie["path"] = path
    cookie["max-age"] = 0
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
