"""Starts the real servers on free loopback ports, exactly as the Procfile starts them.

Each server runs the command its line in the ``Procfile`` gives (read with honcho's own
parser), through the shell as honcho runs it, with its ports in the variables the Procfile
and the settings read (``BOT_PORT``, ``ACTION_PORT``, ``WEB_PORT``, …). The benchmark
(``bench/``) takes these helpers from here; nothing here imports ``bench``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests
from honcho.environ import parse_procfile

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "assistant.tar.gz"
PROCFILE = ROOT / "Procfile"
# The line the SMS worker logs once it polls the outbox.
SMS_WORKER_STARTED = "SMS worker started"


def procfile_command(process: str) -> str:
    """The command the Procfile gives a process (``rasa``, ``actions``, ``web``, ``sms``)."""
    return parse_procfile(PROCFILE.read_text(encoding="utf-8")).processes[process]


def shell(command: str) -> list[str]:
    """A Procfile command run as honcho runs it, by ``/bin/sh``.

    ``exec`` makes the server take the shell's place, so the process started is the server
    itself: stopping it stops the server, and its CPU and memory are the server's.
    """
    return ["/bin/sh", "-c", f"exec {command}"]


def expanded(command: str, env: dict[str, str], cwd: Path = ROOT) -> list[str]:
    """The words the shell hands the program of a Procfile command, one per item."""
    printed = subprocess.run(
        ["/bin/sh", "-c", f"printf '%s\\n' {command}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout.splitlines()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Polls a URL until it answers, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running(
    command: list[str], url: str, env: dict[str, str], log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen]:
    """Runs a server until the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(url, process, log)
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Ports:
    """Where one assistant's servers listen, and the environment they share."""

    env: dict[str, str]
    action_port: int
    bot_port: int

    @property
    def webhook(self) -> str:
        """The REST channel's URL."""
        return f"http://127.0.0.1:{self.bot_port}/webhooks/rest/webhook"

    @property
    def base(self) -> str:
        """The Rasa server's base URL."""
        return f"http://127.0.0.1:{self.bot_port}"


def assistant_ports(tmp: Path, extra_env: dict[str, str] | None = None) -> Ports:
    """Free ports and the environment for an action server and a Rasa server."""
    action_port, bot_port = free_port(), free_port()
    env = {
        **os.environ,
        "BOT_HOST": "127.0.0.1",
        "BOT_PORT": str(bot_port),
        "ACTION_HOST": "127.0.0.1",
        "ACTION_PORT": str(action_port),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "KNOWLEDGE_DB": os.environ.get("KNOWLEDGE_DB", str(ROOT / "var" / "knowledge.db")),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # Each run gets its own conversations, never the developer's var/tracker.db.
        "TRACKER_STORE_URL": f"sqlite:///{tmp / 'tracker.db'}",
        **(extra_env or {}),
    }
    return Ports(env, action_port, bot_port)


@contextmanager
def action_server(ports: Ports, log: Path) -> Iterator[subprocess.Popen]:
    """Runs the Procfile's ``actions`` process until the block ends."""
    command = shell(procfile_command("actions"))
    url = f"http://127.0.0.1:{ports.action_port}/health"
    with running(command, url, ports.env, log) as process:
        yield process


@contextmanager
def rasa_server(ports: Ports, log: Path) -> Iterator[subprocess.Popen]:
    """Runs the Procfile's ``rasa`` process until the block ends.

    ``RASA_API_TOKEN`` and ``CORS_ORIGINS`` in ``ports.env`` reach Rasa as the Procfile
    passes them: the HTTP API only ever with a token.
    """
    command = shell(procfile_command("rasa"))
    with running(command, f"{ports.base}/", ports.env, log) as process:
        yield process


@contextmanager
def assistant(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Starts the action server and the Rasa server; yields the REST webhook URL."""
    ports = assistant_ports(tmp, extra_env)
    with action_server(ports, tmp / "actions.log"), rasa_server(ports, tmp / "rasa.log"):
        yield ports.webhook


@contextmanager
def staff_web(
    tmp: Path, extra_env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """Starts the Procfile's ``web`` process (the staff web app); yields its base URL.

    Pass a port chosen with :func:`free_port` when another server must know the web app's
    origin before it starts (the Rasa server's CORS list).
    """
    port = port or free_port()
    env = {**os.environ, "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), **(extra_env or {})}
    command = shell(procfile_command("web"))
    with running(command, f"http://127.0.0.1:{port}/health", env, tmp / "web.log"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def sms_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Runs the Procfile's ``sms`` process (the SMS worker) until the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(
            shell(procfile_command("sms")), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while SMS_WORKER_STARTED not in log.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the SMS worker did not start:\n{log.read_text()}")
                time.sleep(0.2)
            yield process
        finally:
            _stop(process)
