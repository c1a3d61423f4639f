"""The guard every channel applies: redaction, limits, and never silence."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Sanic
from structlog.testing import capture_logs

from bot.danish.cpr import PLACEHOLDER, Redacted, redact_cpr
from bot.rasa.channels import guard as guard_module
from bot.rasa.channels.guard import (
    CLIENT_KEY,
    Guard,
    GuardSettings,
    NewConversationLimiter,
    RateLimiter,
    load_texts,
)
from bot.rasa.channels.rest import ClientSettings, GuardedRestInput
from tests.cpr_strategies import cpr_numbers

TEXTS = load_texts()
# Sanic warns that the channel's before_server_start listener runs at ASGI start-up here.
pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning")


class Bot:
    """A stand-in for Rasa's message handler that records what reached it."""

    def __init__(self, reply: str | None = "svar", delay: float = 0, fail: bool = False):
        self.seen: list[str] = []
        self.reply, self.delay, self.fail = reply, delay, fail

    async def __call__(self, message: UserMessage) -> None:
        self.seen.append(message.text)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("action server down")
        if self.reply:
            await message.output_channel.send_text_message(message.sender_id, self.reply)


async def say(guard: Guard, bot: Bot, text: str, sender: str = "borger") -> list[str]:
    out = CollectingOutputChannel()
    await guard.handle(UserMessage(text, out, sender), bot)
    return [m["text"] for m in out.messages]


@pytest.fixture
def guard() -> Guard:
    return Guard(GuardSettings(max_length=1000, per_minute=30, reply_timeout=2), TEXTS)


def test_texts_come_from_the_domain() -> None:
    assert set(TEXTS) == {
        "utter_guard_cpr_removed",
        "utter_guard_message_cut",
        "utter_guard_slow_down",
        "utter_guard_technical_problem",
        "utter_guard_too_many_conversations",
    }
    assert "44 77 34 43" in TEXTS["utter_guard_technical_problem"]


async def test_cpr_is_removed_before_the_bot_sees_it(guard: Guard) -> None:
    bot = Bot()
    replies = await say(guard, bot, "mit cpr er 010190-1234, hvad koster bostøtte?")
    assert bot.seen == [f"mit cpr er {PLACEHOLDER}, hvad koster bostøtte?"]
    assert replies == [TEXTS["utter_guard_cpr_removed"], "svar"]


async def test_the_citizen_is_told_once(guard: Guard) -> None:
    bot = Bot()
    await say(guard, bot, "0101901234")
    assert await say(guard, bot, "0101901234 igen") == ["svar"]
    assert "0101901234" not in "".join(bot.seen)


async def test_long_message_is_cut_and_the_citizen_told(guard: Guard) -> None:
    bot = Bot()
    replies = await say(guard, bot, "a" * 5000)
    assert bot.seen == ["a" * 1000]
    assert replies == [TEXTS["utter_guard_message_cut"].format(max_length=1000), "svar"]


async def test_a_cpr_number_at_the_cut_is_still_removed() -> None:
    guard = Guard(GuardSettings(max_length=20), TEXTS)
    bot = Bot()
    await say(guard, bot, "x" * 12 + "010190-1234")
    assert "0101" not in bot.seen[0]


async def test_flood_gets_a_polite_slow_down() -> None:
    guard = Guard(GuardSettings(per_minute=3), TEXTS)
    bot = Bot()
    replies = [await say(guard, bot, f"besked {n}") for n in range(4)]
    assert replies[:3] == [["svar"]] * 3
    assert replies[3] == [TEXTS["utter_guard_slow_down"]]
    assert len(bot.seen) == 3
    # Another conversation is not affected.
    assert await say(guard, bot, "hej", sender="en anden") == ["svar"]


def test_rate_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    now[0] = 60.0
    assert limiter.allow("a")


@pytest.mark.parametrize(
    "bot", [Bot(reply=None), Bot(fail=True), Bot(delay=1)], ids=["silent", "raises", "slow"]
)
async def test_never_silence(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    guard = Guard(GuardSettings(reply_timeout=0.2), TEXTS)
    with caplog.at_level(logging.ERROR):
        replies = await say(guard, bot, "hvad koster bostøtte 010190-1234?")
    assert replies[-1] == TEXTS["utter_guard_technical_problem"]
    # Errors are logged without the citizen's words.
    assert "bostøtte" not in caplog.text and "0101" not in caplog.text


@pytest.fixture
def rest_app() -> tuple[Sanic, Bot]:
    bot = Bot()
    app = Sanic(f"rest_{id(bot)}")
    channel = GuardedRestInput(Guard(GuardSettings(), TEXTS))
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/rest")
    return app, bot


@pytest.mark.parametrize(
    ("body", "seen"),
    [
        ({"sender": "a", "message": "hej"}, "hej"),
        ({"sender": "a", "message": 42}, ""),
        ({"sender": "a", "message": "hej", "metadata": {"phone": "20123456"}}, "hej"),
        ({"sender": 7, "message": "hej"}, "hej"),
    ],
)
async def test_rest_channel_tolerates_odd_bodies(rest_app, body, seen) -> None:
    app, bot = rest_app
    _, response = await app.asgi_client.post("/webhooks/rest/webhook", json=body)
    assert response.status == 200
    assert bot.seen == [seen]


async def test_rest_channel_redacts(rest_app) -> None:
    app, bot = rest_app
    _, response = await app.asgi_client.post(
        "/webhooks/rest/webhook", json={"sender": "a", "message": "0101901234"}
    )
    assert bot.seen == [PLACEHOLDER]
    assert response.json[0]["text"] == TEXTS["utter_guard_cpr_removed"]


# ---------------------------------------------------------------- /intent{…} messages


async def test_an_escaped_cpr_number_in_an_intent_is_removed(guard: Guard) -> None:
    bot = Bot()
    replies = await say(guard, bot, '/ask_cost{"paragraph":"\\u0031211884567"}')
    assert bot.seen == [f'/ask_cost{{"paragraph":"{PLACEHOLDER}"}}']
    assert replies == [TEXTS["utter_guard_cpr_removed"], "svar"]


@pytest.mark.parametrize(
    "payload",
    [
        '/inform_service{"fact":"85.target"}',
        '/ask_cost{"service":"85"}',
        '/ask_apply{"service":"bostøtte"}',
        "2026-12-03T10:00:00+01:00",  # a slot button
        "Mød op på Fronten",
    ],
)
async def test_the_assistants_own_buttons_pass(guard: Guard, payload: str) -> None:
    bot = Bot()
    assert await say(guard, bot, payload) == ["svar"]
    assert bot.seen == [payload]


async def test_entities_the_domain_does_not_know_are_dropped(guard: Guard) -> None:
    bot = Bot()
    await say(guard, bot, '/ask_cost{"cpr":"121188-4567","service":"85"}')
    assert bot.seen == ['/ask_cost{"service":"85"}']


# ---------------------------------------------------------------- bounded work


async def test_a_huge_message_is_cut_before_it_is_redacted(
    guard: Guard, monkeypatch: pytest.MonkeyPatch
) -> None:
    lengths: list[int] = []

    def measured(text: str) -> Redacted:
        lengths.append(len(text))
        return redact_cpr(text)

    monkeypatch.setattr(guard_module, "redact_cpr", measured)
    bot = Bot()
    replies = await say(guard, bot, "hvad koster bostøtte? " + "12 11 88 " * 1_000_000)
    assert max(lengths) <= 2 * 1000 + 64
    assert len(bot.seen[0]) == 1000
    assert replies[-2:] == [TEXTS["utter_guard_message_cut"].format(max_length=1000), "svar"]


# ---------------------------------------------------------------- new conversations


async def say_from(guard: Guard, bot: Bot, text: str, sender: str, client: str | None) -> list[str]:
    out = CollectingOutputChannel()
    metadata = {CLIENT_KEY: client} if client else None
    await guard.handle(UserMessage(text, out, sender, metadata=metadata), bot)
    return [m["text"] for m in out.messages]


async def test_new_conversations_are_limited_per_client() -> None:
    guard = Guard(GuardSettings(new_conversations_per_hour=2), TEXTS)
    bot = Bot()
    assert await say_from(guard, bot, "hej", "samtale-1", "klient-a") == ["svar"]
    assert await say_from(guard, bot, "hej", "samtale-2", "klient-a") == ["svar"]
    refused = await say_from(guard, bot, "hvad koster bostøtte?", "samtale-3", "klient-a")
    assert refused == [TEXTS["utter_guard_too_many_conversations"]]
    assert bot.seen == ["hej", "hej"]
    # Running conversations go on, and other addresses and channels without one are not
    # affected.
    assert await say_from(guard, bot, "og BPA?", "samtale-1", "klient-a") == ["svar"]
    assert await say_from(guard, bot, "hej", "samtale-4", "klient-b") == ["svar"]
    assert await say_from(guard, bot, "hej", "sms-1", None) == ["svar"]


def test_new_conversation_window_slides() -> None:
    now = [0.0]
    limiter = NewConversationLimiter(1, clock=lambda: now[0])
    assert limiter.allow("klient", "a") and not limiter.allow("klient", "b")
    now[0] = 3599.0
    assert not limiter.allow("klient", "b") and limiter.allow("klient", "a")
    now[0] = 3600.0
    assert limiter.allow("klient", "b")


def test_zero_means_no_limit() -> None:
    limiter = NewConversationLimiter(0)
    assert all(limiter.allow("klient", f"samtale-{n}") for n in range(1000))


def test_guard_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEW_CONVERSATIONS_PER_HOUR", raising=False)
    assert GuardSettings.from_env().new_conversations_per_hour == 30
    monkeypatch.setenv("NEW_CONVERSATIONS_PER_HOUR", "5")
    assert GuardSettings.from_env().new_conversations_per_hour == 5


# ---------------------------------------------------------------- the REST channel


class Recorder(Bot):
    """Records the messages themselves, metadata included."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.messages: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        await super().__call__(message)


def rest_app_with(
    bot: Bot, clients: ClientSettings | None = None, settings: GuardSettings | None = None
) -> Sanic:
    # The channel configures the app (body limit, trusted proxies) from the environment
    # before the server starts.
    app = Sanic(f"rest_{id(bot)}")
    channel = GuardedRestInput(Guard(settings or GuardSettings(), TEXTS), clients)
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/rest")
    return app


@pytest.fixture
def one_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROXIES_COUNT", "1")


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hvad koster bostøtte?"},
        {"sender": None, "message": "hej"},
        {"sender": "", "message": "hej"},
        {"sender": "   ", "message": "hej"},
        {"sender": ["a"], "message": "hej"},
        {"sender": "x" * 129, "message": "hej"},
        ["not", "a", "dict"],
    ],
)
async def test_rest_channel_refuses_misuse_with_400(body: object) -> None:
    bot = Bot()
    app = rest_app_with(bot)
    _, response = await app.asgi_client.post("/webhooks/rest/webhook", json=body)
    assert response.status == 400
    assert bot.seen == []


async def test_rest_channel_refuses_a_body_that_is_not_json() -> None:
    bot = Bot()
    app = rest_app_with(bot)
    _, response = await app.asgi_client.post("/webhooks/rest/webhook", content=b"{hej")
    assert response.status == 400
    assert bot.seen == []


async def test_a_sender_of_128_characters_is_its_own_conversation() -> None:
    bot = Recorder()
    app = rest_app_with(bot)
    for sender in ("x" * 128, "x" * 127 + "y"):
        _, response = await app.asgi_client.post(
            "/webhooks/rest/webhook", json={"sender": sender, "message": "hej"}
        )
        assert response.status == 200
    assert [m.sender_id for m in bot.messages] == ["x" * 128, "x" * 127 + "y"]


def structlog_events(captured: list[dict]) -> list[dict]:
    return [e for e in captured if str(e.get("event", "")).startswith("rest.message")]


@pytest.mark.parametrize(
    ("failure", "event"),
    [(asyncio.CancelledError, "rest.message.received.timeout"),
     (RuntimeError, "rest.message.received.failure")],
)  # fmt: skip
async def test_rasas_own_logs_never_see_the_raw_text(
    failure: type[BaseException], event: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser hangs up (Sanic cancels the request) or the guard itself fails."""
    guard = Guard(GuardSettings(), TEXTS)

    async def breaks(message: UserMessage, handler: object) -> None:
        raise failure()

    monkeypatch.setattr(guard, "handle", breaks)
    app = Sanic("rest_logs")
    app.blueprint(GuardedRestInput(guard).blueprint(Bot()), url_prefix="/webhooks/rest")
    with capture_logs() as captured:
        await app.asgi_client.post(
            "/webhooks/rest/webhook",
            json={"sender": "a", "message": "Mit cpr er 12 11 88 45 67, hvad koster BPA?"},
        )
    logged = structlog_events(captured)
    assert [e["event"] for e in logged] == [event]
    assert logged[0]["text"] == f"Mit cpr er {PLACEHOLDER}, hvad koster BPA?"


async def test_the_client_key_is_a_keyed_hash_of_the_forwarded_address(one_proxy) -> None:
    bot = Recorder()
    app = rest_app_with(bot, ClientSettings(key_secret=b"hemmelig", exempt=()))
    for forwarded in ("203.0.113.7", "198.51.100.1, 203.0.113.7"):
        await app.asgi_client.post(
            "/webhooks/rest/webhook",
            json={"sender": "a", "message": "hej", "metadata": {CLIENT_KEY: "forfalsket"}},
            headers={"X-Forwarded-For": forwarded},
        )
    expected = hmac.new(b"hemmelig", b"203.0.113.7", hashlib.sha256).hexdigest()[:32]
    assert [m.metadata for m in bot.messages] == [{CLIENT_KEY: expected}] * 2


async def test_no_proxy_is_trusted_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROXIES_COUNT", "REAL_IP_HEADER", "FORWARDED_SECRET"):
        monkeypatch.delenv(name, raising=False)
    bot = Recorder()
    app = rest_app_with(bot, ClientSettings(key_secret=b"k", exempt=()))
    await app.asgi_client.post(
        "/webhooks/rest/webhook",
        json={"sender": "a", "message": "hej"},
        headers={"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.7"},
    )
    spoofed = hmac.new(b"k", b"203.0.113.7", hashlib.sha256).hexdigest()[:32]
    assert bot.messages[0].metadata not in ({CLIENT_KEY: spoofed}, None)


def test_on_a_real_server_loopback_is_exempt_and_gets_no_key() -> None:
    bot = Recorder()
    app = rest_app_with(bot, ClientSettings())
    _, response = app.test_client.post(
        "/webhooks/rest/webhook", json={"sender": "a", "message": "hej"}
    )
    assert response.status == 200
    assert bot.messages[0].metadata is None


def test_on_a_real_server_a_large_body_gets_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_MAX_BODY_BYTES", raising=False)
    bot = Bot()
    app = rest_app_with(bot)
    large = {"sender": "a", "message": "hvad koster bostøtte? " * 5000}  # 110 kB
    _, response = app.test_client.post("/webhooks/rest/webhook", json=large)
    assert response.status == 413
    assert bot.seen == []
    small = {"sender": "a", "message": "hvad koster bostøtte? " * 1000}
    _, response = app.test_client.post("/webhooks/rest/webhook", json=small)
    assert response.status == 200
    assert bot.seen == [small["message"][:1000]]


async def test_rest_channel_limits_new_conversations_per_address(one_proxy) -> None:
    bot = Bot()
    app = rest_app_with(bot, ClientSettings(exempt=()), GuardSettings(new_conversations_per_hour=2))

    async def post(sender: str, address: str) -> list[str]:
        _, response = await app.asgi_client.post(
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": "hvad koster bostøtte?"},
            headers={"X-Forwarded-For": address},
        )
        return [m["text"] for m in response.json]

    assert await post("s1", "203.0.113.7") == ["svar"]
    assert await post("s2", "203.0.113.7") == ["svar"]
    assert await post("s3", "203.0.113.7") == [TEXTS["utter_guard_too_many_conversations"]]
    assert await post("s1", "203.0.113.7") == ["svar"]
    assert await post("s3", "198.51.100.1") == ["svar"]


def test_client_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENT_KEY_SECRET", "hemmelig")
    monkeypatch.setenv("CLIENT_LIMIT_EXEMPT", "10.0.0.0/8 2001:db8::1")
    clients = ClientSettings.from_env()
    assert clients.key("10.1.2.3") is None and clients.key("[2001:db8::1]") is None
    assert (
        clients.key("127.0.0.1")
        == hmac.new(b"hemmelig", b"127.0.0.1", hashlib.sha256).hexdigest()[:32]
    )
    monkeypatch.delenv("CLIENT_KEY_SECRET")
    monkeypatch.delenv("CLIENT_LIMIT_EXEMPT")
    first, second = ClientSettings.from_env(), ClientSettings.from_env()
    assert first.key("127.0.0.1") is None  # loopback is exempt by default
    assert first.key("203.0.113.7") != second.key("203.0.113.7")  # a random key each


@settings(max_examples=30, deadline=None)
@given(number=cpr_numbers(), question=st.sampled_from(["hvad koster BPA?", "kan jeg få bostøtte"]))
def test_no_spelling_reaches_rasas_timeout_log(number: tuple[str, str], question: str) -> None:
    """Every spelling, with the browser hanging up: Rasa logs only the prepared text."""
    spelt, digits = number
    guard = Guard(GuardSettings(), TEXTS)

    async def hangs_up(message: UserMessage, handler: object) -> None:
        raise asyncio.CancelledError()

    guard.handle = hangs_up  # type: ignore[method-assign]
    app = Sanic(f"rest_hangs_up_{uuid.uuid4().hex}")
    app.blueprint(GuardedRestInput(guard).blueprint(Bot()), url_prefix="/webhooks/rest")
    message = f"Mit cpr-nummer er {spelt}, {question}"
    with capture_logs() as captured:
        asyncio.run(
            app.asgi_client.post(
                "/webhooks/rest/webhook", json={"sender": "borger", "message": message}
            )
        )
    logged = structlog_events(captured)
    assert [e["event"] for e in logged] == ["rest.message.received.timeout"]
    assert logged[0]["text"] == f"Mit cpr-nummer er {PLACEHOLDER}, {question}"
    assert digits not in re.sub(r"\D", "", str(captured))
