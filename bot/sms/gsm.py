"""Text made safe for GSM-7, the SMS alphabet every Danish phone shows.

GSM-7 has æøåÆØÅ, §, £ and € (the euro as a two-character escape), but no curly quotes,
»«, dashes or emoji. One character outside it would switch the whole SMS to UCS-2, which
carries 67 characters a part instead of 153, so such characters are replaced before
sending.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

CODEC = "gsm03.38"

# Plain equivalents for characters Danish texts use that GSM-7 lacks.
REPLACEMENTS = {
    "»": '"',
    "«": '"',
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "´": "'",
    "`": "'",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "−": "-",
    "…": "...",
    "•": "*",
    "·": "*",
    "×": "x",
    "÷": "/",
    "\t": " ",
}


@lru_cache(maxsize=4096)
def is_gsm7_char(char: str) -> bool:
    """Whether one character can be sent as GSM-7 (basic table or escape)."""
    if char == "\n":
        return True
    if unicodedata.category(char) == "Cc":
        # Carriage return, form feed and escape are in the table but only confuse phones.
        return False
    try:
        char.encode(CODEC)
    except UnicodeError:
        return False
    return True


def is_gsm7(text: str) -> bool:
    """Whether the whole text can be sent as GSM-7."""
    return all(is_gsm7_char(char) for char in text)


@lru_cache(maxsize=4096)
def septets(char: str) -> int:
    r"""How many GSM-7 characters one character costs: 2 for €, [, ], {, }, ~, \, |, ^."""
    return len(char.encode(CODEC)) if is_gsm7_char(char) and char != "\n" else 1


def length(text: str) -> int:
    """The text's length as the SMS network counts it."""
    return sum(septets(char) for char in text)


@lru_cache(maxsize=4096)
def _replace(char: str) -> str:
    if is_gsm7_char(char):
        return char
    if char in REPLACEMENTS:
        return REPLACEMENTS[char]
    category = unicodedata.category(char)
    if category.startswith("Z"):
        return " "  # non-breaking and thin spaces
    # "é" is in GSM-7, "á" is not: keep the base letter of what has no place there.
    base = "".join(
        part
        for part in unicodedata.normalize("NFKD", char)
        if not unicodedata.combining(part) and is_gsm7_char(part)
    )
    if base:
        return base
    # A letter or digit from another script is shown, not silently dropped; emoji and
    # other symbols carry no words and are left out.
    return "?" if category[0] in "LN" else ""


def to_gsm7(text: str) -> str:
    r"""Replaces every character GSM-7 lacks with a plain equivalent, or drops it.

    Args:
        text: Any text.

    Returns:
        Text that encodes as GSM-7; Windows line ends become ``\n``.

    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(_replace(char) for char in text)
