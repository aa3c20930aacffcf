"""End to end on the digits demo with the default settings: the accuracy bar of the core.

Slow (about a minute on 2 cores): `pytest -m "not slow"` skips it for quick runs; CI runs it.
"""

from pathlib import Path

import pytest

from siamese_core.config import TrainConfig
from siamese_core.data import load_samples_csv
from siamese_core.pipeline import fit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow
def test_digits_samples_reach_the_accuracy_bar(tmp_path):
    """Held-out digits (no test digit is seen in training): AUC >= 0.99 and best accuracy >= 96%.

    The textbook Keras recipe reaches about 0.994 AUC and 96.9% here; measured with these defaults:
    0.9956 AUC, 97.3% best accuracy (see the closing note of the core issue).
    """
    samples = load_samples_csv(EXAMPLES / "digits_samples.csv")
    outcome = fit(samples, TrainConfig(seed=0))
    assert outcome.splits.strategy == "samples then pairs"
    print(f"digits: AUC {outcome.test.auc:.4f}, best accuracy {outcome.test.best_accuracy:.4f}")
    assert outcome.test.auc >= 0.99
    assert outcome.test.best_accuracy >= 0.96
    assert outcome.test.at_threshold.accuracy >= 0.95  # threshold chosen on validation pairs, not test
    path = outcome.bundle.save(tmp_path / "digits.keras")
    from siamese_core.bundle import load_model

    assert load_model(path).metrics["auc"] == pytest.approx(outcome.test.auc)
