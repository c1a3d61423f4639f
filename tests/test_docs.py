"""The README's configuration table names every environment variable the code reads."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _variables_read_by_code() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "bot").rglob("*.py"), ROOT / "Makefile", ROOT / "Procfile"]:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"os\.environ(?:\.get)?[\[(]\"([A-Z_]+)\"", text))
        names |= set(re.findall(r"^export ([A-Z_]+)", text, re.MULTILINE))
    return names - {"SANIC_HOST", "TF_CPP_MIN_LOG_LEVEL"}


def test_every_variable_is_documented() -> None:
    variables = _variables_read_by_code()
    assert "MUNICIPALITY" in variables
    missing = {name for name in variables if f"`{name}`" not in README}
    assert missing == set()


def test_the_two_commands_lead_the_readme() -> None:
    head = README[:800]
    assert "make run" in head and "make test" in head
