"""Balanced pairs generated from labeled samples."""

from __future__ import annotations

import numpy as np

from siamese_core.errors import ConfigError, DataError
from siamese_core.pairs import DISSIMILAR, SIMILAR, PairSet, SampleSet, align_features


def make_pairs(
    samples: SampleSet,
    *,
    pairs_per_sample: int = 4,
    hard_negatives: bool = False,
    seed: int = 0,
) -> PairSet:
    """Balanced similar and dissimilar pairs from labeled samples.

    Each sample is the anchor of `pairs_per_sample // 2` similar pairs (a random other sample of its
    class) and as many dissimilar pairs: a random sample of another class, or, with `hard_negatives`,
    its nearest samples of another class. Duplicate pairs are removed and the larger side trimmed so
    there are exactly as many similar as dissimilar pairs.

    Args:
        samples: Labeled samples.
        pairs_per_sample: Pairs per anchor, similar and dissimilar together; at least 2.
        hard_negatives: Pair each sample with its nearest samples of another class.
        seed: Seed of the random draws; the same seed gives the same pairs.

    Returns:
        A `PairSet` with `sample_rows` naming the two samples of each pair.

    Raises:
        DataError: If no class has two samples or there is only one class.
        ConfigError: If `pairs_per_sample` is below 2.
    """
    if pairs_per_sample < 2:
        raise ConfigError(f"pairs_per_sample must be >= 2. Received: pairs_per_sample={pairs_per_sample}")
    rng = np.random.default_rng(seed)
    per_side = pairs_per_sample // 2
    classes, class_index = np.unique(samples.classes.astype(str), return_inverse=True)
    if len(classes) < 2:
        raise DataError(
            f"all {samples.n_samples} samples are of one class ({classes[0] if len(classes) else 'none'}); "
            "pairs need at least two classes",
            source=samples.info.source if samples.info else None,
        )
    order = np.argsort(class_index, kind="stable")
    counts = np.bincount(class_index, minlength=len(classes))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])

    anchors_similar, partners_similar = [], []
    anchors_dissimilar, partners_dissimilar = [], []
    for c, (start, size) in enumerate(zip(starts, counts, strict=True)):
        members = order[start : start + size]
        others = samples.n_samples - size
        if size >= 2:
            anchors = np.repeat(members, per_side)
            position = np.repeat(np.arange(size), per_side)
            draw = rng.integers(0, size - 1, size=anchors.shape[0])
            draw = draw + (draw >= position)  # skip the anchor itself
            anchors_similar.append(anchors)
            partners_similar.append(members[draw])
        if others == 0:
            continue
        anchors = np.repeat(members, per_side)
        if hard_negatives:
            partners = _nearest_of_other_classes(samples.features, members, class_index, c, per_side)
            anchors = np.repeat(members, partners.shape[1]).reshape(-1)
            partners = partners.reshape(-1)
        else:
            draw = rng.integers(0, others, size=anchors.shape[0])
            partners = order[draw + size * (draw >= start)]  # skip this class's block in sorted order
        anchors_dissimilar.append(anchors)
        partners_dissimilar.append(partners)

    if not anchors_similar:
        raise DataError(
            "no class has two samples, so there are no similar pairs; each class needs at least two samples",
            source=samples.info.source if samples.info else None,
        )
    similar = _unique_pairs(np.concatenate(anchors_similar), np.concatenate(partners_similar))
    dissimilar = _unique_pairs(np.concatenate(anchors_dissimilar), np.concatenate(partners_dissimilar))
    n = min(len(similar), len(dissimilar))
    similar = similar[rng.permutation(len(similar))[:n]]
    dissimilar = dissimilar[rng.permutation(len(dissimilar))[:n]]
    index = np.concatenate([similar, dissimilar])
    labels = np.concatenate([np.full(n, SIMILAR), np.full(n, DISSIMILAR)]).astype(np.float32)
    shuffle = rng.permutation(2 * n)
    index, labels = index[shuffle], labels[shuffle]
    return PairSet(
        left=samples.features[index[:, 0]],
        right=samples.features[index[:, 1]],
        labels=labels,
        feature_names=list(samples.feature_names),
        rows=np.full(2 * n, -1, dtype=np.int64),
        info=samples.info,
        sample_rows=np.stack([samples.rows[index[:, 0]], samples.rows[index[:, 1]]], axis=1),
    )


def _unique_pairs(anchors: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """(k, 2) unordered pairs with duplicates and self-pairs removed, in a stable random-free order."""
    pairs = np.sort(np.stack([anchors, partners], axis=1), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)


def _nearest_of_other_classes(features, members, class_index, c, k) -> np.ndarray:
    """Indices (len(members), k') of each member's nearest samples of another class, k' <= k."""
    others = np.flatnonzero(class_index != c)
    k = min(k, len(others))
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    from sklearn.neighbors import NearestNeighbors  # loads on first use

    neighbours = NearestNeighbors(n_neighbors=k).fit(features[others] / scale)
    _, nearest = neighbours.kneighbors(features[members] / scale)
    return others[nearest]


def prepare_test_pairs(
    test: PairSet | SampleSet,
    feature_names: list[str],
    *,
    pairs_per_sample: int,
    hard_negatives: bool = False,
    seed: int = 0,
    what: str = "the training data",
) -> PairSet:
    """A separate test file's pairs, ready to measure a model trained on other data.

    Labeled samples are paired as training samples are (`make_pairs`); the features are put in the
    training data's order by name (`align_features`).

    Args:
        test: The loaded test file: pairs, or labeled samples.
        feature_names: The training data's feature names.
        pairs_per_sample: For labeled samples: pairs per anchor sample.
        hard_negatives: For labeled samples: dissimilar pairs from the nearest samples of other classes.
        seed: Seed of the pair draws.
        what: What `feature_names` belong to, for the messages.

    Raises:
        DataError: The test file's features are not the training data's.
    """
    if isinstance(test, SampleSet):
        test = make_pairs(test, pairs_per_sample=pairs_per_sample, hard_negatives=hard_negatives, seed=seed)
    return align_features(feature_names, test, what=what)
