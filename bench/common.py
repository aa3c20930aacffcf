"""Shared pieces of the benchmarks: the textbook Keras recipe (the baseline), data, timing, reporting.

Run each benchmark from the repository root, e.g. `python bench/bench_train.py`.
"""

from __future__ import annotations

import itertools
import os
import platform
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def quiet_tensorflow():
    """Import TensorFlow without its start-up chatter."""
    from siamese_core.cli import import_tensorflow_quietly

    import_tensorflow_quietly()
    import tensorflow as tf

    return tf


# Steps per compiled call of the textbook's `fit`, `evaluate` and `predict`: what a competent Keras user
# sets on a CPU (the Keras docs recommend it for small models), and the same number of steps that our
# training loop runs per XLA call, so the two pay Python's per-call cost equally often.
TEXTBOOK_STEPS_PER_EXECUTION = 64


def build_textbook_model(
    n_features: int,
    hidden=(128, 128, 128),
    margin: float = 1.0,
    *,
    jit_compile: bool = True,
    steps_per_execution: int = TEXTBOOK_STEPS_PER_EXECUTION,
):
    """The textbook recipe (Keras' Siamese contrastive example, adapted to feature vectors), compiled as a
    competent user would compile it.

    A two-tower functional model sharing one MLP, a `Lambda` Euclidean distance, the contrastive loss,
    RMSprop; trained with `model.fit`. This is what users compare us with. Keras' default
    `jit_compile="auto"` leaves XLA off on a machine without a GPU, and `steps_per_execution` defaults
    to 1 (one Python call per step); both are set here, so the baseline is the recipe at its best rather
    than at Keras' defaults.

    Args:
        n_features: Width of one sample.
        hidden: Sizes of the shared tower's Dense layers.
        margin: Margin of the contrastive loss.
        jit_compile: Passed to `Model.compile` (XLA for `fit`, `evaluate` and `predict`).
        steps_per_execution: Passed to `Model.compile`.

    Returns:
        The compiled `keras.Model` taking `[left, right]` and returning the distances.
    """
    import keras

    from siamese_core.losses import ContrastiveLoss

    inputs = keras.Input((n_features,))
    x = inputs
    for units in hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    tower = keras.Model(inputs, x)
    left, right = keras.Input((n_features,)), keras.Input((n_features,))

    def euclidean(vectors):
        a, b = vectors
        return keras.ops.sqrt(keras.ops.maximum(keras.ops.sum(keras.ops.square(a - b), axis=1), 1e-7))

    distance = keras.layers.Lambda(euclidean)([tower(left), tower(right)])
    model = keras.Model([left, right], distance)
    model.compile(
        loss=ContrastiveLoss(margin),
        optimizer=keras.optimizers.RMSprop(),
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def textbook_scale(*arrays):
    """The textbook's preprocessing: divide by the largest absolute value (pixels / 16 for digits)."""
    scale = max(float(np.abs(a).max()) for a in arrays) or 1.0
    return [a / scale for a in arrays]


def random_pairs(n_pairs: int, n_features: int = 64, seed: int = 0):
    """Random float32 pairs with balanced labels, for throughput measurements."""
    rng = np.random.default_rng(seed)
    left = rng.normal(size=(n_pairs, n_features)).astype(np.float32)
    right = rng.normal(size=(n_pairs, n_features)).astype(np.float32)
    labels = (rng.random(n_pairs) < 0.5).astype(np.float32)
    return left, right, labels


def digits_splits(seed: int = 0):
    """Digits pairs split by sample (held-out digits in validation and test), as used by `fit`."""
    from siamese_core.demo import digits_samples
    from siamese_core.splits import split_samples

    return split_samples(digits_samples(), seed=seed, pairs_per_sample=8)


def matmul_flops(tf, size: int = 1024, repeats: int = 20) -> float:
    """The machine's float32 matrix-multiply rate in FLOP/s, measured now (best of three)."""
    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    multiply = tf.function(lambda x, y: tf.matmul(x, y))
    multiply(a, b).numpy()
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            c = multiply(a, b)
        c.numpy()
        best = max(best, 2 * size**3 * repeats / (time.perf_counter() - start))
    return best


def mlp_flops_per_pair(n_features: int, hidden, embedding_dim: int | None) -> float:
    """Training FLOPs per pair: 2 per multiply-add, 2 samples per pair, x3 for forward + backward."""
    sizes = [n_features, *hidden] + ([embedding_dim] if embedding_dim else [])
    macs = sum(a * b for a, b in itertools.pairwise(sizes))
    return 2 * macs * 2 * 3


@contextmanager
def timer():
    """`with timer() as t: ...; t()` gives the seconds elapsed."""
    start = time.perf_counter()
    elapsed = [None]
    yield lambda: elapsed[0] if elapsed[0] is not None else time.perf_counter() - start
    elapsed[0] = time.perf_counter() - start


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(title: str, rows: list[tuple[str, str]], ratio_label: str, ratio: float) -> None:
    """Print the figures, then the ratio last."""
    print(f"== {title} ({machine()})")
    for label, value in rows:
        print(f"  {label:<52} {value}")
    print(f"RATIO {ratio_label}: {ratio:.2f}")


def measure_in_subprocess(setup: str, work: str, timeout: int = 1800) -> dict:
    """Run `work` in a fresh interpreter after `setup`; its seconds and peak memory above the baseline.

    The baseline is the resident memory after `setup` (imports, inputs that are not part of the work).
    The kernel's high-water mark is then reset (`/proc/self/clear_refs`), so a peak reached during the
    set-up (a temporary copy made while building the inputs, say) does not count as the work's: the
    figure is what the work itself added at its peak. Where the reset is refused, the peak is the
    process' whole-life maximum and `peak_reset` is False (the figure is then an upper bound).
    """
    import json
    import subprocess

    script = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
def status_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))
{setup}
import gc
gc.collect()
baseline = status_kib("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # resets VmHWM, the peak resident memory, to the current resident memory
    peak_reset = status_kib("VmHWM") <= baseline + 1024
except OSError:
    peak_reset = False
start = time.perf_counter()
{work}
seconds = time.perf_counter() - start
peak = status_kib("VmHWM") if peak_reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "peak_above_baseline_bytes": (peak - baseline) * 1024,
                  "peak_reset": peak_reset}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])
