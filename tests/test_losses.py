import keras
import numpy as np
import pytest
import tensorflow as tf

from siamese_core.losses import ContrastiveLoss, contrastive_loss, contrastive_loss_per_pair
from siamese_core.model import EuclideanDistance


def test_both_branches_and_the_margin_edge_by_hand():
    """m = 1.
    similar, D = 0.5:      1/2 * 0.5^2           = 0.125
    dissimilar, D = 0.3:   1/2 * (1 - 0.3)^2     = 0.245
    dissimilar, D = 1.0:   at the margin          = 0
    dissimilar, D = 1.5:   beyond the margin      = 0
    similar, D = 2.0:      1/2 * 4                = 2.0
    mean = (0.125 + 0.245 + 0 + 0 + 2) / 5 = 0.474
    """
    labels = np.array([0, 1, 1, 1, 0], dtype=np.float32)
    distances = np.array([0.5, 0.3, 1.0, 1.5, 2.0], dtype=np.float32)
    per_pair = np.asarray(contrastive_loss_per_pair(labels, distances, margin=1.0))
    np.testing.assert_allclose(per_pair, [0.125, 0.245, 0.0, 0.0, 2.0], rtol=1e-6)
    assert float(contrastive_loss(labels, distances, margin=1.0)) == pytest.approx(0.474, rel=1e-6)


def test_margin_changes_only_the_dissimilar_branch():
    """m = 2: dissimilar D = 0.5 costs 1/2 * 1.5^2 = 1.125; similar D = 0.5 still 0.125."""
    per_pair = np.asarray(contrastive_loss_per_pair([1.0, 0.0], [0.5, 0.5], margin=2.0))
    np.testing.assert_allclose(per_pair, [1.125, 0.125], rtol=1e-6)


def test_loss_class_matches_function_and_handles_column_labels():
    labels = np.array([[0.0], [1.0], [1.0]], dtype=np.float32)  # (n, 1) as Keras may pass them
    distances = np.array([0.2, 0.4, 3.0], dtype=np.float32)
    expected = (0.5 * 0.04 + 0.5 * 0.36 + 0.0) / 3
    assert float(ContrastiveLoss(margin=1.0)(labels, distances)) == pytest.approx(expected, rel=1e-6)
    assert float(contrastive_loss(labels, distances)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("margin", [0, -1, float("nan")])
def test_margin_must_be_positive(margin):
    with pytest.raises(ValueError, match=r"margin must be > 0. Received: margin="):
        ContrastiveLoss(margin=margin)
    with pytest.raises(ValueError, match="margin must be > 0"):
        contrastive_loss([0.0], [1.0], margin=margin)


def test_loss_config_round_trip():
    loss = ContrastiveLoss(margin=2.5)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, ContrastiveLoss)
    assert restored.margin == 2.5
    assert restored.get_config() == loss.get_config()


def test_distance_by_hand_and_for_identical_pairs():
    """(0, 0) to (3, 4) is 5; identical rows give sqrt(epsilon) = 1e-6, not 0."""
    layer = EuclideanDistance()
    a = np.array([[0.0, 0.0], [1.0, 2.0]], dtype=np.float32)
    b = np.array([[3.0, 4.0], [1.0, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(np.asarray(layer([a, b])), [5.0, 1e-6], rtol=1e-5)


def test_gradient_is_finite_at_zero_distance():
    layer = EuclideanDistance()
    a = tf.Variable([[1.0, -2.0, 3.0]])
    b = tf.constant([[1.0, -2.0, 3.0]])
    with tf.GradientTape() as tape:
        loss = contrastive_loss(tf.constant([1.0]), layer([a, b]), margin=1.0)
    gradient = tape.gradient(loss, a).numpy()
    assert np.isfinite(gradient).all()
    assert float(loss) == pytest.approx(0.5 * (1 - 1e-6) ** 2, rel=1e-5)


def test_distance_layer_config_round_trip_and_validation():
    layer = EuclideanDistance(epsilon=1e-9, name="d")
    restored = EuclideanDistance.from_config(layer.get_config())
    assert restored.epsilon == 1e-9
    with pytest.raises(ValueError, match=r"epsilon must be > 0. Received: epsilon=0"):
        EuclideanDistance(epsilon=0)


def test_default_margin_is_one_in_the_function_and_the_class():
    """Dissimilar D = 0.5 at the default m = 1: 1/2 * (1 - 0.5)^2 = 0.125 (m = 2 would give 1.125)."""
    np.testing.assert_allclose(np.asarray(contrastive_loss_per_pair([1.0], [0.5])), [0.125], rtol=1e-6)
    assert float(contrastive_loss([1.0], [0.5])) == pytest.approx(0.125, rel=1e-6)
    loss = ContrastiveLoss()
    assert loss.margin == 1.0
    assert loss.name == "contrastive_loss"
    assert float(loss([1.0], [0.5])) == pytest.approx(0.125, rel=1e-6)


def test_loss_class_uses_its_own_margin():
    """m = 2: dissimilar D = 0.5 costs 1/2 * 1.5^2 = 1.125, similar D = 0.5 costs 0.125; mean 0.625."""
    loss = ContrastiveLoss(margin=2.0)
    assert float(loss(np.array([1.0, 0.0]), np.array([0.5, 0.5]))) == pytest.approx(0.625, rel=1e-6)


def test_loss_class_passes_reduction_and_dtype_to_keras():
    """reduction="sum": 0.125 + 1.125 = 1.25 (m = 2) instead of the mean; dtype="float64" computes in float64."""
    summed = ContrastiveLoss(margin=2.0, reduction="sum")
    assert float(summed(np.array([0.0, 1.0]), np.array([0.5, 0.5]))) == pytest.approx(1.25, rel=1e-6)
    assert summed.get_config()["reduction"] == "sum"
    wide = ContrastiveLoss(dtype="float64")
    assert str(wide(np.array([0.0]), np.array([0.5])).dtype) in ("float64", "<dtype: 'float64'>")


def test_labels_take_the_dtype_of_the_distances():
    """Integer labels with float64 distances: the loss is float64 and exact to float64 precision.
    similar D = 0.1: 1/2 * 0.01 = 0.005; dissimilar D = 0.1: 1/2 * 0.9^2 = 0.405."""
    per_pair = contrastive_loss_per_pair(np.array([0, 1]), np.array([0.1, 0.1], dtype=np.float64))
    assert str(per_pair.dtype) in ("float64", "<dtype: 'float64'>")
    np.testing.assert_allclose(np.asarray(per_pair), [0.005, 0.405], rtol=1e-12)
