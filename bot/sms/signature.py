"""GatewayAPI's webhook signature: an HS256 JWT in the ``X-Gwapi-Signature`` header."""

from __future__ import annotations

from typing import Any, Dict, Optional

import jwt

HEADER = "X-Gwapi-Signature"
# Clock difference tolerated between GatewayAPI and this server, in seconds.
LEEWAY_SECONDS = 30
# GatewayAPI puts the webhook's own fields in the token; those present must match the body,
# so a captured token cannot carry another message.
BOUND_FIELDS = ("id", "msisdn", "receiver", "message")


class SignatureError(Exception):
    """The signature is missing, forged, expired or does not belong to the body."""


def verify(token: Optional[str], secret: str, body: Dict[str, Any]) -> Dict[str, Any]:
    """Checks a webhook's JWT against the shared secret and the body it came with.

    Args:
        token: The header's value.
        secret: ``GATEWAYAPI_WEBHOOK_SECRET``.
        body: The parsed JSON body.

    Returns:
        The token's claims.

    Raises:
        SignatureError: Missing, not HS256, wrong secret, expired (``exp``), not yet valid
            (``nbf``, ``iat``), or a claim that differs from the body.

    """
    if not token:
        raise SignatureError("missing signature")
    try:
        # Only HS256: "none" or an asymmetric algorithm must never be accepted.
        claims = jwt.decode(token, secret, algorithms=["HS256"], leeway=LEEWAY_SECONDS)
    except jwt.ExpiredSignatureError as error:
        raise SignatureError("expired signature") from error
    except jwt.InvalidTokenError as error:
        raise SignatureError(f"invalid signature ({type(error).__name__})") from error
    if not isinstance(claims, dict):
        raise SignatureError("invalid signature (claims)")
    for name in BOUND_FIELDS:
        if name in claims and str(claims[name]) != str(body.get(name)):
            raise SignatureError(f"signature does not match the body ({name})")
    return claims
