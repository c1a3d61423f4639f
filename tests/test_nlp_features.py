"""The intent classifier's feature matrix is exactly Rasa's, built without the wasted work."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    ACTION_NAME,
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.rasa.nlp import BlankAwareLogisticRegressionClassifier


def message(seed: int, tokens: int, dense_width: int = 0) -> Message:
    rng = np.random.default_rng(seed)
    result = Message({TEXT: "hvordan søger jeg bostøtte"})
    for origin, width in (("regex", 3), ("words", 40), ("chars", 120)):
        for kind, rows in ((FEATURE_TYPE_SEQUENCE, tokens), (FEATURE_TYPE_SENTENCE, 1)):
            dense = rng.integers(0, 3, size=(rows, width)) * (rng.random((rows, width)) < 0.2)
            features = scipy.sparse.coo_matrix(dense.astype(float))
            result.add_features(Features(features, kind, TEXT, origin))
    if dense_width:
        for kind, rows in ((FEATURE_TYPE_SEQUENCE, tokens), (FEATURE_TYPE_SENTENCE, 1)):
            result.add_features(Features(rng.random((rows, dense_width)), kind, TEXT, "dense"))
    # Features of another attribute must be left out, as Rasa leaves them out.
    other = scipy.sparse.coo_matrix(np.ones((1, 5)))
    result.add_features(Features(other, FEATURE_TYPE_SENTENCE, ACTION_NAME, "words"))
    return result


@pytest.mark.parametrize(("dense_width", "width"), [(0, 163), (6, 169)])
def test_the_matrix_equals_rasas(dense_width: int, width: int) -> None:
    messages = [message(seed, tokens, dense_width) for seed, tokens in enumerate([4, 1, 7, 2])]
    # The parent's method, called on an object that has no state it needs.
    rasa = LogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    ours = BlankAwareLogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    assert ours.shape == rasa.shape == (4, width)
    assert ours.dtype == rasa.dtype
    assert (ours != rasa).nnz == 0


def test_sentence_features_of_several_rows_are_refused() -> None:
    broken = message(0, 2)
    broken.add_features(
        Features(scipy.sparse.coo_matrix(np.ones((2, 3))), FEATURE_TYPE_SENTENCE, TEXT, "odd")
    )
    with pytest.raises(ValueError, match="2 rows"):
        BlankAwareLogisticRegressionClassifier._create_X(None, [broken])  # type: ignore[arg-type]
