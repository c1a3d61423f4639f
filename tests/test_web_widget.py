"""The widget's routes in-process: the demo page, its files, ratings, CORS and the CSP."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml
from hypothesis import given
from sanic import Sanic

from bot.booking import BookingRepository
from bot.insights import InsightsRepository
from bot.knowledge import load_knowledge
from bot.knowledge.build import build_database
from bot.web import create_app
from bot.web.app import REQUEST_MAX_SIZE
from bot.web.settings import DEFAULT_BOT_URL, WebSettings
from bot.web.widget import MAX_BODY, STATIC, WIDGET_TEXTS, parse_rating
from tests.conftest import FIXTURES, MONDAY_CONFIG
from tests.cpr_strategies import cpr_numbers

pytestmark = [
    pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning"),
    pytest.mark.usefixtures("forget_apps"),
]

SITE = "https://www.ballerup.dk"
BOT = "https://chat.ballerup.dk:8443"
RATING = {
    "sender": "a1b2c3d4e5f6a7b8",
    "message_id": "m1b2c3d4e5f6",
    "rating": "down",
    "question": "hvad koster BPA?",
    "message": "Det står der ikke noget om.\nKilde: X, afsnittet »Y«.",
}


@pytest.fixture
def app(tmp_path: Path) -> Sanic:
    settings = WebSettings(bot_public_url=BOT, cors_origins=(SITE, "http://127.0.0.1:8000"))
    return create_app(
        lambda: BookingRepository(tmp_path / "b.db", MONDAY_CONFIG.timezone),
        MONDAY_CONFIG,
        settings=settings,
        insights_factory=lambda: InsightsRepository(tmp_path / "insights.db"),
    )


def stored(tmp_path: Path) -> list[Any]:
    repository = InsightsRepository(tmp_path / "insights.db")
    try:
        return repository.negative_feedback()
    finally:
        repository.close()


async def post(app: Sanic, body: Any, origin: str | None = SITE, raw: bytes | None = None):
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    content = raw if raw is not None else json.dumps(body).encode()
    _, response = await app.asgi_client.post("/feedback", content=content, headers=headers)
    return response


# ---------------------------------------------------------------- the demo page and files


async def test_demo_page_embeds_the_widget_with_one_script_tag(app: Sanic) -> None:
    _, page = await app.asgi_client.get("/")
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="da">' in page.text
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == [f'<script src="/widget.js" data-server="{BOT}" data-color="#00566f" defer>']
    # Nothing inline that the CSP would have to allow.
    assert "<style" not in page.text and " style=" not in page.text
    assert not re.search(r"\son[a-z]+=", page.text)


async def test_csp_allows_only_this_app_and_the_rasa_server(app: Sanic) -> None:
    for url in ("/", "/widget.js", "/staff/login", "/health", "/findes-ikke"):
        _, response = await app.asgi_client.get(url)
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["connect-src"] == f"'self' {BOT}"
        assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
        assert "unsafe" not in policy and "*" not in policy


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/widget.js", "text/javascript; charset=utf-8"),
        ("/widget.css", "text/css; charset=utf-8"),
        ("/static/demo.css", "text/css; charset=utf-8"),
        ("/static/staff.css", "text/css; charset=utf-8"),
    ],
)
async def test_widget_files(app: Sanic, url: str, content_type: str) -> None:
    _, response = await app.asgi_client.get(url)
    assert response.status == 200 and response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "url",
    ["/static/app.py", "/static/..%2Fapp.py", "/static/%2E%2E%2Fsettings.py", "/static/", "/x.js"],
)
async def test_no_other_files_are_served(app: Sanic, url: str) -> None:
    _, response = await app.asgi_client.get(url)
    assert response.status == 404
    assert "import" not in response.text


async def test_the_widget_is_served_with_its_texts(app: Sanic) -> None:
    texts = yaml.safe_load(WIDGET_TEXTS.read_text(encoding="utf-8"))
    _, response = await app.asgi_client.get("/widget.js")
    [served] = re.findall(r"const TEXT = (\{.*\});", response.text)
    assert json.loads(served) == texts and texts["launcher"] == "Chat med Fronten"
    _, same = await app.asgi_client.get("/static/widget.js")
    assert same.text == response.text


def test_the_widget_script_holds_no_danish_text() -> None:
    # Its labels live in widget_texts.yml, its phone number in the knowledge base.
    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    assert not re.search("[æøåÆØÅ]", script)
    assert "Fronten på" not in script and "Prøv igen" not in script


def test_the_widget_never_builds_html_from_text() -> None:
    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert forbidden not in script
    assert "new Function" not in script and 'setAttribute("style"' not in script
    # The phone number in the widget's own notices comes from /widget/contact.json.
    assert "textContent" in script and '"widget/contact.json"' in script


# ---------------------------------------------------------------- the contact point


@pytest.fixture
def knowledge_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture knowledge base as a file, found through ``KNOWLEDGE_DB`` as in production."""
    path = tmp_path / "knowledge.db"
    build_database(load_knowledge(FIXTURES / "knowledge"), sqlite_utils.Database(path)).close()
    monkeypatch.setenv("KNOWLEDGE_DB", str(path))
    return path


async def test_the_widget_reads_the_contact_point_from_the_knowledge_base(
    app: Sanic, knowledge_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUNICIPALITY", "Ballerup")
    _, response = await app.asgi_client.get("/widget/contact.json", headers={"Origin": SITE})
    assert response.status == 200 and response.json == {
        "name": "Fronten",
        "phone": "44 77 34 43",
        "email": "ss-front@balk.dk",
        "address": "Parkvej 10, 2750 Ballerup",
        "source": "Ny kvalitetsstandard",
        "section": "Kontakt",
    }
    # Public facts: any site that embeds the widget may read them, without cookies.
    assert response.headers["access-control-allow-origin"] == "*"
    assert "set-cookie" not in response.headers


async def test_a_municipality_without_a_contact_point_gets_no_phone_number(
    app: Sanic, knowledge_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Gladsaxe's knowledge holds no contact point (contact ids are unique across
    # municipalities, and Fronten's and the general one are Ballerup's), so the widget
    # must not fall back to Ballerup's number: the route says 404 and the notices name none.
    monkeypatch.setenv("MUNICIPALITY", "Gladsaxe")
    _, response = await app.asgi_client.get("/widget/contact.json")
    assert response.status == 404 and set(response.json) == {"error"}
    assert "44 77" not in response.text


async def test_the_contact_route_is_a_server_error_without_a_knowledge_base(
    app: Sanic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNOWLEDGE_DB", str(tmp_path / "missing.db"))
    _, response = await app.asgi_client.get("/widget/contact.json")
    assert response.status == 500 and set(response.json) == {"error"}


# ---------------------------------------------------------------- ratings


async def test_a_rating_is_stored(app: Sanic, tmp_path: Path) -> None:
    response = await post(app, RATING)
    assert (response.status, response.json) == (201, {"status": "ok"})
    assert response.headers["access-control-allow-origin"] == SITE
    assert response.headers["vary"] == "Origin"
    [rating] = stored(tmp_path)
    assert (rating.question, rating.answer) == (RATING["question"], RATING["message"])


async def test_cpr_numbers_never_reach_the_database(app: Sanic, tmp_path: Path) -> None:
    body = RATING | {"question": "mit cpr er 010190-1234, hvad nu?", "message": "Svar 0101901234"}
    assert (await post(app, body)).status == 201
    [rating] = stored(tmp_path)
    assert "010190" not in rating.question and "0101901234" not in rating.answer
    assert "[CPR-nummer fjernet]" in rating.question


async def test_a_request_without_origin_is_accepted(app: Sanic, tmp_path: Path) -> None:
    response = await post(app, RATING, origin=None)
    assert response.status == 201 and "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.example", "null", f"{SITE}.evil.example"])
async def test_other_origins_may_not_rate(app: Sanic, tmp_path: Path, origin: str) -> None:
    response = await post(app, RATING, origin=origin)
    assert response.status == 403 and "access-control-allow-origin" not in response.headers
    assert stored(tmp_path) == []


async def test_preflight(app: Sanic) -> None:
    headers = {"Origin": SITE, "Access-Control-Request-Method": "POST"}
    _, response = await app.asgi_client.options("/feedback", headers=headers)
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == SITE
    assert response.headers["access-control-allow-methods"] == "POST"
    assert response.headers["access-control-allow-headers"] == "Content-Type"
    headers["Origin"] = "https://evil.example"
    _, refused = await app.asgi_client.options("/feedback", headers=headers)
    assert refused.status == 403 and "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize(
    "body",
    [
        {},
        [],
        "text",
        RATING | {"rating": "meh"},
        RATING | {"rating": None},
        RATING | {"sender": "short"},
        RATING | {"sender": "x" * 65},
        RATING | {"sender": "../../etc/passwd"},
        RATING | {"sender": 12345678},
        RATING | {"message_id": "<script>alert(1)</script>"},
        RATING | {"message": ""},
        RATING | {"message": "   "},
        RATING | {"message": "x" * 5001},
        RATING | {"question": "x" * 2001},
        RATING | {"question": ["liste"]},
        {k: v for k, v in RATING.items() if k != "message"},
    ],
)
async def test_bad_ratings_are_refused(app: Sanic, tmp_path: Path, body: Any) -> None:
    response = await post(app, body)
    assert response.status == 400 and set(response.json) == {"error"}
    assert stored(tmp_path) == []


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b"", 400),
        (b'{"a": "' + b"x" * MAX_BODY + b'"}', 400),
        # Sanic's own server answers 413 past REQUEST_MAX_SIZE (see test_browser.py); the
        # ASGI test client passes the body on, and the route still refuses it.
        (b"x" * (REQUEST_MAX_SIZE + 1), 400),
    ],
    ids=["not json", "not utf-8", "empty", "over 16 KiB", "over the request limit"],
)
async def test_malformed_or_huge_bodies(app: Sanic, raw: bytes, status: int) -> None:
    response = await post(app, None, raw=raw)
    assert response.status == status and set(response.json) == {"error"}


async def test_ratings_are_limited_per_address(app: Sanic) -> None:
    statuses = [(await post(app, RATING)).status for _ in range(121)]
    assert statuses[:120] == [201] * 120 and statuses[120] == 429


# ---------------------------------------------------------------- settings


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_PUBLIC_URL", "https://chat.example.dk/")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.dk  https://b.dk/ *")
    monkeypatch.setenv("STAFF_USER", " reception ")
    monkeypatch.setenv("STAFF_PASSWORD", "med mellemrum \n")
    monkeypatch.setenv("SESSION_SECRET", "k" * 32 + "\n")
    monkeypatch.setenv("SESSION_HOURS", "0.5")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    settings = WebSettings.from_env()
    assert settings.bot_public_url == "https://chat.example.dk"
    assert settings.cors_origins == ("https://a.dk", "https://b.dk")
    assert settings.staff_user == "reception" and settings.staff_password == "med mellemrum "
    assert settings.session_secret == "k" * 32 and settings.session_seconds == 1800
    assert settings.cookie_secure and settings.login_configured


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT_PUBLIC_URL", "CORS_ORIGINS", "STAFF_USER", "STAFF_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name in ("STAFF_PASSWORD_HASH", "SESSION_SECRET", "SESSION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = WebSettings.from_env()
    assert settings.bot_public_url == DEFAULT_BOT_URL
    assert settings.cors_origins == ("http://127.0.0.1:8000", "http://localhost:8000")
    assert settings.staff_user == "fronten" and not settings.login_configured
    assert settings.session_seconds == 8 * 3600 and not settings.cookie_secure


@pytest.mark.parametrize(
    "value",
    ["javascript:alert(1)", "ftp://x", "127.0.0.1:5005", "http://x; script-src *", "http://a'b"],
)
def test_a_bad_bot_url_falls_back(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BOT_PUBLIC_URL", value)
    assert WebSettings.from_env().bot_public_url == DEFAULT_BOT_URL


def test_a_short_session_secret_turns_login_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET", "too-short")
    monkeypatch.setenv("STAFF_PASSWORD", "x")
    settings = WebSettings.from_env()
    assert settings.session_secret is None and not settings.login_configured


@given(number=cpr_numbers())
def test_no_cpr_spelling_reaches_a_stored_rating(number: tuple[str, str]) -> None:
    # The feedback table (insights) stores what the widget sends, which never passed the
    # chat channel's guard.
    spelt, digits = number
    body = RATING | {"question": f"mit cpr er {spelt}, hvad nu?", "message": f"Svar {spelt}"}
    rating = parse_rating(json.dumps(body).encode())
    assert rating is not None
    for stored_text in (rating.question, rating.answer):
        assert digits not in re.sub(r"\D", "", stored_text)


async def test_a_refused_rating_explains_itself_in_danish(app: Sanic) -> None:
    response = await post(app, RATING, origin="https://evil.example")
    assert response.json == {"error": "Denne side må ikke sende vurderinger."}
