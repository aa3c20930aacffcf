"""The contrastive loss of Hadsell, Chopra & LeCun (2006)."""

from __future__ import annotations

import keras
from keras import ops


def _check_margin(margin: float) -> float:
    if not margin > 0:
        raise ValueError(f"margin must be > 0. Received: margin={margin}")
    return float(margin)


def contrastive_loss_per_pair(y_true, distances, margin: float = 1.0):
    """The contrastive loss of each pair, before averaging.

    Args:
        y_true: Pair labels, 0 for similar and 1 for dissimilar; any shape with one value per pair.
        distances: Euclidean distances between the two embeddings, one per pair.
        margin: m > 0; dissimilar pairs at least this far apart cost nothing.

    Returns:
        A 1-D tensor: (1 - Y) * 1/2 * D^2 + Y * 1/2 * max(0, m - D)^2 for each pair.
    """
    margin = _check_margin(margin)
    distances = ops.reshape(ops.convert_to_tensor(distances), (-1,))
    y_true = ops.cast(ops.reshape(y_true, (-1,)), distances.dtype)
    pull = 0.5 * ops.square(distances)
    push = 0.5 * ops.square(ops.maximum(margin - distances, 0.0))
    return (1.0 - y_true) * pull + y_true * push


def contrastive_loss(y_true, distances, margin: float = 1.0):
    """Batch mean of the contrastive loss.

    L = (1 - Y) * 1/2 * D^2 + Y * 1/2 * max(0, m - D)^2, where Y = 0 marks a similar pair and Y = 1 a
    dissimilar one: similar pairs are pulled together, dissimilar pairs are pushed apart until they are
    at least m apart.

    Args:
        y_true: Pair labels, 0 for similar and 1 for dissimilar.
        distances: Euclidean distances between the two embeddings, one per pair.
        margin: m > 0.

    Returns:
        A scalar tensor, the mean of the per-pair losses.

    Raises:
        ValueError: If `margin` is not > 0.

    Reference:
        R. Hadsell, S. Chopra, Y. LeCun. Dimensionality Reduction by Learning an Invariant Mapping.
        CVPR 2006.
    """
    return ops.mean(contrastive_loss_per_pair(y_true, distances, margin))


@keras.saving.register_keras_serializable(package="siamese_core")
class ContrastiveLoss(keras.losses.Loss):
    """Contrastive loss as a Keras loss: `contrastive_loss` with a stored margin.

    Args:
        margin: m > 0; dissimilar pairs at least m apart cost nothing.
        name: Optional name of the loss instance.
        reduction: How per-pair losses are reduced; the default averages over the batch.
        dtype: The dtype of the loss's computations.
    """

    def __init__(self, margin=1.0, name="contrastive_loss", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.margin = _check_margin(margin)

    def call(self, y_true, y_pred):
        return contrastive_loss_per_pair(y_true, y_pred, self.margin)

    def get_config(self):
        config = super().get_config()
        config.update({"margin": self.margin})
        return config
