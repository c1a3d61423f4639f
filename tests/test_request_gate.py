"""The request gate leaves messages whose intent is not clearly meant to the answer action."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.rasa.nlp import RequestGate

LONELY = "jeg sidder mest alene derhjemme og vil gerne mere ud blandt folk"


@pytest.mark.parametrize(
    ("text", "intent", "confidence", "expected"),
    [
        # A long situation that half fits "jeg vil ud af det her".
        (LONELY, "stop", 0.68, "nlu_fallback"),
        (LONELY, "stop", 0.85, "stop"),
        # Short commands keep their intent at any confidence.
        ("stop det her", "stop", 0.5, "stop"),
        # A request for a person often says why; it stays a request.
        ("jeg vil gerne tale med en medarbejder fordi min søn har det skidt", "human_handover", 0.7,
         "human_handover"),
        # A question that only mentions cancelling is answered; "slet ikke" is "not at all".
        ("jeg kan slet ikke overskue at flytte, kan I hjælpe?", "cancel_appointment", 0.9,
         "nlu_fallback"),
        ("slet min tid på fredag", "cancel_appointment", 0.6, "cancel_appointment"),
    ],
)  # fmt: skip
def test_the_gate(text: str, intent: str, confidence: float, expected: str) -> None:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence}})
    RequestGate().process([message])
    assert message.get("intent")["name"] == expected
