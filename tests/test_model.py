import numpy as np
import pytest

from siamese_core.model import scaling_statistics


def test_per_feature_scaling_is_standardisation():
    """Columns (1, 3) and (10, 30): means 2 and 20, variances 1 and 100."""
    samples = np.array([[1.0, 10.0], [3.0, 30.0]])
    mean, variance, mode = scaling_statistics(samples, "per_feature")
    assert mode == "per_feature"
    np.testing.assert_allclose(mean, [2.0, 20.0])
    np.testing.assert_allclose(variance, [1.0, 100.0])


def test_global_scaling_divides_by_the_largest_deviation():
    """Columns (0, 4, 8) and (1, 2, 3): means 4 and 2; largest deviation |0 - 4| = 4, so variance 16."""
    samples = np.array([[0.0, 1.0], [4.0, 2.0], [8.0, 3.0]])
    mean, variance, mode = scaling_statistics(samples, "global")
    assert mode == "global"
    np.testing.assert_allclose(mean, [4.0, 2.0])
    np.testing.assert_allclose(variance, [16.0, 16.0])
    scaled = (samples - mean) / np.sqrt(variance)
    assert np.abs(scaled).max() == pytest.approx(1.0)


def test_auto_picks_global_for_one_unit_and_per_feature_for_mixed_units():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 17, size=(200, 10)).astype(float)
    assert scaling_statistics(pixels, "auto")[2] == "global"
    mixed = np.column_stack([rng.normal(0, 1, 200), rng.normal(0, 1000, 200)])
    assert scaling_statistics(mixed, "auto")[2] == "per_feature"


def test_constant_features_are_only_centred_and_none_leaves_values():
    samples = np.array([[5.0, 1.0], [5.0, 3.0]])
    mean, variance, _ = scaling_statistics(samples, "per_feature")
    assert variance[0] == 1.0 and mean[0] == 5.0
    mean, variance, mode = scaling_statistics(samples, "none")
    assert mode == "none" and (mean == 0).all() and (variance == 1).all()
    mean, variance, _ = scaling_statistics(np.full((3, 2), 7.0), "global")
    assert (variance == 1).all()


def test_huge_values_are_scaled_finitely_by_the_encoder():
    """Variance 1e60 does not fit float32: the encoder rescales by a power of two first."""
    from siamese_core.model import build_encoder

    samples = np.array([[1e30, 0.0], [-1e30, 1.0]], dtype=np.float32)
    mean, variance, _ = scaling_statistics(samples, "per_feature")
    assert variance[0] == pytest.approx(1e60)
    encoder = build_encoder(2, hidden=(4,), embedding_dim=2, feature_mean=mean, feature_variance=variance)
    assert [layer.name for layer in encoder.layers][:2] == ["magnitude", "feature_scaling"]
    scaled = np.asarray(encoder.layers[1](encoder.layers[0](samples)))
    np.testing.assert_allclose(scaled[:, 0], [1.0, -1.0], rtol=1e-5)
    assert np.isfinite(np.asarray(encoder(samples))).all()


def test_chunked_statistics_match_numpy(monkeypatch):
    """Statistics taken 7 rows at a time over two blocks equal numpy's over the stacked data."""
    import siamese_core.model as model

    monkeypatch.setattr(model, "STATISTICS_CHUNK", 7)
    rng = np.random.default_rng(1)
    left, right = rng.normal(1e4, 3.0, size=(50, 3)), rng.normal(1e4, 3.0, size=(31, 3))
    both = np.concatenate([left, right])
    mean, variance, _ = scaling_statistics([left, right], "per_feature")
    np.testing.assert_allclose(mean, both.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(variance, both.var(axis=0), rtol=1e-6)
