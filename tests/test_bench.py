"""The benchmark's own rules: loopback only, honest judging of replies, the Procfile's command.

The only test module that imports ``bench``: the benchmark is what it tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.assistants import BIN, launcher, rasa_command, train_ours
from bench.conversations import OURS, SOURCE, judge
from bench.measure import cpu_seconds, peak_rss_mb, percentile, require_loopback
from tests.servers import MODEL, ROOT, expanded


@pytest.mark.parametrize(
    ("url", "host"),
    [("http://127.0.0.1:5005/x", "127.0.0.1"), ("http://localhost:1/", "localhost"),
     ("http://[::1]:2/", "::1"), ("http://127.0.0.2/", "127.0.0.2")],
)  # fmt: skip
def test_loopback_is_allowed(url: str, host: str) -> None:
    assert require_loopback(url) == host


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "https://example.com/", "http://192.168.1.2/"])
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        require_loopback(url)


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile([7.0], 95)) == (50, 95, 7)


@pytest.mark.parametrize(
    ("replies", "expected", "ok"),
    [
        ([{"text": "Svar. Kilde: Ballerup"}], SOURCE, True),
        ([{"text": "Hej!"}], "", True),
        ([{"text": "Vælg en ydelse", "buttons": [{"title": "BPA"}]}], "", True),
        ([{"text": "Svar uden kilde"}], SOURCE, False),
        ([], "", False),
        (None, "", False),
        ([{"text": "Der skete en teknisk fejl. Ring til Fronten"}], "", False),
        ([{"text": "Vent et øjeblik, før du skriver igen."}], "", False),
    ],
)
def test_replies_are_judged(replies, expected: str, ok: bool) -> None:
    assert judge(replies, expected).ok is ok


def test_every_conversation_stays_under_the_rate_limit() -> None:
    assert all(2 <= len(script) < 30 for script in OURS)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (".venv/bin/rasa run --model m", (str(ROOT / ".venv/bin/rasa"),)),
        ("python -m bot.rasa.run run --x", (str(BIN / "python"), "-m", "bot.rasa.run")),
        ("rasa", (str(BIN / "rasa"),)),
    ],
)
def test_rasa_is_started_as_told(command: str, expected: tuple) -> None:
    assert launcher(command) == expected


def test_ours_is_started_as_make_run_starts_it(tmp_path: Path) -> None:
    trained = train_ours(tmp_path, model=MODEL)
    assert trained.launcher == (str(ROOT / ".venv/bin/python"), "-m", "bot.rasa.run")
    assert (trained.folder, trained.train_seconds) == (ROOT, None)


def test_another_launcher_keeps_the_procfiles_options(tmp_path: Path) -> None:
    env = {"BOT_HOST": "127.0.0.1", "BOT_PORT": "5099", "RASA_MODEL": str(tmp_path / "m.tar.gz")}
    words = expanded(rasa_command((str(BIN / "rasa"),)), env, cwd=tmp_path)
    assert words == [
        str(BIN / "rasa"), "run", "--model", str(tmp_path / "m.tar.gz"),
        "--interface", "127.0.0.1", "--port", "5099", "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml", "--cors", "",
    ]  # fmt: skip


def test_process_figures_come_from_proc() -> None:
    assert cpu_seconds(os.getpid()) > 0
    assert 10 < peak_rss_mb(os.getpid()) < 100_000


def test_the_launcher_runs_rasas_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.rasa.run", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Rasa Version" in result.stdout
