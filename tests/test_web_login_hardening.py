"""Staff login under attack: back-off instead of lock-out, forwarded addresses, lasting logouts.

Every citizen behind a municipality's proxy shares one address, and a guesser can use many.
Neither may lock the desk out: wrong passwords only make the next check wait (capped), the
right password always gets in. A logout holds across a restart, and a new password ends
every session.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from sanic import Sanic

from bot.web.context import LOGIN_WINDOW_SECONDS, WebState
from bot.web.login import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from bot.web.revocations import RevokedSessions
from bot.web.settings import WebSettings
from bot.web.throttle import FailureCounter, backoff_delay
from tests.test_web_staff import (
    PASSWORD,
    SECRET,
    USER,
    Waits,
    form_token,
    get,
    make_app,
    session_of,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning"),
    pytest.mark.usefixtures("forget_apps"),
]


class Monotonic:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def state(clock: Monotonic | None = None) -> WebState:
    return WebState(
        login_failures=FailureCounter(LOGIN_WINDOW_SECONDS, clock=clock or Monotonic()),
        sleep=Waits(),
    )


def settings(**overrides: Any) -> WebSettings:
    values: dict[str, Any] = {
        "staff_user": USER,
        "staff_password": PASSWORD,
        "session_secret": SECRET,
    }
    return WebSettings(**(values | overrides))


def waits(app: Sanic) -> list[float]:
    return app.ctx.fronten.state.sleep.seconds


async def attempt(
    app: Sanic, password: str, address: str | None = None, user: str = USER, **headers: str
):
    """One login from a browser (optionally behind the proxy, as ``address``)."""
    if address is not None:
        headers["X-Forwarded-For"] = address
    app.asgi_client.cookies.clear()
    _, page = await app.asgi_client.get("/staff/login", headers=headers)
    token = form_token(page.text)
    app.asgi_client.cookies.clear()
    _, response = await app.asgi_client.post(
        "/staff/login",
        data={"user": user, "password": password, "csrf": token},
        cookies={LOGIN_CSRF_COOKIE: token},
        headers=headers,
    )
    return response


# --- back-off, never lock-out ------------------------------------------------------------


def test_the_wait_doubles_and_is_capped() -> None:
    assert [backoff_delay(n, 3, 1.0, 30.0) for n in range(10)] == [
        0, 0, 0, 1, 2, 4, 8, 16, 30, 30,
    ]  # fmt: skip
    assert backoff_delay(10**9, 3, 1.0, 30.0) == 30.0
    assert backoff_delay(50, 3, 1.0, 0.0) == 0.0  # back-off switched off


async def test_many_wrong_passwords_only_slow_the_right_one_down(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    app = make_app(tmp_path, fixture_db, settings(login_backoff_max_seconds=8), state=state())
    for _ in range(30):
        assert (await attempt(app, "forkert")).status == 401
    response = await attempt(app, PASSWORD)
    assert response.status == 303 and SESSION_COOKIE in response.headers["set-cookie"]
    assert max(waits(app)) == 8.0 and waits(app)[-1] == 8.0
    # A success forgets the address's failures: the next login does not wait.
    before = len(waits(app))
    assert (await attempt(app, PASSWORD)).status == 303
    assert len(waits(app)) == before


async def test_failures_are_forgotten_after_the_window(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    clock = Monotonic()
    app = make_app(tmp_path, fixture_db, settings(), state=state(clock))
    for _ in range(4):
        await attempt(app, "forkert")
    assert waits(app) == [1.0]
    clock.now += LOGIN_WINDOW_SECONDS
    assert (await attempt(app, "forkert")).status == 401
    assert waits(app) == [1.0]  # no wait: the earlier failures are forgotten


async def test_guesses_from_many_addresses_never_lock_the_desk_out(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    app = make_app(tmp_path, fixture_db, settings(proxies_count=1), state=state())
    for n in range(40):
        assert (await attempt(app, f"gæt nummer {n}", address=f"198.51.100.{n}")).status == 401
    # Before, 20 wrong passwords for the user name refused it everywhere for 15 minutes.
    response = await attempt(app, PASSWORD, address="203.0.113.7")
    assert response.status == 303
    # The user name's failures did make that login wait, within the cap.
    assert 0 < waits(app)[-1] <= 30.0


async def test_a_second_attempt_from_the_same_address_while_one_runs_is_turned_away(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()

    async def held(seconds: float) -> None:
        entered.set()
        await release.wait()

    login_state = state()
    login_state.sleep = held
    app = make_app(tmp_path, fixture_db, settings(), state=login_state)
    for _ in range(3):
        await attempt(app, "forkert")  # the next one waits, so it is held in `held`
    first = asyncio.ensure_future(attempt(app, PASSWORD))
    await asyncio.wait_for(entered.wait(), 10)
    second = await attempt(app, PASSWORD)
    assert second.status == 429 and int(second.headers["retry-after"]) >= 1
    assert "Et andet loginforsøg fra din adresse er i gang" in second.text
    release.set()
    assert (await first).status == 303


# --- the client's address behind a proxy -------------------------------------------------


async def test_behind_the_proxy_each_citizen_has_their_own_address(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    app = make_app(tmp_path, fixture_db, settings(proxies_count=1), state=state())
    for _ in range(5):
        await attempt(app, "forkert", address="198.51.100.23")
    assert waits(app) == [1.0, 2.0]
    # Another citizen behind the same proxy (same connection address) does not wait.
    assert (await attempt(app, PASSWORD, address="198.51.100.99")).status == 303
    assert waits(app) == [1.0, 2.0]
    # The guesser's own address still does.
    await attempt(app, "forkert", address="198.51.100.23")
    assert waits(app) == [1.0, 2.0, 4.0]


async def test_a_real_ip_header_can_name_the_client(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    app = make_app(tmp_path, fixture_db, settings(real_ip_header="X-Real-IP"), state=state())
    for n in range(4):
        await attempt(app, "forkert", **{"X-Real-IP": f"192.0.2.{n}"})
    assert waits(app) == []


async def test_forwarded_headers_are_not_believed_without_a_configured_proxy(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    app = make_app(tmp_path, fixture_db, settings(), state=state())
    # A guesser who makes up a new X-Forwarded-For each time is still one address.
    for n in range(5):
        await attempt(app, "forkert", address=f"10.0.0.{n}", **{"X-Real-IP": f"10.1.0.{n}"})
    assert waits(app) == [1.0, 2.0]


def test_proxy_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROXIES_COUNT", "REAL_IP_HEADER", "FORWARDED_SECRET", "STAFF_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_DATA_DIR", "/srv/fronten/var")
    defaults = WebSettings.from_env()
    assert (defaults.proxies_count, defaults.real_ip_header, defaults.forwarded_secret) == (
        0,
        None,
        None,
    )
    assert defaults.staff_db == Path("/srv/fronten/var/staff.db")
    assert (defaults.login_backoff_seconds, defaults.login_backoff_max_seconds) == (1.0, 30.0)
    monkeypatch.setenv("PROXIES_COUNT", "1")
    monkeypatch.setenv("REAL_IP_HEADER", "X-Real-IP")
    monkeypatch.setenv("FORWARDED_SECRET", "proxy-hemmelighed")
    monkeypatch.setenv("LOGIN_BACKOFF_MAX_SECONDS", "10")
    configured = WebSettings.from_env()
    assert (configured.proxies_count, configured.real_ip_header) == (1, "X-Real-IP")
    assert configured.forwarded_secret == "proxy-hemmelighed"
    assert configured.login_backoff_max_seconds == 10.0
    monkeypatch.setenv("LOGIN_BACKOFF_MAX_SECONDS", "3600")
    with pytest.raises(ValueError, match="LOGIN_BACKOFF_MAX_SECONDS"):
        WebSettings.from_env()


# --- logouts that last, and a new password ends every session -----------------------------


async def log_in_and_out(app: Sanic) -> tuple[dict[str, str], dict[str, str]]:
    """Two sessions: one logged out, one still logged in."""
    gone = session_of(await attempt(app, PASSWORD))
    kept = session_of(await attempt(app, PASSWORD))
    page = await get(app, "/staff", gone)
    app.asgi_client.cookies.clear()
    _, response = await app.asgi_client.post(
        "/staff/logout", data={"csrf": form_token(page.text)}, cookies=gone
    )
    assert response.status == 303
    assert (await get(app, "/staff", gone)).status == 303
    return gone, kept


async def test_a_logout_holds_after_a_restart(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    login = settings(staff_db=tmp_path / "staff.db")
    gone, kept = await log_in_and_out(make_app(tmp_path, fixture_db, login, state=state()))
    # A new process: nothing in memory survives, only the file.
    restarted = make_app(tmp_path, fixture_db, login, state=state())
    assert (await get(restarted, "/staff", gone)).status == 303
    assert (await get(restarted, "/staff/bookings.json", gone)).status == 401
    assert (await get(restarted, "/staff", kept)).status == 200  # the control


async def test_a_new_password_ends_every_session(
    tmp_path: Path, fixture_db: sqlite_utils.Database
) -> None:
    login = settings(staff_db=tmp_path / "staff.db")
    app = make_app(tmp_path, fixture_db, login, state=state())
    cookies = session_of(await attempt(app, PASSWORD))
    same = make_app(tmp_path, fixture_db, login, state=state())
    assert (await get(same, "/staff", cookies)).status == 200  # the control: a restart alone
    changed = settings(staff_db=tmp_path / "staff.db", staff_password="et helt nyt kodeord")
    restarted = make_app(tmp_path, fixture_db, changed, state=state())
    assert (await get(restarted, "/staff", cookies)).status == 303
    assert (await get(restarted, "/staff/bookings.json", cookies)).status == 401
    assert (await attempt(restarted, "et helt nyt kodeord")).status == 303


def test_expired_logouts_are_pruned(tmp_path: Path) -> None:
    store = RevokedSessions(tmp_path / "staff.db")
    store.revoke("gammel", expires=100.0, now=50.0)
    store.revoke("ny", expires=500.0, now=200.0)  # prunes "gammel", whose token has expired
    assert not store.is_revoked("gammel") and store.is_revoked("ny")
    store.close()
    rows = sqlite_utils.Database(tmp_path / "staff.db")["revoked_sessions"].rows
    assert [r["session_id"] for r in rows] == ["ny"]


def test_a_cookie_carries_no_password_material(tmp_path: Path) -> None:
    from bot.web.sessions import SessionSigner, credential_fingerprint

    hashed = "scrypt$1024$8$1$c2FsdA==$aGFzaA=="
    fingerprint = credential_fingerprint(SECRET, USER, hashed)
    signer = SessionSigner(SECRET, 60, fingerprint=fingerprint)
    token, session = signer.issue(USER)
    assert hashed not in token and "aGFzaA" not in token
    assert signer.read(token) == session
    other = SessionSigner(SECRET, 60, fingerprint=credential_fingerprint(SECRET, USER, "nyt"))
    assert other.read(token) is None
    assert re.fullmatch(r"[0-9a-f]{32}", fingerprint)
