"""Starts the real Rasa and action servers on free loopback ports for end-to-end tests."""

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

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "assistant.tar.gz"


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
    command: list[str], url: str, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen]:
    """Runs a server until the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(url, process, log)
            yield process
        finally:
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
    """Runs the action server until the block ends."""
    command = [str(BIN / "python"), "-m", "bot.actions.server"]
    url = f"http://127.0.0.1:{ports.action_port}/health"
    with running(command, url, ports.env, log) as process:
        yield process


@contextmanager
def rasa_server(ports: Ports, log: Path) -> Iterator[subprocess.Popen]:
    """Runs the Rasa server until the block ends."""
    command = [
        str(BIN / "rasa"), "run", "--model", str(MODEL), "--interface", "127.0.0.1",
        "--port", str(ports.bot_port), "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml",
    ]  # fmt: skip
    if ports.env.get("RASA_API_TOKEN"):
        # As the Procfile does: the HTTP API only ever with a token.
        command += ["--enable-api", "--auth-token", ports.env["RASA_API_TOKEN"]]
    if ports.env.get("CORS_ORIGINS"):
        # As the Procfile does: browsers on these origins may call the REST channel.
        command += ["--cors", *ports.env["CORS_ORIGINS"].split()]
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
    """Starts the staff web app (``python -m bot.web``); yields its base URL.

    Pass a port chosen with :func:`free_port` when another server must know the web app's
    origin before it starts (the Rasa server's CORS list).
    """
    port = port or free_port()
    env = {**os.environ, "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), **(extra_env or {})}
    command = [str(BIN / "python"), "-m", "bot.web"]
    with running(command, f"http://127.0.0.1:{port}/health", env, tmp / "web.log"):
        yield f"http://127.0.0.1:{port}"
