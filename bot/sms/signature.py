"""GatewayAPI's webhook signature: an HS256 JWT in the ``X-Gwapi-Signature`` header.

A token is accepted only while it is fresh (``iat`` and ``exp`` within a few minutes of this
server's clock) and only with the message it was issued for (``id`` and ``msisdn`` required
and equal to the body's). A captured request can therefore not be replayed later, nor its
token reused for another message; within the few minutes, the seen-id table in ``SMS_DB``
makes a redelivery a duplicate.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Optional

import jwt

from bot.settings import WEBHOOK_LEEWAY_SECONDS as LEEWAY_SECONDS
from bot.settings import WEBHOOK_MAX_AGE_SECONDS as MAX_AGE_SECONDS

HEADER = "X-Gwapi-Signature"
# HS256 keys shorter than the hash output are weak; PyJWT warns about them too.
MIN_SECRET_LENGTH = 32
# Claims every token must carry; ``id`` and ``msisdn`` must also equal the body's.
REQUIRED_CLAIMS = ("exp", "iat", "id", "msisdn")
# Claims that, when present, must equal the body's fields as well.
BOUND_FIELDS = ("id", "msisdn", "receiver", "message")


class SignatureError(Exception):
    """The signature is missing, forged, stale or does not belong to the body."""


class WeakSecretError(ValueError):
    """The configured webhook secret is too short to sign with HS256 safely."""


def check_secret(secret: Optional[str]) -> None:
    """Refuses a webhook secret that is set but shorter than :data:`MIN_SECRET_LENGTH`.

    Args:
        secret: ``GATEWAYAPI_WEBHOOK_SECRET``; None (unset) is allowed and refuses every SMS.

    Raises:
        WeakSecretError: The secret is too short; the message says how to make one.

    """
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise WeakSecretError(
            f"GATEWAYAPI_WEBHOOK_SECRET is {len(secret)} characters; it must be at least "
            f"{MIN_SECRET_LENGTH}. Make one with: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))' and set the same value at GatewayAPI."
        )


def verify(
    token: Optional[str],
    secret: str,
    body: Dict[str, Any],
    now: Optional[float] = None,
    leeway: float = LEEWAY_SECONDS,
    max_age: float = MAX_AGE_SECONDS,
) -> Dict[str, Any]:
    """Checks a webhook's JWT against the shared secret and the body it came with.

    Args:
        token: The header's value.
        secret: ``GATEWAYAPI_WEBHOOK_SECRET``.
        body: The parsed JSON body.
        now: The current Unix time; default the system clock.
        leeway: Seconds of clock difference tolerated.
        max_age: Seconds a token stays usable after ``iat``; ``exp`` may not lie further
            ahead than this either.

    Returns:
        The token's claims.

    Raises:
        SignatureError: Missing, not HS256, wrong secret, a required claim missing, stale
            or from the future (``iat``, ``exp``, ``nbf``), or a claim that differs from
            the body.

    """
    if not token:
        raise SignatureError("missing signature")
    now = time.time() if now is None else now
    try:
        # Only HS256: "none" or an asymmetric algorithm must never be accepted. Times are
        # checked below against the injected clock, with this module's rules.
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError as error:
        raise SignatureError(f"invalid signature ({type(error).__name__})") from error
    if not isinstance(claims, dict):
        raise SignatureError("invalid signature (claims)")
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise SignatureError(f"invalid signature (no {', '.join(missing)} claim)")
    _check_times(claims, now, leeway, max_age)
    for name in BOUND_FIELDS:
        if name in claims and str(claims[name]) != str(body.get(name)):
            raise SignatureError(f"signature does not match the body ({name})")
    return claims


def _check_times(claims: Dict[str, Any], now: float, leeway: float, max_age: float) -> None:
    issued, expires = _number(claims, "iat"), _number(claims, "exp")
    if issued > now + leeway:
        raise SignatureError("signature issued in the future (iat)")
    if issued < now - max_age - leeway:
        raise SignatureError("stale signature (iat)")
    if expires < now - leeway:
        raise SignatureError("expired signature")
    if expires > now + max_age + leeway:
        raise SignatureError("signature valid for too long (exp)")
    if "nbf" in claims and _number(claims, "nbf") > now + leeway:
        raise SignatureError("signature not yet valid (nbf)")


def _number(claims: Dict[str, Any], name: str) -> float:
    value = claims[name]
    # bool is an int in Python; "exp": true is not a time.
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise SignatureError(f"invalid signature ({name} is not a time)")
    return float(value)
