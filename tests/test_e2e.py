"""End to end: the real Rasa and action servers on free loopback ports, over HTTP."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest
import requests

from tests.servers import assistant

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def webhook(tmp_path_factory) -> Iterator[str]:
    with assistant(tmp_path_factory.mktemp("e2e")) as url:
        yield url


def ask(webhook: str, text: str, sender: str | None = None) -> list[dict]:
    response = requests.post(
        webhook, json={"sender": sender or uuid.uuid4().hex, "message": text}, timeout=30
    )
    assert response.status_code == 200
    return response.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Kan jeg klage over et forløb i Fronten efter § 82 a?", "klage"),
        ("hvordan søger jeg bostøtte", "44 77 34 43"),
        ("hvem kan få BPA?", "20 timer"),
        ("hvor mange timer ledsagelse kan jeg få med ledsagerordning", "15 timer"),
        ("hvem kan få en støtte-kontaktperson", "misbrug"),
        ("hvem kan få dækning af merudgifter", "556"),
        ("hvor mange dage om ugen er beskyttet beskæftigelse", "1-4"),
        ("hvor mange dage kan man komme i et aktivitets- og samværstilbud", "1-4"),
        ("hvor længe kan man bo i et midlertidigt botilbud", "to år"),
        ("hvad er et længerevarende botilbud", "§ 108"),
    ],
)
def test_one_question_per_service(webhook: str, question: str, expected: str) -> None:
    replies = ask(webhook, question)
    # The source travels in the same message as the fact, also on channels that split.
    assert any(
        expected.lower() in r.get("text", "").lower() and "Kilde:" in r.get("text", "")
        for r in replies
    ), texts(replies)


def test_follow_up_keeps_the_service(webhook: str) -> None:
    sender = uuid.uuid4().hex
    first = texts(ask(webhook, "hvad koster bostøtte?", sender))
    assert "egenbetaling" in first.lower() or "gratis" in first.lower()
    second = texts(ask(webhook, "og hvor lang tid tager sagsbehandlingen?", sender))
    assert "30 hverdage" in second


def test_preventive_offers_say_there_is_no_complaint(webhook: str) -> None:
    sender = uuid.uuid4().hex
    ask(webhook, "jeg går i et gruppeforløb i Fronten", sender)
    reply = texts(ask(webhook, "hvordan klager jeg?", sender))
    assert "Ankestyrelsen" not in reply
    assert "klage" in reply.lower() and ("ikke" in reply.lower() or "ingen" in reply.lower())


def test_missing_service_gives_buttons(webhook: str) -> None:
    [reply] = ask(webhook, "hvad koster det?")
    assert len(reply["buttons"]) == 10
    assert reply["buttons"][0]["payload"].startswith("/ask_cost{")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "x" * 10_000,
        "😀🙈🎉",
        "<script>alert('x')</script>",
        '" * ( ) AND NEAR',
        "hvad koster § 999",
        "hvad koster en hundelufterordning",
        "asdf qwer zxcv",
    ],
)
def test_bad_input_gets_a_danish_answer(webhook: str, text: str) -> None:
    reply = texts(ask(webhook, text))
    assert reply.strip(), "the citizen must never be left in silence"
    assert "Traceback" not in reply and "Exception" not in reply
    assert "<script>" not in reply
