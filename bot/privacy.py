"""CPR numbers are removed from citizens' text before anything stores or reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.dk import cpr
from stdnum.exceptions import ValidationError

PLACEHOLDER = "[CPR-nummer fjernet]"

# DDMMYY then four digits, with an optional hyphen and spaces or dots between the groups;
# not inside a longer run of digits (an account or phone number).
_CANDIDATE = re.compile(r"(?<![\d])(\d{2})[ .]?(\d{2})[ .]?(\d{2})\s?[-‐‑–—]?\s?(\d{4})(?![\d])")


@dataclass(frozen=True)
class Redacted:
    """Text with its CPR numbers replaced.

    Attributes:
        text: The text with every CPR number replaced by :data:`PLACEHOLDER`.
        count: How many were replaced.

    """

    text: str
    count: int


def _is_cpr(digits: str) -> bool:
    # Only the embedded date is checked: numbers issued since 2007 need not pass modulus 11.
    try:
        cpr.get_birth_date(digits)
    except ValidationError:
        return False
    return True


def redact_cpr(text: str) -> Redacted:
    """Replaces every CPR number in the text.

    Args:
        text: Anything a citizen wrote.

    Returns:
        The redacted text and how many numbers were removed.

    """
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if not _is_cpr("".join(match.groups())):
            return match.group(0)
        count += 1
        return PLACEHOLDER

    redacted = _CANDIDATE.sub(replace, text)
    return Redacted(redacted, count)
