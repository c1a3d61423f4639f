"""Building the database file, and the command line over it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner

from bot.knowledge.build import build
from bot.knowledge.cli import cli
from tests.conftest import FIXTURES


def test_build_writes_facts_gaps_and_lemma_forms(tmp_path: Path) -> None:
    target = tmp_path / "kb.db"
    build(FIXTURES / "knowledge", target)
    db = sqlite_utils.Database(target)
    assert db["services"].count == 3
    assert db["facts"].count == 6
    [cost] = db["facts"].rows_where("uid = ?", ["bostoette.cost"])
    assert json.loads(cost["questions"])[0] == "Hvad koster bostøtte?"
    assert db["gaps"].count == 1
    # Inflected forms of the knowledge base's words, in every spelling of æ, ø and å.
    lemmas = {r["form"]: r["lemma"] for r in db["lemma_forms"].rows}
    assert lemmas["klagen"] == "klage"
    assert lemmas["følges"] == lemmas["foelges"] == lemmas["folges"] == "følge"
    assert not target.with_suffix(".tmp").exists()


def test_failed_build_keeps_the_old_database(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", folder)
    target = tmp_path / "kb.db"
    build(folder, target)
    (folder / "services" / "bostoette.yml").write_text("id: [", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--folder", str(folder), "--db", str(target)])
    assert result.exit_code == 1
    assert "bostoette.yml" in result.output
    assert sqlite_utils.Database(target)["services"].count == 3


def test_cli_build_search_and_answer(tmp_path: Path) -> None:
    target = tmp_path / "kb.db"
    runner = CliRunner()
    built = runner.invoke(
        cli, ["build", "--folder", str(FIXTURES / "knowledge"), "--db", str(target)]
    )
    assert built.exit_code == 0, built.output
    assert "3 services, 6 facts" in built.output

    found = runner.invoke(cli, ["search", "gratis", "--db", str(target)])
    assert found.output.startswith("bostoette\tcost\t")

    answer = runner.invoke(cli, ["answer", "bostoette", "cost", "--db", str(target)])
    assert "Bostøtte er gratis." in answer.output
    assert "[new.txt: Hvad koster indsatsen?]" in answer.output

    missing = runner.invoke(cli, ["answer", "bostoette", "relative", "--db", str(target)])
    assert missing.exit_code == 1


def test_cli_check(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--folder", str(FIXTURES / "knowledge")])
    assert result.exit_code == 0
    assert "OK: 3 services" in result.output


def test_cli_coverage_lists_every_section_and_fails_on_a_gap(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["coverage", "--folder", str(FIXTURES / "knowledge")])
    assert result.exit_code == 0, result.output
    assert "Hvad koster indsatsen?\n      bostoette.cost" in result.output
    assert "(left out: Generelle værdier" in result.output

    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", folder)
    sections = folder / "sections.yml"
    sections.write_text(sections.read_text().replace("      left_out: Generelle", "      # "))
    readme = tmp_path / "README.md"
    readme.write_text("# Knowledge\n", encoding="utf-8")
    failed = runner.invoke(cli, ["coverage", "--folder", str(folder), "--readme", str(readme)])
    assert failed.exit_code == 1
    assert "»Værdier« in new.txt has no fact and no reason" in failed.output
    assert "<!-- left-out sections" in readme.read_text(encoding="utf-8")
