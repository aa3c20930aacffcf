"""Distances and embeddings of a trained model for any number of rows: compiled functions, called batch by
batch."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable

import keras
import numpy as np

from siamese_core.model import DISTANCE_NAME, encoder_of

XLA_MIN_PAIRS = 65_536  # distances and embeddings: rows per call from which XLA compiles them
EVAL_BATCH = 16384  # pairs per compiled call when computing distances


def own_trace_count(function: Callable) -> Callable:
    """`function`, counted apart by TensorFlow's retracing warning.

    TensorFlow counts the traces of every `tf.function` made from the same code together, and warns
    that "tracing is expensive" once a few have been made: after a few trainings in one process (the
    dashboard, a sweep over settings), although each traces its own functions once. A `partial` has no
    code of its own, so TensorFlow counts it by itself; it keeps the function's name, which names the
    traced graph.
    """
    counted = functools.partial(function)
    counted.__name__ = function.__name__
    return counted


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(model: keras.Model, xla: bool):
    """The model's compiled distance and embedding functions (with or without XLA), made once per model.

    Their batch size is left open, so one trace serves every batch (XLA still compiles per shape).
    """
    functions = _COMPILED.setdefault(model, {})
    if xla not in functions:
        import tensorflow as tf

        encoder = encoder_of(model)
        distance = model.get_layer(DISTANCE_NAME)

        def distances(left, right):
            n = tf.shape(left)[0]
            embeddings = encoder(tf.concat([left, right], axis=0), training=False)
            return distance([embeddings[:n], embeddings[n:]])

        def embeddings(samples):
            return encoder(samples, training=False)

        rows = tf.TensorSpec((None, encoder.input_shape[-1]), tf.float32)
        functions[xla] = (
            tf.function(
                own_trace_count(distances), input_signature=[rows, rows], jit_compile=xla, autograph=False
            ),
            tf.function(
                own_trace_count(embeddings), input_signature=[rows], jit_compile=xla, autograph=False
            ),
        )
    return functions[xla]


def _in_batches(function, arrays: tuple[np.ndarray, ...], batch_size: int) -> np.ndarray:
    """Apply a compiled function batch by batch; the last batch is padded to a power of two, so that
    a handful of shapes (and XLA compilations) serve inputs of any length."""
    n = len(arrays[0])
    outputs = []
    for start in range(0, n, batch_size):
        parts = [np.asarray(array[start : start + batch_size], dtype=np.float32) for array in arrays]
        rows = len(parts[0])
        padded = rows if rows == batch_size else max(8, 1 << (rows - 1).bit_length())
        if padded != rows:
            parts = [np.pad(part, ((0, padded - rows), (0, 0))) for part in parts]
        outputs.append(np.asarray(function(*parts))[:rows])
    return np.concatenate(outputs) if outputs else np.empty((0,), dtype=np.float32)


def predict_distances(
    model: keras.Model, left: np.ndarray, right: np.ndarray, batch_size: int = EVAL_BATCH
) -> np.ndarray:
    """Distances of a model for pairs of raw feature rows, as a float32 array (n,)."""
    distances, _ = _compiled(model, xla=len(left) >= XLA_MIN_PAIRS)
    return _in_batches(distances, (left, right), batch_size).astype(np.float32).reshape(-1)


def embed(model: keras.Model, samples: np.ndarray, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Embeddings (n, k) of raw feature rows by the model's shared encoder."""
    _, embeddings = _compiled(model, xla=len(samples) >= XLA_MIN_PAIRS)
    result = _in_batches(embeddings, (samples,), batch_size)
    return result.astype(np.float32).reshape(len(samples), -1)
