"""Scale-out on existing engines: two Rasa servers sharing Redis locks and a PostgreSQL store.

    python -m bench.scale            # make scale-test

It starts a throwaway Redis and PostgreSQL on loopback (``tests/services.py``), then two
pairs of servers (Rasa + action server) with a generated endpoints file: the lean SQL tracker
store on PostgreSQL (``TRACKER_STORE_URL``), the atomic Redis lock store
(``bot/rasa/lock_store.py``), one shared booking
database. Then it checks, with messages that alternate between the two Rasa processes:

- a follow-up answered on one process about the service set on the other;
- the whole booking form, each step on the other process than the one before;
- two messages of one conversation sent to both processes at the same moment: the lock store
  must make them take turns, so the stored conversation holds both turns whole;

and measures throughput with eight conversations on two processes against one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import aiohttp
import requests

from bench.conversations import OURS
from bench.measure import Run, drive, require_loopback
from bench.support import (
    ROOT,
    ServiceError,
    action_server,
    assistant_ports,
    postgresql,
    rasa_server,
    redis,
)

ENDPOINTS = """\
action_endpoint:
  url: ${{ACTION_ENDPOINT_URL}}
tracker_store:
  type: bot.rasa.lean_tracker_store.LeanUrlTrackerStore
lock_store:
  type: {lock_store}
  url: 127.0.0.1
  port: {redis_port}
  db: 1
"""

# A question, then a follow-up that only makes sense with the first one's service, and a
# phrase only the right answer contains.
FOLLOW_UPS = (
    ("hvordan søger jeg bostøtte?", "og hvad koster det?", "Socialpædagogisk støtte koster"),
    ("hvem kan få en ledsagerordning?", "hvor mange timer kan man få?", "15 timer"),
    ("hvem kan få BPA?", "hvad indeholder det?", "hjælpere"),
    ("hvordan søger jeg om en støttekontaktperson?", "hvor længe varer det?", "midlertidig"),
)


@dataclass
class Check:
    """One consistency check and what it found."""

    name: str
    passed: int = 0
    failed: int = 0
    first_failure: str = ""

    def record(self, ok: bool, why: str = "") -> None:
        """Counts one case."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.first_failure = self.first_failure or why


def ask(webhook: str, sender: str, text: str) -> List[dict]:
    """One message over REST; the replies."""
    require_loopback(webhook)
    response = requests.post(webhook, json={"sender": sender, "message": text}, timeout=30)
    response.raise_for_status()
    return response.json()


def texts(replies: List[dict]) -> str:
    """All reply texts in one string."""
    return "\n".join(r.get("text", "") for r in replies)


def stored_turns(database_url: str, sender: str) -> List[Tuple[str, str]]:
    """(event type, name or text) of a conversation, as stored in PostgreSQL, in order."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "select type_name, coalesce(action_name, intent_name, '') from events "
                    "where sender_id = :s order by id"
                ),
                {"s": sender},
            ).all()
    finally:
        engine.dispose()
    return [(kind, name) for kind, name in rows]


def check_follow_ups(webhooks: List[str], rounds: int) -> Check:
    """A follow-up on one process about the service set on the other."""
    check = Check("follow-up answered on the other process")
    for round_ in range(rounds):
        for question, follow_up, phrase in FOLLOW_UPS:
            sender = f"scale-{uuid.uuid4().hex}"
            first, second = webhooks[round_ % 2], webhooks[(round_ + 1) % 2]
            ask(first, sender, question)
            answer = texts(ask(second, sender, follow_up))
            check.record(phrase in answer and "Kilde:" in answer, f"{follow_up!r}: {answer[:120]}")
    return check


def book(webhooks: List[str], sender: str, name: str, phone: str) -> str:
    """The whole booking form, each step on the other process; returns the reference."""
    steps = iter(range(100))

    def step(text: str) -> List[dict]:
        return ask(webhooks[next(steps) % 2], sender, text)

    if not step("Jeg vil gerne booke en tid")[-1].get("buttons"):
        raise AssertionError("no topics offered")
    step("Bostøtte")
    reply = step("hvad koster det?")
    if "Kilde:" not in texts(reply) or "Hvornår" not in reply[-1].get("text", ""):
        raise AssertionError(f"question during the form: {texts(reply)[:160]}")
    step("på tirsdag")
    offers = step("jeg kommer ind på Fronten")[-1].get("buttons") or []
    if not offers:
        raise AssertionError("no free times offered")
    step(offers[0]["payload"])
    if "mobilnummer" not in texts(step(name)):
        raise AssertionError("phone number not asked for")
    summary = texts(step(phone))
    if "Skal jeg booke tiden?" not in summary or "Bostøtte" not in summary:
        raise AssertionError(f"summary: {summary[:160]}")
    confirmation = texts(step("ja"))
    match = re.search(r"Bookingnummer: (\w{6})", confirmation)
    if not match:
        raise AssertionError(f"no reference: {confirmation[:160]}")
    return match.group(1)


def check_bookings(webhooks: List[str], booking_db: Path, count: int) -> Check:
    """Booking forms whose steps alternate between the processes; each booking stored once."""
    check = Check("booking form, steps alternating between processes")
    for number in range(count):
        name, phone = f"Scale{chr(65 + number)}", f"2{number:07d}"
        try:
            reference = book(webhooks, f"scale-{uuid.uuid4().hex}", name, phone)
        except (AssertionError, requests.RequestException) as error:
            check.record(False, str(error))
            continue
        with sqlite3.connect(booking_db) as db:
            rows = db.execute(
                "select first_name, phone, status from bookings where reference = ?", (reference,)
            ).fetchall()
        check.record(rows == [(name, phone, "booked")], f"{reference}: stored as {rows}")
    return check


async def _burst(webhooks: List[str], sender: str) -> List[str]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(webhook: str, text: str) -> str:
            async with session.post(webhook, json={"sender": sender, "message": text}) as r:
                return texts(await r.json())

        return await asyncio.gather(
            one(webhooks[0], "hvordan søger jeg bostøtte?"),
            one(webhooks[1], "hvem kan få BPA?"),
        )


def check_concurrent_turns(webhooks: List[str], database_url: str, count: int) -> Check:
    """Two messages of one conversation at the same moment on both processes take turns."""
    check = Check("same conversation on both processes at once: turns kept whole")
    for _ in range(count):
        sender = f"scale-{uuid.uuid4().hex}"
        answers = asyncio.run(_burst(webhooks, sender))
        events = stored_turns(database_url, sender)
        users = [i for i, (kind, _) in enumerate(events) if kind == "user"]
        answered = [name for kind, name in events if name == "action_answer_question"]
        # Whole turns: each message is followed by its answer and a return to listening
        # before the next message starts.
        whole = len(users) == 2 and all(
            ("action", "action_listen") in events[start:end]
            for start, end in zip(users, users[1:] + [len(events)], strict=True)
        )
        ok = all("Kilde:" in a for a in answers) and whole and len(answered) == 2
        check.record(ok, f"stored {events}")
    return check


def throughput(webhooks: List[str], args: argparse.Namespace) -> List[Run]:
    """Eight conversations at once, each message to the next process in turn."""
    asyncio.run(drive(webhooks, OURS, 8, 40, args.max_seconds))  # warm-up, not counted
    runs = []
    for _ in range(args.repeat):
        runs.append(asyncio.run(drive(webhooks, OURS, 8, args.messages, args.max_seconds)))
    return runs


def _summary(runs: List[Run]) -> Dict[str, float]:
    return {
        "throughput": sum(r.messages for r in runs) / sum(r.seconds for r in runs),
        "p50": sum(r.p50_ms for r in runs) / len(runs),
        "p95": sum(r.p95_ms for r in runs) / len(runs),
        "failed": sum(r.failed for r in runs),
        "messages": sum(r.messages for r in runs),
    }


def report(
    checks: List[Check], one: List[Run], two: List[Run], load: Tuple[str, str], lock_store: str
) -> str:
    """The Markdown report."""
    single, double = _summary(one), _summary(two)
    lines = [
        f"# Scale-out test ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        "Two Rasa processes (each with its action server), Redis lock store "
        f"(`{lock_store}`), PostgreSQL tracker store (`bot.rasa.lean_tracker_store`), one booking "
        "database; every server on loopback.",
        "",
        "| check | passed | failed |",
        "|---|---|---|",
        *(f"| {c.name} | {c.passed} | {c.failed} |" for c in checks),
        "",
        "| eight conversations at once | messages | failed | throughput | median | p95 |",
        "|---|---|---|---|---|---|",
    ]
    for label, s in (("1 Rasa process", single), ("2 Rasa processes, alternating", double)):
        lines.append(
            f"| {label} | {s['messages']:.0f} | {s['failed']:.0f} | {s['throughput']:.1f} msg/s "
            f"| {s['p50']:.1f} ms | {s['p95']:.1f} ms |"
        )
    lines += [
        "",
        f"- Two processes against one: {double['throughput'] / single['throughput']:.2f}× the "
        "throughput.",
        f"- Load average before and after: {load[0]} / {load[1]} on 2 cores, which the two "
        "Rasa servers share with the two action servers, PostgreSQL, Redis and the client.",
    ]
    for check in checks:
        if check.failed:
            lines.append(f"- **{check.name}** first failure: {check.first_failure[:3000]}")
    return "\n".join(lines) + "\n"


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: List[str] | None = None) -> int:
    """Runs the checks and the throughput comparison; non-zero on any failed check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of follow-up checks")
    parser.add_argument("--bookings", type=int, default=4)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument(
        "--lock-store",
        default="bot.rasa.lock_store.AtomicRedisLockStore",
        help="lock store type; 'redis' is Rasa's own, which loses turns (bot/rasa/lock_store.py)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "scale-results.md")
    args = parser.parse_args(argv)
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="fronten-scale-") as folder, ExitStack() as stack:
        tmp = Path(folder)
        try:
            redis_port = stack.enter_context(redis(tmp))
            database_url = stack.enter_context(postgresql(tmp))
        except ServiceError as error:
            print(f"Redis or PostgreSQL did not start, so nothing was tested:\n{error}")
            return 2
        endpoints = tmp / "endpoints.yml"
        endpoints.write_text(
            ENDPOINTS.format(redis_port=redis_port, lock_store=args.lock_store), encoding="utf-8"
        )
        booking_db = tmp / "bookings.db"
        # The Procfile's rasa command, with this endpoints file (RASA_ENDPOINTS).
        extra = {"TRACKER_STORE_URL": database_url, "BOOKING_DB": str(booking_db),
                 "RATE_LIMIT_PER_MINUTE": "100000", "RASA_ENDPOINTS": str(endpoints)}  # fmt: skip
        webhooks = []
        try:
            for name in ("a", "b"):
                ports = assistant_ports(tmp, extra)
                stack.enter_context(action_server(ports, tmp / f"actions-{name}.log"))
                stack.enter_context(rasa_server(ports, tmp / f"rasa-{name}.log"))
                webhooks.append(ports.webhook)
                print(f"Rasa process {name} is up on {ports.base}", flush=True)
        except (RuntimeError, TimeoutError) as error:
            print(f"A server did not start, so nothing was tested:\n{error}")
            return 2
        checks = [
            check_follow_ups(webhooks, args.rounds),
            check_bookings(webhooks, booking_db, args.bookings),
            check_concurrent_turns(webhooks, database_url, args.bursts),
        ]
        for check in checks:
            print(f"{check.name}: {check.passed} passed, {check.failed} failed", flush=True)
        one = throughput(webhooks[:1], args)
        two = throughput(webhooks, args)
    text = report(checks, one, two, (load_before, _load()), args.lock_store)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.out}")
    return 1 if any(c.failed for c in checks) or any(r.failed for r in one + two) else 0


if __name__ == "__main__":
    sys.exit(main())
