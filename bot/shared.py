"""One value per process, built on first use: the pattern of every process-wide service."""

from __future__ import annotations

import threading
from typing import Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class Shared(Generic[T]):
    """Builds a value on the first call and returns the same one after (thread-safe).

    Nothing is built at import time, so importing a module that declares one is cheap.

    Args:
        build: Makes the value, e.g. opens a database named by the settings.

    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: Optional[T] = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        """The process-wide value."""
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value

    def build_with(self, build: Callable[[], T]) -> None:
        """Builds the value this way from now on (an entry point passing its settings)."""
        with self._lock:
            self._build = build

    def set(self, value: Optional[T]) -> None:
        """Replaces the value (an entry point that built it already); None forgets it."""
        with self._lock:
            self._value = value
