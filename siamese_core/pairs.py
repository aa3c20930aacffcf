"""The plain values that flow from the data loaders to training and evaluation.

A `PairSet` holds validated float32 pairs with labels in the loss's convention (Y = 0 similar, Y = 1
dissimilar); a `SampleSet` holds labeled samples from which pairs are generated. Both carry a `LoadInfo`
that says where they came from and what the loader decided, so the CLI and the dashboard can show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from siamese_core.errors import DataError, listed, shown

SIMILAR = 0.0
DISSIMILAR = 1.0


@dataclass
class LabelMapping:
    """How the raw values of a label column map to similar (Y = 0) and dissimilar (Y = 1).

    Attributes:
        column: The label column's name.
        similar_values: The raw values (as text) that mean "similar".
        dissimilar_values: The raw values (as text) that mean "dissimilar".
        n_similar: How many pairs are similar.
        n_dissimilar: How many pairs are dissimilar.
        reason: How the mapping was decided, in words a user can check.
    """

    column: str
    similar_values: list[str]
    dissimilar_values: list[str]
    n_similar: int = 0
    n_dissimilar: int = 0
    reason: str = ""

    def describe(self, *, counts: bool = True) -> str:
        """One line such as "similar: label = 0 (1,234 pairs); dissimilar: label = 1 (1,180 pairs)".

        Args:
            counts: Give the pairs of each kind (False for a mapping kept without them, in a model file).
        """
        return "; ".join(self.sides(counts=counts))

    def sides(self, *, counts: bool = True) -> tuple[str, str]:
        """The similar and the dissimilar side of `describe`, such as "similar: same = 'same' (10 pairs)".

        Words are quoted and numbers are not, so a column named like one of its values still reads as a
        condition: "same = 'same'", never "same same".
        """
        return (
            f"similar: {self._condition(self.similar_values)}"
            + (f" ({_pairs(self.n_similar)})" if counts else ""),
            f"dissimilar: {self._condition(self.dissimilar_values)}"
            + (f" ({_pairs(self.n_dissimilar)})" if counts else ""),
        )

    def _condition(self, values: list[str]) -> str:
        column = shown(self.column)
        if len(values) == 1:
            return f"{column} = {_quoted(values[0])}"
        return f"{column} is one of {listed(values, 8, each=_quoted)}"


def _quoted(value: object) -> str:
    """A label value for `LabelMapping.describe`: a number as it is, anything else (the words "nan" and
    "inf" too) in quotes."""
    text = shown(value)
    try:
        float(str(value))
    except ValueError:
        return f"'{text}'"
    return text if any(char.isdigit() for char in str(value)) else f"'{text}'"  # "nan", "inf": words


def _pairs(count: int) -> str:
    return f"{count:,} pair" + ("" if count == 1 else "s")


@dataclass
class LoadInfo:
    """What a loader read and decided.

    Attributes:
        source: The file's name (or names, for pairs by reference).
        kind: "pairs" (wide pair CSV), "samples" (labeled samples) or "reference" (pairs by reference).
        n_rows: Data rows read, before any were dropped.
        label_column: The pair label column, for pair inputs.
        left_columns: Feature columns of the first sample, in feature order.
        right_columns: Feature columns of the second sample, paired with `left_columns` by position.
        class_column: The class column, for labeled samples.
        id_column: The sample id column, when there is one.
        label_mapping: How labels were mapped, for pair inputs.
        ignored_columns: Columns present in the file but not used.
        dropped_rows: Rows dropped because of missing values (only when the user asked for it).
        warnings: Things the user should know that did not stop loading.
    """

    source: str
    kind: str
    n_rows: int = 0
    label_column: str | None = None
    left_columns: list[str] = field(default_factory=list)
    right_columns: list[str] = field(default_factory=list)
    class_column: str | None = None
    id_column: str | None = None
    label_mapping: LabelMapping | None = None
    ignored_columns: list[str] = field(default_factory=list)
    dropped_rows: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class PairSet:
    """Validated pairs, ready for the model.

    Attributes:
        left: (n, d) float32 features of the first sample of each pair; every value finite.
        right: (n, d) float32 features of the second sample.
        labels: (n,) float32, 0 for similar pairs and 1 for dissimilar ones.
        feature_names: The d feature names (the shared part of the two sides' column names).
        rows: (n,) int64, the 1-based data row each pair came from (for messages and hardest pairs);
            -1 for generated pairs.
        info: What the loader read and decided.
        sample_rows: (n, 2) int64, the 1-based rows of the two samples in a samples file, for pairs
            generated from labeled samples; None for wide pair files and pairs by reference.
        sample_ids: (n, 2) the ids (text) of the two samples, for pairs given by reference; else None.
    """

    left: np.ndarray
    right: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    rows: np.ndarray | None = None
    info: LoadInfo | None = None
    sample_rows: np.ndarray | None = None
    sample_ids: np.ndarray | None = None

    def __post_init__(self):
        if self.rows is None:
            self.rows = np.arange(1, len(self.labels) + 1, dtype=np.int64)

    @property
    def n_pairs(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.left.shape[1])

    @property
    def similar_mask(self) -> np.ndarray:
        return self.labels == SIMILAR

    def subset(self, index: np.ndarray) -> PairSet:
        """The pairs at `index` (an integer array or a boolean mask), sharing `info`."""
        return replace(
            self,
            left=self.left[index],
            right=self.right[index],
            labels=self.labels[index],
            rows=self.rows[index],
            sample_rows=None if self.sample_rows is None else self.sample_rows[index],
            sample_ids=None if self.sample_ids is None else self.sample_ids[index],
        )


@dataclass
class SampleSet:
    """Validated labeled samples, from which pairs are generated.

    Attributes:
        features: (n, d) float32; every value finite.
        classes: (n,) the class of each sample, as text.
        feature_names: The d feature names.
        ids: (n,) sample ids as text, when the file has an id column; else None.
        rows: (n,) int64, the 1-based data row of each sample.
        info: What the loader read and decided.
    """

    features: np.ndarray
    classes: np.ndarray
    feature_names: list[str]
    ids: np.ndarray | None = None
    rows: np.ndarray | None = None
    info: LoadInfo | None = None

    def __post_init__(self):
        if self.rows is None:
            self.rows = np.arange(1, len(self.classes) + 1, dtype=np.int64)

    @property
    def n_samples(self) -> int:
        return int(self.features.shape[0])

    def subset(self, index: np.ndarray) -> SampleSet:
        """The samples at `index` (an integer array or a boolean mask), sharing `info`."""
        return replace(
            self,
            features=self.features[index],
            classes=self.classes[index],
            ids=None if self.ids is None else self.ids[index],
            rows=self.rows[index],
        )


def check_enough_pairs(n_similar: int, n_dissimilar: int, source: str | None) -> None:
    """Refuse data with fewer pairs than training needs: 2 similar and 2 dissimilar, so that the training
    split and the held-out pairs can each have both kinds.

    Args:
        n_similar: How many similar pairs a pair file holds, or labeled samples make.
        n_dissimilar: How many dissimilar ones.
        source: The file's name, for the message.

    Raises:
        DataError: If there are fewer.
    """
    if n_similar < 2 or n_dissimilar < 2:
        raise DataError(
            f"has only {n_similar + n_dissimilar} pairs ({n_similar} similar, {n_dissimilar} dissimilar); "
            "training needs at least 2 similar and 2 dissimilar pairs",
            source=source,
        )


def match_features(
    expected: Sequence[str], columns: Sequence[str], *, source: str | None = None
) -> list[int | None]:
    """Where each expected feature is among a table's columns: the one feature schema of the package.

    A feature is the column of its exact name; without one, the one column named the same ignoring case and
    surrounding spaces ("Age " for "age"). Anything that could pick a column silently wrong is refused:
    two columns or more that differ only by case with none named exactly, or one column serving two
    features. Columns that match no feature are not looked at.

    Args:
        expected: The feature names to find, such as a model's `feature_names`.
        columns: The table's column (or feature) names.
        source: The file's name, for messages.

    Returns:
        For each expected feature, the position of its column in `columns`, or None when it has none.

    Raises:
        DataError: If a feature matches several columns, or a column several features; the message names
            them.
    """
    exact = {str(column): position for position, column in reversed(list(enumerate(columns)))}
    by_key: dict[str, list[int]] = {}
    for position, column in enumerate(columns):
        by_key.setdefault(_feature_key(column), []).append(position)
    positions: list[int | None] = []
    for feature in expected:
        if feature in exact:
            positions.append(exact[feature])
            continue
        candidates = by_key.get(_feature_key(feature), [])
        if len(candidates) > 1:
            raise DataError(
                f"feature '{shown(feature)}' matches {len(candidates)} columns that differ only by case or "
                f"spaces: {listed([columns[i] for i in candidates], 5)}; rename all but one of them",
                source=source,
            )
        positions.append(candidates[0] if candidates else None)
    served: dict[int, str] = {}
    for feature, position in zip(expected, positions, strict=True):
        if position is not None and position in served:
            raise DataError(
                f"column '{shown(columns[position])}' matches two features, '{shown(served[position])}' and "
                f"'{shown(feature)}', which differ only by case or spaces; name a column for each exactly",
                source=source,
            )
        if position is not None:
            served[position] = feature
    return positions


def _feature_key(name) -> str:
    return str(name).strip().lower()


def align_features(target, features: PairSet | SampleSet, *, what: str = "the model") -> PairSet | SampleSet:
    """Pairs or samples with their feature columns in the order of a model's (or of a list of names).

    Features are matched by name as `match_features` says.

    Args:
        target: The model (anything with `feature_names`), or the feature names to follow.
        features: Pairs or labeled samples loaded from a file.
        what: What `target` is, for the messages ("the model", "the training data").

    Returns:
        The pairs or samples, reordered (and named as `target`) when the names match otherwise.

    Raises:
        DataError: If the file's features do not match the target's.
    """
    expected = list(getattr(target, "feature_names", target))
    if list(features.feature_names) == expected:
        return features
    source = features.info.source if features.info else None
    positions = match_features(expected, features.feature_names, source=source)
    missing = [name for name, position in zip(expected, positions, strict=True) if position is None]
    n_features = len(features.feature_names)
    if missing and n_features == len(expected):
        raise DataError(
            f"the file's features ({listed(features.feature_names, 4)}) are not those of {what} "
            f"({listed(expected, 4)}); missing for example {listed(missing, 4)}. "
            f"Rename the columns to match {what}",
            source=source,
        )
    if missing or n_features != len(expected):
        raise DataError(
            f"{what} has {len(expected)} features per sample but the file has {n_features}; "
            f"missing for example {listed(missing, 4)}",
            source=source,
        )
    order = np.array(positions)
    if isinstance(features, SampleSet):
        return replace(features, features=features.features[:, order], feature_names=expected)
    return replace(
        features, left=features.left[:, order], right=features.right[:, order], feature_names=expected
    )
