"""The two assistants the benchmark compares: how each is trained and started.

- ``ours``: this project, trained from scratch into a temporary folder, served with its own
  ``endpoints.yml`` and ``credentials.yml`` (guarded REST channel, SQL tracker store in a fresh
  SQLite file, action server) on free loopback ports, with a fresh booking database.
- ``stock``: what ``rasa init --no-prompt`` creates and trains (its default pipeline and
  policies, the in-memory tracker store and only response actions), served the same way.

Both are served by the ``Procfile``'s ``rasa`` command, run in the assistant's folder (ours:
as ``make run`` starts it; stock: with plain ``rasa`` before ``run``), the trained model in
``RASA_MODEL``.

Training runs with its own empty cache folder, so nothing from an earlier run is reused.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

from bench.conversations import OURS, STOCK, Script
from bench.support import ROOT, action_server, assistant_ports, procfile_command, running, shell

BIN = Path(sys.executable).parent
TRAIN_TIMEOUT_SECONDS = 900
# Each conversation stays under the guard's 30 messages a minute anyway; the limit is raised
# because the benchmark reuses one client address for thousands of messages.
BENCH_RATE_LIMIT = "100000"
# What the Procfile's rasa command reads from the environment, for stock Rasa.
STOCK_ENV = ("BOT_HOST", "BOT_PORT", "RASA_MODEL")


class StartFailed(RuntimeError):
    """An assistant could not be trained or did not start; the message says why."""


@dataclass(frozen=True)
class Trained:
    """A trained assistant, ready to serve."""

    name: str
    model: Path
    folder: Path
    scripts: Tuple[Script, ...]
    uses_actions: bool
    train_seconds: Optional[float]
    launcher: Tuple[str, ...] = (str(BIN / "rasa"),)


@dataclass(frozen=True)
class Served:
    """A running assistant."""

    webhook: str
    pids: Dict[str, int]
    load_seconds: float


def launcher(command: str) -> Tuple[str, ...]:
    """How a command starts Rasa: its words before ``run``.

    ``.venv/bin/...`` and a bare ``python`` or ``rasa`` mean this virtual environment's, so
    the words start the same program from any folder.
    """
    words = shlex.split(command)
    words = words[: words.index("run")] if "run" in words else words
    if not words:
        return (str(BIN / "rasa"),)
    first = words[0]
    if first in ("python", "rasa"):
        first = str(BIN / first)
    elif first.startswith(".venv/"):
        first = str(ROOT / first)
    return (first, *words[1:])


def rasa_command(start_with: Tuple[str, ...]) -> str:
    """The ``Procfile``'s ``rasa`` command, with ``start_with`` as the words before ``run``.

    Everything from ``run`` on (the options, and the variables they read) stays the
    Procfile's.

    Raises:
        ValueError: The Procfile's command has no ``run``.

    """
    _, run, options = procfile_command("rasa").partition(" run ")
    if not run:
        raise ValueError("the Procfile's rasa command has no ' run '")
    return shlex.join(start_with) + run + options


def _base_env(tmp: Path) -> Dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_CACHE_DIRECTORY": str(tmp)}


def _run(command: list[str], cwd: Path, env: Dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("w") as out:
        try:
            result = subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=TRAIN_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as error:
            raise StartFailed(f"{' '.join(command[:3])} timed out; see {log}") from error
    if result.returncode != 0:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        reason = lines[-1] if lines else "no output"
        raise StartFailed(
            f"{' '.join(command[1:3])} failed ({result.returncode}): {reason}\n"
            + "\n".join(lines[-20:])
        )
    return time.perf_counter() - started


def train_ours(
    tmp: Path, model: Optional[Path] = None, start_with: Optional[str] = None
) -> Trained:
    """Trains this project from scratch into ``tmp`` (or takes a trained ``model``).

    Args:
        tmp: A temporary folder.
        model: A trained model to use instead of training.
        start_with: What starts Rasa (see :func:`launcher`), e.g. ``rasa``; default the
            Procfile's own words.

    Returns:
        The assistant, ready for :func:`serve`.

    """
    seconds = None
    if model is None:
        out = tmp / "model"
        command = [str(BIN / "rasa"), "train", "--config", "config.yml", "--domain",
                   "domain.yml", "--data", "data", "--out", str(out),
                   "--fixed-model-name", "ours"]  # fmt: skip
        seconds = _run(command, ROOT, _base_env(tmp / "cache"), tmp / "train.log")
        model = out / "ours.tar.gz"
    return Trained(
        "ours", model, ROOT, OURS, True, seconds, launcher(start_with or procfile_command("rasa"))
    )


def train_stock(tmp: Path) -> Trained:
    """``rasa init --no-prompt`` into ``tmp``: it writes the starter project and trains it."""
    project = tmp / "project"
    project.mkdir(parents=True, exist_ok=True)  # --no-prompt wants the folder to exist
    command = [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)]
    seconds = _run(command, tmp, _base_env(tmp / "cache"), tmp / "init.log")
    models = sorted((project / "models").glob("*.tar.gz"))
    if not models:
        raise StartFailed(f"rasa init trained no model; see {tmp / 'init.log'}")
    return Trained("stock", models[-1], project, STOCK, False, seconds)


@contextmanager
def serve(trained: Trained, tmp: Path) -> Iterator[Served]:
    """Starts the assistant's servers on free loopback ports until the block ends.

    Raises:
        StartFailed: A server exited or did not answer in time (with its log's tail).

    """
    extra = {"BOOKING_DB": str(tmp / "bookings.db"), "RATE_LIMIT_PER_MINUTE": BENCH_RATE_LIMIT,
             "RASA_MODEL": str(trained.model)}  # fmt: skip
    ports = assistant_ports(tmp, extra)
    command = shell(rasa_command(trained.launcher))
    with ExitStack() as stack:
        try:
            pids = {}
            if trained.uses_actions:
                actions = stack.enter_context(action_server(ports, tmp / "actions.log"))
                pids["actions"] = actions.pid
            started = time.perf_counter()
            env = ports.env
            if not trained.uses_actions:
                # Stock Rasa gets only where to listen, and its model.
                env = {**_base_env(tmp / "cache"), **{k: ports.env[k] for k in STOCK_ENV}}
            rasa = stack.enter_context(
                running(command, f"{ports.base}/", env, tmp / "rasa.log", cwd=trained.folder)
            )
            load_seconds = time.perf_counter() - started
        except (RuntimeError, TimeoutError) as error:
            raise StartFailed(f"{trained.name} did not start:\n{error}") from error
        pids["rasa"] = rasa.pid
        yield Served(ports.webhook, pids, load_seconds)
