"""Shared fixtures: tiny data and one tiny trained model, reused to keep the suite fast."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

N_FEATURES = 6
FEATURES = [f"f{index}" for index in range(N_FEATURES)]


def clustered_samples(n_per_class: int = 40, n_classes: int = 4, seed: int = 0):
    """Samples around well-separated class centres: (features float32, classes as text)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, size=(n_classes, N_FEATURES))
    classes = np.repeat(np.arange(n_classes), n_per_class)
    features = centres[classes] + rng.normal(0, 0.5, size=(len(classes), N_FEATURES))
    return features.astype(np.float32), classes.astype(str)


def noisy_pair_csv_text(n_pairs: int = 150, seed: int = 5) -> str:
    """`pair_csv_text` of other samples (seed 5) with every fifth label flipped: the tiny models are wrong on
    those pairs, so their AUCs are below 1 and differ, and no interval collapses to a point."""
    lines = pair_csv_text(n_pairs=n_pairs, seed=seed).splitlines()
    for index in range(1, len(lines), 5):
        label, rest = lines[index].split(",", 1)
        lines[index] = f"{1 - int(label)},{rest}"
    return "\n".join(lines) + "\n"


def pair_csv_text(n_pairs: int = 120, seed: int = 0) -> str:
    """A wide pair CSV of clustered samples: label, a_f0.., b_f0.. (0 similar, 1 dissimilar)."""
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import SampleSet

    features, classes = clustered_samples(seed=seed)
    pairs = make_pairs(SampleSet(features, classes, FEATURES), pairs_per_sample=4, seed=seed)
    index = np.arange(min(n_pairs, pairs.n_pairs))
    lines = ["label," + ",".join(f"a_{f}" for f in FEATURES) + "," + ",".join(f"b_{f}" for f in FEATURES)]
    for i in index:
        values = [f"{v:.4f}" for v in np.concatenate([pairs.left[i], pairs.right[i]])]
        lines.append(f"{int(pairs.labels[i])}," + ",".join(values))
    return "\n".join(lines) + "\n"


NUMPY_ACTIVATIONS = {"linear": lambda x: x, "relu": lambda x: np.maximum(x, 0.0)}


def numpy_embeddings(model, samples) -> np.ndarray:
    """The encoder of a Siamese model applied in float64 NumPy to its saved weights, read through public
    Keras API only (`get_config`, `get_weights`): an independent reference for our compiled functions.

    Rescaling multiplies by `scale` and adds `offset`; Normalization computes
    (x - mean) / max(sqrt(variance), 1e-7), as Keras does; Dense computes activation(x @ kernel + bias);
    Dropout is the identity at inference. Any other layer fails the test that asked.
    """
    values = np.asarray(samples, dtype=np.float64)
    for layer in model.get_layer("encoder").layers:
        config, kind = layer.get_config(), type(layer).__name__
        if kind == "Rescaling":
            values = values * config["scale"] + config["offset"]
        elif kind == "Normalization":
            deviation = np.maximum(np.sqrt(np.asarray(config["variance"], np.float64)), 1e-7)
            values = (values - np.asarray(config["mean"], np.float64)) / deviation
        elif kind == "Dense":
            kernel, bias = layer.get_weights()
            values = NUMPY_ACTIVATIONS[config["activation"]](values @ kernel.astype(np.float64) + bias)
        elif kind != "Dropout":
            raise AssertionError(f"no NumPy reference for the encoder layer {kind}")
    return values


def numpy_distances(model, left, right) -> np.ndarray:
    """The Siamese model's distances in float64 NumPy: the Euclidean distance between the two embeddings
    of `numpy_embeddings`, sqrt(max(sum of squares, epsilon)) with the distance layer's own epsilon."""
    epsilon = model.get_layer("distance").get_config()["epsilon"]
    squared = np.square(numpy_embeddings(model, left) - numpy_embeddings(model, right)).sum(axis=1)
    return np.sqrt(np.maximum(squared, epsilon))


@pytest.fixture(autouse=True)
def _main_module_restored():
    """Streamlit's AppTest runs its script as `__main__` and leaves it there; a process spawned later
    (`multiprocessing`'s "spawn" re-runs the parent's `__main__`) would then run a test's script and die.
    Put the real one back after each test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def pair_csv(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("data") / "pairs.csv"
    path.write_text(pair_csv_text(n_pairs=300))
    return str(path)


@pytest.fixture(scope="session")
def tiny_outcome(pair_csv):
    """One small model trained on the clustered pairs (a few seconds), shared by many tests."""
    from siamese_core.data import load_pair_csv
    from siamese_core.pipeline import fit
    from siamese_core.training import TrainConfig

    config = TrainConfig(hidden=(16,), embedding_dim=4, epochs=8, batch_size=32, dropout=0.0, seed=1)
    return fit(load_pair_csv(pair_csv), config, test_fraction=0.2)


@pytest.fixture(scope="session")
def model_file(tiny_outcome, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("model") / "model.keras"
    tiny_outcome.bundle.save(path)
    return str(path)


@pytest.fixture(scope="session")
def selection_model_file(tiny_outcome, tmp_path_factory) -> str:
    """A second model with the same features, at no training cost: the shared run's selection model
    (trained on its training split only, before the refit on all pairs), saved with the run's metadata."""
    import dataclasses

    path = tmp_path_factory.mktemp("selection") / "selection.keras"
    dataclasses.replace(tiny_outcome.bundle, model=tiny_outcome.selection.model).save(path)
    return str(path)
