"""Signed staff sessions (HS256 JSON Web Tokens) that end at logout or a password change."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Callable

import jwt

from bot.web.revocations import RevokedSessions

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "sid", "csrf", "iat", "exp", "pwd"]


@dataclass(frozen=True)
class Session:
    """A logged-in member of staff.

    Attributes:
        user: The login name.
        session_id: Random; a logout revokes it.
        csrf: The token every form posted in this session must carry.
        expires: When the session ends (Unix time).

    """

    user: str
    session_id: str
    csrf: str
    expires: float


def credential_fingerprint(secret: str, user: str, credential: str) -> str:
    """A keyed digest of the staff login, carried by every session token.

    A new password (or password hash, or user name) gives a new fingerprint, so every
    session issued before the change stops working as soon as the app restarts with it.
    It is keyed with the session secret, so the cookie reveals nothing about the hash.

    Args:
        secret: ``SESSION_SECRET``.
        user: ``STAFF_USER``.
        credential: ``STAFF_PASSWORD_HASH``, else ``STAFF_PASSWORD``.

    Returns:
        32 hex characters.

    """
    message = b"\0".join((b"staff-login", user.encode("utf-8"), credential.encode("utf-8")))
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


class SessionSigner:
    """Issues and checks session tokens; only logouts are stored server-side.

    Args:
        secret: The HMAC key (``SESSION_SECRET``).
        lifetime: Seconds a session lasts.
        clock: Returns Unix time; tests pass a fixed one.
        revoked: Where logouts are kept (``STAFF_DB``); default in memory.
        fingerprint: :func:`credential_fingerprint` of the current login; a token with
            another one was issued before the password changed and is refused.

    """

    def __init__(
        self,
        secret: str,
        lifetime: int,
        clock: Callable[[], float] = time.time,
        revoked: RevokedSessions | None = None,
        fingerprint: str = "",
    ) -> None:
        self._secret = secret
        self._lifetime = lifetime
        self._clock = clock
        self._revoked = revoked if revoked is not None else RevokedSessions()
        self._fingerprint = fingerprint

    def issue(self, user: str) -> tuple[str, Session]:
        """A new session for a user who just logged in.

        Args:
            user: The login name.

        Returns:
            The token for the cookie, and the session it stands for.

        """
        now = int(self._clock())
        session = Session(
            user=user,
            session_id=secrets.token_urlsafe(16),
            csrf=secrets.token_urlsafe(24),
            expires=now + self._lifetime,
        )
        claims = {
            "sub": user,
            "sid": session.session_id,
            "csrf": session.csrf,
            "iat": now,
            "exp": now + self._lifetime,
            "pwd": self._fingerprint,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), session

    def read(self, token: str | None) -> Session | None:
        """The session a token stands for.

        Args:
            token: The cookie's value.

        Returns:
            None when the token is missing, forged, expired, malformed, logged out or
            issued before the password changed.

        """
        if not token:
            return None
        try:
            # The algorithm is fixed, so "alg: none" or an RS/HS mix-up is refused. Expiry is
            # checked below, against this signer's clock.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        expires = claims["exp"]
        if not isinstance(expires, int | float) or expires <= self._clock():
            return None
        values = (claims["sub"], claims["sid"], claims["csrf"])
        if not all(isinstance(value, str) and value for value in values):
            return None
        given = claims["pwd"]
        if not isinstance(given, str) or not hmac.compare_digest(
            given.encode(), self._fingerprint.encode()
        ):
            return None
        if self._revoked.is_revoked(claims["sid"]):
            return None
        return Session(*values, expires=float(claims["exp"]))

    def revoke(self, session: Session) -> None:
        """Ends a session before it expires (logout), also across restarts."""
        self._revoked.revoke(session.session_id, session.expires, self._clock())
