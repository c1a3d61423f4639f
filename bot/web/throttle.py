"""Small in-memory limits: events per key in a window, and failures per key for back-off."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from typing import Callable, Deque


class Throttle:
    """Counts events per key in a sliding window; a key at the limit is blocked.

    Memory is bounded: past ``max_keys`` keys, the least recently seen are forgotten.

    Args:
        limit: Events allowed in one window.
        window: The window in seconds.
        clock: Monotonic seconds; tests pass a fake one.
        max_keys: How many keys to remember.

    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: OrderedDict[str, Deque[float]] = OrderedDict()

    def blocked(self, key: str) -> bool:
        """Whether the key has used up its events in the current window."""
        return len(self._recent(key)) >= self.limit

    def retry_after(self, key: str) -> int:
        """Seconds until the key may act again (0 when it is not blocked)."""
        events = self._recent(key)
        if len(events) < self.limit:
            return 0
        return max(1, math.ceil(events[0] + self.window - self._clock()))

    def record(self, key: str) -> None:
        """Counts one event for the key."""
        events = self._recent(key)
        events.append(self._clock())
        self._events[key] = events
        self._events.move_to_end(key)
        while len(self._events) > self._max_keys:
            self._events.popitem(last=False)

    def reset(self, key: str) -> None:
        """Forgets the key's events (after a successful login)."""
        self._events.pop(key, None)

    def _recent(self, key: str) -> Deque[float]:
        events = self._events.get(key, deque())
        cutoff = self._clock() - self.window
        while events and events[0] <= cutoff:
            events.popleft()
        return events


def backoff_delay(failures: int, free: int, base: float, cap: float) -> float:
    """How long the next attempt waits after ``failures`` recent failures.

    Args:
        failures: Failed attempts still remembered for the key.
        free: Failures allowed before any wait (typos happen).
        base: The first wait in seconds; each further failure doubles it.
        cap: The longest wait in seconds.

    Returns:
        0 below ``free`` failures, then ``base``, ``2 * base``, ``4 * base`` … up to ``cap``.

    """
    if failures < free or cap <= 0:
        return 0.0
    # The exponent is bounded so that a huge count cannot overflow the float.
    return float(min(base * 2 ** min(failures - free, 64), cap))


class FailureCounter:
    """Counts failed attempts per key, and lets one attempt per key run at a time.

    A key's failures are forgotten ``forget_after`` seconds after its last failure, or at
    once after a success. Nothing here ever refuses an attempt outright: callers turn the
    count into a wait (:func:`backoff_delay`), so the right password still gets in.

    Args:
        forget_after: Seconds after the last failure at which a key starts afresh.
        clock: Monotonic seconds; tests pass a fake one.
        max_keys: How many keys to remember; the least recently failed are forgotten.

    """

    def __init__(
        self,
        forget_after: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.forget_after = forget_after
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._running: set[str] = set()

    def count(self, key: str) -> int:
        """Failures remembered for the key."""
        entry = self._failures.get(key)
        if entry is None:
            return 0
        if self._clock() - entry[1] >= self.forget_after:
            del self._failures[key]
            return 0
        return entry[0]

    def failed(self, key: str) -> None:
        """Counts one failure for the key."""
        self._failures[key] = (self.count(key) + 1, self._clock())
        self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        """Forgets the key's failures."""
        self._failures.pop(key, None)

    def begin(self, key: str) -> bool:
        """Marks an attempt for the key as running; False when one already is."""
        if key in self._running:
            return False
        self._running.add(key)
        return True

    def end(self, key: str) -> None:
        """Marks the key's attempt as finished."""
        self._running.discard(key)
