"""CPR numbers never survive redaction, in any common spelling, inside any text."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from bot.actions.base import intent_payload
from bot.danish.cpr import (
    INTENT_MESSAGE,
    PLACEHOLDER,
    Redacted,
    redact_cpr,
    redact_intent_message,
    strip_format_characters,
)
from tests.cpr_strategies import (
    cpr_digits,
    cpr_numbers,
    danish,
    spellings,
)


@pytest.mark.parametrize(
    "cpr",
    ["010190-1234", "0101901234", "010190 1234", "01 01 90 1234", "01 01 90-1234", "311299–4321"],
)
def test_formats(cpr: str) -> None:
    result = redact_cpr(f"mit cpr er {cpr}, hvad koster bostøtte?")
    assert result.text == f"mit cpr er {PLACEHOLDER}, hvad koster bostøtte?"
    assert result.count == 1


@pytest.mark.parametrize(
    "text",
    [
        "ring på 20 12 34 56",  # a phone number
        "+45 20123456",
        "320190-1234",  # day 32 is no date
        "011390-1234",  # month 13
        "12345678901234",  # part of a longer number
        "bookingnummer K7QX2M",
        "44 77 34 43",
    ],
)
def test_other_numbers_are_kept(text: str) -> None:
    assert redact_cpr(text).text == text


@given(before=danish, number=cpr_numbers(), after=danish)
def test_no_cpr_survives(before: str, number: tuple[str, str], after: str) -> None:
    spelt, digits = number
    result = redact_cpr(f"{before} {spelt} {after}")
    assert result.count == 1
    assert digits not in re.sub(r"\D", "", result.text)
    # The words around the number are kept, so the question can still be answered.
    assert result.text == f"{before} {PLACEHOLDER} {after}"


@pytest.mark.parametrize(
    "cpr",
    [
        "12-11-88-4567",
        "12 11 88 45 67",
        "12/11/88-4567",
        "121188\u200b4567",  # zero-width space
        "121188\u00ad4567",  # soft hyphen
        "12118 84567",
        "12.11.88.4567",
        "1211\u2060884567",  # word joiner
    ],
)
def test_spellings_from_the_issue(cpr: str) -> None:
    result = redact_cpr(f"Mit cpr-nummer er {cpr}. Kan jeg få bostøtte?")
    assert result.text == f"Mit cpr-nummer er {PLACEHOLDER}. Kan jeg få bostøtte?"
    assert result.count == 1


def test_overlapping_numbers_do_not_hide_a_cpr_number() -> None:
    # "99 12 11 88 45" is no date, and must not swallow the start of the real number.
    assert redact_cpr("kunde 99 12 11 88 45 67").text == f"kunde 99 {PLACEHOLDER}"


@st.composite
def impossible_dates(draw: st.DrawFn) -> str:
    day = draw(st.sampled_from([0, *range(32, 100)]))
    return f"{day:02d}{draw(st.integers(1, 12)):02d}{draw(st.integers(0, 999_999)):06d}"


@given(before=danish, spelt=impossible_dates().flatmap(spellings), after=danish)
def test_impossible_dates_are_kept(before: str, spelt: str, after: str) -> None:
    text = f"{before} {spelt} {after}"
    assert redact_cpr(text) == Redacted(strip_format_characters(text), 0)


@given(spelt=st.integers(10_000_000, 99_999_999).map(str).flatmap(spellings))
def test_phone_numbers_are_kept(spelt: str) -> None:
    text = f"Ring til mig på {spelt}, tak"
    assert redact_cpr(text) == Redacted(strip_format_characters(text), 0)


@given(
    digits=cpr_digits(),
    extra=st.text(alphabet="0123456789", min_size=1, max_size=4),
    at_start=st.booleans(),
)
def test_longer_digit_runs_are_kept(digits: str, extra: str, at_start: bool) -> None:
    run = extra + digits if at_start else digits + extra
    assert redact_cpr(f"kontonummer {run}").count == 0


@pytest.mark.parametrize(
    "text",
    [
        "kan jeg komme den 03.12.2026 10.00?",  # a date and a time, not a CPR number
        "2026-12-03T10:00:00+01:00",  # a slot button's payload
        "tirsdag 1.12.2026 kl. 9.45",
        "konto 1234-0012345678",
    ],
)
def test_dates_times_and_accounts_are_kept(text: str) -> None:
    assert redact_cpr(text) == Redacted(text, 0)


ENTITIES = {"service", "paragraph", "topic", "fact"}


def test_the_intent_pattern_is_rasas() -> None:
    rasa_pattern = YAMLStoryReader._regex_message_pattern()
    assert (INTENT_MESSAGE.pattern, INTENT_MESSAGE.flags) == (
        rasa_pattern.pattern,
        rasa_pattern.flags,
    )


def test_an_escaped_cpr_number_in_an_entity_is_removed() -> None:
    result = redact_intent_message('/ask_cost{"paragraph":"\\u0031211884567"}', ENTITIES)
    assert result == Redacted(f'/ask_cost{{"paragraph":"{PLACEHOLDER}"}}', 1)


@pytest.mark.parametrize(
    "payload",
    [
        intent_payload("inform_service", fact="85.target"),
        intent_payload("ask_cost", service="85"),
        intent_payload("ask_apply", service="bostøtte"),
        intent_payload("inform_service", service="108"),
        "/ask_cost",
        "/ask_cost@0.8",
    ],
)
def test_the_assistants_own_buttons_are_kept(payload: str) -> None:
    assert redact_intent_message(payload, ENTITIES) == Redacted(payload, 0)


@pytest.mark.parametrize(
    ("text", "rebuilt"),
    [
        ('/ask_cost{"telefon":"20123456","service":"85"}', '/ask_cost{"service":"85"}'),
        ('/ask_cost{"service":{"nested":"1211884567"}}', "/ask_cost"),
        ('/ask_cost{"service":"12118\\"84567"}', "/ask_cost"),  # a quote inside the number
        ('/ask_cost{"service":1211884567}', "/ask_cost"),
        ('/ask_cost{"service":["85","bpa"]} og mere tekst', '/ask_cost{"service":["85","bpa"]}'),
        ('/ask_cost{"service": "85"', "/ask_cost"),  # not JSON
        ("  /ask_cost  ", "/ask_cost"),
    ],
)
def test_unexpected_entities_are_dropped(text: str, rebuilt: str) -> None:
    assert redact_intent_message(text, ENTITIES).text == rebuilt


def escaped(text: str, escape: list[bool]) -> str:
    """JSON string content with some characters written as \\uXXXX escapes."""
    out = json.dumps(text, ensure_ascii=False)[1:-1]
    pairs = zip(out, escape, strict=False)
    return "".join(f"\\u{ord(c):04x}" if e and c.isdigit() else c for c, e in pairs)


@given(number=cpr_numbers(), escape=st.lists(st.booleans(), min_size=80, max_size=80))
def test_no_cpr_survives_in_intent_entities(number: tuple[str, str], escape: list[bool]) -> None:
    spelt, digits = number
    text = f'/ask_cost{{"paragraph":"{escaped(spelt, escape)}"}}'
    assert json.loads(text[len("/ask_cost") :])["paragraph"] == spelt  # as Rasa decodes it
    result = redact_intent_message(text, ENTITIES)
    value = json.loads(result.text[len("/ask_cost") :])["paragraph"]
    assert value == PLACEHOLDER and result.count == 1
