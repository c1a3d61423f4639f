"""Booking and SMS limits end to end: the real Rasa and action servers, over REST.

SMS is switched on (a gateway token), but no worker runs: what would be sent stays in the
outbox, where the test reads the codes a citizen would get on their phone.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

import pytest

from bot.booking import Booking, BookingRepository, load_config
from bot.booking.desk import BookingDesk
from bot.settings import Limits
from tests.conftest import CPH, ROOT
from tests.servers import assistant
from tests.sms_support import SENDER_SECRET, TOKEN, WEBHOOK_SECRET
from tests.test_e2e import ask, texts

pytestmark = pytest.mark.slow
SMS_PER_DAY = 3
PER_CLIENT = 2


class Setup:
    def __init__(self, webhook: str, tmp: Path) -> None:
        self.webhook = webhook
        self.tmp = tmp

    def outbox(self, phone: str) -> List[sqlite3.Row]:
        conn = sqlite3.connect(self.tmp / "sms.db")
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(
                "select kind, body, status, last_error from outbox where phone = ? order by id",
                [phone],
            ).fetchall()
        finally:
            conn.close()

    def code(self, phone: str) -> str:
        body = [r["body"] for r in self.outbox(phone) if r["kind"] == "code"][-1]
        return re.search(r"\b(\d{6})\b", body).group(1)

    @contextmanager
    def desk(self) -> Iterator[BookingDesk]:
        """The booking desk on the servers' database, as staff reach it outside the chat."""
        repository = BookingRepository(self.tmp / "bookings.db", CPH)
        try:
            yield BookingDesk(repository, load_config(ROOT / "config" / "fronten_slots.yml"))
        finally:
            repository.close()

    def bookings(self, phone: str) -> list:
        with self.desk() as desk:
            return desk.active_bookings(phone)

    def book_the_last_offer(self, name: str, phone: str) -> Booking:
        """Books an appointment at the desk, not in the chat (by phone with staff, say)."""
        with self.desk() as desk:
            booking = desk.book(desk.offers(desk.now())[-1], "Andet", "fronten", name, phone)
        assert booking is not None
        return booking


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("e2e_limits")
    env = {
        "BOOKING_DB": str(tmp / "bookings.db"),
        "SMS_DB": str(tmp / "sms.db"),
        # Nothing listens here: no worker runs, so nothing is ever sent.
        "GATEWAYAPI_URL": "http://127.0.0.1:9",
        "GATEWAYAPI_TOKEN": TOKEN,
        "GATEWAYAPI_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SMS_SENDER_SECRET": SENDER_SECRET,
        "SMS_MAX_PER_PHONE_PER_DAY": str(SMS_PER_DAY),
        # Loopback is a client like any other here, so the limits per address apply.
        "CLIENT_LIMIT_EXEMPT": "192.0.2.1",
        "NEW_CONVERSATIONS_PER_HOUR": "1000",
        "BOOKING_MAX_PER_CLIENT_PER_HOUR": str(PER_CLIENT),
    }
    with assistant(tmp, env) as webhook:
        yield Setup(webhook, tmp)


def up_to_the_phone(webhook: str, sender: str, phone: str) -> str:
    """Fills the booking form up to and including the phone number; returns the reply."""
    ask(webhook, "Jeg vil gerne booke en tid", sender)
    ask(webhook, "Bostøtte", sender)
    ask(webhook, "på tirsdag", sender)
    offers = ask(webhook, "jeg kommer ind på Fronten", sender)[-1]["buttons"]
    ask(webhook, offers[0]["payload"], sender)
    ask(webhook, "Mette", sender)
    return texts(ask(webhook, phone, sender))


def test_booking_and_sms_limits_over_rest(setup: Setup) -> None:
    phone = "51515151"
    # One appointment already, booked earlier.
    first = setup.book_the_last_offer("Mette", phone)

    # The web chat sends a code; the booking waits for it, and a wrong code is refused.
    sender = uuid.uuid4().hex
    assert "kode" in up_to_the_phone(setup.webhook, sender, "51 51 51 51")
    assert "passer ikke" in texts(ask(setup.webhook, "000000", sender))
    summary = texts(ask(setup.webhook, setup.code(phone), sender))
    assert "Skal jeg booke tiden?" in summary
    confirmation = texts(ask(setup.webhook, "ja", sender))
    second = re.search(r"Bookingnummer: (\w{6})", confirmation).group(1)
    assert [r["kind"] for r in setup.outbox(phone)] == ["code", "confirmation"]

    # A third booking: after the code, the citizen is told both times and references.
    sender = uuid.uuid4().hex
    assert "kode" in up_to_the_phone(setup.webhook, sender, phone)
    reply = texts(ask(setup.webhook, setup.code(phone), sender))
    assert "højeste antal" in reply
    assert first.reference in reply and second in reply and "flyt min tid" in reply
    assert len(setup.bookings(phone)) == Limits().active_bookings_per_phone

    # The number has had its SMS for today: a move is made, but its SMS is not sent.
    sender = uuid.uuid4().hex
    ask(setup.webhook, "jeg vil flytte min tid", sender)
    ask(setup.webhook, second, sender)
    ask(setup.webhook, phone, sender)
    offers = ask(setup.webhook, "på torsdag", sender)[-1]["buttons"]
    ask(setup.webhook, offers[0]["payload"], sender)
    assert second in texts(ask(setup.webhook, "ja", sender))
    statuses = [(r["kind"], r["status"]) for r in setup.outbox(phone)]
    assert statuses == [
        ("code", "pending"),
        ("confirmation", "pending"),
        ("code", "pending"),
        ("moved", "skipped"),
    ]


def test_a_stranger_s_number_gets_one_sms_at_most(setup: Setup) -> None:
    victim = "61616161"
    assert "kode" in up_to_the_phone(setup.webhook, uuid.uuid4().hex, victim)
    # Nobody typed the code back: a new conversation cannot send that number another SMS.
    reply = up_to_the_phone(setup.webhook, uuid.uuid4().hex, victim)
    assert "kan ikke sende en SMS-kode" in reply and "ikke booket" in reply
    assert [r["kind"] for r in setup.outbox(victim)] == ["code"]
    assert setup.bookings(victim) == []


def test_the_cancel_lock_out_holds_for_new_conversations(setup: Setup) -> None:
    phone = "71717171"
    booking = setup.book_the_last_offer("Ole", phone)
    for guess in ("20202020", "30303030", "40404040"):
        # Each guess in a new conversation, as a script would.
        sender = uuid.uuid4().hex
        ask(setup.webhook, "jeg vil aflyse min tid", sender)
        ask(setup.webhook, booking.reference, sender)
        ask(setup.webhook, guess, sender)
    sender = uuid.uuid4().hex
    ask(setup.webhook, "jeg vil aflyse min tid", sender)
    ask(setup.webhook, booking.reference, sender)
    reply = texts(ask(setup.webhook, phone, sender))
    assert "Ring til Fronten" in reply and "Vil du aflyse" not in reply
    assert [b.reference for b in setup.bookings(phone)] == [booking.reference]


def test_one_address_books_at_most_the_hourly_limit(setup: Setup) -> None:
    # The first test booked once from this address; one more is allowed.
    booked = book_with_code(setup, "81818181")
    assert "Bookingnummer" in booked
    refused = book_with_code(setup, "91919191")
    assert "mange tider fra din forbindelse" in refused
    assert setup.bookings("91919191") == []


def book_with_code(setup: Setup, phone: str) -> str:
    """A whole booking with the SMS code typed back; returns the last reply."""
    sender = uuid.uuid4().hex
    assert "kode" in up_to_the_phone(setup.webhook, sender, phone)
    assert "Skal jeg booke tiden?" in texts(ask(setup.webhook, setup.code(phone), sender))
    return texts(ask(setup.webhook, "ja", sender))
