"""How the Procfile starts the Rasa server: origins reach Rasa as written, never globbed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.rasa import run
from bot.rasa.run import cors_arguments
from tests.conftest import ROOT

LAUNCHER = ".venv/bin/python -m bot.rasa.run"


def procfile_words(folder: Path, origins: str) -> list[str]:
    """The words the shell hands the Procfile's rasa command, run in ``folder``."""
    line = next(
        line
        for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("rasa:")
    )
    command = line.split(":", 1)[1].strip()
    assert command.startswith(LAUNCHER)
    printed = subprocess.run(
        ["/bin/sh", "-c", "printf '%s\\n'" + command[len(LAUNCHER) :]],
        cwd=folder,
        env={"CORS_ORIGINS": origins, "BOT_HOST": "127.0.0.1", "BOT_PORT": "5005"},
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout.splitlines()


def test_a_star_is_not_expanded_by_the_shell(tmp_path: Path) -> None:
    for name in ("Makefile", "domain.yml"):
        (tmp_path / name).write_text("", encoding="utf-8")
    words = procfile_words(tmp_path, "*")
    assert words[words.index("--cors") + 1] == "*"
    assert "Makefile" not in words
    # And the star itself is dropped before Rasa sees it.
    assert "*" not in cors_arguments(words)


def test_several_origins_become_one_argument_each(tmp_path: Path) -> None:
    words = procfile_words(tmp_path, "http://127.0.0.1:8000 https://www.ballerup.dk")
    argv = cors_arguments(words)
    start = argv.index("--cors") + 1
    assert argv[start : start + 2] == ["http://127.0.0.1:8000", "https://www.ballerup.dk"]
    assert "--enable-api" not in argv  # no token, no HTTP API


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--cors", "https://a.dk  https://b.dk"], ["run", "--cors", "https://a.dk", "https://b.dk"]),
        (["run", "--cors", "*", "--port", "5005"], ["run", "--cors", "--port", "5005"]),
        (["run", "--cors", "https://a.dk", "https://b.dk"], ["run", "--cors", "https://a.dk", "https://b.dk"]),
        (["run", "--cors", "", "--enable-api"], ["run", "--cors", "--enable-api"]),
        (["run", "--port", "5005"], ["run", "--port", "5005"]),
    ],
)  # fmt: skip
def test_cors_arguments(argv: list[str], expected: list[str]) -> None:
    assert cors_arguments(argv) == expected


def test_rasa_gets_the_split_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    import rasa.__main__

    seen: list[list[str]] = []
    monkeypatch.setattr(rasa.__main__, "main", lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["bot.rasa.run", "run", "--cors", "https://a.dk *"])
    run.main()
    assert seen == [["rasa", "run", "--cors", "https://a.dk"]]
