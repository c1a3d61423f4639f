"""Text folding: æ, ø and å spelt as citizens without a Danish keyboard spell them."""

from __future__ import annotations

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe", "ä": "ae"})


def fold(text: str) -> str:
    """Lower-cases and spells æ, ø and å as ae, oe and aa, as citizens often type them.

    Args:
        text: Any text.

    Returns:
        The folded text.

    """
    return text.lower().translate(_FOLD)
