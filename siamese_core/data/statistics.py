"""Per-feature statistics of samples, gathered a chunk at a time: the one home of the numbers the model's
feature scaling is computed from, for samples in memory (`siamese_core.model.scaling_statistics`) and
streamed from files (`siamese_core.streaming.PairStream`) alike."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ColumnStatistics:
    """Per-feature count, mean, variance, largest and smallest value, in float64, merged a chunk at a time.

    Chunks are merged with the pairwise update of Chan, Golub and LeVeque ("Updating formulae and a pairwise
    algorithm for computing sample variances", 1979): each chunk's squared deviations are taken around its
    own mean, so large offsets cost no precision.

    Attributes:
        count: Samples seen.
        mean: (d,) mean of each feature.
        squares: (d,) sum of squared deviations from the mean.
        highest: (d,) largest value of each feature (-inf before any sample).
        lowest: (d,) smallest value (+inf before any sample).
    """

    count: int
    mean: np.ndarray
    squares: np.ndarray
    highest: np.ndarray
    lowest: np.ndarray

    @classmethod
    def empty(cls, width: int) -> ColumnStatistics:
        return cls(0, np.zeros(width), np.zeros(width), np.full(width, -np.inf), np.full(width, np.inf))

    @property
    def variance(self) -> np.ndarray:
        """(d,) variance of each feature (divided by the count, as numpy's `var`)."""
        return self.squares / max(self.count, 1)

    def add(self, samples: np.ndarray) -> None:
        """Merge (n, d) samples in."""
        if len(samples):
            values = np.asarray(samples, dtype=np.float64)
            mean = values.mean(axis=0)
            self.merge(
                ColumnStatistics(
                    len(values),
                    mean,
                    np.square(values - mean).sum(axis=0),
                    values.max(axis=0),
                    values.min(axis=0),
                )
            )

    def merge(self, other: ColumnStatistics) -> None:
        """Merge the statistics of other samples in."""
        if other.count == 0:
            return
        total = self.count + other.count
        delta = other.mean - self.mean
        self.squares = self.squares + other.squares + np.square(delta) * (self.count * other.count / total)
        self.mean = self.mean + delta * (other.count / total)
        self.count = total
        self.highest = np.maximum(self.highest, other.highest)
        self.lowest = np.minimum(self.lowest, other.lowest)
