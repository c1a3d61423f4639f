"""Whether a message asks to book, move or cancel an appointment, or only mentions one.

"Jeg vil gerne booke en tid" is a request. "Jeg har en tid i morgen, skal jeg have noget
med?", "min søn skal flytte til et botilbud" and "kan det være nok med en enkelt snak?"
mention appointments, moving and talks, but ask a question: they must be answered, not
start a form. A request names the act (book, bestil, aflys, flyt …) together with what is
booked (a time, a talk, an appointment), or is a short message with nothing else in it.

Inside the booking form, :func:`meeting_choice` reads whether the citizen wants to meet
at the office or by phone.
"""

from __future__ import annotations

import re

from bot.danish.text import fold

BOOK = "book_appointment"
CANCEL = "cancel_appointment"
MOVE = "move_appointment"
# The booking_meeting slot's values (and the meeting buttons' payloads).
IN_PERSON = "fronten"
BY_PHONE = "telefon"

# Short messages ("tid til samtale", "aflys tak") are requests when the classifier says so.
SHORT_REQUEST_WORDS = 4

# What is moved or cancelled: the citizen's own appointment, not a flat or a house.
_MINE = (
    r"(?:(?:min|mit|vores|den|det)\b|tiden|aftalen|samtalen|bookingen|moedet|tidspunktet|"
    r"datoen|dagen)"
)
# A kind of talk counts too: "en telefonsamtale", "en rådgivningssamtale".
_APPOINTMENT = r"(?:\w*samtale|tid|aftale|moede|snak|booking|raadgivning)\w*"
_REQUEST = {
    BOOK: re.compile(
        # "bokke", "boke": the word misspelt as citizens write it.
        r"\b(?:bo{1,2}k{1,2}\w*|bestil\w*|reserver\w*)\b"
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
        # "slet ikke" is "not at all": "jeg kan slet ikke overskue at flytte".
        r"\b(?:aflys\w*|afbestil\w*|annuller\w*|slet(?!\s+ikke)\w*|afbud)\b"
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


_BY_PHONE = re.compile(r"\b(telefon\w*|tlf|ring\w*|opkald)\b")
# Folded words for meeting in person; the office's street is added from its address.
_IN_PERSON = r"fronten|moed\w*|mode|fremmoede|fysisk|personligt|komme ind|kontoret"
_STREET = re.compile(r"[^\d,]+")


def meeting_choice(text: str, address: str = "") -> str | None:
    """How the citizen wants to meet: at the office or by phone.

    Args:
        text: The citizen's answer, or a meeting button's payload.
        address: The office's address from the knowledge base (street, number, postcode);
            its street name also means meeting in person.

    Returns:
        :data:`IN_PERSON` or :data:`BY_PHONE`, or None when the answer names neither or both.

    """
    folded = fold(text)
    street = _STREET.match(fold(address).strip())
    words = _IN_PERSON + (f"|{re.escape(street.group().strip())}" if street else "")
    by_phone = bool(_BY_PHONE.search(folded))
    in_person = bool(re.search(rf"\b({words})\b", folded))
    if by_phone == in_person:
        return None
    return BY_PHONE if by_phone else IN_PERSON
