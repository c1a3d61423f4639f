"""Staff password hashes with scrypt; ``python -m bot.web.hash_password`` prints a new one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# 32 MiB of memory per hash: slow to guess, quick enough for one login.
N, R, P = 2**15, 8, 1
MAX_N = 2**20
SALT_BYTES = 16
KEY_BYTES = 32
PREFIX = "scrypt"


def hash_password(password: str, n: int = N, r: int = R, p: int = P) -> str:
    """Hashes a password with a fresh salt.

    Args:
        password: The password.
        n: scrypt's cost (a power of two).
        r: scrypt's block size.
        p: scrypt's parallelism.

    Returns:
        ``scrypt$n$r$p$salt$hash`` with base64 salt and hash.

    """
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p)
    return "$".join([PREFIX, str(n), str(r), str(p), _b64(salt), _b64(key)])


def verify_password(password: str, encoded: str) -> bool:
    """Checks a password against a hash from :func:`hash_password` in constant time.

    Args:
        password: What the user typed.
        encoded: The stored hash.

    Returns:
        False for a wrong password and for a malformed hash.

    """
    try:
        prefix, n, r, p, salt, key = encoded.strip().split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        if prefix != PREFIX or not (1 < n_ <= MAX_N and 0 < r_ <= 32 and 0 < p_ <= 16):
            return False
        expected = base64.b64decode(key, validate=True)
        given = _scrypt(password, base64.b64decode(salt, validate=True), n_, r_, p_)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * 1024 * 1024,
        dklen=KEY_BYTES,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
