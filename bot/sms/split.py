"""Long replies cut into SMS parts at word boundaries, and shortened past a maximum."""

from __future__ import annotations

import re
from typing import List

from bot.sms import gsm
from bot.sms.settings import PART_LIMIT

# Split only at whitespace, and never inside a phone number (four pairs of digits) or a paragraph
# ("§ 85"): a number cut over two SMS is easily misread. Links are single tokens anyway.
_PROTECTED = r"(?:\+45 ?)?(?<![\d+])\d{2}(?: \d{2}){3}(?!\d)|§+ ?\d+"
_TOKENS = re.compile(rf"\S*(?:{_PROTECTED})\S*|\S+|\s+")
ELLIPSIS = "..."


def split_sms(text: str, limit: int = PART_LIMIT) -> List[str]:
    """Cuts GSM-7 text into parts of at most ``limit`` GSM-7 characters.

    Parts end at whitespace, so words, links, phone numbers and "§ 85" stay whole; a
    short last line moves to the next part, so a numbered choice is never cut in two. Line
    breaks inside a part are kept. Only a single word longer than a whole part (which no
    reply contains) is cut.

    Args:
        text: Text already passed through :func:`bot.sms.gsm.to_gsm7`.
        limit: The most GSM-7 characters in one part.

    Returns:
        The parts, without whitespace at their ends; empty for blank text.

    """
    parts: List[str] = []
    current, size = "", 0
    gap, gap_size = "", 0
    for token in _TOKENS.findall(text):
        token_size = gsm.length(token)
        if token.isspace():
            if current:
                gap, gap_size = gap + token, gap_size + token_size
            continue
        if current and size + gap_size + token_size <= limit:
            current, size = current + gap + token, size + gap_size + token_size
        else:
            carry = ""
            if current:
                current, carry = _last_line_apart(current, limit)
                parts.append(current)
            pieces = _cut_word(token, limit) if token_size > limit else [token]
            if carry and len(pieces) == 1:
                joined = carry + gap + pieces[0]
                pieces = [joined] if gsm.length(joined) <= limit else [carry, pieces[0]]
            elif carry:
                parts.append(carry)
            parts.extend(pieces[:-1])
            current, size = pieces[-1], gsm.length(pieces[-1])
        gap, gap_size = "", 0
    if current:
        parts.append(current)
    return parts


def _last_line_apart(part: str, limit: int) -> tuple[str, str]:
    """Moves a short last line to the next part, so "1. Bostøtte" is never cut in two."""
    head, newline, last = part.rpartition("\n")
    if not newline or not head.strip() or not last.strip() or gsm.length(last) > limit // 2:
        return part, ""
    return head.rstrip(), last.lstrip()


def _cut_word(word: str, limit: int) -> List[str]:
    pieces, piece, size = [], "", 0
    for char in word:
        cost = gsm.septets(char)
        if size + cost > limit:
            pieces.append(piece)
            piece, size = "", 0
        piece, size = piece + char, size + cost
    pieces.append(piece)
    return pieces


def fit(body: str, tail: str, note: str, max_parts: int, limit: int = PART_LIMIT) -> List[str]:
    """Splits ``body`` plus ``tail``; past ``max_parts`` the body is shortened.

    The tail (the numbered choices) is never shortened, so every number the citizen may
    answer is shown. A shortened body ends with an ellipsis and ``note``, which says where
    to get the rest.

    Args:
        body: The reply's text, GSM-7.
        tail: Text that must be sent whole after the body (may be empty), GSM-7.
        note: Appended to a shortened body, GSM-7.
        max_parts: The most parts allowed.
        limit: The most GSM-7 characters in one part.

    Returns:
        At most ``max_parts`` parts (more only if the tail and note alone need more).

    """
    whole = split_sms(_join(body, tail), limit)
    if len(whole) <= max_parts:
        return whole
    tokens = _TOKENS.findall(body)
    # ends[n] is where the body's first n words end, so cuts fall between whole words.
    ends = [0] + [i + 1 for i, token in enumerate(tokens) if not token.isspace()]

    def attempt(count: int) -> List[str]:
        kept = "".join(tokens[: ends[count]]).rstrip()
        shortened = f"{kept}{ELLIPSIS}\n{note}" if kept else note
        return split_sms(_join(shortened, tail), limit)

    # Binary search for the most words that still fit; fewer words never need more parts.
    low, high = 0, len(ends) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if len(attempt(middle)) <= max_parts:
            low = middle
        else:
            high = middle - 1
    return attempt(low)


def _join(body: str, tail: str) -> str:
    return f"{body}\n{tail}" if body and tail else body or tail
