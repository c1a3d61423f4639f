"""Latency, throughput, memory, load and training time: this assistant next to stock Rasa.

    python -m bench.perf            # make bench

It trains both assistants from scratch into a temporary folder, starts each on free
loopback ports (fresh tracker store and booking database), warms it up, and then, ``--repeat``
times, sends scripted conversations over the REST channel: one conversation at a time, then
eight at once. Every run is bounded by a number of messages and a deadline. The table goes
to the terminal and to ``bench/results.md``. An assistant that does not start is reported as
such, never as zeros.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

from bench.assistants import BENCH_RATE_LIMIT, StartFailed, Trained, serve, train_ours, train_stock
from bench.measure import Run, drive, peak_rss_mb, percentile
from bench.support import ROOT


@dataclass
class Result:
    """Everything measured for one assistant, or why it could not be."""

    name: str
    error: Optional[str] = None
    train_seconds: Optional[float] = None
    load_seconds: Optional[float] = None
    single: List[Run] = field(default_factory=list)
    concurrent: List[Run] = field(default_factory=list)
    rss_mb: Dict[str, float] = field(default_factory=dict)
    started_with: str = ""


@dataclass(frozen=True)
class Figure:
    """One row of the table: how to read it from a result, and its target."""

    label: str
    unit: str
    read: Callable[[Result], Optional[float]]
    lower_is_better: bool = True
    target: Optional[float] = None
    decimals: int = 0


def _mean(values: List[Optional[float]]) -> Optional[float]:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


FIGURES = (
    Figure("median reply, 1 conversation", "ms", lambda r: _mean([x.p50_ms for x in r.single]),
           target=25, decimals=1),
    Figure("p95 reply, 1 conversation", "ms", lambda r: _mean([x.p95_ms for x in r.single]),
           target=60, decimals=1),
    Figure("median reply, 8 conversations", "ms",
           lambda r: _mean([x.p50_ms for x in r.concurrent]), decimals=1),
    Figure("p95 reply, 8 conversations", "ms",
           lambda r: _mean([x.p95_ms for x in r.concurrent]), decimals=1),
    Figure("throughput, 1 conversation", "msg/s",
           lambda r: _mean([x.throughput for x in r.single]), lower_is_better=False, decimals=1),
    Figure("throughput, 8 conversations", "msg/s",
           lambda r: _mean([x.throughput for x in r.concurrent]), lower_is_better=False,
           target=100, decimals=1),
    Figure("Rasa server CPU per message, 8 conversations", "ms",
           lambda r: _mean([x.cpu_ms_per_message("rasa") for x in r.concurrent]), decimals=1),
    Figure("action server CPU per message, 8 conversations", "ms",
           lambda r: _mean([x.cpu_ms_per_message("actions") for x in r.concurrent]),
           decimals=1),
    Figure("peak memory (RSS), Rasa server", "MB", lambda r: r.rss_mb.get("rasa"), target=700),
    Figure("peak memory (RSS), action server", "MB", lambda r: r.rss_mb.get("actions")),
    Figure("model load (start until it answers)", "s", lambda r: r.load_seconds, target=15,
           decimals=1),
    Figure("training from scratch", "s", lambda r: r.train_seconds, target=180),
)  # fmt: skip


def measure(trained: Trained, tmp: Path, args: argparse.Namespace) -> Result:
    """Starts one assistant and runs every measurement on it."""
    result = Result(trained.name, train_seconds=trained.train_seconds)
    result.started_with = " ".join([Path(trained.launcher[0]).name, *trained.launcher[1:]])
    print(f"[{trained.name}] starting the servers", flush=True)
    with serve(trained, tmp) as served:
        result.load_seconds = served.load_seconds
        print(f"[{trained.name}] up after {served.load_seconds:.1f} s; warming up", flush=True)
        scripts = trained.scripts
        # Every script a few times, alone and eight at once, before anything is counted.
        warm = sum(len(s) for s in scripts) * 4
        asyncio.run(drive(served.webhook, scripts, 1, warm, args.max_seconds))
        asyncio.run(drive(served.webhook, scripts, 8, warm * 2, args.max_seconds))
        for repeat in range(1, args.repeat + 1):
            for conversations, count, runs in (
                (1, args.messages_single, result.single),
                (8, args.messages_concurrent, result.concurrent),
            ):
                run = asyncio.run(
                    drive(
                        served.webhook, scripts, conversations, count, args.max_seconds,
                        pids=served.pids,
                    )
                )  # fmt: skip
                runs.append(run)
                print(
                    f"[{trained.name}] run {repeat}, {conversations} at once: {run.messages} "
                    f"messages, median {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms, "
                    f"{run.throughput:.1f} msg/s, {run.failed} failed",
                    flush=True,
                )
        result.rss_mb = {name: peak_rss_mb(pid) for name, pid in served.pids.items()}
    return result


def _format(value: Optional[float], figure: Figure) -> str:
    return "–" if value is None else f"{value:,.{figure.decimals}f} {figure.unit}"


def _improvement(stock: Optional[float], ours: Optional[float], figure: Figure) -> str:
    if not stock or not ours:
        return "–"
    if figure.lower_is_better:
        return f"{stock / ours:.1f}× lower"
    return f"{ours / stock:.1f}× higher"


def _target(value: Optional[float], figure: Figure) -> str:
    if figure.target is None:
        return ""
    sign = "≤" if figure.lower_is_better else "≥"
    goal = f"{sign} {figure.target:g} {figure.unit}"
    if value is None:
        return goal
    met = value <= figure.target if figure.lower_is_better else value >= figure.target
    return f"{goal} {'met' if met else 'NOT met'}"


def table(stock: Result, ours: Result) -> str:
    """The Markdown comparison table."""
    lines = [
        "| figure | stock Rasa (`rasa init`) | this assistant | improvement | target |",
        "|---|---|---|---|---|",
    ]
    for figure in FIGURES:
        s = None if stock.error else figure.read(stock)
        o = None if ours.error else figure.read(ours)
        lines.append(
            f"| {figure.label} | {_format(s, figure) if not stock.error else 'did not start'} "
            f"| {_format(o, figure) if not ours.error else 'did not start'} "
            f"| {_improvement(s, o, figure)} | {_target(o, figure)} |"
        )
    return "\n".join(lines)


def runs_detail(results: List[Result]) -> str:
    """Every run on its own, so the spread between repeats is visible."""
    lines = [
        "| assistant | conversations at once | run | messages | failed | median | p95 "
        "| throughput | Rasa CPU/message |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for runs in (result.single, result.concurrent):
            for number, run in enumerate(runs, 1):
                cpu = run.cpu_ms_per_message("rasa")
                cpu_text = "–" if cpu is None else f"{cpu:.1f} ms"
                lines.append(
                    f"| {result.name} | {run.conversations} | {number} | {run.messages} "
                    f"| {run.failed} | {run.p50_ms:.1f} ms | {run.p95_ms:.1f} ms "
                    f"| {run.throughput:.1f} msg/s | {cpu_text} |"
                )
    return "\n".join(lines)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def report(
    results: List[Result],
    load_before: str,
    load_after: str,
    args: argparse.Namespace,
    ranker: Optional[RankerCost] = None,
) -> str:
    """The whole Markdown report."""
    stock = next(r for r in results if r.name == "stock")
    ours = next(r for r in results if r.name == "ours")
    failures = {r.name: sum(x.failed for x in r.single + r.concurrent) for r in results}
    notes = [
        f"- Machine: {os.cpu_count()} cores; load average (1, 5, 15 min) {load_before} before "
        f"and {load_after} after the run.",
        f"- {args.repeat} runs of each measurement per assistant, after a warm-up; the table "
        "shows their mean, the runs are below. 1 conversation: up to "
        f"{args.messages_single} messages; 8 conversations: up to {args.messages_concurrent} "
        f"messages; each run stops after {args.max_seconds:g} s at the latest.",
        "- Each conversation is 2–4 scripted messages with a new sender id (`bench/"
        "conversations.py`); ours are Danish questions answered by the custom actions from the "
        "knowledge base, with follow-ups that depend on the previous turn; stock Rasa gets "
        "the English messages of its own stories. Every reply is checked; failed turns: "
        + ", ".join(f"{name} {count}" for name, count in failures.items())
        + ".",
        f"- `RATE_LIMIT_PER_MINUTE={BENCH_RATE_LIMIT}` in the servers' environment: every "
        "conversation stays under the default 30 a minute anyway, but all of them come from "
        "one address. The guard still runs on every message.",
        "- Ours: guarded REST channel, lean SQL tracker store in a fresh SQLite file "
        "(write-ahead log, `synchronous=FULL`), action server, Rasa log level INFO. "
        "Stock: `rasa init` as created (in-memory tracker store, no action server). "
        f"Our server was started with `{ours.started_with} run …`"
        + (" (as in the Procfile)." if not args.launcher else " (`--launcher`)."),
        "- Memory is the peak resident set (VmHWM) at the end; model load is from starting "
        "the Rasa server until it answers HTTP; training is `rasa train` (stock: `rasa init "
        "--no-prompt`, which writes its files and trains) with an empty cache.",
    ]
    for result in results:
        if result.error:
            lines = [line.strip() for line in result.error.splitlines() if line.strip()]
            reason = lines[0] if len(lines) < 2 else f"{lines[0]} … {lines[-1]}"
            notes.append(f"- **{result.name} did not start**: {reason}")
    return "\n".join(
        [
            f"# Benchmark ({time.strftime('%Y-%m-%d %H:%M')}, commit {_commit()})",
            "",
            table(stock, ours),
            "",
            *notes,
            "",
            *(_ranker_section(ranker) if ranker else []),
            "## Every run",
            "",
            runs_detail([r for r in results if not r.error]),
            "",
        ]
    )


def _ranker_section(ranker: RankerCost) -> List[str]:
    return [
        "## The ranker's cost per message (in the action server, in-process)",
        "",
        f"Deciding an answer (service names, scores of every fact, the choice) for each of the "
        f"{ranker.messages} written questions of `tests/answers/dev`: median "
        f"{ranker.p50_ms:.1f} ms, p95 {ranker.p95_ms:.1f} ms. Building the answerer when the "
        f"action server starts: {ranker.build_seconds:.1f} s. This time is part of every "
        "reply above.",
        "",
    ]


@dataclass(frozen=True)
class RankerCost:
    """What deciding an answer costs in the action server, per message, in-process."""

    build_seconds: float
    messages: int
    p50_ms: float
    p95_ms: float


def ranker_cost(db: Path, questions: Path, municipality: str = "Ballerup") -> RankerCost:
    """Times :meth:`Answerer.decide` on every written question of the development set.

    The answerer is built once per action server (at start-up); each message then costs one
    decision: service names, the ranker's scores and the choice of answer.
    """
    from bot.knowledge import KnowledgeRepository

    repository = KnowledgeRepository.open(db, municipality)
    started = time.perf_counter()
    answerer = repository.answerer()
    build = time.perf_counter() - started
    texts = []
    for path in sorted(questions.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if data.get("municipality", "Ballerup") != municipality:
            continue
        texts += [case["user"] for case in data.get("cases") or []]
        texts += [t["user"] for c in data.get("conversations") or [] for t in c["turns"]]
    timings = []
    for text in texts:
        started = time.perf_counter()
        answerer.decide(text)
        timings.append((time.perf_counter() - started) * 1000)
    return RankerCost(build, len(timings), statistics.median(timings), percentile(timings, 95))


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the benchmark; non-zero when an assistant did not start or turns failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--messages-single", type=int, default=200)
    parser.add_argument("--messages-concurrent", type=int, default=800)
    parser.add_argument("--max-seconds", type=float, default=90)
    parser.add_argument("--model", type=Path, help="use this trained model; skip our training")
    parser.add_argument(
        "--launcher",
        help="start our Rasa server with this instead of the Procfile's command, "
        "e.g. 'rasa' or 'python -m bot.rasa.run'",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args(argv)
    load_before = _load()
    print(f"load average {load_before} on {os.cpu_count()} cores", flush=True)
    results: List[Result] = []
    with tempfile.TemporaryDirectory(prefix="fronten-bench-") as folder:
        tmp = Path(folder)
        for name in ("stock", "ours"):
            (tmp / name).mkdir()
            try:
                print(f"[{name}] training from scratch", flush=True)
                trained = (
                    train_ours(tmp / name, args.model, args.launcher) if name == "ours"
                    else train_stock(tmp / name)
                )  # fmt: skip
                results.append(measure(trained, tmp / name, args))
            except StartFailed as error:
                print(f"[{name}] {error}", file=sys.stderr, flush=True)
                results.append(Result(name, error=str(error)))
    ranker = ranker_cost(ROOT / "var" / "knowledge.db", ROOT / "tests" / "answers" / "dev")
    text = report(results, load_before, _load(), args, ranker)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.out}")
    if any(r.error for r in results):
        return 2
    return 1 if any(x.failed for r in results for x in r.single + r.concurrent) else 0


if __name__ == "__main__":
    sys.exit(main())
