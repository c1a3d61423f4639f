"""The compact lemma table gives exactly spaCy's lookup lemmas, in a fraction of the memory."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import spacy
from spacy.lookups import load_lookups

from bot.danish.lemmas import LemmaTable, read_pairs, shared_danish_table
from bot.rasa.nlp import OFFLINE_MODEL, load_danish


@pytest.fixture(scope="module")
def spacy_table():
    return load_lookups("da", ["lemma_lookup"]).get_table("lemma_lookup")


def test_every_danish_form_has_spacys_lemma(spacy_table) -> None:
    table = shared_danish_table()
    assert len(table) == len(spacy_table) > 500_000
    with gzip.open(_table_path(), "rt", encoding="utf-8") as file:
        forms = json.load(file)
    assert all(table.get(form) == lemma == spacy_table.get(form) for form, lemma in forms.items())
    assert table.nbytes < 15_000_000


def _table_path() -> Path:
    from spacy.util import registry

    path = Path(registry.lookups.get("da")["lemma_lookup"])
    return path if path.exists() else path.with_name(path.name + ".gz")


@pytest.mark.parametrize("word", ["søger", "afgørelsen", "klager", "xyzzy", "", "BPA", "lemma"])
def test_lookups_answer_as_spacy(spacy_table, word: str) -> None:
    assert shared_danish_table().get(word, word) == spacy_table.get(word, word)


def test_pipeline_lemmas_match_spacys_lemmatizer() -> None:
    reference = spacy.blank("da")
    reference.add_pipe("lemmatizer", config={"mode": "lookup"})
    reference.initialize()
    ours = load_danish("blank")
    assert ours.model_name == OFFLINE_MODEL
    text = "Hvordan søger jeg om bostøtte, og kan jeg klage over afgørelserne i kommunerne?"
    assert [t.lemma_ for t in ours.model(text)] == [t.lemma_ for t in reference(text)]


def test_the_pipeline_is_loaded_once_per_process() -> None:
    assert load_danish("blank") is load_danish("blank")


def test_pairs_are_read_like_json(tmp_path: Path) -> None:
    forms = {"a": "x", 'sagt "hej"': "sige", "back\\slash": "b", "æøå": "ÆØÅ", "tab\t": "t"}
    path = tmp_path / "table.json"
    path.write_text(json.dumps(forms, indent=4, ensure_ascii=False), encoding="utf-8")
    assert dict(read_pairs(path)) == forms
    table = LemmaTable.from_pairs(read_pairs(path))
    assert {form: table.get(form) for form in forms} == forms


def test_a_repeated_form_keeps_its_last_lemma() -> None:
    table = LemmaTable.from_pairs([("a", "x"), ("b", "y"), ("a", "z")])
    assert (table.get("a"), table.get("b"), table.get("c"), len(table)) == ("z", "y", None, 2)
