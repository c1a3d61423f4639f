"""Signed staff sessions (HS256 JSON Web Tokens) that can be revoked at logout."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Callable

import jwt

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "sid", "csrf", "iat", "exp"]


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


class SessionSigner:
    """Issues and checks session tokens; nothing about a session is stored server-side.

    Only logouts are remembered (the session id until it would have expired), in memory:
    the web app runs one worker.

    Args:
        secret: The HMAC key (``SESSION_SECRET``).
        lifetime: Seconds a session lasts.
        clock: Returns Unix time; tests pass a fixed one.
        revoked: Where logouts are kept (session id to expiry); shared across restarts.

    """

    def __init__(
        self,
        secret: str,
        lifetime: int,
        clock: Callable[[], float] = time.time,
        revoked: dict[str, float] | None = None,
    ) -> None:
        self._secret = secret
        self._lifetime = lifetime
        self._clock = clock
        self._revoked = {} if revoked is None else revoked

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
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), session

    def read(self, token: str | None) -> Session | None:
        """The session a token stands for.

        Args:
            token: The cookie's value.

        Returns:
            None when the token is missing, forged, expired, malformed or logged out.

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
        if claims["sid"] in self._revoked:
            return None
        values = (claims["sub"], claims["sid"], claims["csrf"])
        if not all(isinstance(value, str) and value for value in values):
            return None
        return Session(*values, expires=float(claims["exp"]))

    def revoke(self, session: Session) -> None:
        """Ends a session before it expires (logout)."""
        now = self._clock()
        # Forget logouts whose tokens have expired anyway, so the memory stays small.
        for sid in [sid for sid, until in self._revoked.items() if until <= now]:
            del self._revoked[sid]
        self._revoked[session.session_id] = session.expires
