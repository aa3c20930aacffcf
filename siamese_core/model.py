"""The Siamese network: one shared MLP encoder and a Euclidean distance layer."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from siamese_core.data.statistics import ColumnStatistics
from siamese_core.errors import DataError, shown

ENCODER_NAME = "encoder"
DISTANCE_NAME = "distance"


@keras.saving.register_keras_serializable(package="siamese_core")
class EuclideanDistance(keras.layers.Layer):
    """Euclidean distance between two batches of embeddings.

    Computes D = sqrt(max(sum((a - b)^2), epsilon)) over the last axis. The floor `epsilon` keeps the
    gradient finite for identical pairs (D = 0), where the gradient of sqrt is infinite.

    Args:
        epsilon: Floor under the squared distance, > 0.
        **kwargs: Base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: A list `[a, b]` of two tensors of the same shape `(batch, ..., k)`.

    Returns:
        A tensor of shape `(batch, ...)`: one distance per pair.
    """

    def __init__(self, epsilon=1e-12, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0. Received: epsilon={epsilon}")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        a, b = inputs
        squared = ops.sum(ops.square(a - b), axis=-1)
        return ops.sqrt(ops.maximum(squared, self.epsilon))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1])

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config


def build_encoder(
    n_features: int,
    *,
    hidden: Sequence[int] = (128, 128),
    embedding_dim: int = 32,
    activation: str = "relu",
    dropout: float = 0.0,
    feature_mean: np.ndarray | None = None,
    feature_variance: np.ndarray | None = None,
) -> keras.Sequential:
    """The shared encoder: feature scaling, then a multi-layer perceptron to an embedding.

    Args:
        n_features: Width of one sample.
        hidden: Sizes of the hidden layers.
        embedding_dim: Size of the embedding (the last, linear layer).
        activation: Activation of the hidden layers, any Keras activation name.
        dropout: Dropout rate after each hidden layer, in [0, 1).
        feature_mean: Per-feature mean of the training samples; scaling is skipped when None.
        feature_variance: Per-feature variance of the training samples.

    Returns:
        A `keras.Sequential` named "encoder" mapping (batch, n_features) to (batch, embedding_dim).
    """
    layers = [keras.Input(shape=(n_features,), name="features")]
    if feature_mean is not None:
        # Variances beyond float32 (features of magnitude 1e30, or 1e-30) are brought into range by a
        # fixed power-of-two factor first; the statistics are expressed after that factor.
        mean = np.asarray(feature_mean, dtype=np.float64)
        variance = np.asarray(feature_variance, dtype=np.float64)
        largest = float(variance.max()) if variance.size else 1.0
        if not 1e-20 <= largest <= 1e20:
            # A normal float32 (2^-126 to 2^127): TensorFlow reads a smaller one as 0, a larger one is inf.
            factor = 2.0 ** np.clip(-round(np.log2(np.sqrt(largest))), -126, 127)
            layers.append(keras.layers.Rescaling(factor, name="magnitude"))
            feature_mean, feature_variance = mean * factor, np.maximum(variance * factor**2, 1e-30)
        layers.append(
            keras.layers.Normalization(
                mean=np.asarray(feature_mean, dtype=np.float64).tolist(),
                variance=np.asarray(feature_variance, dtype=np.float64).tolist(),
                name="feature_scaling",
            )
        )
    for index, units in enumerate(hidden):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden_{index}"))
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
    layers.append(keras.layers.Dense(embedding_dim, name="embedding"))
    return keras.Sequential(layers, name=ENCODER_NAME)


def build_siamese_model(encoder: keras.Model, n_features: int) -> keras.Model:
    """Two inputs, one shared encoder, one distance per pair.

    Args:
        encoder: The shared encoder (see `build_encoder`).
        n_features: Width of one sample.

    Returns:
        A functional `keras.Model` taking `{"left": (batch, d), "right": (batch, d)}` and returning the
        (batch,) Euclidean distances between the two embeddings.
    """
    left = keras.Input(shape=(n_features,), name="left")
    right = keras.Input(shape=(n_features,), name="right")
    distance = EuclideanDistance(name=DISTANCE_NAME)([encoder(left), encoder(right)])
    return keras.Model(inputs={"left": left, "right": right}, outputs=distance, name="siamese")


# Rows gathered at a time: float64 statistics without a float64 copy of the whole data, in buffers small
# enough to be reused.
STATISTICS_CHUNK = 4096


def scaling_statistics(
    samples, mode: str = "auto", feature_names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Per-feature mean and variance for the model's feature scaling, computed in float64.

    Args:
        samples: (n, d) training samples, or a list of such blocks (the two sides of the pairs), read
            a chunk at a time.
        mode: "per_feature", "global", "none" or "auto" (see `TrainConfig.scaling`).
        feature_names: The features' names, for messages.

    Returns:
        `(mean, variance, mode used)`, each array of shape (d,) in float64 (a variance may exceed
        float32: `build_encoder` rescales then); constant features get variance 1 (they are only centred).

    Raises:
        DataError: A feature's values are all too small for normal 32-bit floats (see
            `scaling_from_statistics`).
    """
    blocks = samples if isinstance(samples, (list, tuple)) else [samples]
    statistics = ColumnStatistics.empty(np.shape(blocks[0])[1])
    for block in blocks:
        for start in range(0, len(block), STATISTICS_CHUNK):
            statistics.add(block[start : start + STATISTICS_CHUNK])
    return scaling_from_statistics(statistics, mode, feature_names)


def scaling_from_statistics(
    statistics: ColumnStatistics, mode: str = "auto", feature_names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """The finishing step of `scaling_statistics`, from the training samples' statistics.

    `scaling_statistics` gathers them over samples in memory, `siamese_core.streaming.PairStream` a chunk
    at a time over data larger than memory; both give the same scaling for the same samples.

    Args:
        statistics: float64 count, mean, variance, largest and smallest value of each feature.
        mode: "per_feature", "global", "none" or "auto" (see `TrainConfig.scaling`).
        feature_names: The features' names, for messages.

    Returns:
        `(mean, variance, mode used)`, as `scaling_statistics` returns them.

    Raises:
        DataError: A feature's values are all too small for normal 32-bit floats (below 1.2e-38 in size,
            not all 0): TensorFlow reads them as 0, whatever the scaling.
    """
    mean, variance = statistics.mean.copy(), statistics.variance
    highest, lowest = statistics.highest, statistics.lowest
    _check_normal_sizes(highest, lowest, feature_names)
    if mode == "auto":  # one unit (pixels, embedding dimensions) when the features' ranges are alike
        ranges = (highest - lowest)[highest > lowest]
        alike = len(ranges) and ranges.max() <= 10 * np.percentile(ranges, 10, method="lower")
        mode = "global" if alike else "per_feature"
    if mode == "global":  # centred, then all divided by the largest deviation: values within [-1, 1]
        deviation = float(np.maximum(highest - mean, mean - lowest).max())
        variance = np.full_like(variance, deviation**2)
    elif mode == "none":
        mean, variance = np.zeros_like(mean), np.ones_like(variance)
    variance = np.where(np.isfinite(variance), variance, np.finfo(np.float64).max)
    variance[variance == 0] = 1.0
    return mean, variance, mode


def _check_normal_sizes(highest: np.ndarray, lowest: np.ndarray, feature_names: list[str] | None) -> None:
    """Refuse features whose every value is too small for a normal float32 (below 1.2e-38 in size, but
    not all 0): TensorFlow flushes such subnormal numbers to 0, so the model would see a constant."""
    size = np.maximum(np.abs(highest), np.abs(lowest))
    tiny = (size > 0) & (size < np.finfo(np.float32).tiny)
    if not tiny.any():
        return
    index = np.flatnonzero(tiny)
    names = [feature_names[i] if feature_names else f"feature {i + 1}" for i in index]
    more = f" (and {len(names) - 1:,} more)" if len(names) > 1 else ""
    raise DataError(
        f"feature '{shown(names[0])}'{more} holds only values below 1.2e-38 in size (the largest is "
        f"{size[index[0]]:.3g}), which 32-bit floats hold only as subnormal numbers and TensorFlow reads as "
        "0; multiply the features by a power of ten (such as 1e30) before training"
    )


def encoder_of(model: keras.Model) -> keras.Model:
    """The shared encoder inside a Siamese model."""
    return model.get_layer(ENCODER_NAME)
