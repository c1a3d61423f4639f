"""The README documents every environment variable the code reads and every command."""

from __future__ import annotations

import re

import click
import pytest

from bot.cli import cli
from bot.settings import variable_names
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Read by something other than the project's code: rasa_sdk's host, TensorFlow's log level.
NOT_OURS = {"SANIC_HOST", "TF_CPP_MIN_LOG_LEVEL"}


def _variables_read_by_code() -> set[str]:
    # The settings module lists its own variables, also those whose names sit in constants.
    names = set(variable_names())
    for path in [*(ROOT / "bot").rglob("*.py"), ROOT / "Makefile", ROOT / "Procfile"]:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"os\.environ(?:\.get)?[\[(]\"([A-Z_]+)\"", text))
        names |= set(re.findall(r"^export ([A-Z_]+)", text, re.MULTILINE))
    # The Procfile's shell expands its own variables.
    names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", (ROOT / "Procfile").read_text()))
    return names - NOT_OURS


def _commands(group: click.Group, prefix: str = "fronten") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append(path)
        if isinstance(command, click.Group):
            found += _commands(command, path)
    return found


def test_every_variable_is_documented() -> None:
    variables = _variables_read_by_code()
    assert {"MUNICIPALITY", "TRACKER_SQLITE_SYNCHRONOUS", "FRONTEN_SPEEDUPS_DISABLE"} <= variables
    missing = {name for name in variables if f"`{name}`" not in README}
    assert missing == set()


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if re.search(r"os\.environ|getenv", path.read_text(encoding="utf-8"))
    }
    # The README's list of exceptions names each of the others.
    assert "bot/settings.py" in readers
    assert {path for path in readers - {"bot/settings.py"} if f"`{path}`" not in README} == set()


@pytest.mark.parametrize("command", _commands(cli))
def test_every_command_is_documented(command: str) -> None:
    assert f"`{command}" in README


def test_the_two_commands_lead_the_readme() -> None:
    head = README[:800]
    assert "make run" in head and "make test" in head
