"""A bounded load test on loopback: many conversations at once, counting errors and lost replies.

    python -m bench.load --conversations 200 --seconds 60

It starts its own action server and Rasa server on free loopback ports (with a fresh tracker
store and booking database), runs the conversations, and prints a table. A lost reply is a
message that got no answer at all; an error is a failed request or the "teknisk fejl" text.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.measure import post_message
from bench.support import assistant

QUESTIONS = [
    "hvordan søger jeg bostøtte?",
    "hvad koster en ledsagerordning?",
    "hvem kan få BPA?",
    "hvor lang tid tager sagsbehandlingen for botilbud?",
    "kan jeg klage over afgørelsen om støttekontaktperson?",
    "og hvad koster det?",
    "hvad er Frontens telefonnummer?",
    "hej",
    "tak for hjælpen",
]


@dataclass
class Tally:
    """What happened to every message sent.

    Attributes:
        sent: Messages sent.
        answered: Messages with a proper answer.
        lost: Messages that got no answer at all.
        errors: Failed requests and "teknisk fejl" replies.
        latencies: Seconds per message, in the order the replies came.

    """

    sent: int = 0
    answered: int = 0
    lost: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


async def conversation(
    session: aiohttp.ClientSession, url: str, deadline: float, tally: Tally, think: float
) -> None:
    """One citizen asking questions until the deadline, pausing between messages."""
    sender = uuid.uuid4().hex
    while time.monotonic() < deadline:
        text = random.choice(QUESTIONS)
        tally.sent += 1
        replies, seconds = await post_message(session, url, sender, text)
        tally.latencies.append(seconds)
        if replies is None:
            tally.errors += 1
        elif not replies:
            tally.lost += 1
        elif any("teknisk fejl" in r.get("text", "") for r in replies):
            tally.errors += 1
        else:
            tally.answered += 1
        await asyncio.sleep(think * random.uniform(0.5, 1.5))


async def run(url: str, conversations: int, seconds: float, think: float) -> Tally:
    """Runs all conversations at once against the REST webhook."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(
            *(conversation(session, url, deadline, tally, think) for _ in range(conversations))
        )
    return tally


def report(tally: Tally, conversations: int, seconds: float) -> str:
    """A Markdown table of the run."""
    ordered = sorted(tally.latencies) or [0.0]
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    rows = [
        ("conversations at once", f"{conversations}"),
        ("duration", f"{seconds:.0f} s"),
        ("messages sent", f"{tally.sent}"),
        ("answered", f"{tally.answered}"),
        ("lost replies", f"{tally.lost}"),
        ("errors", f"{tally.errors}"),
        ("throughput", f"{tally.sent / seconds:.1f} messages/s"),
        ("median reply", f"{statistics.median(ordered) * 1000:.0f} ms"),
        ("p95 reply", f"{p95 * 1000:.0f} ms"),
    ]
    return "\n".join(["| figure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def main() -> int:
    """Starts the assistant, runs the load, prints the table; non-zero on any loss."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between messages")
    parser.add_argument("--out", type=Path, default=Path("bench") / "load-results.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        # The load comes from one address; the per-conversation limit still applies.
        env = {"BOOKING_DB": str(tmp / "bookings.db")}
        try:
            with assistant(tmp, env) as url:
                tally = asyncio.run(run(url, args.conversations, args.seconds, args.think))
        except (RuntimeError, TimeoutError) as error:
            print(f"The assistant did not start, so nothing was measured:\n{error}")
            return 2
    table = report(tally, args.conversations, args.seconds)
    print(table)
    args.out.write_text(f"# Load test ({time.strftime('%Y-%m-%d')})\n\n{table}\n")
    return 0 if tally.lost == 0 and tally.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
