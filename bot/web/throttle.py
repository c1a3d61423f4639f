"""A small in-memory limit on how often one key (an address, a user name) may do a thing."""

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
