"""CPR numbers are removed from citizens' text before anything stores or reads it."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Collection, Dict, Optional

from stdnum.dk import cpr
from stdnum.exceptions import ValidationError

PLACEHOLDER = "[CPR-nummer fjernet]"

# What citizens put between groups of digits: spaces, and at most one hyphen or dash, slash
# or dot (with spaces around it or not).
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
_PUNCTUATION = f"[{_DASHES}/\uff0f.\uff0e]"
_GAP = rf"\s{{0,3}}(?:{_PUNCTUATION}\s{{0,3}})?"
# Ten digits with a gap of any of those kinds between any two of them.
_CANDIDATE = re.compile(rf"(?<!\d)\d(?:{_GAP}\d){{9}}(?!\d)")
# A digit right before or after the candidate, joined by punctuation: the candidate is part
# of a longer number ("03.12.2026 10.00", an account number), not a CPR number. A plain
# space does not join, so "mit cpr er 121188-4567 2 børn" is still found.
_JOINED_BEFORE = re.compile(rf"\d\s{{0,3}}{_PUNCTUATION}\s{{0,3}}$")
_JOINED_AFTER = re.compile(rf"\s{{0,3}}{_PUNCTUATION}\s{{0,3}}\d")


@dataclass(frozen=True)
class Redacted:
    """Text with its CPR numbers replaced.

    Attributes:
        text: The text with every CPR number replaced by :data:`PLACEHOLDER`.
        count: How many were replaced.

    """

    text: str
    count: int


def strip_format_characters(text: str) -> str:
    """Removes invisible format characters (Unicode category Cf).

    A zero-width space or soft hyphen inside a number would otherwise hide it from the
    pattern; they carry nothing a citizen meant to write.
    """
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _is_cpr(digits: str) -> bool:
    # Only the embedded date is checked: numbers issued since 2007 need not pass modulus 11.
    try:
        cpr.get_birth_date(digits)
    except ValidationError:
        return False
    return True


def redact_cpr(text: str) -> Redacted:
    """Replaces every CPR number in the text.

    Format characters are removed first. A CPR number is ten digits whose first six are a
    real date (DDMMYY), with spaces, a hyphen or dash, a slash or a dot between any of them,
    and not part of a longer number.

    Args:
        text: Anything a citizen wrote.

    Returns:
        The redacted text and how many numbers were removed.

    """
    text = strip_format_characters(text)
    parts: list[str] = []
    count, done, pos = 0, 0, 0
    # Searched by hand, not with re.sub: a rejected candidate ("99 12 11 88 45" before
    # " 67") must not hide a CPR number that overlaps it.
    while (match := _CANDIDATE.search(text, pos)) is not None:
        if _is_cpr_at(match):
            parts += [text[done : match.start()], PLACEHOLDER]
            count += 1
            done = pos = match.end()
        else:
            pos = match.start() + 1
    parts.append(text[done:])
    return Redacted("".join(parts), count)


def _is_cpr_at(match: re.Match[str]) -> bool:
    source = match.string
    if _JOINED_BEFORE.search(source, max(0, match.start() - 8), match.start()):
        return False
    if _JOINED_AFTER.match(source, match.end()):
        return False
    # Digits of any script match; the date check wants ASCII ones.
    digits = "".join(str(unicodedata.decimal(c)) for c in match.group(0) if c.isdecimal())
    return _is_cpr(digits)


# Rasa's own pattern for ``/intent@confidence{"entity": "value"}`` messages (button payloads),
# YAMLStoryReader._regex_message_pattern; copied so that the SMS worker and the web app need
# not import Rasa (tests/test_privacy.py checks that they are the same).
INTENT_MESSAGE_PREFIX = "/"
INTENT_MESSAGE = re.compile(
    r"^/(?P<name>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>{.+})?(?P<rest>.*)"
)
# Entity values the assistant's buttons send are short ids ("85", "85.target", "bpa").
MAX_ENTITY_VALUE_LENGTH = 100
MAX_ENTITY_VALUE_DIGITS = 6


def redact_intent_message(text: str, entity_names: Collection[str]) -> Redacted:
    r"""Rewrites a ``/intent{…}`` message so that no entity can carry a CPR number.

    Rasa decodes the JSON (escapes such as ``\u0031`` included) and stores every entity
    value as written, out of reach of a redaction of the raw text. The message is rebuilt
    from its decoded entities: only the domain's entity names are kept, each value is
    redacted, a value that is not a short text or number, or has more than
    :data:`MAX_ENTITY_VALUE_DIGITS` digits, is dropped, and anything after the entities goes.

    Args:
        text: A message; one that does not start with ``/`` is returned as it is.
        entity_names: The entity names of the domain.

    Returns:
        The rebuilt message and how many CPR numbers were removed from entity values.

    """
    stripped = text.strip()
    match = INTENT_MESSAGE.match(stripped)
    if match is None:
        return Redacted(text, 0)
    count = 0
    kept: Dict[str, Any] = {}
    for name, value in _decoded_entities(match.group("entities")).items():
        values = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                continue
            if isinstance(item, str) and len(item) > MAX_ENTITY_VALUE_LENGTH:
                continue
            redacted = redact_cpr(str(item))
            count += redacted.count
            if isinstance(item, str):
                item = redacted.text
            elif redacted.count:
                continue
            if sum(c.isdecimal() for c in str(item)) <= MAX_ENTITY_VALUE_DIGITS:
                values.append(item)
        if name in entity_names and values:
            kept[name] = values if isinstance(value, list) else values[0]
    rebuilt = INTENT_MESSAGE_PREFIX + match.group("name").strip()
    rebuilt += match.group("confidence") or ""
    if kept:
        # As the assistant's own buttons spell it (bot/actions/base.py), so they stay as sent.
        rebuilt += json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
    return Redacted(rebuilt, count)


def _decoded_entities(raw: Optional[str]) -> Dict[str, Any]:
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
