"""How the Procfile starts the Rasa server, and how the tests start it the same way.

Origins reach Rasa as written, never globbed; the speed-ups are installed by this entry point
alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.rasa import compat, run, without_tensorflow
from bot.rasa.run import cors_arguments
from tests.servers import assistant_ports, expanded, procfile_command

LAUNCHER = [".venv/bin/python", "-m", "bot.rasa.run"]


def procfile_words(folder: Path, origins: str) -> list[str]:
    """The arguments the shell hands the Procfile's Rasa launcher, run in ``folder``."""
    env = {"CORS_ORIGINS": origins, "BOT_HOST": "127.0.0.1", "BOT_PORT": "5005"}
    words = expanded(procfile_command("rasa"), env, cwd=folder)
    assert words[:3] == LAUNCHER
    return words[3:]


def test_the_tests_start_rasa_with_the_procfiles_command_on_their_own_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CORS_ORIGINS", "RASA_API_TOKEN", "RASA_MODEL", "RASA_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    ports = assistant_ports(tmp_path, {"RASA_API_TOKEN": "hemmelig-nøgle"})
    words = expanded(procfile_command("rasa"), ports.env)
    assert words == [
        *LAUNCHER, "run", "--model", "models/assistant.tar.gz", "--interface", "127.0.0.1",
        "--port", str(ports.bot_port), "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml", "--cors", "",
        "--enable-api", "--auth-token", "hemmelig-nøgle",
    ]  # fmt: skip
    assert ports.env["ACTION_PORT"] == str(ports.action_port)


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


@pytest.fixture
def rasa_main(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """Rasa's entry point and the speed-up installer, replaced by a log of their calls."""
    import rasa.__main__

    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(rasa.__main__, "main", lambda: calls.append(("rasa", list(sys.argv))))
    monkeypatch.setattr(compat, "install", lambda disabled=(): calls.append(("install", disabled)))
    # The test process keeps its own TensorFlow.
    monkeypatch.setattr(
        without_tensorflow, "install", lambda: calls.append(("without tensorflow", None))
    )
    return calls


def test_rasa_gets_the_split_origins(
    monkeypatch: pytest.MonkeyPatch, rasa_main: list[tuple[str, object]]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bot.rasa.run", "run", "--cors", "https://a.dk *"])
    run.main()
    assert rasa_main[-1] == ("rasa", ["rasa", "run", "--cors", "https://a.dk"])


def test_the_server_gets_the_speed_ups_before_rasa_starts(
    monkeypatch: pytest.MonkeyPatch, rasa_main: list[tuple[str, object]]
) -> None:
    monkeypatch.setenv("FRONTEN_SPEEDUPS_DISABLE", "graph_runs, event_classes")
    monkeypatch.setattr(sys, "argv", ["bot.rasa.run", "run", "--port", "5005"])
    run.main()
    assert rasa_main == [
        ("without tensorflow", None),
        ("install", frozenset({"graph_runs", "event_classes"})),
        ("rasa", ["rasa", "run", "--port", "5005"]),
    ]


@pytest.mark.parametrize("disabled", ["without_tensorflow", "all"])
def test_tensorflow_is_kept_when_switched_off_for_measuring(
    monkeypatch: pytest.MonkeyPatch, rasa_main: list[tuple[str, object]], disabled: str
) -> None:
    monkeypatch.setenv("FRONTEN_SPEEDUPS_DISABLE", disabled)
    monkeypatch.setattr(sys, "argv", ["bot.rasa.run", "run"])
    run.main()
    assert ("without tensorflow", None) not in rasa_main
    assert rasa_main[-1] == ("rasa", ["rasa", "run"])


@pytest.mark.parametrize("argv", [["--version"], ["train", "--fixed-model-name", "x"], []])
def test_commands_that_serve_nothing_get_no_speed_up(
    monkeypatch: pytest.MonkeyPatch, rasa_main: list[tuple[str, object]], argv: list[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bot.rasa.run", *argv])
    run.main()
    assert rasa_main == [("rasa", ["rasa", *argv])]
