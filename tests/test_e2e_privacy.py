"""The REST channel on the real Rasa server: what is stored, logged, sent on and refused.

The action server here is a small stand-in that records what Rasa sends it and can be made
slow, so that a browser can hang up in the middle of a turn.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import sqlite3
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bot.danish.cpr import PLACEHOLDER
from bot.rasa.channels.guard import CLIENT_KEY, load_texts
from tests.servers import Ports, assistant_ports, free_port, rasa_server

pytestmark = pytest.mark.slow
TEXTS = load_texts()
SECRET = "e2e-client-key-secret"
CITIZEN = "203.0.113.7"  # as the trusted proxy forwards it
PER_HOUR = 3


class ActionServer(BaseHTTPRequestHandler):
    """Answers every action with one text; slow when the message asks it to be."""

    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ActionServer.calls.append(call)
        if "langsomt" in (call["tracker"]["latest_message"].get("text") or ""):
            time.sleep(4)
        body = json.dumps({"events": [], "responses": [{"text": "Svar fra handlingen."}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body.encode())
        except BrokenPipeError:
            pass  # Rasa stopped at the end of the module, mid-call

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("privacy")


@pytest.fixture(scope="module")
def ports(folder: Path) -> Iterator[Ports]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), ActionServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    yield assistant_ports(
        folder,
        {
            "ACTION_ENDPOINT_URL": url,
            "PROXIES_COUNT": "1",
            "CLIENT_KEY_SECRET": SECRET,
            "NEW_CONVERSATIONS_PER_HOUR": str(PER_HOUR),
            "BOOKING_DB": str(folder / "bookings.db"),
        },
    )
    server.shutdown()


@pytest.fixture(scope="module")
def rasa(ports: Ports, folder: Path) -> Iterator[object]:
    with rasa_server(ports, folder / "rasa.log") as process:
        yield process


def post(ports: Ports, body: Any, address: str = "", **kwargs: Any) -> requests.Response:
    # Every citizen but one comes from an address of their own, as the proxy says.
    headers = {"X-Forwarded-For": address or f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    return requests.post(ports.webhook, json=body, headers=headers, timeout=30, **kwargs)


def stored(folder: Path, sender: str) -> list[dict[str, Any]]:
    with sqlite3.connect(folder / "tracker.db") as conn:
        rows = conn.execute("select data from events where sender_id = ?", (sender,))
        return [json.loads(data) for (data,) in rows]


def digits(value: Any) -> str:
    return re.sub(r"\D", "", json.dumps(value, ensure_ascii=False))


def test_an_escaped_cpr_number_in_an_intent_goes_nowhere(ports: Ports, folder: Path, rasa) -> None:
    sender = uuid.uuid4().hex
    message = '/ask_cost{"paragraph":"\\u0031211884567"}'
    response = post(ports, {"sender": sender, "message": message})
    assert response.status_code == 200
    replies = [m.get("text") for m in response.json()]
    assert replies == [TEXTS["utter_guard_cpr_removed"], "Svar fra handlingen."]
    users = [e for e in stored(folder, sender) if e["event"] == "user"]
    assert [e["text"] for e in users] == [f'/ask_cost{{"paragraph":"{PLACEHOLDER}"}}']
    assert [e["parse_data"]["entities"][0]["value"] for e in users] == [PLACEHOLDER]
    assert "1211884567" not in digits(stored(folder, sender))
    sent = [c for c in ActionServer.calls if c["sender_id"] == sender]
    assert sent and "1211884567" not in digits(sent)


def test_the_assistants_own_button_still_works(ports: Ports, folder: Path, rasa) -> None:
    sender = uuid.uuid4().hex
    response = post(ports, {"sender": sender, "message": '/ask_cost{"service":"85"}'})
    assert [m.get("text") for m in response.json()] == ["Svar fra handlingen."]
    user = next(e for e in stored(folder, sender) if e["event"] == "user")
    assert user["parse_data"]["intent"]["name"] == "ask_cost"
    assert [(e["entity"], e["value"]) for e in user["parse_data"]["entities"]] == [
        ("service", "85")
    ]


def test_a_browser_that_hangs_up_leaves_no_cpr_number_in_the_log(
    ports: Ports, folder: Path, rasa
) -> None:
    sender = uuid.uuid4().hex
    body = json.dumps(
        {"sender": sender, "message": "Mit cpr er 12-11-88-4567, svar langsomt om bostøtte"}
    ).encode()
    with socket.create_connection(("127.0.0.1", ports.bot_port)) as browser:
        browser.sendall(
            b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nX-Forwarded-For: 198.51.100.77\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        time.sleep(1.5)  # the turn waits for the slow action
    log = folder / "rasa.log"
    deadline = time.monotonic() + 20
    while "rest.message.received.timeout" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    text = log.read_text()
    assert "rest.message.received.timeout" in text
    assert "1211884567" not in re.sub(r"\D", "", text)
    assert "Mit cpr er [CPR-nummer fjernet], svar langsomt" in text


def test_bounded_requests(ports: Ports, rasa) -> None:
    big = {"sender": uuid.uuid4().hex, "message": "hvad koster bostøtte? " * 10_000}
    assert post(ports, big).status_code == 413
    assert post(ports, {"message": "hvad koster bostøtte?"}).status_code == 400
    assert post(ports, {"sender": "x" * 129, "message": "hej"}).status_code == 400
    long = post(ports, {"sender": "x" * 128, "message": "hvad koster bostøtte? " * 100})
    assert long.status_code == 200
    assert long.json()[0]["text"] == TEXTS["utter_guard_message_cut"].format(max_length=1000)


def test_new_conversations_per_address_and_the_client_key(ports: Ports, rasa) -> None:
    senders = [uuid.uuid4().hex for _ in range(PER_HOUR + 1)]
    # A client cannot choose its address: the proxy appends the one it sees.
    replies = [
        post(ports, {"sender": s, "message": "hvad koster bostøtte?"}, f"10.9.8.7, {CITIZEN}")
        for s in senders
    ]
    texts = [[m.get("text") for m in r.json()] for r in replies]
    assert texts[:PER_HOUR] == [["Svar fra handlingen."]] * PER_HOUR
    assert texts[PER_HOUR] == [TEXTS["utter_guard_too_many_conversations"]]
    # A running conversation goes on, and a citizen at another address is not affected.
    again = post(ports, {"sender": senders[0], "message": "og BPA?"}, CITIZEN).json()
    assert [m.get("text") for m in again] == ["Svar fra handlingen."]
    other = post(ports, {"sender": senders[-1], "message": "og BPA?"}, "198.51.100.200").json()
    assert [m.get("text") for m in other] == ["Svar fra handlingen."]
    # The action server gets a keyed hash of the address, never the address.
    key = hmac.new(SECRET.encode(), CITIZEN.encode(), hashlib.sha256).hexdigest()[:32]
    sent = [c for c in ActionServer.calls if c["sender_id"] == senders[0]]
    assert {c["tracker"]["latest_message"]["metadata"][CLIENT_KEY] for c in sent} == {key}
    assert CITIZEN not in json.dumps(sent)
