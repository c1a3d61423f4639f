"""Phone numbers as conversation ids and in logs: keyed hashes, never the number itself."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Optional

from bot.danish.phone import normalise_danish_mobile

SENDER_PREFIX = "sms-"
# E.164 allows at most 15 digits; GatewayAPI sends numbers without "+" or leading zeros.
# ASCII digits only: a number the gateway cannot encode must never reach the outbox.
_MSISDN = re.compile(r"[1-9][0-9]{6,14}")


def msisdn_digits(value: object) -> Optional[str]:
    """The digits of an MSISDN as GatewayAPI sends it (``4520123456``), else None."""
    text = str(value).strip().lstrip("+") if isinstance(value, int | str) else ""
    return text if _MSISDN.fullmatch(text) else None


def danish_number(msisdn: str) -> Optional[str]:
    """The eight digits of a Danish mobile number given as an MSISDN, else None."""
    if not msisdn.startswith("45"):
        return None
    return normalise_danish_mobile(f"+{msisdn}")


def msisdn_of(phone: str) -> str:
    """The MSISDN of a Danish number stored as eight digits: ``20123456`` → ``4520123456``."""
    return f"45{phone}"


def sender_key(msisdn: str, secret: str) -> str:
    """The conversation id of an SMS sender: HMAC-SHA256 of the MSISDN.

    The same number always gets the same id, so a conversation goes on across messages,
    but the id cannot be turned back into the number without the secret.

    Args:
        msisdn: The sender's MSISDN digits (``4520123456``).
        secret: ``SMS_SENDER_SECRET``.

    """
    digest = hmac.new(secret.encode("utf-8"), msisdn.encode("ascii"), hashlib.sha256)
    return SENDER_PREFIX + digest.hexdigest()


def log_ref(msisdn: str, secret: Optional[str]) -> str:
    """A short pseudonym of a number for log lines (the start of its conversation id)."""
    if secret:
        return sender_key(msisdn, secret)[: len(SENDER_PREFIX) + 12]
    # An unkeyed hash of an 8-digit number is reversed by trying them all: mask instead.
    return mask(msisdn)


def mask(phone: str) -> str:
    """A number with all but its last two digits hidden, for staff lists: ``•• •• •• 56``."""
    digits = re.sub(r"[^0-9]", "", phone)
    return "•• •• •• " + digits[-2:] if len(digits) >= 2 else "••"
