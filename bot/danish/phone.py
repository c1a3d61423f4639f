"""Danish phone numbers as citizens type them."""

from __future__ import annotations

import re

# Optional country code (+45 or 0045), then eight digits; Danish subscriber numbers never
# start with 0 or 1 (those are prefixes and service numbers). ASCII digits only: Python's
# \d also matches e.g. Arabic-Indic digits, which no SMS gateway can send to.
_NUMBER = re.compile(r"(?:\+45|0045)?([2-9][0-9]{7})")


def normalise_danish_mobile(text: str) -> str | None:
    """Turns a Danish phone number into its eight digits.

    Args:
        text: E.g. ``"+45 20 12 34 56"``, ``"2012-3456"`` or ``"0045 20123456"``.

    Returns:
        The eight digits, or None when the text is not a plausible Danish number.

    """
    cleaned = re.sub(r"[\s-]", "", text)
    match = _NUMBER.fullmatch(cleaned)
    return match.group(1) if match else None


def format_danish(number: str) -> str:
    """Writes eight digits in pairs, as Danes read them: ``20 12 34 56``."""
    return " ".join(number[i : i + 2] for i in range(0, len(number), 2))
