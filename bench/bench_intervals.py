"""Bootstrap intervals of AUC, EER, accuracy, precision and recall: `bootstrap_intervals` (1,000 resamples
of the samples, vectorised in blocks) against a straightforward loop over the same resamples with
scikit-learn, in the same run.

    python bench/bench_intervals.py [--pairs 100000] [--samples 25000] [--resamples 1000]
                                    [--baseline-resamples 100] [--rounds 2]

- Data: `--pairs` pairs among `--samples` samples (each in about 2 x pairs / samples pairs), half similar,
  distance = label + an effect of each of the two samples + noise.
- Ours: `siamese_core.intervals.bootstrap_intervals` with the pairs' sample ids and a threshold: both
  weightings of each resample (the samples' counts, and the pair-level weights of the correction), all
  five metrics, the intervals.
- Baseline: the same method written as one would first write it: for each resample draw the counts,
  weight each pair by the product of its samples' counts, and measure with scikit-learn:
  `roc_curve(..., sample_weight=w)` (AUC by `auc`, EER where FPR + TPR crosses 1, interpolated) and
  weighted sums at the threshold; the same for the pair-level weights; then the same corrected
  percentile interval. It loops in Python over resamples, `--baseline-resamples` of them (a loop's cost
  is linear in its resamples), scaled to `--resamples`.
- The two take turns for `--rounds` rounds, each first in every other round, the fastest of each kept.
  The AUC of one resample's weights is computed both ways (scikit-learn and `weighted_metrics`) to show
  they are the same number.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import ROOT, report


def make_pairs(n_pairs: int, n_samples: int, seed: int = 0):
    """(distances, labels, sample ids (n, 2)): pairs of distinct samples, half similar."""
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n_samples, n_pairs)
    right = (left + rng.integers(1, n_samples, n_pairs)) % n_samples
    labels = rng.integers(0, 2, n_pairs)
    effect = rng.normal(0, 0.5, n_samples)
    distances = labels + effect[left] + effect[right] + rng.normal(0, 0.5, n_pairs)
    return distances, labels, np.stack([left, right], axis=1)


def sklearn_metrics(similar, distances, weights, called):
    """AUC, EER, accuracy, precision, recall of weighted pairs with scikit-learn's ROC."""
    from sklearn.metrics import auc, roc_curve

    fpr, tpr, _ = roc_curve(similar, -distances, sample_weight=weights)
    gap = fpr + tpr - 1
    after = int(np.argmax(gap >= 0))
    before = max(after - 1, 0)
    share = 1.0 if after == 0 else -gap[before] / (gap[after] - gap[before])
    eer = fpr[before] + share * (fpr[after] - fpr[before])
    tp = weights[similar & called].sum()
    fp = weights[~similar & called].sum()
    similar_total, total = weights[similar].sum(), weights.sum()
    accuracy = (tp + (total - similar_total) - fp) / total
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / similar_total if similar_total else 0.0
    return auc(fpr, tpr), eer, accuracy, precision, recall


def baseline(distances, labels, ids, threshold, resamples, seed=0):
    """The loop: per resample, product weights and pair-level weights, measured with scikit-learn."""
    from siamese_core.intervals import corrected_interval

    rng = np.random.default_rng(seed)
    similar, called = labels == 0, distances <= threshold
    n_samples = int(ids.max()) + 1
    by_samples, by_pairs = [], []
    for _ in range(resamples):
        counts = np.bincount(rng.integers(0, n_samples, n_samples), minlength=n_samples)
        by_samples.append(sklearn_metrics(similar, distances, counts[ids[:, 0]] * counts[ids[:, 1]], called))
        pair_weights = 2 * rng.integers(0, 2, distances.size)
        by_pairs.append(sklearn_metrics(similar, distances, pair_weights, called))
    by_samples, by_pairs = np.array(by_samples).T, np.array(by_pairs).T
    estimate = sklearn_metrics(similar, distances, np.ones(distances.size), called)
    return [
        corrected_interval(value, samples, pairs)
        for value, samples, pairs in zip(estimate, by_samples, by_pairs, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=25_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--baseline-resamples", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, str(ROOT))
    from sklearn.metrics import roc_auc_score

    from siamese_core.intervals import bootstrap_intervals
    from siamese_core.weighted import weighted_metrics

    distances, labels, ids = make_pairs(args.pairs, args.samples)
    threshold = float(np.median(distances))
    n_samples = len(np.unique(ids))
    ours = theirs = float("inf")
    for round_index in range(args.rounds):
        for way in ("ours", "baseline") if round_index % 2 == 0 else ("baseline", "ours"):
            start = time.perf_counter()
            if way == "ours":
                found = bootstrap_intervals(
                    distances, labels, sample_ids=ids, threshold=threshold, resamples=args.resamples
                )
                ours = min(ours, time.perf_counter() - start)
            else:
                looped = baseline(distances, labels, ids, threshold, args.baseline_resamples)
                theirs = min(theirs, (time.perf_counter() - start) * args.resamples / args.baseline_resamples)

    weights = np.random.default_rng(1).integers(0, 3, args.pairs)
    agreement = abs(
        roc_auc_score(labels == 0, -distances, sample_weight=weights)
        - weighted_metrics(distances, labels, weights).auc[0]
    )
    report(
        f"bootstrap intervals, {args.pairs:,} pairs among {n_samples:,} samples, {args.resamples:,} resamples, "
        f"best of {args.rounds}",
        [
            ("ours: bootstrap_intervals (all five metrics)", f"{ours:.2f} s"),
            (
                f"loop with scikit-learn ({args.baseline_resamples} resamples, x{args.resamples / args.baseline_resamples:g})",
                f"{theirs:.1f} s",
            ),
            ("ours: AUC interval", f"{found.auc.low:.4f} to {found.auc.high:.4f}"),
            (
                f"loop: AUC interval ({args.baseline_resamples} resamples only)",
                f"{looped[0].low:.4f} to {looped[0].high:.4f}",
            ),
            ("one weighting's AUC: scikit-learn minus ours", f"{agreement:.1e}"),
        ],
        "seconds ours / loop",
        ours / theirs,
    )


if __name__ == "__main__":
    main()
