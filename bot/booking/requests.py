"""Whether a message asks to book, move or cancel an appointment, or only mentions one.

"Jeg vil gerne booke en tid" is a request. "Jeg har en tid i morgen, skal jeg have noget
med?", "min søn skal flytte til et botilbud" and "kan det være nok med en enkelt snak?"
mention appointments, moving and talks, but ask a question: they must be answered, not
start a form. A request names the act (book, bestil, aflys, flyt …) together with what is
booked (a time, a talk, an appointment), or is a short message with nothing else in it.
"""

from __future__ import annotations

import re

from bot.danish.text import fold

BOOK = "book_appointment"
CANCEL = "cancel_appointment"
MOVE = "move_appointment"

# Short messages ("tid til samtale", "aflys tak") are requests when the classifier says so.
SHORT_REQUEST_WORDS = 4

# What is moved or cancelled: the citizen's own appointment, not a flat or a house.
_MINE = (
    r"(?:min |mit |vores |den |det |tiden|aftalen|samtalen|bookingen|moedet|tidspunktet|"
    r"datoen|dagen)"
)
_APPOINTMENT = r"(?:tid|samtale|aftale|moede|snak|booking|raadgivning)\w*"
_REQUEST = {
    BOOK: re.compile(
        r"\b(?:book\w*|bestil\w*|reserver\w*)\b"
        r"|\b(?:faa|fa|have|gerne|oensker|onsker|vil|ville|kan|maa|ma|skal)\s+"
        r"(?:have\s+|faa\s+|fa\s+|bestille\s+|lave\s+)?(?:en|et)\s+(?:ny\s+)?"
        + _APPOINTMENT
        + r"|\b(?:tale|snakke|moedes|mode|snak)\s+med\s+(?:en|et|jeres|jer|nogen|"
        r"raadgiver\w*|radgiver\w*|medarbejder\w*|vejleder\w*)"
        + r"|\bbrug for\s+(?:en\s+)?"
        + _APPOINTMENT
        + r"|\bkomme\s+(?:ind|forbi|ned)\s+(?:til\s+)?(?:en|et)\s+"
        + _APPOINTMENT
        + r"|\b(?:ledig|ledige|fri|frie)\s+tid"
    ),
    CANCEL: re.compile(
        r"\b(?:aflys\w*|afbestil\w*|annuller\w*|slet\w*|afbud)\b"
        r"|\bkan ikke komme (?:paa|i morgen|i dag|om|til " + _MINE + r")"
        r"|\b(?:droppe|opsige)\s+" + _MINE
    ),
    MOVE: re.compile(
        r"\b(?:flyt\w*|rykke\w*|ryk|udskyde\w*|aendre\w*|skifte\w*|omlaegge\w*)\s+"
        + _MINE
        + r"|\b(?:anden|ny|nyt|senere|tidligere)\s+(?:tid|tidspunkt|dag)\b"
    ),
}


def is_request(text: str, intent: str) -> bool:
    """Whether the message clearly asks for what its intent says.

    Args:
        text: The citizen's message.
        intent: ``book_appointment``, ``cancel_appointment`` or ``move_appointment``.

    Returns:
        True for a request, or a short message without a question mark.

    """
    folded = " ".join(fold(text).split())
    pattern = _REQUEST.get(intent)
    if pattern is None:
        return True
    if pattern.search(folded):
        return True
    return len(folded.split()) <= SHORT_REQUEST_WORDS and "?" not in folded
