"""STOP by SMS: the number gets no more SMS from the assistant until it writes again."""

from __future__ import annotations

import datetime as dt
import re

from bot.sms.repository import OptOuts, Outbox, SmsDatabase

# "STOP" alone (or "stop sms", "afmeld"), in any case; "stop det" is an ordinary message.
_STOP = re.compile(r"\s*(?:stop|stop sms|afmeld|afmeld sms)\s*[.!]?\s*", re.IGNORECASE)
SKIPPED_STOP = "opted out (STOP)"


def is_stop(text: str) -> bool:
    """Whether an incoming SMS asks for no more SMS."""
    return bool(_STOP.fullmatch(text))


def handle_stop(
    database: SmsDatabase, text: str, sender_key: str, phone: str, now: dt.datetime
) -> bool:
    """Records a STOP: no more SMS to the number, also none already queued.

    The SMS channel calls this for every incoming SMS; any other message lifts the
    opt-out again (``OptOuts.opt_in``).

    Args:
        database: The SMS database.
        text: The incoming SMS.
        sender_key: The number's conversation id (keyed hash).
        phone: The number's eight Danish digits.
        now: The current time.

    Returns:
        True when the SMS was a STOP and has been recorded.

    """
    if not is_stop(text):
        return False
    OptOuts(database).opt_out(sender_key, now)
    # Codes, confirmations and reminders still waiting are dropped, not sent later.
    Outbox(database).skip_pending_to(phone, SKIPPED_STOP, now)
    return True
