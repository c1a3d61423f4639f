"""A malformed knowledge file is rejected with its file name and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeError, load_knowledge
from tests.conftest import FIXTURES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_fixture_is_valid(folder: Path) -> None:
    knowledge = load_knowledge(folder)
    assert [s.id for s in knowledge.services] == ["bostoette", "forebyggende", "gladsaxe_indkoeb"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d.pop("name"), "name", "required"),
        (lambda d: d.update(id="Bo Støtte"), "id", "a-z"),
        (lambda d: d.update(paragraphs=[]), "paragraphs", "non-empty list"),
        (lambda d: d.update(facts="nothing"), "facts", "non-empty list"),
        (lambda d: d["facts"][1].update(topic="price"), "facts[1].topic", "not in topics.yml"),
        (lambda d: d["facts"][0].update(text="  "), "facts[0].text", "non-empty"),
        (lambda d: d["facts"][0].update(text="Pris {x}"), "facts[0].text", "{ or }"),
        (lambda d: d["facts"][2].pop("source"), "facts[2].source", "mapping"),
        (
            lambda d: d["facts"][0]["source"].update(document="missing.txt"),
            "facts[0].source.document",
            "not in sources.yml",
        ),
        (
            lambda d: d["facts"][0]["source"].update(document="other.txt"),
            "facts[0].source.document",
            "belongs to Gladsaxe",
        ),
        (lambda d: d["facts"][0]["source"].pop("section"), "facts[0].source.section", "required"),
        (lambda d: d.update(municipality="Atlantis"), "municipality", "Atlantis"),
        (lambda d: d.update(parts={"gruppeforløb": "cost"}), "parts.gruppeforløb", "neither"),
        (lambda d: d.update(parts={"bostøtte": "price"}), "parts.bostøtte", "not a fact"),
        (lambda d: d.update(parts=["bostøtte"]), "parts", "must map"),
    ],
)
def test_service_errors_name_file_and_field(folder: Path, change, field: str, words: str) -> None:
    path = folder / "services" / "bostoette.yml"
    _edit(path, change)
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(folder)
    assert error.value.path == path
    assert error.value.field == field
    assert words in str(error.value)
    assert str(path) in str(error.value)


def test_invalid_yaml_is_rejected(folder: Path) -> None:
    path = folder / "services" / "forebyggende.yml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="not valid YAML") as error:
        load_knowledge(folder)
    assert error.value.path == path


def test_duplicate_service_id_is_rejected(folder: Path) -> None:
    shutil.copy(folder / "services" / "bostoette.yml", folder / "services" / "copy.yml")
    with pytest.raises(KnowledgeError, match="also used in"):
        load_knowledge(folder)


def test_bad_rank_in_sources(folder: Path) -> None:
    _edit(folder / "sources.yml", lambda d: d["documents"][0].update(rank="new"))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(folder)
    assert error.value.field == "documents[0].rank"


def test_missing_topics_file(folder: Path) -> None:
    (folder / "topics.yml").unlink()
    with pytest.raises(KnowledgeError, match="missing"):
        load_knowledge(folder)


def test_topic_cues_are_read_in_lower_case(folder: Path) -> None:
    _edit(folder / "topics.yml", lambda d: d["topics"][0].update(cues=["Lov", "servicelov"]))
    topic = load_knowledge(folder).topics[0]
    assert topic.cues == ("lov", "servicelov")


def test_a_blank_topic_cue_names_its_field(folder: Path) -> None:
    _edit(folder / "topics.yml", lambda d: d["topics"][0].update(cues=[" "]))
    with pytest.raises(KnowledgeError, match=r"topics\[0\]\.cues\[0\]"):
        load_knowledge(folder)


def test_a_part_names_an_alias_or_a_paragraph_and_one_of_the_services_facts(folder: Path) -> None:
    path = folder / "services" / "bostoette.yml"
    _edit(path, lambda d: d.update(parts={"socialpædagogisk støtte": "overview", "85": "cost"}))
    [bostoette] = [s for s in load_knowledge(folder).services if s.id == "bostoette"]
    assert dict(bostoette.parts) == {"socialpædagogisk støtte": "overview", "85": "cost"}
