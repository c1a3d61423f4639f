"""Prints a hash for ``STAFF_PASSWORD_HASH``: ``fronten hash-password``."""

from __future__ import annotations

import getpass
import sys

from bot.web.passwords import hash_password

MIN_LENGTH = 12


def main() -> None:
    """Asks for a password twice (or reads one line from a pipe) and prints its hash."""
    if sys.stdin.isatty():
        password = getpass.getpass("Ny adgangskode: ")
        if password != getpass.getpass("Gentag adgangskoden: "):
            sys.exit("Adgangskoderne er ikke ens.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_LENGTH:
        sys.exit(f"Adgangskoden skal have mindst {MIN_LENGTH} tegn.")
    print(hash_password(password))


if __name__ == "__main__":
    main()
