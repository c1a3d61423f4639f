"""The Rasa server without TensorFlow: placeholders stand in for it, and change no answer.

Installing them is for a fresh process only (the server's entry point), so the tests that
load Rasa do it in a process of their own; the placeholders themselves are tested here.
"""

from __future__ import annotations

import abc
import json
import logging
import subprocess
import sys
import types

import pytest
import rasa

from bot.rasa import without_tensorflow
from bot.rasa.without_tensorflow import Placeholder, _placeholder
from tests.conftest import ROOT
from tests.servers import MODEL

# Real Danish questions of several kinds, and a booking request.
TEXTS = [
    "hvad koster bostøtte?",
    "jeg vil gerne booke en tid i Fronten",
    "hvor lang tid går der før jeg får svar på min ansøgning om ledsagelse",
    "min bror åbner ikke sin post og glemmer at betale husleje",
    "hej",
]


def _in_own_process(script: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


_PARSE = """
import asyncio, json, logging, sys
from bot.rasa import without_tensorflow
installed = without_tensorflow.install() if {placeholders!r} else []
from rasa.core.agent import Agent
from rasa.utils.log_utils import configure_structlog
configure_structlog(logging.WARNING)
agent = Agent.load({model!r})
parsed = [asyncio.run(agent.parse_message(t)) for t in {texts!r}]
tf = sys.modules.get("tensorflow")
print(json.dumps({{
    "installed": installed,
    "tensorflow": type(tf).__name__ if tf else None,
    "jax": "jax" in sys.modules and type(sys.modules["jax"]).__name__,
    "intents": [[p["intent"]["name"], p["intent"]["confidence"]] for p in parsed],
    "entities": [[e["value"] for e in p["entities"]] for p in parsed],
}}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_the_model_reads_messages_as_it_does_with_tensorflow() -> None:
    with_placeholders = _in_own_process(
        _PARSE.format(model=str(MODEL), texts=TEXTS, placeholders=True)
    )
    with_tensorflow = _in_own_process(
        _PARSE.format(model=str(MODEL), texts=TEXTS, placeholders=False)
    )
    assert with_placeholders["installed"] == list(without_tensorflow.PLACEHOLDER_PACKAGES)
    assert with_placeholders["tensorflow"] == "_PlaceholderModule"
    assert with_placeholders["jax"] in (False, "_PlaceholderModule")
    assert with_tensorflow["tensorflow"] == "module"
    assert with_placeholders["intents"] == with_tensorflow["intents"]
    assert with_placeholders["entities"] == with_tensorflow["entities"]


_COMPONENTS = """
import json, sys
from bot.rasa import without_tensorflow
without_tensorflow.install()
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.graph import GraphComponent
import rasa.core.agent  # imports Rasa's policies and components, as the server does
from bot.rasa import nlp
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.nlu.selectors.response_selector import ResponseSelector
needs = without_tensorflow.needs_tensorflow
ours = [c for c in vars(nlp).values() if isinstance(c, type) and issubclass(c, GraphComponent)]
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.engine import loader
wrapped = getattr(loader.load_predict_graph_runner, "__wrapped__", None)
try:
    without_tensorflow.check_components([RulePolicy, TEDPolicy])
    refused = None
except RuntimeError as error:
    refused = str(error)
print(json.dumps({
    "tensorflow": [c.__name__ for c in (DIETClassifier, TEDPolicy, ResponseSelector) if needs(c)],
    "ours": [c.__name__ for c in ours if needs(c)],
    "stock": [c.__name__ for c in (LogisticRegressionClassifier, RulePolicy, MemoizationPolicy,
              CountVectorsFeaturizer) if needs(c)],
    "refused": refused,
    "loader_checks": wrapped is not None,
}))
"""


@pytest.mark.slow
def test_a_model_that_needs_tensorflow_is_refused() -> None:
    found = _in_own_process(_COMPONENTS)
    assert found["tensorflow"] == ["DIETClassifier", "TEDPolicy", "ResponseSelector"]
    assert found["ours"] == []
    assert found["stock"] == []
    assert "TEDPolicy needs TensorFlow" in found["refused"]
    assert "FRONTEN_SPEEDUPS_DISABLE=without_tensorflow" in found["refused"]
    # Rasa's model loader makes the same check on every model it loads.
    assert found["loader_checks"]


def test_a_placeholder_can_be_subclassed_with_an_abstract_base() -> None:
    class Component(abc.ABC):
        @abc.abstractmethod
        def run(self) -> str: ...

    layer = _placeholder("tensorflow.keras.layers.Layer")

    class Model(layer, Component):
        def run(self) -> str:
            return "kører"

    assert Model(units=3).run() == "kører"
    assert issubclass(Model, Placeholder)


def test_a_placeholder_answers_as_nothing() -> None:
    tf = _placeholder("tensorflow")
    assert list(tf.config.list_physical_devices("GPU")) == []
    assert len(tf.config.list_physical_devices("GPU")) == 0
    assert not tf.keras
    assert isinstance(tf.Tensor, type)
    assert not isinstance(3, tf.Tensor)

    def step(x: int) -> int:
        return x + 1

    # A decorator hands back what it decorates, with or without arguments.
    assert tf.function(step) is step
    assert tf.function(jit_compile=True)(step) is step


def test_another_rasa_version_imports_tensorflow(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.6.20")
    with caplog.at_level(logging.WARNING, logger=without_tensorflow.__name__):
        assert without_tensorflow.install() == []
    assert not without_tensorflow.installed()
    assert "Rasa 3.6.20 is installed" in caplog.text


def test_nothing_is_replaced_once_tensorflow_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))
    assert without_tensorflow.install() == []
    assert not without_tensorflow.installed()
