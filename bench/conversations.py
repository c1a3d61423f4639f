"""The scripted conversations the benchmark sends, and how a reply is judged.

Each conversation is a few messages a citizen might really send, most of them answered by a
custom action from the knowledge base (so every turn pays for the action server, the
knowledge queries and the tracker store). A follow-up such as "og hvad koster det?" depends
on the service set by the message before it. Every conversation stays far under the guard's
rate limit (30 messages a minute), and each one gets a new sender id.

The stock assistant (``rasa init``) gets its own English conversations, taken from its
training stories, so that both assistants answer what they were built for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

# Each message with the text its reply must contain ("" = any non-empty reply).
Script = Tuple[Tuple[str, str], ...]

SOURCE = "Kilde:"

OURS: Tuple[Script, ...] = (
    (
        ("hvordan søger jeg bostøtte?", SOURCE),
        ("og hvad koster det?", SOURCE),
        ("hvor lang tid tager det?", SOURCE),
        ("kan jeg klage over afgørelsen?", SOURCE),
    ),
    (
        ("hej", ""),
        ("hvor mange timer kan man få med en ledsagerordning?", SOURCE),
        ("hvem kan få det?", SOURCE),
        ("tak for hjælpen", ""),
    ),
    (
        ("hvem kan få BPA?", SOURCE),
        ("hvad indeholder det?", SOURCE),
        ("hvad er Frontens telefonnummer?", ""),
    ),
    (
        ("hvordan søger jeg om en støttekontaktperson?", SOURCE),
        ("hvor længe varer det?", SOURCE),
        ("og hvad med midlertidigt botilbud?", SOURCE),
    ),
    (
        ("hvad koster de forebyggende tilbud i Fronten?", SOURCE),
        ("hvordan klager jeg?", SOURCE),
    ),
)

STOCK: Tuple[Script, ...] = (
    (("hello", ""), ("I am sad", ""), ("yes", ""), ("bye", "")),
    (("hi", ""), ("very sad", ""), ("no", ""), ("goodbye", "")),
    (("hey", ""), ("I am feeling very good", ""), ("are you a bot?", ""), ("bye", "")),
    (("good morning", ""), ("perfect", ""), ("am I talking to a bot?", ""), ("see you", "")),
)

# Replies that mean the turn failed, whatever else they say.
FAILURES = ("teknisk fejl", "vent et øjeblik")


@dataclass(frozen=True)
class Verdict:
    """How one reply was judged."""

    ok: bool
    reason: str = ""


def judge(replies: Any, expected: str) -> Verdict:
    """Judges the REST channel's answer to one message.

    Args:
        replies: The decoded JSON body (a list of messages), or None when the request failed.
        expected: Text the reply must contain; empty for any non-empty reply.

    Returns:
        Whether the turn counts as answered, and why not.

    """
    if not isinstance(replies, list):
        return Verdict(False, "request failed")
    texts = [str(r.get("text", "")) for r in replies if isinstance(r, dict)]
    joined = "\n".join(texts)
    if not joined.strip() and not any(isinstance(r, dict) and r.get("buttons") for r in replies):
        return Verdict(False, "no reply")
    lowered = joined.lower()
    for failure in FAILURES:
        if failure in lowered:
            return Verdict(False, failure)
    if expected and expected not in joined:
        return Verdict(False, f"no '{expected}'")
    return Verdict(True)
