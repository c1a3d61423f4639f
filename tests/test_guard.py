"""The guard every channel applies: redaction, limits, and never silence."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Sanic

from bot.channels.guard import Guard, GuardSettings, RateLimiter, load_texts
from bot.channels.rest import GuardedRestInput
from bot.privacy import PLACEHOLDER

TEXTS = load_texts()


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
        (["not", "a", "dict"], ""),
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
