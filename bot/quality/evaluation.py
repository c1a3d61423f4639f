"""Intent F1 of a trained model on a held-out NLU file, in process.

Run ``python -m bot.quality.evaluation tests/data/nlu_heldout.yml`` to print the report.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import classification_report, f1_score


@dataclass(frozen=True)
class Evaluation:
    """Intent predictions against the held-out labels."""

    labels: list[str]
    predictions: list[str]
    texts: list[str]

    @property
    def weighted_f1(self) -> float:
        """Intent F1, weighted by support."""
        return float(f1_score(self.labels, self.predictions, average="weighted", zero_division=0))

    @property
    def macro_f1(self) -> float:
        """Intent F1, each intent counted once."""
        return float(f1_score(self.labels, self.predictions, average="macro", zero_division=0))

    def report(self) -> str:
        """Per-intent precision, recall and F1, and the misclassified examples."""
        lines = [classification_report(self.labels, self.predictions, zero_division=0)]
        lines += [
            f"  {label:>20} -> {predicted:<20} {text}"
            for text, label, predicted in zip(
                self.texts, self.labels, self.predictions, strict=True
            )
            if label != predicted
        ]
        return "\n".join(lines)


async def evaluate(model: Path, data: Path) -> Evaluation:
    """Parses every example of a held-out file with a trained model.

    Args:
        model: The trained model archive.
        data: A Rasa NLU YAML file.

    Returns:
        The labels and predictions.

    """
    agent = Agent.load(str(model))
    examples = list(load_data(str(data)).intent_examples)
    predictions = []
    for example in examples:
        parsed = await agent.parse_message(example.get("text"))
        predictions.append(parsed["intent"]["name"])
    return Evaluation(
        [e.get("intent") for e in examples], predictions, [e.get("text") for e in examples]
    )


DEFAULT_DATA = Path("tests/data/nlu_heldout.yml")
DEFAULT_MODEL = Path("models/assistant.tar.gz")


def main(data: Path | None = None, model: Path | None = None) -> None:
    """Prints the report and the F1 figures (``fronten evaluate [DATA] [MODEL]``).

    Args:
        data: The held-out NLU file; default the command line's first argument.
        model: The trained model; default the command line's second argument.

    """
    data = data or Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DATA)
    model = model or Path(sys.argv[2] if len(sys.argv) > 2 else DEFAULT_MODEL)
    result = asyncio.run(evaluate(model, data))
    print(result.report())
    print(f"intent F1 (weighted): {result.weighted_f1:.3f}  (macro): {result.macro_f1:.3f}")


if __name__ == "__main__":
    main()
