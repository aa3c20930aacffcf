"""Leakage-aware train / validation / test splits.

A sample (the same feature vector, which also covers the same id) never appears in two splits, so a
test score measures generalisation to unseen samples rather than memory of seen ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from siamese_core.errors import ConfigError, DataError
from siamese_core.pairing import make_pairs
from siamese_core.pairs import PairSet, SampleSet

SPLIT_NAMES = ("train", "validation", "test")


@dataclass
class Splits:
    """Pairs split three ways.

    Attributes:
        train: Pairs to fit on.
        validation: Pairs for early stopping and the loss curve; None when not asked for.
        test: Held-out pairs for the final metrics; None when not asked for.
        dropped_pairs: Pairs dropped because their two samples fell into different splits.
        strategy: How the split was made: "groups" (whole groups of connected samples per split,
            nothing dropped), "samples" (each sample to one split, cross-split pairs dropped),
            "samples then pairs" (labeled samples split first, pairs made inside each split) or
            "random" (pairs split at random, leakage not checked).
    """

    train: PairSet
    validation: PairSet | None
    test: PairSet | None
    dropped_pairs: int = 0
    strategy: str = "groups"

    def describe(self) -> str:
        parts = [f"{name} {getattr(self, name).n_pairs:,}" for name in SPLIT_NAMES if getattr(self, name)]
        text = f"pairs: {', '.join(parts)} (split by {self.strategy})"
        if self.dropped_pairs:
            text += (
                f"; {self.dropped_pairs:,} pairs dropped because their two samples fell into different "
                "splits (no sample is shared between splits)"
            )
        return text


def check_fractions(validation_fraction: float, test_fraction: float) -> None:
    """Raises ConfigError unless both shares are in [0, 1) and leave pairs to train on."""
    for name, value in (("validation_fraction", validation_fraction), ("test_fraction", test_fraction)):
        if not 0 <= value < 1:
            raise ConfigError(f"{name} must be in [0, 1). Received: {name}={value}")
    if validation_fraction + test_fraction >= 0.9:
        raise ConfigError(
            "validation_fraction + test_fraction must be < 0.9 to leave pairs to train on. "
            f"Received: {validation_fraction} + {test_fraction}"
        )


def sample_keys(pairs: PairSet) -> tuple[np.ndarray, np.ndarray]:
    """An integer per distinct feature vector, for the left and the right sample of each pair."""
    both = np.concatenate([pairs.left, pairs.right]) + np.float32(0)  # -0.0 and 0.0 are one sample
    width = both.dtype.itemsize * both.shape[1]
    keys = np.ascontiguousarray(both).view(np.dtype((np.void, width))).ravel()
    _, inverse = np.unique(keys, return_inverse=True)
    return inverse[: pairs.n_pairs], inverse[pairs.n_pairs :]


def split_pairs(
    pairs: PairSet,
    *,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    leakage_aware: bool = True,
) -> Splits:
    """Split pairs so that no sample is in two splits.

    Samples connected through pairs form groups. When the groups are small enough, whole groups go to
    one split each and no pair is lost. When one group is too large (every sample paired with many
    others), each sample is assigned to one split and pairs across splits are dropped; the shares of
    samples are chosen so the kept pairs approach the asked-for shares.

    Args:
        pairs: The pairs to split.
        validation_fraction: Share of pairs for validation, in [0, 1).
        test_fraction: Share of pairs for the test, in [0, 1).
        seed: Seed of the random assignment.
        leakage_aware: When False, split pairs at random (a sample may then be in two splits).

    Returns:
        The `Splits`, with how many pairs were dropped.
    """
    check_fractions(validation_fraction, test_fraction)
    rng = np.random.default_rng(seed)
    shares = np.array([1 - validation_fraction - test_fraction, validation_fraction, test_fraction])
    n = pairs.n_pairs
    if not leakage_aware:
        assignment = rng.choice(3, size=n, p=shares)
        return _splits(pairs, assignment, dropped=0, strategy="random")

    left_keys, right_keys = sample_keys(pairs)
    n_samples = int(max(left_keys.max(initial=-1), right_keys.max(initial=-1))) + 1
    graph = coo_matrix((np.ones(n, dtype=np.int8), (left_keys, right_keys)), shape=(n_samples, n_samples))
    _, group_of_sample = connected_components(graph, directed=False)
    group_of_pair = group_of_sample[left_keys]
    assignment = _assign_groups(group_of_pair, shares * n, rng)
    if _sizes_ok(assignment, shares * n):
        return _splits(pairs, assignment, dropped=0, strategy="groups")

    # One group spans most samples: assign samples, keep pairs inside one split.
    sample_shares = np.sqrt(shares) / np.sqrt(shares).sum()  # pairs kept in a split grow as its share^2
    split_of_sample = rng.choice(3, size=n_samples, p=sample_shares)
    left_split, right_split = split_of_sample[left_keys], split_of_sample[right_keys]
    assignment = np.where(left_split == right_split, left_split, -1)
    return _splits(pairs, assignment, dropped=int((assignment < 0).sum()), strategy="samples")


def _assign_groups(group_of_pair: np.ndarray, targets: np.ndarray, rng) -> np.ndarray:
    """Greedy: largest groups first, each to the split furthest below its target."""
    groups, pair_group, sizes = np.unique(group_of_pair, return_inverse=True, return_counts=True)
    order = np.lexsort((rng.random(len(groups)), -sizes))
    split_of_group = np.empty(len(groups), dtype=np.int64)
    filled = np.zeros(3)
    for g in order:
        split = int(np.argmax(targets - filled))
        split_of_group[g] = split
        filled[split] += sizes[g]
    return split_of_group[pair_group]


def _sizes_ok(assignment: np.ndarray, targets: np.ndarray) -> bool:
    counts = np.bincount(assignment, minlength=3)
    return all(counts[i] >= 0.5 * targets[i] for i in range(3) if targets[i] >= 1)


def _splits(pairs: PairSet, assignment: np.ndarray, *, dropped: int, strategy: str) -> Splits:
    parts = [pairs.subset(np.flatnonzero(assignment == i)) for i in range(3)]
    return Splits(
        train=parts[0],
        validation=parts[1] if parts[1].n_pairs else None,
        test=parts[2] if parts[2].n_pairs else None,
        dropped_pairs=dropped,
        strategy=strategy,
    )


def split_samples(
    samples: SampleSet,
    *,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    pairs_per_sample: int = 4,
    hard_negatives: bool = False,
) -> Splits:
    """Split labeled samples by class, then make balanced pairs inside each split.

    Samples with the same feature vector stay together, so no sample is in two splits and no pair is
    dropped.

    Args:
        samples: Labeled samples.
        validation_fraction: Share of samples for validation, in [0, 1).
        test_fraction: Share of samples for the test, in [0, 1).
        seed: Seed of the split and of the pair draws.
        pairs_per_sample: Pairs per anchor sample (see `make_pairs`).
        hard_negatives: Dissimilar pairs from each sample's nearest samples of another class.

    Returns:
        The `Splits`.
    """
    check_fractions(validation_fraction, test_fraction)
    rng = np.random.default_rng(seed)
    features = np.ascontiguousarray(samples.features + np.float32(0))
    width = features.dtype.itemsize * features.shape[1]
    _, vector_group = np.unique(features.view(np.dtype((np.void, width))).ravel(), return_inverse=True)
    classes = samples.classes.astype(str)
    assignment = np.zeros(samples.n_samples, dtype=np.int64)
    for name in np.unique(classes):
        groups = rng.permutation(np.unique(vector_group[classes == name]))
        n_val = round(len(groups) * validation_fraction)
        n_test = round(len(groups) * test_fraction)
        split_of_group = np.zeros(len(groups), dtype=np.int64)
        split_of_group[:n_val] = 1
        split_of_group[n_val : n_val + n_test] = 2
        members = np.isin(vector_group, groups)
        assignment[members] = _lookup(groups, split_of_group, vector_group[members])

    parts = []
    for i in range(3):
        subset = samples.subset(np.flatnonzero(assignment == i))
        has_pairs = subset.n_samples >= 2 and len(np.unique(subset.classes.astype(str))) >= 2
        parts.append(
            make_pairs(
                subset, pairs_per_sample=pairs_per_sample, hard_negatives=hard_negatives, seed=seed + i
            )
            if has_pairs and _has_a_class_of_two(subset)
            else None
        )
    if parts[0] is None:
        raise DataError(
            "the training share of the samples cannot form both similar and dissimilar pairs; "
            "use more samples per class or smaller validation and test shares",
            source=samples.info.source if samples.info else None,
        )
    return Splits(train=parts[0], validation=parts[1], test=parts[2], strategy="samples then pairs")


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    order = np.argsort(keys)
    return values[order][np.searchsorted(keys[order], queries)]


def _has_a_class_of_two(samples: SampleSet) -> bool:
    _, counts = np.unique(samples.classes.astype(str), return_counts=True)
    return bool((counts >= 2).any())
