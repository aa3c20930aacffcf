"""Built-in demo data made from scikit-learn's handwritten digits (shipped with scikit-learn, offline)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from siamese_core.pairing import make_pairs
from siamese_core.pairs import SampleSet

FEATURES = [f"px{index}" for index in range(64)]
CLASS_COLUMN = "digit"


def digits_samples_frame() -> pd.DataFrame:
    """The 1,797 digits as a labeled-samples table: `id`, `digit` and 64 pixel columns `px0..px63` (0-16)."""
    from sklearn.datasets import load_digits  # loads on first use

    digits = load_digits()
    frame = pd.DataFrame(digits.data.astype(np.int64), columns=FEATURES)
    frame.insert(0, CLASS_COLUMN, digits.target)
    frame.insert(0, "id", [f"d{index:04d}" for index in range(len(frame))])
    return frame


def digits_samples() -> SampleSet:
    """The digits as a `SampleSet`."""
    frame = digits_samples_frame()
    return SampleSet(
        features=frame[FEATURES].to_numpy(np.float32),
        classes=frame[CLASS_COLUMN].astype(str).to_numpy(),
        feature_names=list(FEATURES),
        ids=frame["id"].to_numpy(),
    )


def digits_pairs_frame(*, groups: int = 12, pairs_per_sample: int = 8, seed: int = 0) -> pd.DataFrame:
    """Balanced digit pairs as a wide pair table: `label` (0 similar, 1 dissimilar), `a_px*`, `b_px*`.

    The samples are dealt into `groups` groups (as if recorded in separate sessions) and pairs are made
    inside each group, so a leakage-aware split can keep every sample in one split without dropping
    pairs.

    Args:
        groups: Number of groups of samples.
        pairs_per_sample: Pairs per anchor sample, similar and dissimilar together.
        seed: Seed of the grouping and of the pair draws.

    Returns:
        The pair table, one row per pair.
    """
    samples = digits_samples()
    group_of_sample = np.random.default_rng(seed).permutation(samples.n_samples) % groups
    frames = []
    for group in range(groups):
        pairs = make_pairs(
            samples.subset(np.flatnonzero(group_of_sample == group)),
            pairs_per_sample=pairs_per_sample,
            seed=seed + group,
        )
        frame = pd.DataFrame({"label": pairs.labels.astype(np.int64)})
        left = pd.DataFrame(pairs.left.astype(np.int64), columns=[f"a_{name}" for name in FEATURES])
        right = pd.DataFrame(pairs.right.astype(np.int64), columns=[f"b_{name}" for name in FEATURES])
        frames.append(pd.concat([frame, left, right], axis=1))
    return pd.concat(frames, ignore_index=True)


def digits_reference_pairs_frame(*, pairs_per_sample: int = 4, seed: int = 0) -> pd.DataFrame:
    """Digit pairs by reference: `id_a`, `id_b`, `label`, naming rows of `digits_samples_frame()`."""
    samples = digits_samples()
    pairs = make_pairs(samples, pairs_per_sample=pairs_per_sample, seed=seed)
    ids = samples.ids
    return pd.DataFrame(
        {
            "id_a": ids[pairs.sample_rows[:, 0] - 1],
            "id_b": ids[pairs.sample_rows[:, 1] - 1],
            "label": pairs.labels.astype(np.int64),
        }
    )
