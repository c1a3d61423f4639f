"""Booking references a citizen can read aloud over the phone without mix-ups."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: they are confused when read aloud or written by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6

_REFERENCE = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def new_reference() -> str:
    """A fresh random reference, e.g. ``"K7QX2M"`` (31^6, about 890 million, possible)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_reference(text: str) -> str | None:
    """Cleans a reference as a citizen typed it.

    Args:
        text: E.g. ``"k7q x2m"`` or ``"K7Q-X2M"``.

    Returns:
        The reference in upper case without spaces or hyphens, or None when it cannot be one.

    """
    cleaned = re.sub(r"[\s-]", "", text).upper()
    return cleaned if _REFERENCE.fullmatch(cleaned) else None
