"""Proof that a number typed in the web chat is the citizen's own: a code sent by SMS.

Anyone can type anyone's number in the web chat. Before the assistant books, and so
before it sends a confirmation, the citizen types back a code sent to that number. A
number that got a code nobody typed back gets no new code for a while, so the web chat
cannot be used to send SMS to a stranger more than once a day (by default).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Callable, Optional

from bot.settings import Limits
from bot.sms.contact import Contact
from bot.sms.identity import msisdn_of, sender_key
from bot.sms.notify import Notifier
from bot.sms.repository import (
    CODE_OK,
    CODE_VOID,
    CODE_WRONG,
    OptOuts,
    Outbox,
    PhoneCodes,
    SmsDatabase,
)
from bot.sms.settings import SmsSettings
from bot.sms.templates import Templates, default_templates

# The answers of PhoneVerifier.request.
SENT = "sent"
CONFIRMED = "confirmed"
WAIT = "wait"
DAILY_LIMIT = "daily_limit"
OPTED_OUT = "opted_out"
CODE_DIGITS = 6

__all__ = [
    "CODE_OK",
    "CODE_VOID",
    "CODE_WRONG",
    "CONFIRMED",
    "DAILY_LIMIT",
    "OPTED_OUT",
    "SENT",
    "WAIT",
    "PhoneVerifier",
    "new_code",
]


def new_code() -> str:
    """A random code of six digits, e.g. ``"048213"``."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class PhoneVerifier:
    """Sends codes to typed numbers and checks the codes typed back.

    Args:
        database: Opens the SMS database (called on first use).
        limits: Code lifetime, cooldown, attempts and SMS per day.
        templates: The domain's texts.
        clock: Returns the current aware time.
        sender_secret: Key of the numbers' conversation ids, to honour STOP; default
            ``SMS_SENDER_SECRET``.
        code: Makes a new code; tests pass a fixed one.

    """

    def __init__(
        self,
        database: Callable[[], SmsDatabase],
        limits: Optional[Limits] = None,
        templates: Optional[Templates] = None,
        clock: Callable[[], dt.datetime] = _utc_now,
        sender_secret: Optional[str] = None,
        code: Callable[[], str] = new_code,
    ) -> None:
        self._open = database
        self.limits = limits or Limits.from_env()
        self._templates = templates
        self._clock = clock
        self._secret = sender_secret
        self._code = code

    @property
    def secret(self) -> Optional[str]:
        """The key of SMS conversation ids, read from the environment on first use."""
        if self._secret is None:
            self._secret = SmsSettings.from_env().sender_secret or ""
        return self._secret or None

    def request(self, conversation: str, phone: str, contact: Contact) -> str:
        """Queues a code to the number for this conversation, if that is allowed.

        Args:
            conversation: The chat's conversation id.
            phone: Eight Danish digits.
            contact: Fronten's details for the text.

        Returns:
            :data:`SENT`; :data:`CONFIRMED` when the conversation already proved the number
            recently; :data:`WAIT` when an earlier code to the number was never typed back;
            :data:`OPTED_OUT` when the number answered STOP; :data:`DAILY_LIMIT` when the
            number has had its SMS for today.

        """
        database = self._open()
        codes = PhoneCodes(database)
        now = self._clock()
        if codes.confirmed(conversation, phone, now - self.limits.code_cooldown):
            return CONFIRMED
        secret = self.secret
        if secret and OptOuts(database).is_opted_out(sender_key(msisdn_of(phone), secret)):
            return OPTED_OUT
        if codes.unconfirmed_since(phone, now - self.limits.code_cooldown):
            return WAIT
        outbox = Outbox(database)
        if outbox.sent_today(phone, now) >= self.limits.sms_per_phone_per_day:
            return DAILY_LIMIT
        code = self._code()
        templates = self._templates or default_templates()
        reply = self.limits.reply_number
        body = templates.render(
            "utter_sms_booking_code" if reply else "utter_sms_booking_code_no_reply",
            **contact,
            code=code,
            reply_number=reply or "",
            minutes=int(self.limits.code_lifetime.total_seconds() // 60),
        )
        notifier = Notifier(outbox, templates, self._clock, self.limits)
        if notifier.queue("code", phone, body) is None:
            return DAILY_LIMIT
        codes.issue(conversation, phone, code, now, self.limits.code_lifetime)
        # Rows that no limit looks at any more.
        codes.prune(now - self.limits.code_cooldown - dt.timedelta(days=1))
        return SENT

    def check(self, conversation: str, phone: str, typed: str) -> str:
        """Checks a code typed in the chat.

        Args:
            conversation: The chat's conversation id.
            phone: The number the code was sent to.
            typed: What the citizen wrote ("048 213", "koden er 048213").

        Returns:
            :data:`CODE_OK`, :data:`CODE_WRONG` or :data:`CODE_VOID`.

        """
        digits = "".join(ch for ch in typed if ch in "0123456789")
        if len(digits) != CODE_DIGITS:
            return CODE_WRONG
        return PhoneCodes(self._open()).check(
            conversation, phone, digits, self._clock(), self.limits.code_attempts
        )
