"""The offline Danish spaCy pipeline gives lemmas without any download."""

from __future__ import annotations

import pytest

from bot.rasa.nlp import OFFLINE_MODEL, load_danish


@pytest.fixture(scope="module")
def offline():
    return load_danish("blank")


@pytest.mark.parametrize(
    ("word", "lemma"), [("søger", "søge"), ("afgørelsen", "afgørelse"), ("klager", "klage")]
)
def test_offline_lemmas(offline, word: str, lemma: str) -> None:
    assert offline.model_name == OFFLINE_MODEL
    assert [t.lemma_ for t in offline.model(word)] == [lemma]


def test_environment_overrides_the_choice(monkeypatch) -> None:
    monkeypatch.setenv("DANISH_SPACY_MODEL", "blank")
    assert load_danish("auto").model_name == OFFLINE_MODEL


def test_trained_model_used_when_installed() -> None:
    spacy = pytest.importorskip("spacy")
    if not spacy.util.is_package("da_core_news_sm"):
        pytest.skip(
            "da_core_news_sm is not installed (it is not on PyPI); offline pipeline tested above"
        )
    assert load_danish("auto").model_name.startswith("da_core_news_sm")
