"""Calibration of `p_similar` on unseen data: the quality benchmark's separate test files (issue 18).

The data sets, halves and pairs are `bench_quality.py`'s (the samples split in two halves by class, pairs
made inside each half): `fit` with default settings trains on the training half's pairs as a user runs
it, and its saved model's `p_similar` (`SiameseBundle.p_similar`: the final model's distances through the
calibration fitted on the selection model's validation pairs) is measured on the test half's pairs, whose
samples it never saw: the expected calibration error (10 equal-width bins of predicted probability,
`siamese_core.calibration.expected_calibration_error`) and the Brier score. The target: ECE <= 0.03 on
every row with at least 1,000 test pairs. "method" is the calibration `fit` chose on its held-out pairs
(isotonic regression or a sigmoid, by cross-validated Brier score: `siamese_core.calibration.choose_method`).

Beside it, to tell the causes of a miss apart:
- "ECE selection model": the same calibration on the selection model's distances for the test pairs,
  the model it was fitted with (without a refit it is the saved model itself). A gap between the two says
  how much is lost by carrying the calibration over to the model refit on all pairs.
- "ECE floor": the ECE of perfectly calibrated probabilities on as many pairs: the mean ECE of the saved
  model's probabilities against outcomes drawn from those very probabilities (200 draws, seeded). An ECE
  near it is as good as the test file's size can show.

No baseline: the textbook recipe has no probability to compare with. Labels: Y = 0 similar, Y = 1
dissimilar.

    python bench/bench_calibration.py [--seed 0] [--rows small|large|all] [--only NAME]
        [--config key=value ...] [--fit key=value ...]
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from bench_quality import data_set_parser, measured_rows, parse_data_set_options, split_samples_in_halves
from common import machine, quiet_tensorflow

TARGET_ECE = 0.03
TARGET_TEST_PAIRS = 1_000
FLOOR_DRAWS = 200


@dataclass
class Row:
    """One (data set, k) row of the table."""

    name: str
    pairs_per_sample: int
    test_pairs: int
    calibration_pairs: int
    method: str
    auc: float
    ece: float
    brier: float
    selection_ece: float
    floor: float
    seconds: float

    @property
    def counted(self) -> bool:
        """Whether the target applies (at least `TARGET_TEST_PAIRS` test pairs)."""
        return self.test_pairs >= TARGET_TEST_PAIRS


def ece_floor(p_similar: np.ndarray, seed: int) -> float:
    """The mean ECE of `p_similar` against outcomes drawn from it: what a perfect calibration scores on
    as many pairs."""
    from siamese_core.calibration import expected_calibration_error

    rng = np.random.default_rng(seed)
    draws = [
        expected_calibration_error(p_similar, (rng.random(p_similar.size) >= p_similar).astype(np.float64))
        for _ in range(FLOOR_DRAWS)
    ]
    return float(np.mean(draws))


def measure(data, pairs_per_sample: int, seed: int, config: dict, fit_options: dict) -> Row:
    """Split, pair, `fit` on the training half, measure `p_similar` on the test half."""
    from siamese_core.calibration import brier_score, expected_calibration_error
    from siamese_core.config import TrainConfig
    from siamese_core.evaluation import roc_auc
    from siamese_core.inference import predict_distances
    from siamese_core.pairing import make_pairs
    from siamese_core.pipeline import fit

    train_samples, test_samples = split_samples_in_halves(data, seed)
    train = make_pairs(train_samples, pairs_per_sample=pairs_per_sample, seed=seed)
    test = make_pairs(test_samples, pairs_per_sample=pairs_per_sample, seed=seed + 1)
    start = time.perf_counter()
    outcome = fit(train, TrainConfig(seed=seed, **config), **fit_options)
    seconds = time.perf_counter() - start
    bundle = outcome.bundle
    if bundle.calibration is None:
        raise SystemExit(f"{data.name} k={pairs_per_sample}: no calibration ({outcome.describe_splits()})")
    distances = bundle.distances(test.left, test.right)
    p_similar = bundle.p_similar(distances)
    selection = outcome.selection.model if outcome.selection is not None else bundle.model
    selection_p = bundle.p_similar(predict_distances(selection, test.left, test.right))
    return Row(
        name=data.name,
        pairs_per_sample=pairs_per_sample,
        test_pairs=test.n_pairs,
        calibration_pairs=bundle.calibration.n_pairs,
        method=bundle.calibration.method,
        auc=roc_auc(distances, test.labels),
        ece=expected_calibration_error(p_similar, test.labels),
        brier=brier_score(p_similar, test.labels),
        selection_ece=expected_calibration_error(selection_p, test.labels),
        floor=ece_floor(p_similar, seed),
        seconds=seconds,
    )


COLUMNS = (
    "data set",
    "k",
    "test pairs",
    "calibration pairs",
    "method",
    "AUC",
    "ECE",
    "Brier",
    "ECE selection model",
    "ECE floor",
    "ECE <= 0.03",
    "s fit",
)


def print_row(row: Row) -> None:
    """One line of the Markdown table (printed as soon as the row is measured)."""
    met = ("yes" if row.ece <= TARGET_ECE else "**no**") if row.counted else "n/a (< 1,000 test pairs)"
    cells = (
        row.name,
        str(row.pairs_per_sample),
        f"{row.test_pairs:,}",
        f"{row.calibration_pairs:,}",
        row.method,
        f"{row.auc:.4f}",
        f"{row.ece:.4f}",
        f"{row.brier:.4f}",
        f"{row.selection_ece:.4f}",
        f"{row.floor:.4f}",
        met,
        f"{row.seconds:.1f}",
    )
    print("| " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    args, config, fit_options, data_sets = parse_data_set_options(data_set_parser(__doc__))
    quiet_tensorflow().get_logger().setLevel("ERROR")
    print(f"== calibration of p_similar on unseen samples ({machine()})")
    print(f"seed {args.seed}; overrides: config {config or 'none'}, fit {fit_options or 'none'}")
    print()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + " --- |" * len(COLUMNS))
    rows = []
    for data, k in measured_rows(data_sets):
        rows.append(measure(data, k, args.seed, config, fit_options))
        print_row(rows[-1])
    counted = [row for row in rows if row.counted]
    print()
    if counted:
        worst = max(counted, key=lambda row: row.ece)
        met = sum(row.ece <= TARGET_ECE for row in counted)
        print(
            f"rows with >= {TARGET_TEST_PAIRS:,} test pairs at ECE <= {TARGET_ECE}: {met} of {len(counted)}; "
            f"worst {worst.name} k={worst.pairs_per_sample}"
        )
        print(f"RATIO worst ECE / target: {worst.ece / TARGET_ECE:.2f}")


if __name__ == "__main__":
    main()
