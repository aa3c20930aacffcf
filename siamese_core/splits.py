"""Leakage-aware train / validation / test splits: the one home of the split rule.

A sample (the same feature vector, which also covers the same id) never appears in two splits, so a
held-out score measures generalisation to unseen samples rather than memory of seen ones. A sample's
split follows from a stable 64-bit hash of its float32 values and the seed (`sample_fractions`), so the
rule needs no global view: in-memory pairs (`split_pairs`) and streamed files
(`siamese_core.streaming.PairStream`) split the same file the same way, chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siamese_core.errors import ConfigError, DataError
from siamese_core.pairing import make_pairs
from siamese_core.pairs import PairSet, SampleSet, check_enough_pairs

SPLIT_NAMES = ("train", "validation", "test")
SPLIT_CODES = (*SPLIT_NAMES, "dropped")  # the codes 0, 1, 2, 3 of `pair_splits`
# Files with fewer pairs choose the refit's length by cross-validation over `LENGTH_FOLDS` folds by sample
# (`siamese_core.pipeline.fit`): one small validation split says little about how long all pairs can train.
CROSS_VALIDATION_PAIRS = 10_000
LENGTH_FOLDS = 5
# Rows hashed at once are cut so that their uint64 copy holds about this many values.
_HASH_BLOCK_VALUES = 2**20
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_FINAL_KEY = 0x2545F4914F6CDD1D


@dataclass
class Splits:
    """Pairs split three ways.

    Attributes:
        train: Pairs to fit on.
        validation: Pairs for early stopping and the loss curve; None when not asked for.
        test: Held-out pairs for the final metrics; None when not asked for.
        dropped_pairs: Pairs dropped because their two samples fell into different splits.
        strategy: How the split was made: "samples" (each sample to one split, cross-split pairs
            dropped), "samples then pairs" (labeled samples split first, pairs made inside each split)
            or "random" (pairs split by a hash of the pair, leakage not checked).
    """

    train: PairSet
    validation: PairSet | None
    test: PairSet | None
    dropped_pairs: int = 0
    strategy: str = "samples"

    @property
    def held_out(self) -> bool:
        """Whether any pair is outside the training split (validation, test, or left out)."""
        return self.validation is not None or self.test is not None or self.dropped_pairs > 0

    def describe(self) -> str:
        counts = {name: getattr(self, name).n_pairs if getattr(self, name) else 0 for name in SPLIT_NAMES}
        return describe_counts({**counts, "dropped": self.dropped_pairs}, self.strategy)


def describe_counts(counts: dict[str, int], strategy: str, test_kept: int | None = None) -> str:
    """The pairs per split in words, as `Splits.describe` and streamed training say them.

    Args:
        counts: Pairs per split: "train", "validation", "test" and "dropped".
        strategy: How the split was made (see `Splits.strategy`).
        test_kept: How many test pairs are used, when fewer than all (a stream keeps a bounded number).
    """
    parts = [f"{name} {counts.get(name, 0):,}" for name in SPLIT_NAMES if counts.get(name)]
    text = f"pairs: {', '.join(parts)} (split by {'pairs at random' if strategy == 'random' else strategy})"
    if counts.get("dropped"):
        text += (
            f"; {counts['dropped']:,} pairs whose two samples fell into different splits are left out of "
            "all three (no sample is shared between splits)"
        )
    if test_kept is not None and test_kept < counts.get("test", 0):
        text += f"; test metrics on the first {test_kept:,} test pairs"
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


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array: a bijection that spreads every input bit over the output."""
    x = x ^ (x >> np.uint64(30))
    x *= _MIX_1
    x ^= x >> np.uint64(27)
    x *= _MIX_2
    x ^= x >> np.uint64(31)
    return x


def _keys(seed: int, n: int) -> np.ndarray:
    """`n` pseudo-random uint64 keys that follow from `seed` alone (plain integer arithmetic, no generator)."""
    start = _mix(np.array([seed % 2**64], dtype=np.uint64))
    return _mix(start + np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN)


def sample_fractions(samples: np.ndarray, seed: int = 0) -> np.ndarray:
    """A number in [0, 1) per sample that follows from its feature vector and `seed` alone.

    Each float32 value (as 32 bits, -0.0 counted as 0.0) is combined with a key of its column, mixed
    (splitmix64's finaliser) and the mixes of a row are summed modulo 2**64, then mixed again: a stable
    64-bit hash of the vector. Equal vectors get equal numbers in any chunk, process or machine.

    Args:
        samples: (n, d) feature vectors (cast to float32).
        seed: Chooses the hash; other seeds give independent numbers.

    Returns:
        (n,) float64 in [0, 1), spread evenly.
    """
    words = np.ascontiguousarray(np.asarray(samples, dtype=np.float32) + np.float32(0)).view(np.uint32)
    n, width = words.shape
    keys = _keys(seed, width + 1)
    hashes = np.empty(n, dtype=np.uint64)
    step = max(_HASH_BLOCK_VALUES // max(width, 1), 1)
    for start in range(0, n, step):
        block = words[start : start + step].astype(np.uint64) ^ keys[:width]
        hashes[start : start + step] = _mix(block).sum(axis=1, dtype=np.uint64)
    hashes = _mix(hashes ^ keys[width] ^ np.uint64(_FINAL_KEY))
    return (hashes >> np.uint64(11)).astype(np.float64) * 2.0**-53


def sample_splits(
    samples: np.ndarray, *, validation_fraction: float, test_fraction: float, seed: int = 0
) -> np.ndarray:
    """The split of each sample: 0 train, 1 validation, 2 test (see `SPLIT_CODES`).

    A sample goes to a split with a probability proportional to the square root of the split's share: a
    pair stays in a split when both its samples are there, so the pairs kept approach the shares asked for.

    Args:
        samples: (n, d) feature vectors.
        validation_fraction: Share of pairs for validation, in [0, 1).
        test_fraction: Share of pairs for the test, in [0, 1).
        seed: The split's seed.

    Returns:
        (n,) int8 split codes.
    """
    check_fractions(validation_fraction, test_fraction)
    if validation_fraction == 0 and test_fraction == 0:
        return np.zeros(len(samples), dtype=np.int8)
    shares = np.sqrt([1 - validation_fraction - test_fraction, validation_fraction, test_fraction])
    bounds = np.cumsum(shares / shares.sum())[:2]
    if test_fraction == 0:
        bounds[1] = 2.0  # rounding must not send a sample to a split of share 0
    fractions = sample_fractions(samples, seed)
    return np.searchsorted(bounds, fractions, side="right").astype(np.int8)


def pair_splits(
    left: np.ndarray,
    right: np.ndarray,
    *,
    validation_fraction: float,
    test_fraction: float,
    seed: int = 0,
    leakage_aware: bool = True,
) -> np.ndarray:
    """The split of each pair: its samples' split when they agree, else 3 ("dropped").

    Args:
        left: (n, d) first samples.
        right: (n, d) second samples.
        validation_fraction: Share of pairs for validation, in [0, 1).
        test_fraction: Share of pairs for the test, in [0, 1).
        seed: The split's seed.
        leakage_aware: When False, each pair goes to a split by a hash of both its samples, with the
            shares asked for and nothing dropped, but a sample may then be in two splits.

    Returns:
        (n,) int8 codes into `SPLIT_CODES`: 0 train, 1 validation, 2 test, 3 dropped.
    """
    options = {"validation_fraction": validation_fraction, "test_fraction": test_fraction, "seed": seed}
    if validation_fraction == 0 and test_fraction == 0:
        return np.zeros(len(left), dtype=np.int8)
    if not leakage_aware:
        check_fractions(validation_fraction, test_fraction)
        bounds = np.cumsum([1 - validation_fraction - test_fraction, validation_fraction])
        if test_fraction == 0:
            bounds[1] = 2.0
        fractions = sample_fractions(np.concatenate([left, right], axis=1), seed)
        return np.searchsorted(bounds, fractions, side="right").astype(np.int8)
    left_split = sample_splits(left, **options)
    right_split = sample_splits(right, **options)
    return np.where(left_split == right_split, left_split, np.int8(3)).astype(np.int8)


def sample_folds(pairs: PairSet, folds: int, seed: int = 0) -> list[tuple[PairSet, PairSet]]:
    """K-fold cross-validation by sample: `folds` (training, validation) pairs, no sample in both.

    Each sample goes to one fold by its hash (`sample_fractions`); fold k validates on the pairs whose
    two samples are in fold k and trains on the pairs with neither sample in it. A pair across fold k and
    another fold is in neither: with 5 folds, each fold trains on about 64% of the pairs and validates
    on about 4% (all folds together validate on about a fifth), which is what keeps its validation
    samples unseen.

    Args:
        pairs: The pairs.
        folds: How many folds (>= 2).
        seed: Chooses the folds.

    Returns:
        One (training pairs, validation pairs) tuple per fold.
    """
    if folds < 2:
        raise ConfigError(f"folds must be >= 2. Received: folds={folds}")
    left = np.floor(sample_fractions(pairs.left, seed) * folds)
    right = np.floor(sample_fractions(pairs.right, seed) * folds)
    return [
        (pairs.subset((left != fold) & (right != fold)), pairs.subset((left == fold) & (right == fold)))
        for fold in range(folds)
    ]


def pair_samples_seen(pairs: PairSet, seen) -> np.ndarray:
    """Which pairs of `pairs` have a sample (a feature vector, -0.0 counted as 0.0) among `seen`'s.

    Args:
        pairs: The pairs to check, such as a separate test file.
        seen: The pairs a model trained on: a `PairSet`, or an iterable of `(left, right, ...)` chunks.

    Returns:
        (n,) bool, True where the left or the right sample of the pair is also a sample of `seen`.
    """
    chunks = [(seen.left, seen.right)] if isinstance(seen, PairSet) else seen
    asked = _vector_keys(np.concatenate([pairs.left, pairs.right]))
    found = np.zeros(len(asked), dtype=bool)
    for left, right, *_ in chunks:
        found |= np.isin(asked, _vector_keys(np.concatenate([left, right])))
    return found[: pairs.n_pairs] | found[pairs.n_pairs :]


def _vector_keys(rows: np.ndarray) -> np.ndarray:
    """One comparable key per row: its float32 bytes (-0.0 as 0.0)."""
    rows = np.ascontiguousarray(np.asarray(rows, dtype=np.float32) + np.float32(0))
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


def split_pairs(
    pairs: PairSet,
    *,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    leakage_aware: bool = True,
) -> Splits:
    """Split pairs so that no sample is in two splits, with the rule streamed files use (`pair_splits`).

    Each sample (a feature vector) goes to one split by a hash of its values; a pair whose two samples
    land in different splits is left out of all three ("dropped": with refit, the final model still
    trains on it). The same file gives the same splits in memory and streamed.

    Args:
        pairs: The pairs to split.
        validation_fraction: Share of the kept pairs for validation, in [0, 1).
        test_fraction: Share of the kept pairs for the test, in [0, 1).
        seed: Seed of the hash.
        leakage_aware: When False, each pair goes to a split by a hash of both its samples and none is
            dropped, but a sample may then be in two splits.

    Returns:
        The `Splits`, with how many pairs were dropped.
    """
    check_fractions(validation_fraction, test_fraction)
    codes = pair_splits(
        pairs.left,
        pairs.right,
        validation_fraction=validation_fraction,
        test_fraction=test_fraction,
        seed=seed,
        leakage_aware=leakage_aware,
    )
    parts = [pairs.subset(np.flatnonzero(codes == i)) for i in range(3)]
    return Splits(
        train=parts[0],
        validation=parts[1] if parts[1].n_pairs else None,
        test=parts[2] if parts[2].n_pairs else None,
        dropped_pairs=int((codes == 3).sum()),
        strategy="samples" if leakage_aware else "random",
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
    _, vector_group = np.unique(_vector_keys(samples.features), return_inverse=True)
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

    pairing = {"pairs_per_sample": pairs_per_sample, "hard_negatives": hard_negatives}
    parts = []
    for i in range(3):
        subset = samples.subset(np.flatnonzero(assignment == i))
        has_pairs = subset.n_samples >= 2 and len(np.unique(subset.classes.astype(str))) >= 2
        parts.append(
            make_pairs(subset, **pairing, seed=seed + i)
            if has_pairs and _has_a_class_of_two(subset)
            else None
        )
    source = samples.info.source if samples.info else None
    train = parts[0]
    if train is None or min(int(train.similar_mask.sum()), int((~train.similar_mask).sum())) < 2:
        # Refused as a pair file of as few pairs is, when all the samples make no more.
        every = train if (assignment == 0).all() else make_pairs(samples, **pairing, seed=seed)
        if every is not None:
            check_enough_pairs(int(every.similar_mask.sum()), int((~every.similar_mask).sum()), source)
    if train is None:
        raise DataError(
            "the training share of the samples cannot form both similar and dissimilar pairs; "
            "use more samples per class or smaller validation and test shares",
            source=source,
        )
    return Splits(train=parts[0], validation=parts[1], test=parts[2], strategy="samples then pairs")


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    order = np.argsort(keys)
    return values[order][np.searchsorted(keys[order], queries)]


def _has_a_class_of_two(samples: SampleSet) -> bool:
    _, counts = np.unique(samples.classes.astype(str), return_counts=True)
    return bool((counts >= 2).any())


def make_splits(
    data: PairSet | SampleSet,
    *,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    leakage_aware: bool = True,
    pairs_per_sample: int = 8,
    hard_negatives: bool = False,
) -> Splits:
    """Leakage-aware splits of pairs, or of labeled samples into pairs (see `siamese_core.splits`)."""
    if isinstance(data, SampleSet):
        return split_samples(
            data,
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            seed=seed,
            pairs_per_sample=pairs_per_sample,
            hard_negatives=hard_negatives,
        )
    return split_pairs(
        data,
        validation_fraction=validation_fraction,
        test_fraction=test_fraction,
        seed=seed,
        leakage_aware=leakage_aware,
    )


def plan_text(
    split_text: str, n_pairs: int | None, *, refit: bool, held_out: bool, test_source: str | None = None
) -> str:
    """How training will use the pairs, said before it starts (the CLI and the dashboard show it).

    Args:
        split_text: The split, as `Splits.describe` says it.
        n_pairs: All pairs the final model can train on; None for labeled samples (paired after the split).
        refit: Whether the final model will be refit on all pairs.
        held_out: Whether the split holds pairs out (validation, test or dropped ones).
        test_source: The name of a separate test file, if any.
    """
    everything = f"all {n_pairs:,} pairs" if n_pairs is not None else "pairs made from all the samples"
    at_random = "(split by pairs at random)" in split_text
    chooser = (
        "the validation pairs choose how long and the threshold"
        if "validation" in split_text
        else "no validation pairs: it trains every epoch and the threshold comes from its training pairs"
    )
    if refit and (n_pairs is None or n_pairs < CROSS_VALIDATION_PAIRS):
        threshold = (
            "the validation pairs choose the threshold"
            if "validation" in split_text
            else "no validation pairs: the threshold comes from its training pairs"
        )
        when = (
            f"as the file holds under {CROSS_VALIDATION_PAIRS:,} pairs"
            if n_pairs is not None
            else f"if the samples make under {CROSS_VALIDATION_PAIRS:,} pairs"
        )
        chooser = f"{threshold}; {when}, {LENGTH_FOLDS} folds by sample choose how long"
    if not held_out:
        text = f"{everything} train the model; nothing is held out"
    elif refit:
        text = (
            f"{split_text}. A selection model trains on the training split ({chooser}); then the final model "
            f"is refit on {everything}"
        )
    else:
        text = f"{split_text}. The final model is the one trained on the training split (no refit)"
    if test_source:
        text += f"; the metrics come from the test file {test_source}"
    elif held_out and "test" in split_text:
        text += (
            "; the metrics come from the test pairs (split at random: their samples may also be in training "
            "pairs, so the metrics flatter the model)"
            if at_random
            else "; the metrics come from the test pairs, which the selection model never sees"
        )
    return text
