"""Rasa's Redis lock store, with every change to a lock made in one Redis transaction.

Several Rasa servers share a conversation through the lock store: each message takes a
ticket, and only the lowest ticket is served. Rasa 3.6's ``RedisLockStore`` changes a lock
with a plain read, modify and write (``GET``, then ``SET``). When two servers get a message
of the same conversation at the same moment (a double click, a retry), both can read the
same lock, both issue ticket 0, both answer at once, and one turn is lost from the stored
conversation (``python -m bench.scale --lock-store redis`` lost a turn in 3 of 10, 5 of 10
and 1 of 20 such pairs in three runs).

Here each change runs under ``WATCH``/``MULTI``: when another server changed the lock in
between, the change is retried on the new state, so tickets are unique and taken in order.
Configure it in the endpoints file instead of ``type: redis``::

    lock_store:
      type: bot.rasa.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
# A change gets the stored lock (or None) and returns the lock to store (None: delete it)
# and a result for the caller.
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes cannot overwrite each other.

    Args:
        endpoint_config: The ``lock_store`` section of the endpoints file (``url``, ``port``,
            ``db``, ``password``, ``key_prefix`` and the rest as for ``type: redis``).
        **kwargs: ``RedisLockStore``'s own arguments, when built directly.

    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[T]) -> T:
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> T:
            stored = pipe.get(key)  # watched: EXEC fails if anyone changes the key meanwhile
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            new_lock, result = change(lock)
            pipe.multi()
            if new_lock is not None:
                pipe.set(key, new_lock.dumps())
            elif stored is not None:
                pipe.delete(key)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issues the next ticket for the conversation, creating its lock if needed."""

        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Removes expired tickets."""

        def expire(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Removes a served ticket."""

        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Removes a served ticket, and the lock when no ticket is left.

        Rasa does this in two steps, so a ticket issued in between could be deleted with the
        lock; here it is one transaction.
        """

        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)
