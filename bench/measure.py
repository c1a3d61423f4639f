"""Drives scripted conversations over the REST channel and measures the servers.

Every loop is bounded twice: by a number of messages and by a deadline. Only loopback URLs
are accepted.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

import aiohttp

from bench.conversations import Script, judge

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass
class Run:
    """What one measurement saw.

    Attributes:
        conversations: Conversations at once.
        latencies: Seconds per message, in the order the replies came.
        failures: Why turns failed, counted.
        seconds: Wall time of the whole run.
        server_cpu_seconds: CPU time the measured servers used during the run, by name.

    """

    conversations: int
    latencies: List[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    server_cpu_seconds: Dict[str, float] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        """Messages sent."""
        return len(self.latencies)

    @property
    def failed(self) -> int:
        """Messages without a proper answer."""
        return sum(self.failures.values())

    @property
    def p50_ms(self) -> float:
        """Median reply time in milliseconds."""
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        """95th percentile reply time in milliseconds."""
        return percentile(self.latencies, 95) * 1000

    @property
    def throughput(self) -> float:
        """Answered and failed messages per second."""
        return self.messages / self.seconds if self.seconds else 0.0

    def cpu_ms_per_message(self, server: str) -> Optional[float]:
        """CPU milliseconds one server spent per message."""
        cpu = self.server_cpu_seconds.get(server)
        return cpu / self.messages * 1000 if cpu is not None and self.messages else None


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def require_loopback(url: str) -> str:
    """Refuses any URL that is not on this machine's loopback.

    Returns:
        The URL's host, a loopback one.

    Raises:
        ValueError: The host is not loopback.

    """
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK and not host.startswith("127."):
        raise ValueError(f"the benchmark only talks to loopback, not {host!r}")
    return host


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process and its reaped children."""
    fields = _stat_fields(pid)
    ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime (fields 14-17)
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its live children, in MB."""
    return sum(_status_kb(p, "VmHWM") for p in [pid, *_children(pid)]) / 1024


def _stat_fields(pid: int) -> List[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as file:
        # The command name may contain spaces; everything after its ")" is numeric.
        return file.read().rsplit(")", 1)[1].split()


def _status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as file:
        for line in file:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _children(pid: int) -> List[int]:
    children: List[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as file:
                children += [int(c) for c in file.read().split()]
    except OSError:
        return []
    return children + [g for c in children for g in _children(c)]


async def post_message(
    session: aiohttp.ClientSession, url: str, sender: str, text: str
) -> Tuple[Optional[List[Dict[str, Any]]], float]:
    """Sends one citizen message to the REST webhook and times the reply.

    Args:
        session: The client session.
        url: The REST webhook.
        sender: The conversation's sender id.
        text: The message.

    Returns:
        The replies, or None when the request failed or did not answer 200, and the
        seconds it took.

    """
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            replies = await response.json() if response.status == 200 else None
    except (aiohttp.ClientError, asyncio.TimeoutError):
        replies = None
    return replies, time.perf_counter() - started


async def _conversation(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    script: Script,
    run: Run,
    deadline: float,
    first: int,
) -> None:
    sender = f"bench-{uuid.uuid4().hex}"
    for turn, (text, expected) in enumerate(script):
        if time.monotonic() >= deadline:
            return
        # With several servers, each message goes to the next one: a conversation's turns
        # alternate between processes.
        url = urls[(first + turn) % len(urls)]
        replies, seconds = await post_message(session, url, sender, text)
        run.latencies.append(seconds)
        verdict = judge(replies, expected)
        if not verdict.ok:
            run.failures[verdict.reason] += 1


async def _worker(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    scripts: Sequence[Script],
    start: int,
    run: Run,
    budget: List[int],
    deadline: float,
) -> None:
    index = start
    while budget[0] > 0 and time.monotonic() < deadline:
        script = scripts[index % len(scripts)]
        budget[0] -= len(script)
        index += 1
        await _conversation(session, urls, script, run, deadline, index)


async def drive(
    url: Union[str, Sequence[str]],
    scripts: Sequence[Script],
    conversations: int,
    messages: int,
    max_seconds: float,
    pids: Optional[Dict[str, int]] = None,
) -> Run:
    """Runs conversations back to back, ``conversations`` at a time.

    Args:
        url: The REST webhook (loopback only), or several: a conversation's messages then
            go to each in turn.
        scripts: The conversations to cycle through; each new one gets a new sender id.
        conversations: How many conversations run at once.
        messages: Stop starting conversations after about this many messages.
        max_seconds: Stop sending at this deadline, whatever the count.
        pids: Server processes whose CPU time to measure, by name.

    Returns:
        The run's latencies, failures, wall time and server CPU time.

    """
    urls = [url] if isinstance(url, str) else list(url)
    for each in urls:
        require_loopback(each)
    run = Run(conversations)
    budget = [messages]
    pids = pids or {}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=conversations)
    started = time.perf_counter()
    deadline = time.monotonic() + max_seconds
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(
            *(
                _worker(session, urls, scripts, i, run, budget, deadline)
                for i in range(conversations)
            )
        )
    run.seconds = time.perf_counter() - started
    run.server_cpu_seconds = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    return run
