"""Token checks for the staff routes."""

from __future__ import annotations

import hmac

from sanic import HTTPResponse, Request
from sanic.response import json

UNAUTHORIZED = "Adgang nægtet: send et gyldigt adgangstoken."


def client_address(request: Request) -> str:
    """The address limits are counted against.

    Behind a configured proxy (``PROXIES_COUNT``, ``REAL_IP_HEADER`` or
    ``FORWARDED_SECRET``) it is the client's address the proxy forwarded; otherwise, and
    when a request did not come through the proxy, the connection's own address. Forwarded
    headers are never believed unless a proxy is configured.
    """
    return request.remote_addr or request.ip or "unknown"


def bearer_token(request: Request) -> str | None:
    """The token from an ``Authorization: Bearer <token>`` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def token_matches(given: str | None, expected: str | None) -> bool:
    """Compares a token in constant time; nothing matches when no token is configured.

    Args:
        given: The token the client sent.
        expected: The configured token; None or empty locks the route.

    Returns:
        True only when both are present and equal.

    """
    if not expected or not given:
        return False
    # Bytes, because compare_digest refuses str with non-ASCII characters.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def unauthorized() -> HTTPResponse:
    """The 401 answer, the same for a missing, wrong or unconfigured token."""
    return json({"error": UNAUTHORIZED}, status=401, headers={"WWW-Authenticate": "Bearer"})
