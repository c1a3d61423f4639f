"""End to end over SMS: the real Rasa and action servers, the SMS worker and a fake GatewayAPI.

Everything listens on free loopback ports; the fake gateway records what would have been
sent to citizens' phones.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
import requests

from bot.booking.repository import BookingRepository
from bot.sms import gsm
from bot.sms.repository import Outbox, SmsDatabase
from tests.conftest import CPH
from tests.fake_gateway import FakeGateway, fake_gateway
from tests.servers import assistant, sms_worker
from tests.sms_support import SENDER_SECRET, TOKEN, WEBHOOK_SECRET, sign, webhook_body
from tests.test_e2e import ask, book_over_rest, texts

pytestmark = pytest.mark.slow


class Setup:
    def __init__(self, rest: str, gateway: FakeGateway, tmp: Path) -> None:
        self.rest = rest
        self.sms_webhook = rest.rsplit("/webhooks/", 1)[0] + "/webhooks/gatewayapi/webhook"
        self.gateway = gateway
        self.tmp = tmp


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("sms_e2e")
    with fake_gateway(tmp) as gateway:
        env = {
            "BOOKING_DB": str(tmp / "bookings.db"),
            "SMS_DB": str(tmp / "sms.db"),
            "GATEWAYAPI_URL": gateway.url,
            "GATEWAYAPI_TOKEN": TOKEN,
            "GATEWAYAPI_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SMS_SENDER_SECRET": SENDER_SECRET,
            "GATEWAYAPI_RETRIES": "2",
            "SMS_OUTBOX_INTERVAL": "1",
        }
        with assistant(tmp, env) as rest:
            import os

            with sms_worker({**os.environ, **env}, tmp / "worker.log"):
                yield Setup(rest, gateway, tmp)


_numbers = iter(range(4522000001, 4522999999))


@pytest.fixture
def msisdn() -> int:
    """A fresh Danish mobile number for each test."""
    return next(_numbers)


def post(setup: Setup, body: Any, token: Any = "sign", raw: bytes | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token == "sign":
        token = sign(body)
    if token:
        headers["X-Gwapi-Signature"] = token
    data = raw if raw is not None else json.dumps(body).encode("utf-8")
    return requests.post(setup.sms_webhook, data=data, headers=headers, timeout=10)


def requests_to(gateway: FakeGateway, msisdn: int) -> List[List[str]]:
    """Each accepted request's parts sent to the number, in order."""
    return [
        [m["message"] for m in r["json"]]
        for r in gateway.requests()
        if r["answered"] == 200 and any(m["recipients"][0]["msisdn"] == msisdn for m in r["json"])
    ]


def sms(setup: Setup, msisdn: int, text: str) -> str:
    """Sends an SMS in; returns the reply's parts joined by newlines."""
    before = len(requests_to(setup.gateway, msisdn))
    started = time.monotonic()
    response = post(setup, webhook_body(text, msisdn=msisdn))
    assert response.status_code == 200, response.text
    assert time.monotonic() - started < 5  # GatewayAPI's limit
    setup.gateway.wait_for(lambda g: len(requests_to(g, msisdn)) > before)
    parts = requests_to(setup.gateway, msisdn)[before]
    # Every part is GSM-7 and at most 153 characters.
    assert all(gsm.is_gsm7(p) and gsm.length(p) <= 153 for p in parts), parts
    return "\n".join(parts)


def test_an_sms_question_is_answered_by_sms(setup: Setup, msisdn: int) -> None:
    reply = sms(setup, msisdn, "Hvordan søger jeg bostøtte?")
    assert "Kilde:" in reply and "»" not in reply


def test_a_question_without_a_service_gets_numbered_choices(setup: Setup, msisdn: int) -> None:
    reply = sms(setup, msisdn, "hvad koster det?")
    assert re.search(r"^1\. .+$", reply, re.MULTILINE)
    assert re.search(r"Svar 1(, \d+)* eller \d+\.$", reply)
    # "2" picks the second service; the answer is about it, with its source.
    assert "Kilde:" in sms(setup, msisdn, "2")


def test_a_booking_by_sms_uses_the_sender_s_number(setup: Setup, msisdn: int) -> None:
    topics = sms(setup, msisdn, "Jeg vil gerne booke en tid")
    assert "1. " in topics and "Svar 1," in topics
    assert "Hvornår" in sms(setup, msisdn, "1")
    meeting = sms(setup, msisdn, "på tirsdag")
    assert "1. Mød op på Fronten" in meeting and "2. Telefonsamtale" in meeting
    offers = sms(setup, msisdn, "1")
    assert "1. " in offers
    assert "fornavn" in sms(setup, msisdn, "1")
    summary = sms(setup, msisdn, "Mette")
    # The phone number was never asked for: it is the number the SMS came from.
    phone = str(msisdn)[2:]
    assert "Skal jeg booke tiden?" in summary
    assert " ".join([phone[i : i + 2] for i in range(0, 8, 2)]) in summary
    confirmation = sms(setup, msisdn, "ja")
    assert "Din tid er booket" in confirmation
    reference = re.search(r"Bookingnummer: (\w{6})", confirmation).group(1)
    bookings = BookingRepository(setup.tmp / "bookings.db", CPH)
    stored = bookings.find(reference, phone)
    bookings.close()
    assert stored is not None and stored.first_name == "Mette" and stored.status == "booked"
    # Its confirmation was the SMS reply; no second one is queued.
    time.sleep(1.5)
    database = SmsDatabase(setup.tmp / "sms.db")
    assert Outbox(database).for_references([reference]) == {}
    database.close()


def sms_code(setup: Setup, phone: str) -> Callable[[], str]:
    """Reads the code the web chat sent to a number, once the worker has sent it."""

    def read() -> str:
        msisdn = int("45" + phone)
        setup.gateway.wait_for(lambda g: any("Din kode" in t for t in g.texts_to(msisdn)))
        text = [t for t in setup.gateway.texts_to(msisdn) if "Din kode" in t][-1]
        return re.search(r"\b(\d{6})\b", text).group(1)

    return read


def test_a_web_booking_gets_a_confirmation_sms_and_its_cancellation_too(setup: Setup) -> None:
    reference = book_over_rest(
        setup.rest, uuid.uuid4().hex, "+45 31 31 31 31", sms_code(setup, "31313131")
    )
    setup.gateway.wait_for(lambda g: any(reference in t for t in g.texts_to(4531313131)))
    sender = uuid.uuid4().hex
    ask(setup.rest, "jeg vil aflyse min tid", sender)
    ask(setup.rest, reference, sender)
    ask(setup.rest, "31313131", sender)
    assert "er aflyst" in texts(ask(setup.rest, "ja", sender))
    setup.gateway.wait_for(
        lambda g: any("er aflyst" in t and reference in t for t in g.texts_to(4531313131))
    )


def test_stop_is_honoured_for_confirmations(setup: Setup) -> None:
    msisdn = 4541414141
    reply = sms(setup, msisdn, "STOP")
    assert "ikke flere SMS" in reply
    # The web chat cannot send that number a code, so it books nothing and sends nothing.
    sender = uuid.uuid4().hex
    ask(setup.rest, "Jeg vil gerne booke en tid", sender)
    ask(setup.rest, "Bostøtte", sender)
    ask(setup.rest, "på tirsdag", sender)
    offers = ask(setup.rest, "jeg kommer ind på Fronten", sender)[-1]["buttons"]
    ask(setup.rest, offers[0]["payload"], sender)
    ask(setup.rest, "Mette", sender)
    assert "frabedt sig SMS" in texts(ask(setup.rest, "41 41 41 41", sender))
    database = SmsDatabase(setup.tmp / "sms.db")
    try:
        assert [m for m in Outbox(database).recent() if m.phone == "41414141"] == []
    finally:
        database.close()
    # Writing again starts SMS contact again.
    assert "Kilde:" in sms(setup, msisdn, "hvad koster bostøtte?")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hvad koster bostøtte " * 80, "😀🙈🎉", "<script>alert(1)</script>"],
)
def test_bad_sms_input_gets_a_polite_sms(setup: Setup, msisdn: int, text: str) -> None:
    reply = sms(setup, msisdn, text)
    assert reply.strip() and "Traceback" not in reply and "<script>" not in reply


def test_a_number_that_is_not_danish_gets_a_polite_sms(setup: Setup) -> None:
    reply = sms(setup, 46701234567, "hej")
    assert "danske mobilnumre" in reply


def test_bad_requests_get_4xx_and_are_not_processed(setup: Setup, msisdn: int) -> None:
    body = webhook_body("hej", msisdn=msisdn)
    assert post(setup, body, token=None).status_code == 401
    assert post(setup, body, token=sign(body, secret="x" * 40)).status_code == 401
    assert post(setup, body, token=sign(body, expires_in=-600)).status_code == 401
    assert post(setup, body, raw=b"this is not json").status_code == 400
    big = webhook_body("x" * 200_000, msisdn=msisdn)
    assert post(setup, big).status_code == 413
    time.sleep(1.5)
    assert requests_to(setup.gateway, msisdn) == []


def test_a_redelivered_sms_is_answered_once(setup: Setup, msisdn: int) -> None:
    body = webhook_body("hvad koster bostøtte?", msisdn=msisdn)
    assert post(setup, body).json() == {"status": "accepted"}
    assert post(setup, body).json() == {"status": "duplicate"}
    setup.gateway.wait_for(lambda g: len(requests_to(g, msisdn)) == 1)
    time.sleep(1.5)
    assert len(requests_to(setup.gateway, msisdn)) == 1
