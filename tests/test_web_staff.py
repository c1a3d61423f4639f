"""The staff FAQ assistant in-process: login, sessions, CSRF, pages and their escaping."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import jwt
import pytest
import sqlite_utils
from sanic import Sanic

from bot.booking import BookingRepository
from bot.insights import InsightsRepository
from bot.knowledge import KnowledgeRepository
from bot.web import create_app
from bot.web.context import WebState
from bot.web.login import LOGIN_CSRF_COOKIE, SESSION_COOKIE, safe_next
from bot.web.passwords import hash_password, verify_password
from bot.web.sessions import SessionSigner, credential_fingerprint
from bot.web.settings import WebSettings
from tests.conftest import MONDAY_CONFIG, ROOT

pytestmark = [
    pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning"),
    pytest.mark.usefixtures("forget_apps"),
]

USER, PASSWORD = "fronten", "korrekt hest batteri"
SECRET = "s" * 40
STAFF_TOKEN = "staff-token-for-scripts"
PAGES = ["/staff", "/staff/", "/staff?q=bostøtte", "/staff/today", "/staff/unanswered"]
PAGES += ["/staff/feedback"]


@pytest.fixture
def insights(tmp_path: Path) -> Iterator[InsightsRepository]:
    repository = InsightsRepository(tmp_path / "insights.db")
    yield repository
    repository.close()


def make_app(
    tmp_path: Path,
    fixture_db: sqlite_utils.Database,
    settings: WebSettings | None = None,
    **kwargs: Any,
) -> Sanic:
    settings = settings or WebSettings(
        staff_user=USER, staff_password=PASSWORD, session_secret=SECRET
    )
    options = {
        "state": quiet_state(),
        "config": MONDAY_CONFIG,
        "staff_token": STAFF_TOKEN,
        "calendar_token": "cal",
        "settings": settings,
        "knowledge_factory": lambda: KnowledgeRepository(fixture_db, "Ballerup"),
        "insights_factory": lambda: InsightsRepository(tmp_path / "insights.db"),
    } | kwargs
    return create_app(
        lambda: BookingRepository(tmp_path / "b.db", MONDAY_CONFIG.timezone), **options
    )


class Waits:
    """Stands in for asyncio.sleep before a login is checked: records, never waits."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def quiet_state() -> WebState:
    return WebState(sleep=Waits())


@pytest.fixture
def app(tmp_path: Path, fixture_db: sqlite_utils.Database) -> Sanic:
    return make_app(tmp_path, fixture_db)


def form_token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def log_in(app: Sanic, user: str = USER, password: str = PASSWORD, **form: str):
    app.asgi_client.cookies.clear()
    _, page = await app.asgi_client.get("/staff/login")
    token = form_token(page.text)
    data = {"user": user, "password": password, "csrf": token, **form}
    _, response = await app.asgi_client.post(
        "/staff/login", data=data, cookies={LOGIN_CSRF_COOKIE: token}
    )
    return response


def session_of(response) -> dict[str, str]:
    header = next(h for h in response.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    return {SESSION_COOKIE: header.split(";")[0].split("=", 1)[1]}


async def get(app: Sanic, url: str, cookies: dict[str, str] | None = None, **headers: str):
    # The test client keeps cookies between requests; each request here sends only its own.
    app.asgi_client.cookies.clear()
    _, response = await app.asgi_client.get(url, cookies=cookies or {}, headers=headers)
    return response


# ---------------------------------------------------------------- nobody gets in unasked


@pytest.mark.parametrize("url", PAGES)
async def test_pages_send_visitors_to_the_login(app: Sanic, url: str) -> None:
    response = await get(app, url)
    assert response.status == 303
    assert response.headers["location"].startswith("/staff/login?next=%2Fstaff")
    assert response.headers["cache-control"] == "no-store"
    assert "bostøtte" not in response.text and "Kilde" not in response.text


async def test_json_routes_answer_401_without_token_or_session(app: Sanic) -> None:
    response = await get(app, "/staff/bookings.json")
    assert response.status == 401 and set(response.json) == {"error"}


async def test_bookings_json_accepts_the_token_or_a_session(app: Sanic) -> None:
    assert (
        await get(app, "/staff/bookings.json", Authorization=f"Bearer {STAFF_TOKEN}")
    ).status == 200
    cookies = session_of(await log_in(app))
    response = await get(app, "/staff/bookings.json", cookies)
    assert response.status == 200 and response.json == {"bookings": []}


# ---------------------------------------------------------------- logging in and out


async def test_login_sets_a_strict_http_only_session_cookie(app: Sanic) -> None:
    response = await log_in(app, next="/staff/today")
    assert response.status == 303 and response.headers["location"] == "/staff/today"
    header = next(h for h in response.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "SameSite=Strict" in header and "Path=/staff" in header and "Secure" not in header
    page = await get(app, "/staff/today", session_of(response))
    assert page.status == 200 and "Dagens aftaler" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_secure_cookie_behind_https(tmp_path: Path, fixture_db) -> None:
    settings = WebSettings(staff_password=PASSWORD, session_secret=SECRET, cookie_secure=True)
    response = await log_in(make_app(tmp_path, fixture_db, settings))
    assert "Secure" in next(
        h for h in response.headers.get_list("set-cookie") if SESSION_COOKIE in h
    )


@pytest.mark.parametrize(
    ("user", "password"),
    [(USER, "forkert"), ("admin", PASSWORD), (USER, ""), ("", ""), (USER, PASSWORD + " ")],
)
async def test_wrong_login_is_refused(app: Sanic, user: str, password: str) -> None:
    response = await log_in(app, user, password)
    assert response.status == 401 and "Forkert brugernavn eller adgangskode." in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_login_needs_the_form_token(app: Sanic) -> None:
    _, page = await app.asgi_client.get("/staff/login")
    token = form_token(page.text)
    data = {"user": USER, "password": PASSWORD, "csrf": token}
    for cookies in ({}, {LOGIN_CSRF_COOKIE: "other"}):
        app.asgi_client.cookies.clear()
        _, response = await app.asgi_client.post("/staff/login", data=data, cookies=cookies)
        assert response.status == 403 and SESSION_COOKIE not in response.headers.get(
            "set-cookie", ""
        )


async def test_wrong_passwords_slow_the_login_down_but_never_refuse_the_right_one(
    app: Sanic,
) -> None:
    for _ in range(5):
        assert (await log_in(app, password="forkert")).status == 401
    # The right password waits its turn, and gets in; before, it was refused for 15 minutes.
    assert (await log_in(app)).status == 303
    waits = app.ctx.fronten.state.sleep.seconds
    assert waits == [1.0, 2.0, 4.0]  # after the 3rd, 4th and 5th wrong password


@pytest.mark.parametrize(
    "settings",
    [
        WebSettings(staff_password=None, session_secret=SECRET),
        WebSettings(staff_password=PASSWORD, session_secret=None),
        WebSettings(),
    ],
)
async def test_without_configuration_nobody_can_log_in(
    tmp_path: Path, fixture_db, settings: WebSettings
) -> None:
    app = make_app(tmp_path, fixture_db, settings)
    assert "Login er ikke sat op" in (await get(app, "/staff/login")).text
    for password in (PASSWORD, "", "None"):
        assert (await log_in(app, password=password)).status == 401
    assert (await get(app, "/staff")).status == 303


async def test_password_hash_is_preferred(tmp_path: Path, fixture_db) -> None:
    hashed = hash_password("et-hash-kodeord", n=2**10)
    settings = WebSettings(
        staff_password_hash=hashed, staff_password=PASSWORD, session_secret=SECRET
    )
    app = make_app(tmp_path, fixture_db, settings)
    assert (await log_in(app, password="et-hash-kodeord")).status == 303
    assert (await log_in(app, password=PASSWORD)).status == 401


def test_password_hashes() -> None:
    hashed = hash_password("æøå kodeord", n=2**10)
    assert hashed.startswith("scrypt$1024$8$1$") and "æøå" not in hashed
    assert verify_password("æøå kodeord", hashed)
    assert not verify_password("æøå kodeor", hashed)
    assert hash_password("æøå kodeord", n=2**10) != hashed  # a fresh salt each time
    for broken in ("", "scrypt$x", "bcrypt$1024$8$1$AA==$AA==", hashed.replace("$8$", "$99$")):
        assert not verify_password("æøå kodeord", broken)


async def test_logout_revokes_the_session(app: Sanic) -> None:
    cookies = session_of(await log_in(app))
    page = await get(app, "/staff", cookies)
    app.asgi_client.cookies.clear()
    _, refused = await app.asgi_client.post("/staff/logout", data={"csrf": "x"}, cookies=cookies)
    assert refused.status == 403
    assert (await get(app, "/staff", cookies)).status == 200
    app.asgi_client.cookies.clear()
    _, response = await app.asgi_client.post(
        "/staff/logout", data={"csrf": form_token(page.text)}, cookies=cookies
    )
    assert response.status == 303 and response.headers["location"] == "/staff/login"
    assert "Max-Age=0" in response.headers["set-cookie"]
    # A copy of the old cookie no longer works either.
    assert (await get(app, "/staff", cookies)).status == 303


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    pwd = credential_fingerprint(SECRET, USER, PASSWORD)
    return {
        "sub": USER, "sid": "abc", "csrf": "def", "iat": now, "exp": now + 600, "pwd": pwd,
    } | overrides  # fmt: skip


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(), "another-secret-that-is-long-enough-000", algorithm="HS256"),
        jwt.encode(claims(), None, algorithm="none"),
        jwt.encode(claims(exp=int(time.time()) - 1), SECRET, algorithm="HS256"),
        jwt.encode({k: v for k, v in claims().items() if k != "exp"}, SECRET, algorithm="HS256"),
        jwt.encode(claims(sub=""), SECRET, algorithm="HS256"),
        jwt.encode(claims(), SECRET, algorithm="HS256")[:-3] + "abc",
        "not-a-token",
        "",
    ],
    ids=["other secret", "alg none", "expired", "no exp", "no user", "tampered", "junk", "empty"],
)
async def test_forged_or_expired_sessions_are_refused(app: Sanic, token: str) -> None:
    assert (await get(app, "/staff", {SESSION_COOKIE: token})).status == 303
    assert (await get(app, "/staff/bookings.json", {SESSION_COOKIE: token})).status == 401


async def test_a_valid_signed_session_is_accepted(app: Sanic) -> None:
    # The control for the test above: the same route with a correctly signed token.
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    assert (await get(app, "/staff", {SESSION_COOKIE: token})).status == 200


def test_session_expires_after_its_lifetime() -> None:
    now = [1_000_000.0]
    signer = SessionSigner(SECRET, lifetime=60, clock=lambda: now[0])
    token, session = signer.issue(USER)
    assert signer.read(token) == session
    now[0] += 59
    assert signer.read(token) is not None
    now[0] += 1
    assert signer.read(token) is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/staff/today", "/staff/today"),
        ("/staff?q=bpa", "/staff?q=bpa"),
        ("https://evil.example/staff", "/staff"),
        ("//evil.example/staff", "/staff"),
        ("/staff//evil.example", "/staff"),
        ("/staff\\@evil", "/staff"),
        ("/staff/login", "/staff"),
        ("/", "/staff"),
        (None, "/staff"),
    ],
)
def test_after_login_only_staff_pages(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


# ---------------------------------------------------------------- the pages


async def test_search_shows_each_answer_with_its_source(app: Sanic) -> None:
    cookies = session_of(await log_in(app))
    page = await get(app, "/staff?q=bostøtte ansøgning", cookies)
    assert page.status == 200
    assert "Bostøtte: " in page.text and "Kilde:" in page.text and "afsnittet »" in page.text
    assert '<input id="q" name="q" type="search" value="bostøtte ansøgning"' in page.text
    nothing = await get(app, "/staff?q=xyzzy", cookies)
    assert "Ingen svar matcher" in nothing.text


async def test_search_escapes_the_query(app: Sanic) -> None:
    cookies = session_of(await log_in(app))
    page = await get(app, '/staff?q="><script>alert(1)</script>', cookies)
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    long = await get(app, "/staff?q=" + "a" * 5000, cookies)
    assert long.status == 200 and "a" * 201 not in long.text


async def test_search_without_a_knowledge_base_says_so(tmp_path: Path, fixture_db) -> None:
    def missing() -> KnowledgeRepository:
        raise FileNotFoundError("knowledge.db")

    app = make_app(tmp_path, fixture_db, knowledge_factory=missing)
    cookies = session_of(await log_in(app))
    page = await get(app, "/staff?q=bostøtte", cookies)
    assert page.status == 200 and "Vidensbasen kan ikke læses" in page.text


async def test_today_lists_todays_bookings_escaped(app: Sanic, tmp_path: Path) -> None:
    repository = BookingRepository(tmp_path / "b.db", MONDAY_CONFIG.timezone)
    today = dt.datetime.now(MONDAY_CONFIG.timezone).replace(minute=0, second=0, microsecond=0)
    booking = repository.book(
        today, today + dt.timedelta(minutes=45), "Bostøtte", "telefon", "<b>Åse</b>", "20123456", 2
    )
    repository.close()
    cookies = session_of(await log_in(app))
    page = await get(app, "/staff/today", cookies)
    assert booking.reference in page.text and "20123456" in page.text
    assert "&lt;b&gt;Åse&lt;/b&gt;" in page.text and "<b>Åse" not in page.text
    assert f"{today.hour}.00–" in page.text and "Telefon" in page.text


async def test_missed_questions_and_bad_ratings_are_listed_escaped(
    app: Sanic, tmp_path: Path
) -> None:
    insights = InsightsRepository(tmp_path / "insights.db")
    insights.record_unanswered("<script>alert('x')</script> hvor parkerer jeg?", 0)
    insights.record_feedback("sender-aaaa", "message-1", "down", "hvad koster BPA?", "<i>Svar</i>")
    insights.record_feedback("sender-aaaa", "message-2", "up", "tak", "Godt svar")
    insights.close()
    cookies = session_of(await log_in(app))
    missed = await get(app, "/staff/unanswered", cookies)
    assert "hvor parkerer jeg?" in missed.text and "<script>alert" not in missed.text
    feedback = await get(app, "/staff/feedback", cookies)
    assert "hvad koster BPA?" in feedback.text and "&lt;i&gt;Svar&lt;/i&gt;" in feedback.text
    assert "Godt svar" not in feedback.text
    assert "tommelfinger op til 1 svar og tommelfinger ned til\n  1 svar" in feedback.text


async def test_pages_carry_the_logout_form_with_its_token(app: Sanic) -> None:
    cookies = session_of(await log_in(app))
    for url in PAGES:
        page = await get(app, url, cookies)
        assert page.status == 200, url
        assert 'action="/staff/logout"' in page.text and 'name="csrf"' in page.text
        assert "<style" not in page.text and " style=" not in page.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)


@pytest.mark.parametrize(("password", "ok"), [("et-langt-kodeord", True), ("kort", False)])
def test_hash_password_command(password: str, ok: bool) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.web.hash_password"],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert (result.returncode == 0) is ok
    if ok:
        assert verify_password(password, result.stdout.strip()) and result.stderr == ""
    else:
        assert "mindst 12 tegn" in result.stderr
