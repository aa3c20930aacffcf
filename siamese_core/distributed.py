"""Training on data streamed a chunk at a time, on one machine or several, with TensorFlow's own
distribution strategies (`tf.distribute`) as the engine.

The data comes from a pair stream (`siamese_core.streaming.PairStream` for files larger than memory, or
`MemoryPairStream` for pairs already loaded): each worker reads only its own shard of the training pairs
through a `tf.data` pipeline, every step encodes both sides of its batch in one encoder call, and the
optimizer sums the gradients of all replicas. Decisions that must be the same everywhere (the
validation loss, stopping) are agreed over all workers, so no worker waits for another that stopped.
"""

from __future__ import annotations

import gc
import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

import keras
import numpy as np

from siamese_core.cluster import STRATEGIES, WorkerRole, worker_role
from siamese_core.config import TrainConfig
from siamese_core.errors import DataError, TrainingError
from siamese_core.model import scaling_statistics
from siamese_core.pairs import PairSet
from siamese_core.training import (
    ProgressCallback,
    Trainer,
    TrainResult,
    build_compiled_model,
    margin_warnings,
    run_epochs,
)

__all__ = [
    "STRATEGIES",
    "MemoryPairStream",
    "WorkerRole",
    "make_strategy",
    "train_stream",
    "worker_role",
]


def make_strategy(name: str = "default"):
    """The `tf.distribute` strategy called `name`.

    "default" runs in this process as usual; "mirrored" copies the model to every GPU of this machine
    (its CPU when it has none) and sums their gradients; "multi-worker" does the same over the machines
    named in `TF_CONFIG`. Create it before any other TensorFlow work (a TensorFlow rule for
    multi-worker).

    Raises:
        ConfigError: As `worker_role`.
    """
    worker_role(name)
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


@dataclass
class MemoryScan:
    """What `MemoryPairStream.scan` reports, shaped like `siamese_core.streaming.StreamScan`."""

    feature_names: list[str]
    n_pairs: int
    split_counts: dict[str, int]


class MemoryPairStream:
    """Pairs already in memory, served like a file stream (for distributed training of loaded data).

    Args:
        train: Training pairs.
        validation: Validation pairs, or None.
        test: Test pairs, or None.
        chunk_rows: Rows per chunk and per shard unit.
        all_pairs: Every pair, served as the split "all" (the three splits and the pairs they dropped);
            None: the three splits together.
        dropped: How many pairs the split left out of all three (reported by `scan`).
        leakage_aware: Whether the split kept every sample in one split (False: pairs at random).
    """

    def __init__(
        self,
        train: PairSet,
        validation: PairSet | None = None,
        test: PairSet | None = None,
        *,
        chunk_rows: int = 65_536,
        all_pairs: PairSet | None = None,
        dropped: int = 0,
        leakage_aware: bool = True,
    ):
        self.splits = {"train": train, "validation": validation, "test": test}
        if all_pairs is None:
            parts = [pairs for pairs in self.splits.values() if pairs is not None]
            all_pairs = PairSet(
                np.concatenate([pairs.left for pairs in parts]),
                np.concatenate([pairs.right for pairs in parts]),
                np.concatenate([pairs.labels for pairs in parts]),
                list(train.feature_names),
            )
        self.splits["all"] = all_pairs
        self.chunk_rows = chunk_rows
        self.dropped = int(dropped)
        self.leakage_aware = bool(leakage_aware)

    def scan(self) -> MemoryScan:
        counts = {name: 0 if pairs is None else pairs.n_pairs for name, pairs in self.splits.items()}
        n_pairs = counts.pop("all")
        return MemoryScan(
            list(self.splits["train"].feature_names), n_pairs, {**counts, "dropped": self.dropped}
        )

    def scaling_statistics(self, mode: str = "auto") -> tuple[np.ndarray, np.ndarray, str]:
        train = self.splits["train"]
        return scaling_statistics([train.left, train.right], mode, train.feature_names)

    def chunks(
        self,
        split: str = "train",
        *,
        shard_index: int = 0,
        shard_count: int = 1,
        shuffle_seed: int | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        pairs = self.splits[split]
        if pairs is None:
            return
        size = max(1, min(self.chunk_rows, -(-pairs.n_pairs // shard_count)))  # a unit for every shard
        starts = list(range(0, pairs.n_pairs, size))[shard_index::shard_count]
        rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
        if rng is not None:
            rng.shuffle(starts)
        for start in starts:
            rows = np.arange(start, min(start + size, pairs.n_pairs))
            if rng is not None:
                rng.shuffle(rows)
            yield pairs.left[rows], pairs.right[rows], pairs.labels[rows]

    def load_split(self, split: str, max_pairs: int | None = None) -> PairSet | None:
        pairs = self.splits[split]
        if pairs is None or max_pairs is None or pairs.n_pairs <= max_pairs:
            return pairs
        return pairs.subset(np.arange(max_pairs))

    def load_splits(self, splits: list[str], max_pairs: int | None = None) -> dict[str, PairSet | None]:
        return {split: self.load_split(split, max_pairs) for split in splits}


_NOISE = ("[[", "Graph execution error", "Detected at node", "File ", "The error could be", "Restart your")


def _summary(message: str, limit: int = 300) -> str:
    """The telling lines of a TensorFlow error message, without its node names and generic advice."""
    message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", message)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    telling = [line for line in lines if not line.startswith(_NOISE)][:2] or lines[:1] or ["no details"]
    text = " ".join(telling)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _worker_count(strategy) -> int:
    """How many workers (machines, or processes) `strategy` spans."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return 1
    cluster = resolver.cluster_spec().as_dict()
    return max(1, len(cluster.get("chief", [])) + len(cluster.get("worker", [])))


class _Pipeline:
    """Talks with the `tf.data` generator, which runs in another thread: its error, if it raised one,
    travels back to the caller; `stop` makes it end at its next batch, so the pipeline can be drained
    (an endless generator left blocked in the pipeline holds the interpreter at exit)."""

    def __init__(self):
        self.error: Exception | None = None
        self.stop = threading.Event()


def _batch_dataset(
    stream, split: str, global_batch: int, seed: int, n_features: int, pipeline: _Pipeline, context
):
    """One worker's endless stream of training batches of its per-replica size, from its own shard.

    Every pass over the shard is a new shuffle; the rows left over at the end of a pass start the next
    one, so no pair is skipped for good.
    """
    import tensorflow as tf

    batch = context.get_per_replica_batch_size(global_batch)
    shard, shards = context.input_pipeline_id, context.num_input_pipelines

    def batches():
        pending = [np.empty((0, n_features), np.float32)] * 2 + [np.empty((0,), np.float32)]
        try:
            for round_index in itertools.count():
                read = 0
                if pipeline.stop.is_set():
                    return
                for chunk in stream.chunks(
                    split, shard_index=shard, shard_count=shards, shuffle_seed=seed * 1_000_003 + round_index
                ):
                    read += len(chunk[2])
                    pending = [np.concatenate([kept, new]) for kept, new in zip(pending, chunk, strict=True)]
                    full = len(pending[2]) // batch * batch
                    for start in range(0, full, batch):
                        if pipeline.stop.is_set():
                            return
                        yield tuple(part[start : start + batch] for part in pending)
                    pending = [part[full:] for part in pending]
                if read == 0:
                    raise DataError(
                        f"worker {shard + 1} of {shards} received no training pairs: the data has fewer "
                        "parts than there are workers; give it as more files (or a larger file), or use "
                        "fewer workers"
                    )
        except Exception as error:
            pipeline.error = error
            raise

    rows = tf.TensorSpec((batch, n_features), tf.float32)
    signature = (rows, rows, tf.TensorSpec((batch,), tf.float32))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    return dataset.prefetch(tf.data.AUTOTUNE)


def train_stream(
    stream,
    validation_pairs: PairSet | None = None,
    config: TrainConfig | None = None,
    *,
    strategy=None,
    on_progress: ProgressCallback | None = None,
    split: str = "train",
    steps: int | None = None,
) -> TrainResult:
    """Train a Siamese model on a pair stream, with a `tf.distribute` strategy.

    The feature scaling comes from the stream's one validating pass (`stream.scaling_statistics`). The
    global batch of `config.batch_size` pairs (an "auto" size resolved for the training pairs of the
    whole stream) is split over all replicas of all workers (rounded down to a multiple of their
    number); an epoch is as many steps as the training pairs fill global batches. Each worker reads its
    own shard, endlessly reshuffled, so all take the same number of steps. Early stopping, the time
    limit and a stop asked by `on_progress` take effect on every worker at once.

    Args:
        stream: A `siamese_core.streaming.PairStream` or a `MemoryPairStream`.
        validation_pairs: Pairs for the validation loss and early stopping (the same on every worker).
        config: Settings; `TrainConfig()` when None.
        strategy: A `tf.distribute.Strategy` (see `make_strategy`); the default strategy when None.
        on_progress: See `siamese_core.training.train`.
        split: The pairs to train on: "train", or "all" (every pair, to refit a model on all of them;
            the feature scaling still comes from the training split's samples).
        steps: Run exactly this many steps and keep the last weights (see `siamese_core.training.train`).

    Returns:
        A `TrainResult` (its model's variables belong to `strategy`; saving it works as usual).

    Raises:
        DataError: If there are no training pairs, or a worker's shard is empty, or reading fails.
        TrainingError: If the loss stops being finite.
    """
    import tensorflow as tf

    config = config or TrainConfig()
    strategy = strategy or tf.distribute.get_strategy()
    scan = stream.scan()
    n_train = scan.n_pairs if split == "all" else scan.split_counts["train"]
    if n_train == 0:
        raise DataError("there are no training pairs: every pair fell into the validation or test split")
    n_features = len(scan.feature_names)
    workers = _worker_count(strategy)
    n_units = getattr(scan, "n_units", None)
    if n_units is not None and n_units < workers:
        raise DataError(
            f"the data is read in {n_units} part{'s' if n_units != 1 else ''} but there are {workers} "
            f"workers, and each needs parts of its own: use smaller chunks (for example --chunk-rows "
            f"{max(1, scan.n_pairs // (2 * workers))}) or give the data as more files"
        )
    keras.utils.set_random_seed(config.seed)
    mean, variance, scaling = stream.scaling_statistics(config.scaling)
    with strategy.scope():
        model = build_compiled_model(n_features, config, mean, variance)

    replicas = strategy.num_replicas_in_sync
    global_batch = max(replicas, min(config.batch_size_for(n_train), n_train) // replicas * replicas)
    config = replace(config, batch_size=global_batch)  # the result records the batch size used
    steps_per_epoch = max(1, n_train // global_batch)
    pipeline = _Pipeline()
    dataset = strategy.distribute_datasets_from_function(
        lambda context: _batch_dataset(
            stream, split, global_batch, config.seed, n_features, pipeline, context
        )
    )
    batches = [iter(dataset)]  # emptied when training ends, so the pipeline can be collected here
    several = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)

    def feed(trainer: Trainer, count: int) -> Iterator[tuple[int, float]]:
        for start in range(0, count, trainer.steps_per_call):
            size = min(trainer.steps_per_call, count - start)
            yield size, trainer.run(size, batches[0])

    sample = validation_pairs if validation_pairs is not None and validation_pairs.n_pairs else None
    try:
        warnings = margin_warnings(model, sample, config.margin) if sample is not None else []
        return run_epochs(
            model,
            config,
            feed,
            n_train,
            steps_per_epoch,
            validation_pairs,
            on_progress=on_progress,
            scaling=scaling,
            warnings=warnings,
            steps=steps,
            strategy=strategy,
        )
    except tf.errors.OpError as error:
        if pipeline.error is not None:
            raise pipeline.error from None
        if not several:
            raise
        raise TrainingError(
            f"training stopped: the workers lost touch with each other ({type(error).__name__}: "
            f"{_summary(error.message)}). A worker stopped or cannot be reached: restart all of them"
        ) from None
    finally:
        # The batches never end (every worker must be able to take as many steps as the others), so the
        # generator is told to stop and what it had prefetched is drained. Under the multi-worker strategy
        # closing the pipeline then sometimes waits about 10 s inside TensorFlow, so it is kept until the
        # process ends rather than closed here, where the model is waiting to be saved.
        pipeline.stop.set()
        _drain(batches[0])
        if several:
            _FINISHED.append((dataset, batches[0]))
        batches.clear()
        del dataset
        gc.collect()


_FINISHED: list = []  # multi-worker pipelines, drained and stopped, closed when the process ends


def _drain(iterator, most: int = 100_000) -> None:
    """Take what is left in a stopping pipeline (its prefetch buffer) until it ends."""
    try:
        for _ in itertools.islice(iterator, most):
            pass
    except Exception:  # the pipeline's own error was raised to the caller already; ending is all we want
        return
