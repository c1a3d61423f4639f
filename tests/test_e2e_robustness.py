"""End to end on real servers: privacy, limits, restarts and a failing action server."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cpr_strategies import cpr_numbers
from tests.servers import Ports, action_server, assistant_ports, rasa_server

pytestmark = pytest.mark.slow
API_TOKEN = "e2e-api-token"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("robust")


@pytest.fixture(scope="module")
def ports(folder: Path) -> Ports:
    return assistant_ports(
        folder,
        {
            "RASA_API_TOKEN": API_TOKEN,
            "RATE_LIMIT_PER_MINUTE": "20",
            "MAX_MESSAGE_LENGTH": "1000",
            "BOOKING_DB": str(folder / "bookings.db"),
        },
    )


@pytest.fixture(scope="module")
def actions(ports: Ports, folder: Path) -> Iterator[object]:
    with action_server(ports, folder / "actions.log") as process:
        yield process


@pytest.fixture(scope="module")
def rasa(ports: Ports, folder: Path, actions) -> Iterator[object]:
    with rasa_server(ports, folder / "rasa.log") as process:
        yield process


def ask(ports: Ports, text: str, sender: str) -> list[str]:
    response = requests.post(ports.webhook, json={"sender": sender, "message": text}, timeout=30)
    assert response.status_code == 200
    return [m.get("text", "") for m in response.json()]


def test_http_api_needs_the_token(ports: Ports, rasa) -> None:
    assert requests.get(f"{ports.base}/status", timeout=10).status_code == 401
    wrong = requests.get(f"{ports.base}/status", params={"token": "gæt"}, timeout=10)
    assert wrong.status_code == 401
    right = requests.get(f"{ports.base}/status", params={"token": API_TOKEN}, timeout=10)
    assert right.status_code == 200


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(number=cpr_numbers(), question=st.sampled_from(
    ["hvad koster bostøtte?", "hvordan søger jeg BPA", "jeg vil gerne booke en tid"]
))  # fmt: skip
def test_no_cpr_is_stored_logged_or_echoed(
    ports: Ports, folder: Path, rasa, number: tuple[str, str], question: str
) -> None:
    spelt, digits = number
    replies = ask(ports, f"mit cpr-nummer er {spelt} og {question}", uuid.uuid4().hex)
    assert "CPR-nummer" in replies[0]  # told kindly
    assert len(replies) > 1  # and the question is still answered
    assert digits not in re.sub(r"\D", "", " ".join(replies))
    with sqlite3.connect(folder / "tracker.db") as conn:
        stored = " ".join(str(row) for row in conn.execute("select data from events"))
    assert digits not in re.sub(r"\D", "", stored)
    for log in ("rasa.log", "actions.log"):
        assert digits not in re.sub(r"\D", "", (folder / log).read_text())


def test_long_message_is_cut(ports: Ports, rasa) -> None:
    replies = ask(ports, "hvad koster bostøtte? " + "bla " * 600, uuid.uuid4().hex)
    assert "1000 tegn" in replies[0]
    assert len(replies) > 1


def test_flood_is_slowed_down(ports: Ports, rasa) -> None:
    sender = uuid.uuid4().hex
    replies = [ask(ports, "hej", sender) for _ in range(21)]
    assert all("hurtigt" not in r[0] for r in replies[:20])
    assert "hurtigt" in replies[20][0]


def test_conversation_survives_a_restart(ports: Ports, folder: Path, actions, rasa) -> None:
    sender = uuid.uuid4().hex
    assert "Kilde:" in " ".join(ask(ports, "hvad koster bostøtte?", sender))
    rasa.terminate()
    rasa.wait(timeout=30)
    with rasa_server(ports, folder / "rasa-restarted.log"):
        # "det" is bostøtte, remembered in the SQL tracker store across the restart.
        follow_up = " ".join(ask(ports, "og hvor lang tid tager sagsbehandlingen?", sender))
        assert "30 hverdage" in follow_up
        actions.terminate()
        actions.wait(timeout=30)
        # The action server is down: a clear Danish message, never silence.
        down = " ".join(ask(ports, "hvordan søger jeg bostøtte?", uuid.uuid4().hex))
        assert "teknisk fejl" in down and "44 77 34 43" in down
