"""The GatewayAPI channel in-process: signatures, duplicates, bad input, STOP, choices.

The channel's blueprint runs in a Sanic app (``app.asgi_client``) with a stand-in for Rasa;
replies go through the real gateway client to a fake GatewayAPI on loopback.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import time
from typing import Any, Callable, Dict, Optional

import pytest
from sanic import Sanic

from bot.danish.cpr import PLACEHOLDER
from bot.rasa.channels.gatewayapi import GatewayAPIInput, SmsServices
from bot.rasa.channels.guard import Guard, GuardSettings, load_texts
from bot.sms.contact import ContactBook
from bot.sms.gateway import GatewayClient
from bot.sms.identity import sender_key
from bot.sms.repository import Numbers, OptOuts, Outbox, SmsDatabase
from bot.sms.settings import SmsSettings
from bot.sms.signature import WeakSecretError
from bot.sms.templates import Templates
from tests.fake_gateway import FakeGateway
from tests.sms_support import (
    CITIZEN,
    RECEIVER,
    SENDER_SECRET,
    TOKEN,
    WEBHOOK_SECRET,
    Bot,
    eventually,
    sign,
    webhook_body,
)

URL = "/webhooks/gatewayapi/webhook"
TEMPLATES = Templates()
_apps = itertools.count()


def make_app(
    bot: Bot,
    gateway: FakeGateway,
    database: SmsDatabase,
    real_repository,
    webhook_secret: Optional[str] = WEBHOOK_SECRET,
    sender_secret: Optional[str] = SENDER_SECRET,
    max_parts: int = 5,
    max_body_bytes: int = 65_536,
    clock: Optional[Callable[[], dt.datetime]] = None,
    **more_settings: Any,
) -> Sanic:
    settings = SmsSettings(
        gateway_url=gateway.url,
        token=TOKEN,
        webhook_secret=webhook_secret,
        sender_secret=sender_secret,
        max_parts=max_parts,
        max_body_bytes=max_body_bytes,
        **more_settings,
    )
    client = GatewayClient(gateway.url, TOKEN, timeout=2, retries=2, backoff=0.01)
    services = SmsServices(
        settings, database, client, ContactBook(lambda: real_repository), TEMPLATES
    )
    guard = Guard(GuardSettings(max_length=1000, per_minute=30, reply_timeout=5), load_texts())
    channel = GatewayAPIInput(settings, services, guard, **({"clock": clock} if clock else {}))
    app = Sanic(f"sms_test_{next(_apps)}")
    app.blueprint(channel.blueprint(bot))
    return app


@pytest.fixture
def bot() -> Bot:
    return Bot()


@pytest.fixture
def app(bot: Bot, gateway: FakeGateway, database: SmsDatabase, real_repository) -> Sanic:
    return make_app(bot, gateway, database, real_repository)


async def post(
    app: Sanic,
    body: Any,
    token: Optional[str] = "sign",
    raw: Optional[bytes] = None,
) -> Any:
    headers: Dict[str, str] = {"Content-Type": "application/json"}
    if token == "sign":
        token = sign(body)
    if token:
        headers["X-Gwapi-Signature"] = token
    content = raw if raw is not None else json.dumps(body).encode("utf-8")
    _, response = await app.asgi_client.post(URL, content=content, headers=headers)
    return response


async def sms(app: Sanic, gateway: FakeGateway, text: str, msisdn: int = CITIZEN) -> list[str]:
    """Sends one SMS in and returns the SMS texts that came back for it."""
    before = len(gateway.texts_to(msisdn))
    response = await post(app, webhook_body(text, msisdn=msisdn))
    assert response.status == 200, response.text
    await eventually(lambda: len(gateway.texts_to(msisdn)) > before)
    return gateway.texts_to(msisdn)[before:]


# --- the happy path ----------------------------------------------------------------------


async def test_an_sms_is_answered_by_sms(app: Sanic, bot: Bot, gateway: FakeGateway) -> None:
    replies = await sms(app, gateway, "Hvordan søger jeg bostøtte?")
    assert replies == ["Svar på: Hvordan søger jeg bostøtte?"]
    [request] = gateway.requests()
    assert request["authorization"] == f"Token {TOKEN}"
    [message] = request["json"]
    assert message["recipients"] == [{"msisdn": CITIZEN}]
    # The reply comes from the number the citizen wrote to, so they can answer it.
    assert str(message["sender"]) == str(RECEIVER)
    [received] = bot.messages
    assert received.input_channel == "gatewayapi"


async def test_the_conversation_id_is_a_keyed_hash(
    app: Sanic, bot: Bot, gateway: FakeGateway, database: SmsDatabase
) -> None:
    await sms(app, gateway, "hej")
    await sms(app, gateway, "hej igen")
    first, second = bot.messages
    assert first.sender_id == second.sender_id == sender_key(str(CITIZEN), SENDER_SECRET)
    assert "20123456" not in first.sender_id and first.sender_id.startswith("sms-")
    assert sender_key(str(CITIZEN), "another secret") != first.sender_id
    # The number is not in the metadata either (the tracker store would keep it).
    assert "20123456" not in json.dumps(first.metadata or {})
    # It waits briefly in the SMS database, for the booking form.
    since = time.time() - 60
    import datetime as dt

    assert (
        Numbers(database).phone(first.sender_id, dt.datetime.fromtimestamp(since, dt.timezone.utc))
        == "20123456"
    )


async def test_the_webhook_is_answered_before_the_reply_is_ready(
    gateway: FakeGateway, database: SmsDatabase, real_repository
) -> None:
    slow = Bot(delay=3)
    app = make_app(slow, gateway, database, real_repository)
    started = time.monotonic()
    response = await post(app, webhook_body("hej"))
    assert response.status == 200 and response.json == {"status": "accepted"}
    assert time.monotonic() - started < 1.0  # GatewayAPI waits at most 5 s
    assert gateway.requests() == []
    await eventually(lambda: gateway.texts_to(CITIZEN) == ["Svar på: hej"], timeout=10)


async def test_cpr_numbers_never_reach_rasa(app: Sanic, bot: Bot, gateway: FakeGateway) -> None:
    replies = await sms(app, gateway, "mit cpr er 010190-1234, hvad koster bostøtte?")
    assert bot.seen == [f"mit cpr er {PLACEHOLDER}, hvad koster bostøtte?"]
    assert "010190" not in "".join(replies)


# --- signatures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        None,  # missing
        "not-a-jwt",
        "forged",  # right shape, wrong secret
        "expired",
        "unsigned",  # alg "none"
        "other-message",  # a valid token of another message
    ],
)
async def test_a_bad_signature_is_refused_and_not_processed(
    app: Sanic, bot: Bot, gateway: FakeGateway, token: Optional[str]
) -> None:
    body = webhook_body("hej")
    tokens = {
        None: None,
        "not-a-jwt": "not-a-jwt",
        "forged": sign(body, secret="a-guessed-secret-that-is-long-enough"),
        "expired": sign(body, expires_in=-3600),
        "unsigned": _unsigned(body),
        "other-message": sign({**body, "id": body["id"] + 1, "message": "andet"}),
    }
    response = await post(app, body, token=tokens[token])
    assert response.status == 401
    # The refused id was not remembered: the genuine delivery is still processed.
    assert (await post(app, body)).status == 200
    await eventually(lambda: len(gateway.texts_to(CITIZEN)) == 1)
    assert bot.seen == ["hej"]


# --- no replay: fresh tokens, bound to their message ---------------------------------------

# The channel's clock in the replay tests; tokens are signed relative to it.
REPLAY_NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone.utc)
AT = REPLAY_NOW.timestamp()


def _without(body: Dict[str, Any], name: str) -> Dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


@pytest.fixture
def clocked_app(bot: Bot, gateway: FakeGateway, database: SmsDatabase, real_repository) -> Sanic:
    return make_app(bot, gateway, database, real_repository, clock=lambda: REPLAY_NOW)


@pytest.mark.parametrize(
    "case",
    [
        "no exp",
        "no iat",
        "no id claim",
        "no msisdn claim",
        "issued 10 minutes ago",
        "issued in the future",
        "expired a minute ago",
        "valid for a day",
        "another number",
        "exp not a number",
        "iat true",
    ],
)
async def test_a_stale_or_unbound_token_is_refused(
    clocked_app: Sanic, bot: Bot, gateway: FakeGateway, case: str
) -> None:
    body = webhook_body("Hvornår har I åbent?")
    tokens = {
        "no exp": sign(body, now=AT, expires_in=None),
        "no iat": sign(body, now=AT, issued_ago=None),
        "no id claim": sign(_without(body, "id"), now=AT),
        "no msisdn claim": sign(_without(body, "msisdn"), now=AT),
        "issued 10 minutes ago": sign(body, now=AT - 600),
        "issued in the future": sign(body, now=AT, issued_ago=-600),
        "expired a minute ago": sign(body, now=AT, issued_ago=120, expires_in=-60),
        "valid for a day": sign(body, now=AT, expires_in=86_400),
        "another number": sign({**body, "msisdn": 4531313131}, now=AT),
        "exp not a number": sign(body, now=AT, expires_in=None, exp="i morgen"),
        "iat true": sign(body, now=AT, issued_ago=None, iat=True),
    }
    assert (await post(clocked_app, body, token=tokens[case])).status == 401
    # The control: the same message with a fresh token of its own is answered.
    assert (await post(clocked_app, body, token=sign(body, now=AT))).status == 200
    await eventually(lambda: len(gateway.texts_to(CITIZEN)) == 1)
    assert bot.seen == ["Hvornår har I åbent?"]


async def test_a_captured_request_cannot_be_replayed_later(
    bot: Bot, gateway: FakeGateway, database: SmsDatabase, real_repository
) -> None:
    now = [REPLAY_NOW]
    app = make_app(bot, gateway, database, real_repository, clock=lambda: now[0])
    body = webhook_body("Jeg vil gerne booke en tid")
    token = sign(body, now=AT)
    assert (await post(app, body, token=token)).json == {"status": "accepted"}
    await eventually(lambda: len(gateway.texts_to(CITIZEN)) == 1)
    # Within minutes it is a duplicate; after the token's age it is refused outright, even
    # when the seen ids are gone (kept 7 days, pruned after).
    assert (await post(app, body, token=token)).json == {"status": "duplicate"}
    now[0] = REPLAY_NOW + dt.timedelta(minutes=6)
    assert (await post(app, body, token=token)).status == 401
    fresh_id = {**body, "id": body["id"] + 10_000}
    replayed = sign(fresh_id, now=AT)  # an old token cannot carry a new id either
    assert (await post(app, fresh_id, token=replayed)).status == 401
    assert bot.seen == ["Jeg vil gerne booke en tid"]


async def test_the_leeway_is_configurable(
    bot: Bot, gateway: FakeGateway, database: SmsDatabase, real_repository
) -> None:
    strict = make_app(
        bot, gateway, database, real_repository, clock=lambda: REPLAY_NOW,
        webhook_leeway=0, webhook_max_age=60,
    )  # fmt: skip
    body = webhook_body("hej")
    assert (await post(strict, body, token=sign(body, now=AT - 90, expires_in=30))).status == 401
    assert (await post(strict, body, token=sign(body, now=AT - 10, expires_in=30))).status == 200


@pytest.mark.parametrize("secret", ["kort", "x" * 31])
def test_a_short_webhook_secret_stops_the_channel_from_starting(
    bot: Bot, gateway: FakeGateway, database: SmsDatabase, real_repository, secret: str
) -> None:
    with pytest.raises(WeakSecretError, match="at least 32"):
        make_app(bot, gateway, database, real_repository, webhook_secret=secret)
    assert make_app(bot, gateway, database, real_repository, webhook_secret="x" * 32)


def _unsigned(body: Dict[str, Any]) -> str:
    import jwt

    return jwt.encode(body, key=None, algorithm="none")


@pytest.mark.parametrize(
    ("missing", "status"),
    [
        ("webhook_secret", 401),  # every message is refused: none can be verified
        ("sender_secret", 503),  # the channel is not configured, so nothing is processed
    ],
)
async def test_without_a_secret_no_message_reaches_the_bot(
    bot: Bot, gateway: FakeGateway, database: SmsDatabase, real_repository, missing, status
) -> None:
    app = make_app(bot, gateway, database, real_repository, **{missing: None})
    assert (await post(app, webhook_body("hej"))).status == status
    assert bot.messages == []


# --- no duplicate replies ----------------------------------------------------------------


async def test_a_redelivered_message_is_acknowledged_and_not_answered_again(
    app: Sanic, bot: Bot, gateway: FakeGateway, database: SmsDatabase, real_repository
) -> None:
    body = webhook_body("hej")
    assert (await post(app, body)).json == {"status": "accepted"}
    assert (await post(app, body)).json == {"status": "duplicate"}
    await eventually(lambda: len(gateway.texts_to(CITIZEN)) == 1)
    # After a restart (a new channel on the same database) it is still a duplicate.
    restarted = make_app(bot, gateway, database, real_repository)
    response = await post(restarted, body)
    assert response.status == 200 and response.json == {"status": "duplicate"}
    time.sleep(0.3)
    assert bot.seen == ["hej"] and len(gateway.texts_to(CITIZEN)) == 1


# --- bad input ---------------------------------------------------------------------------


async def test_a_body_that_is_not_json_gets_400(app: Sanic, bot: Bot) -> None:
    response = await post(app, {}, token=sign({}), raw=b"msisdn=4520123456&message=hej")
    assert response.status == 400
    response = await post(app, {}, token=sign({}), raw=b"\xff\xfe\x00garbage")
    assert response.status == 400
    response = await post(app, [1, 2], token=sign({}))
    assert response.status == 400
    assert bot.messages == []


@pytest.mark.parametrize(
    "fields",
    [
        {"msisdn": None},
        {"msisdn": "tyve"},
        {"msisdn": "+45 20 12 34 56"},
        {"id": None},
        {"id": ""},
        {"id": "x" * 500},
        {"id": True},
    ],
)
async def test_unusable_fields_get_400(app: Sanic, bot: Bot, fields: Dict[str, Any]) -> None:
    body = {**webhook_body("hej"), **fields}
    response = await post(app, body)
    assert response.status == 400
    assert bot.messages == []


async def test_a_huge_body_gets_413(app: Sanic, bot: Bot) -> None:
    body = webhook_body("x" * 2_000_000)
    response = await post(app, body, token=sign({"id": body["id"]}))
    assert response.status == 413
    assert bot.messages == []


async def test_an_empty_sms_is_handled(app: Sanic, bot: Bot, gateway: FakeGateway) -> None:
    # Rasa answers a blank message with utter_empty_message; here the stand-in answers.
    replies = await sms(app, gateway, "")
    assert bot.seen == [""] and replies == ["Svar på:"]


async def test_a_missing_message_field_counts_as_empty(
    app: Sanic, bot: Bot, gateway: FakeGateway
) -> None:
    body = webhook_body("x")
    del body["message"]
    assert (await post(app, body)).status == 200
    await eventually(lambda: bot.seen == [""])


async def test_an_sms_of_1600_characters_is_cut_and_the_citizen_told(
    app: Sanic, bot: Bot, gateway: FakeGateway
) -> None:
    replies = await sms(app, gateway, "hvad koster bostøtte " * 80)
    assert len(bot.seen[0]) == 1000
    text = "\n".join(replies)
    assert "1000 tegn" in text
    assert all(len(part) <= 153 for part in replies)


async def test_only_emoji(app: Sanic, bot: Bot, gateway: FakeGateway) -> None:
    replies = await sms(app, gateway, "😀🙈🎉")
    assert bot.seen == ["😀🙈🎉"]
    # The reply quoted the emoji back; it went out as GSM-7 all the same.
    assert replies == ["Svar på:"]


async def test_a_number_that_is_not_danish_gets_a_polite_sms(
    app: Sanic, bot: Bot, gateway: FakeGateway
) -> None:
    swedish = 46701234567
    replies = await sms(app, gateway, "hej", msisdn=swedish)
    assert bot.messages == []
    text = " ".join(replies)
    assert "danske mobilnumre" in text and "+45 44 77 34 43" in text


async def test_a_danish_landline_style_number_is_not_a_mobile(
    app: Sanic, bot: Bot, gateway: FakeGateway
) -> None:
    replies = await sms(app, gateway, "hej", msisdn=4501234567)  # would start with 0
    assert bot.messages == [] and "danske mobilnumre" in " ".join(replies)


# --- STOP --------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", ["STOP", "stop", " Stop ", "STOP."])
async def test_stop_ends_sms_contact_until_the_citizen_writes_again(
    app: Sanic, bot: Bot, gateway: FakeGateway, database: SmsDatabase, stop: str
) -> None:
    key = sender_key(str(CITIZEN), SENDER_SECRET)
    replies = await sms(app, gateway, stop)
    assert replies == [
        part for part in _parts(TEMPLATES.text("utter_sms_opted_out"))
    ], "only the opt-out confirmation is sent"
    # A form in progress is ended (Rasa sees "stop"), but its reply is not sent.
    assert bot.seen == ["stop"]
    assert OptOuts(database).is_opted_out(key)
    await sms(app, gateway, "hej igen")
    assert not OptOuts(database).is_opted_out(key)


async def test_stop_drops_the_sms_still_waiting_for_the_number(
    app: Sanic, bot: Bot, gateway: FakeGateway, database: SmsDatabase
) -> None:
    outbox = Outbox(database)
    phone = str(CITIZEN)[2:]
    waiting = outbox.enqueue(
        "reminder", phone, "Husk din tid i morgen.", dt.datetime.now(dt.timezone.utc)
    )
    await sms(app, gateway, "afmeld")
    row = database.db["outbox"].get(waiting)
    assert row["status"] == "skipped"


async def test_stop_inside_a_sentence_is_an_ordinary_message(
    app: Sanic, bot: Bot, gateway: FakeGateway, database: SmsDatabase
) -> None:
    await sms(app, gateway, "stop det her")
    assert bot.seen == ["stop det her"]
    assert not OptOuts(database).is_opted_out(sender_key(str(CITIZEN), SENDER_SECRET))


def _parts(text: str) -> list[str]:
    from bot.sms.gsm import to_gsm7
    from bot.sms.split import split_sms

    return split_sms(to_gsm7(text))


# --- numbered choices --------------------------------------------------------------------


def _menu(text: str) -> list[dict]:
    if text == "book":
        return [
            {
                "text": "Hvad vil du tale om?",
                "buttons": [
                    {"title": "Bostøtte", "payload": "Bostøtte"},
                    {"title": "BPA", "payload": '/ask_cost{"service":"bpa"}'},
                    {"title": "Andet", "payload": "Andet"},
                ],
            }
        ]
    return [{"text": f"Du valgte {text}"}]


async def test_buttons_become_numbers_and_a_number_picks_one(
    gateway: FakeGateway, database: SmsDatabase, real_repository
) -> None:
    bot = Bot(_menu)
    app = make_app(bot, gateway, database, real_repository)
    [menu] = await sms(app, gateway, "book")
    assert "1. Bostøtte\n2. BPA\n3. Andet\nSvar 1, 2 eller 3." in menu
    await sms(app, gateway, "2")
    assert bot.seen[-1] == '/ask_cost{"service":"bpa"}'
    # That reply had no buttons: "2" is now just "2".
    await sms(app, gateway, "2")
    assert bot.seen[-1] == "2"


async def test_a_number_out_of_range_is_passed_on(
    gateway: FakeGateway, database: SmsDatabase, real_repository
) -> None:
    bot = Bot(_menu)
    app = make_app(bot, gateway, database, real_repository)
    await sms(app, gateway, "book")
    await sms(app, gateway, "7")
    assert bot.seen[-1] == "7"


# --- sending -----------------------------------------------------------------------------


async def test_a_long_reply_is_split_and_kept_to_the_maximum(
    gateway: FakeGateway, database: SmsDatabase, real_repository
) -> None:
    long_answer = "Bostøtte er støtte i dit eget hjem, så du kan klare dig selv. " * 30
    bot = Bot(lambda text: [{"text": long_answer}])
    app = make_app(bot, gateway, database, real_repository, max_parts=3)
    replies = await sms(app, gateway, "fortæl alt")
    assert len(replies) == 3
    assert all(len(p) <= 153 for p in replies)
    assert "44 77 34 43" in replies[-1]
    # All parts went in one request, in order.
    assert len(gateway.requests()) == 1


async def test_a_gateway_that_answers_500_then_200(app: Sanic, gateway: FakeGateway) -> None:
    gateway.fail(500)
    replies = await sms(app, gateway, "hej")
    assert replies == ["Svar på: hej"]
    assert [r["answered"] for r in gateway.requests()] == [500, 200]


async def test_a_reply_that_finally_fails_is_logged_without_the_number(
    app: Sanic, gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.fail(500, 500, 500)
    caplog.set_level(logging.INFO)
    assert (await post(app, webhook_body("hej"))).status == 200
    await eventually(lambda: "failed finally" in caplog.text)
    assert len(gateway.requests()) == 3
    assert "20123456" not in caplog.text and "4520123456" not in caplog.text
    assert "20 12 34 56" not in caplog.text
