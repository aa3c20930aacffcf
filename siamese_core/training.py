"""Training a Siamese model with the contrastive loss."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import keras
import numpy as np

from siamese_core.config import TrainConfig
from siamese_core.errors import DataError, TrainingError
from siamese_core.evaluation import roc_auc
from siamese_core.inference import own_trace_count, predict_distances
from siamese_core.losses import ContrastiveLoss, contrastive_loss, contrastive_loss_per_pair
from siamese_core.model import (
    DISTANCE_NAME,
    build_encoder,
    build_siamese_model,
    encoder_of,
    scaling_statistics,
)
from siamese_core.pairs import PairSet


@dataclass
class TrainProgress:
    """What a progress callback receives, after each batch and after each epoch.

    Attributes:
        stage: "batch" or "epoch".
        epoch: The current epoch, from 1.
        epochs: The most epochs this run will take.
        batch: Batches done in this epoch.
        batches: Batches per epoch.
        loss: Training loss so far in this epoch (batch) or of the epoch (epoch).
        val_loss: Validation loss of the epoch, at the epoch stage when there is a validation set.
        history: Per-epoch losses so far.
        phase: Which training of a fit this is: "training" (the only one), "selection" (on the training
            split, choosing the length and the threshold) or "refit" (the final model, on all pairs).
        model: At the epoch stage, the model being trained, with the epoch's weights (None per batch).
        validation_pairs: At the epoch stage, the pairs the epoch was validated on (None without any).
    """

    stage: str
    epoch: int
    epochs: int
    batch: int
    batches: int
    loss: float
    val_loss: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    phase: str = "training"
    model: keras.Model | None = None
    validation_pairs: PairSet | None = None

    @property
    def fraction(self) -> float:
        """Share of all batches of all epochs done, in [0, 1]."""
        return min(1.0, ((self.epoch - 1) * self.batches + self.batch) / max(1, self.epochs * self.batches))


ProgressCallback = Callable[[TrainProgress], "bool | None"]


@dataclass
class TrainResult:
    """A trained model and how its training went.

    Attributes:
        model: The Siamese model (inputs "left" and "right", output the distance).
        history: Per-epoch "loss" and, with a validation set, "val_loss" and (when it holds both classes)
            "val_auc".
        config: The settings it was trained with; the batch size is the one used (an "auto" size
            resolved, a size larger than the data cut to the number of pairs, a global batch rounded
            to a multiple of the replicas).
        epochs_run: Epochs actually run.
        best_epoch: The epoch whose weights were kept (1-based).
        stopped_early: True when early stopping ended training before its last epoch.
        stopped_by_user: True when the progress callback asked to stop.
        stopped_by_time: True when `config.max_seconds` ended training.
        scaling: The feature scaling used ("per_feature", "global" or "none"; "auto" resolved).
        warnings: Things the user should know, such as a margin far from the distances the model makes.
        steps_per_epoch: Steps (batches of `config.batch_size` pairs) in one full epoch.
        steps_run: Steps taken in all.
    """

    model: keras.Model
    history: dict[str, list[float]]
    config: TrainConfig
    epochs_run: int
    best_epoch: int
    scaling: str
    stopped_early: bool = False
    stopped_by_user: bool = False
    stopped_by_time: bool = False
    warnings: list[str] = field(default_factory=list)
    steps_per_epoch: int = 0
    steps_run: int = 0

    @property
    def best_steps(self) -> int:
        """Steps taken up to the end of the kept epoch."""
        return self.best_epoch * self.steps_per_epoch


# Compiled steps between two progress reports: fewer make Python's visit between calls a larger share of
# small steps; more delay progress, a stop request, and the first report of a small data set. With XLA,
# whose steps are faster and whose loop has no per-call graph overhead left to spread, twice as many.
STEPS_PER_CALL = 32
XLA_STEPS_PER_CALL = 64
# XLA compiles a training run's steps (the engine stays our loop; see `xla_pays`) only when all of the
# model's matrices are at most this wide and the work left repays its compilation. Measured with the
# default layers (256-256, a 128-d embedding) on a quiet machine, XLA on against off (bench/README.md,
# "Training throughput per input width"): faster at 64 input features, level at 512 and 1,024, slower at
# 2,048; where it is level, its compilation is a loss on top, so the bound sits at 512.
XLA_MAX_WIDTH = 512
XLA_MIN_PAIR_STEPS = 500_000


class Trainer:
    """The training engine: one step, run as compiled loops of up to `steps_per_call` steps, for data in
    memory, streamed, or spread over a `tf.distribute` strategy's replicas and workers alike.

    A step encodes both sides of its batch in ONE encoder call (the two halves of a 2B-row matrix), takes
    the distance with the model's own distance layer, averages the contrastive loss over the global batch
    (all replicas' pairs) and applies the model's optimizer, which sums the replicas' gradients. Python is
    visited only between calls, where `run_epochs` reports progress and honours a stop request.

    A call's batches come either as tensors of its steps stacked (`run` with lefts, rights, labels:
    gathered in memory by `PairBatches`), or from a `tf.distribute` iterator (`run` with the iterator),
    each step taking the next batch of every replica.

    Args:
        model: The compiled Siamese model (see `build_compiled_model`), made under `strategy`'s scope.
        margin: The contrastive margin.
        strategy: The `tf.distribute` strategy the model belongs to; TensorFlow's default when None.
    """

    def __init__(self, model: keras.Model, margin: float, strategy=None):
        import tensorflow as tf

        self.strategy = strategy or tf.distribute.get_strategy()
        self.encoder = encoder_of(model)
        self.distance = model.get_layer(DISTANCE_NAME)
        self.optimizer = model.optimizer
        self.variables = self.encoder.trainable_variables
        with self.strategy.scope():
            self.optimizer.build(self.variables)
        self.margin = margin
        self.several_workers = isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)
        self.xla = False
        self._loops: dict[tuple[bool, bool], Callable] = {}
        self._agree: dict[str, Callable] = {}

    @property
    def steps_per_call(self) -> int:
        return XLA_STEPS_PER_CALL if self.xla else STEPS_PER_CALL

    def start_epoch(self, n_pairs: int, epoch: int, epochs: int) -> None:
        """Switch to XLA from this epoch on when `xla_pays` says so; with one replica only, as XLA cannot
        compile the replicas' gradient sum."""
        one_replica = self.strategy.num_replicas_in_sync == 1
        widest = max(max(variable.shape) for variable in self.variables)
        self.xla = self.xla or (one_replica and xla_pays(n_pairs, epoch, epochs, widest))

    def step(self, left, right, labels):
        """One training step on one replica's batch; its loss (the replica's share of the global mean)."""
        import tensorflow as tf

        with tf.GradientTape() as tape:
            n = tf.shape(left)[0]
            embeddings = self.encoder(tf.concat([left, right], axis=0), training=True)
            distances = self.distance([embeddings[:n], embeddings[n:]])
            loss = tf.nn.compute_average_loss(contrastive_loss_per_pair(labels, distances, self.margin))
        self.optimizer.apply(tape.gradient(loss, self.variables), self.variables)
        return loss

    def run(self, count: int, *batches) -> float:
        """Run `count` steps in one compiled call; their summed loss (each the mean over its global batch).

        Args:
            count: Steps to run.
            *batches: A `tf.distribute` iterator, or the tensors (lefts, rights, labels) of the call's
                steps stacked (steps, batch, ...); a call may pass more stacked steps than it runs.
        """
        import tensorflow as tf

        return float(self._loop(len(batches) == 1)(tf.constant(count, tf.int32), *batches))

    def _loop(self, from_iterator: bool) -> Callable:
        """The compiled loop for one kind of batches, with or without XLA; each traced on first use (its
        own count of traces: see `own_trace_count`). With XLA the whole loop is compiled, or, where it
        reads an iterator (which XLA cannot), each step."""
        key = (from_iterator, self.xla)
        if key not in self._loops:
            import tensorflow as tf

            step = self.step
            if self.xla and from_iterator:
                step = tf.function(own_trace_count(self.step), jit_compile=True, autograph=False)

            def steps(count, *batches):
                def body(index, total):
                    batch = next(batches[0]) if from_iterator else [part[index] for part in batches]
                    losses = self.strategy.run(step, args=tuple(batch))
                    return index + 1, total + self.strategy.reduce("SUM", losses, axis=None)

                start = (tf.constant(0), tf.constant(0.0))
                return tf.while_loop(lambda index, _: index < count, body, start)[1]

            self._loops[key] = tf.function(
                own_trace_count(steps), jit_compile=self.xla and not from_iterator, autograph=False
            )
        return self._loops[key]

    def any_worker(self, flag: bool) -> bool:
        """Whether any worker's flag is True (decisions every worker must take alike: to stop, or not);
        the flag itself with one worker."""
        return self._over_workers("SUM", flag) > 0 if self.several_workers else flag

    def mean_over_workers(self, value: float) -> float:
        """The mean of the workers' values (the validation loss and AUC); the value with one worker."""
        return self._over_workers("MEAN", value) if self.several_workers else value

    def _over_workers(self, op: str, value) -> float:
        if op not in self._agree:
            import tensorflow as tf

            def reduce(value):
                return self.strategy.reduce(op, self.strategy.run(tf.identity, args=(value,)), axis=None)

            self._agree[op] = tf.function(own_trace_count(reduce), autograph=False)
        return float(self._agree[op](np.float32(value)))


class PairBatches:
    """Training batches of pairs in memory, as `Trainer.run` takes them: each epoch a fresh shuffle cut
    into full batches, gathered with NumPy from the caller's arrays a call at a time (so the data is never
    copied whole: memory is the data plus three calls' batches). The next call's batches are gathered on
    a second thread while the current call trains, across epochs too: the next epoch's shuffle is drawn
    and its first call gathered while this epoch's last call trains (with one call an epoch, wide inputs
    would otherwise wait for every gathering). `close` ends that thread.

    Args:
        pairs: The training pairs.
        batch_size: Pairs per step (at most `pairs.n_pairs`).
        seed: Seed of the shuffles.
    """

    def __init__(self, pairs: PairSet, batch_size: int, seed: int):
        self.pairs = pairs
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="siamese-batches")
        self._next_epoch: tuple[np.ndarray, tuple[int, int], Future] | None = None

    @property
    def steps_per_epoch(self) -> int:
        return self.pairs.n_pairs // self.batch_size

    def epoch_order(self) -> np.ndarray:
        """A fresh shuffle cut into full batches: (steps per epoch, batch) pair indices. The pairs left
        over when the batch does not divide them (a different random few each epoch) are not trained in
        that epoch."""
        steps, batch = self.steps_per_epoch, self.batch_size
        return (
            self.rng.permutation(self.pairs.n_pairs)[: steps * batch].reshape(steps, batch).astype(np.int32)
        )

    def gather(self, order: np.ndarray, steps: int):
        """The tensors (lefts, rights, labels) of `order`'s batches ((count, batch) pair indices), padded
        to `steps` batches, so that every call of a run has one shape and the loop is traced once (and
        once more with XLA)."""
        import tensorflow as tf

        count, batch = order.shape
        if count < steps:
            order = np.concatenate([order, np.zeros((steps - count, batch), order.dtype)])
        rows = order.reshape(-1)
        shape = (steps, batch, self.pairs.n_features)
        return (
            tf.constant(self.pairs.left[rows].reshape(shape)),
            tf.constant(self.pairs.right[rows].reshape(shape)),
            tf.constant(self.pairs.labels[rows].reshape(steps, batch)),
        )

    def blocks(self, trainer: Trainer, count: int) -> Iterator[tuple[int, float]]:
        """The first `count` steps of a fresh epoch, one compiled call per `trainer.steps_per_call` steps,
        yielding (steps, summed loss) after each. Closing the iterator early skips the rest."""
        size = trainer.steps_per_call
        if self._next_epoch is None:
            self._next_epoch = self._prepare(self.epoch_order(), size)
        order, first, upcoming = self._next_epoch
        self._next_epoch = None
        order = order[:count]
        calls = [order[start : start + size] for start in range(0, len(order), size)]
        if (size, len(calls[0]) if calls else 0) != first:  # the first call gathered ahead has other steps
            upcoming = self._thread.submit(self.gather, calls[0], size) if calls else None
        for index, call in enumerate(calls):
            batches = upcoming.result()
            if index + 1 < len(calls):
                upcoming = self._thread.submit(self.gather, calls[index + 1], size)
            else:
                self._next_epoch = self._prepare(self.epoch_order(), size)
            yield len(call), trainer.run(len(call), *batches)

    def _prepare(self, order: np.ndarray, size: int) -> tuple[np.ndarray, tuple[int, int], Future]:
        """An epoch's order with its first call (of up to `size` steps) being gathered."""
        first = order[:size]
        return order, (size, len(first)), self._thread.submit(self.gather, first, size)

    def close(self) -> None:
        """End the gathering thread (after the gathering under way, if any)."""
        self._next_epoch = None
        self._thread.shutdown(wait=True, cancel_futures=True)


def xla_pays(n_pairs: int, epoch: int, epochs: int, widest: int) -> bool:
    """Whether training compiles with XLA from `epoch` on (see `XLA_MAX_WIDTH`).

    Args:
        n_pairs: Training pairs per epoch.
        epoch: The epoch about to start, from 1.
        epochs: The most epochs of the run.
        widest: The longest side of the model's matrices (the input width or a layer's size).

    Returns:
        True when `widest` is at most `XLA_MAX_WIDTH` and the work left (pairs x epochs to go, this one
        included) is at least `XLA_MIN_PAIR_STEPS`; the first epoch of a smaller data set always runs
        without XLA, so its first progress comes without waiting for a compilation.
    """
    work_left = n_pairs * (epochs - epoch + 1)
    repays = work_left >= XLA_MIN_PAIR_STEPS and (epoch > 1 or n_pairs >= XLA_MIN_PAIR_STEPS)
    return widest <= XLA_MAX_WIDTH and repays


def train(
    train_pairs: PairSet,
    validation_pairs: PairSet | None = None,
    config: TrainConfig | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    steps: int | None = None,
) -> TrainResult:
    """Build and train a Siamese model with the contrastive loss.

    Feature scaling (mean and variance of the training samples) is computed here and stored inside the
    model, so the saved model takes raw features. Each epoch is a fresh shuffle of the training pairs in
    full batches (the few left over when the batch does not divide them, a different random few each
    epoch, sit that epoch out). Training stops after
    `config.epochs`, after `config.early_stopping_patience` epochs without a better validation ROC AUC
    (ties go to the lower validation loss; the validation loss alone when the validation pairs are of one
    class, the training loss without validation pairs), after `config.max_seconds`, or when `on_progress` returns
    False; the weights of the best epoch are kept in every case. With `steps`, training runs exactly that
    many steps instead (as many epochs as they need, the last one cut short) and keeps the last weights:
    how a model is refit on all pairs for a length chosen beforehand.

    Args:
        train_pairs: Pairs to fit on; both similar and dissimilar pairs are needed.
        validation_pairs: Pairs for the validation loss and early stopping; optional.
        config: Settings; `TrainConfig()` when None. An "auto" batch size is resolved for the number of
            training pairs (`TrainConfig.batch_size_for`).
        on_progress: Called after every few batches and after each epoch with a `TrainProgress`;
            returning False stops training there.
        steps: Run exactly this many steps (>= 1) and keep the last weights; `config.epochs` and early
            stopping are then not used.

    Returns:
        A `TrainResult`.

    Raises:
        DataError: If the training pairs are not of both classes or have no features.
        TrainingError: If the loss stops being finite (diverges).
    """
    config = config or TrainConfig()
    _check_trainable(train_pairs)
    # The result records the batch size used: "auto" resolved, and at most the number of pairs.
    batch_size = min(config.batch_size_for(train_pairs.n_pairs), train_pairs.n_pairs)
    config = dataclasses.replace(config, batch_size=batch_size)
    keras.utils.set_random_seed(config.seed)
    mean, variance, scaling = scaling_statistics(
        [train_pairs.left, train_pairs.right], config.scaling, train_pairs.feature_names
    )
    model = build_compiled_model(train_pairs.n_features, config, mean, variance)
    warnings = margin_warnings(model, train_pairs, config.margin)
    batches = PairBatches(train_pairs, config.batch_size, config.seed)
    try:
        return run_epochs(
            model,
            config,
            batches.blocks,
            train_pairs.n_pairs,
            batches.steps_per_epoch,
            validation_pairs,
            on_progress=on_progress,
            scaling=scaling,
            warnings=warnings,
            steps=steps,
        )
    finally:
        batches.close()


def _config_for_steps(config: TrainConfig, steps: int | None, steps_per_epoch: int) -> TrainConfig:
    """`config` with as many epochs as `steps` need and no early stopping; unchanged without `steps`."""
    if steps is None:
        return config
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise TrainingError(f"steps must be a whole number >= 1. Received: steps={steps!r}")
    return dataclasses.replace(config, epochs=-(-int(steps) // steps_per_epoch), early_stopping_patience=0)


def build_compiled_model(
    n_features: int, config: TrainConfig, mean: np.ndarray, variance: np.ndarray
) -> keras.Model:
    """The Siamese model of `config` with the given feature scaling, compiled with Adam and the loss."""
    encoder = build_encoder(
        n_features,
        hidden=config.hidden,
        embedding_dim=config.embedding_dim,
        activation=config.activation,
        dropout=config.dropout,
        feature_mean=mean,
        feature_variance=variance,
    )
    model = build_siamese_model(encoder, n_features)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss=ContrastiveLoss(margin=config.margin),
    )
    return model


def run_epochs(
    model: keras.Model,
    config: TrainConfig,
    feed: Callable[[Trainer, int], Iterator[tuple[int, float]]],
    n_pairs: int,
    steps_per_epoch: int,
    validation_pairs: PairSet | None,
    *,
    scaling: str,
    on_progress: ProgressCallback | None,
    warnings: list[str],
    steps: int | None,
    strategy=None,
) -> TrainResult:
    """One training run, for data in memory, streamed or distributed alike: the engine (`Trainer`, with
    XLA chosen at each epoch's start) and the epoch loop (progress, stopping, best weights).

    Args:
        model: The compiled model to train (see `build_compiled_model`), made under `strategy`'s scope.
        config: Settings (epochs, patience, margin, time limit), the batch size resolved.
        feed: `feed(trainer, count)` runs the first `count` steps of a fresh epoch with `trainer.run`, a
            call at a time, yielding (steps run, summed loss) after each; closing it early skips the rest.
        n_pairs: Training pairs per epoch (for `xla_pays`).
        steps_per_epoch: Steps in one epoch.
        validation_pairs: Pairs for the validation loss and early stopping; optional.
        scaling: The feature scaling used, for the result.
        on_progress: See `train`.
        warnings: Warnings found before training, for the result.
        steps: Run exactly this many steps over as many epochs as they need (the last one cut short) and
            keep the last weights, not the best epoch's; None: whole epochs, best weights.
        strategy: The `tf.distribute` strategy the model belongs to; TensorFlow's default when None. With
            several workers, they take every decision to stop alike, and average their validation scores.

    Returns:
        A `TrainResult` with the best epoch's weights restored (the last weights with `steps`).

    Raises:
        TrainingError: If `steps` is not a whole number >= 1, or the loss stops being finite (diverges).
    """
    config = _config_for_steps(config, steps, steps_per_epoch)
    trainer = Trainer(model, config.margin, strategy)
    has_validation = validation_pairs is not None and validation_pairs.n_pairs > 0
    history: dict[str, list[float]] = {"loss": []}
    if has_validation:
        history["val_loss"] = []
        if 0 < int(validation_pairs.similar_mask.sum()) < validation_pairs.n_pairs:
            history["val_auc"] = []
    best = _BestWeights(config.early_stopping_patience)
    stopped_by_user = stopped_by_time = False
    steps_run = 0
    deadline = None if config.max_seconds is None else time.monotonic() + config.max_seconds

    for epoch in range(1, config.epochs + 1):
        total, done = 0.0, 0
        count = (
            steps_per_epoch if steps is None else min(steps_per_epoch, steps - (epoch - 1) * steps_per_epoch)
        )
        trainer.start_epoch(n_pairs, epoch, config.epochs)
        with contextlib.closing(feed(trainer, count)) as epoch_blocks:  # closed on a stop or an exception too
            for ran, loss in epoch_blocks:
                total += loss
                done += ran
                if on_progress is not None:
                    progress = TrainProgress(
                        "batch",
                        epoch,
                        config.epochs,
                        done,
                        steps_per_epoch,
                        total / done,
                        None,
                        _copy(history),
                    )
                    stopped_by_user = on_progress(progress) is False
                stopped_by_time = deadline is not None and time.monotonic() > deadline
                if trainer.any_worker(stopped_by_user or stopped_by_time):
                    stopped_by_time = stopped_by_time or not stopped_by_user
                    break
        steps_run += done
        history["loss"].append(total / max(done, 1))
        if not math.isfinite(history["loss"][-1]):
            advice = (
                "Use feature scaling (scaling 'auto' or 'per_feature'), a smaller learning rate"
                if scaling == "none"
                else f"The features were scaled ({scaling}); use a smaller learning rate"
            )
            raise TrainingError(
                f"training diverged: the loss became {history['loss'][-1]} in epoch {epoch}. {advice}, or "
                "check the data for extreme values"
            )
        monitored = history["loss"][-1]
        if has_validation:
            val_loss, val_auc = validation_scores(model, validation_pairs, config.margin)
            history["val_loss"].append(trainer.mean_over_workers(val_loss))
            monitored = history["val_loss"][-1]
            if val_auc is not None:
                history["val_auc"].append(trainer.mean_over_workers(val_auc))
                monitored = (1 - history["val_auc"][-1], monitored)
        should_stop = best.update(model, monitored, epoch) if steps is None else False
        if not stopped_by_user and on_progress is not None:
            val_loss = history["val_loss"][-1] if has_validation else None
            progress = TrainProgress(
                "epoch",
                epoch,
                config.epochs,
                steps_per_epoch,
                steps_per_epoch,
                history["loss"][-1],
                val_loss,
                _copy(history),
                model=model,
                validation_pairs=validation_pairs if has_validation else None,
            )
            stopped_by_user = trainer.any_worker(on_progress(progress) is False)
        if stopped_by_user or stopped_by_time or should_stop:
            break
    if steps is None:
        best.restore(model)
    epochs_run = len(history["loss"])
    return TrainResult(
        model=model,
        history=history,
        config=config,
        epochs_run=epochs_run,
        best_epoch=(best.best_epoch or epochs_run) if steps is None else epochs_run,
        stopped_early=best.stopped and epochs_run < config.epochs,  # not when patience ran out at the end
        stopped_by_user=stopped_by_user,
        stopped_by_time=stopped_by_time,
        scaling=scaling,
        warnings=list(warnings or [])
        + ([f"training stopped at its time limit of {config.max_seconds:g} s"] if stopped_by_time else []),
        steps_per_epoch=steps_per_epoch,
        steps_run=steps_run,
    )


MARGIN_RANGE = 100  # a margin this many times off the starting distances gets a warning


def margin_warnings(model: keras.Model, pairs: PairSet, margin: float) -> list[str]:
    """A warning when the margin is far from the distances the freshly built model makes.

    The contrastive loss only pushes dissimilar pairs closer than the margin: with a margin 100x below
    the starting distances almost nothing is pushed; 100x above, training spends its time inflating
    distances.
    """
    sample = slice(0, min(pairs.n_pairs, 1024))
    start = predict_distances(model, pairs.left[sample], pairs.right[sample])  # traced once, reused later
    typical = float(np.median(start))
    if not np.isfinite(typical) or typical <= 0:
        return []
    if margin < typical / MARGIN_RANGE:
        return [
            f"the margin {margin:g} is far smaller than the starting distances (median {typical:.3g}): "
            "dissimilar pairs are hardly pushed apart; try a margin near the typical distance"
        ]
    if margin > typical * MARGIN_RANGE:
        return [
            f"the margin {margin:g} is far larger than the starting distances (median {typical:.3g}): "
            "training will mostly inflate distances; try a margin near the typical distance"
        ]
    return []


def _copy(history: dict[str, list[float]]) -> dict[str, list[float]]:
    return {key: list(values) for key, values in history.items()}


class _BestWeights:
    """Keeps the weights of the best epoch and says when `patience` epochs brought no improvement."""

    def __init__(self, patience: int):
        self.patience = patience
        self.best_value: tuple[float, ...] | None = None
        self.best_epoch = 0
        self.best_weights = None
        self.waited = 0
        self.stopped = False

    def update(self, model: keras.Model, value: float | tuple[float, ...], epoch: int) -> bool:
        """Record an epoch's monitored value (lower is better; a tuple compares in order, the first
        entries first); True when training should stop early."""
        value = value if isinstance(value, tuple) else (value,)
        if not all(math.isfinite(part) for part in value):
            return False
        if self.best_value is None or value < self.best_value:
            self.best_value, self.best_epoch, self.waited = value, epoch, 0
            self.best_weights = model.get_weights()
            return False
        self.waited += 1
        self.stopped = bool(self.patience) and self.waited >= self.patience
        return self.stopped

    def restore(self, model: keras.Model) -> None:
        if self.best_weights is not None:
            model.set_weights(self.best_weights)


def _check_trainable(pairs: PairSet) -> None:
    n_similar = int(pairs.similar_mask.sum())
    n_dissimilar = pairs.n_pairs - n_similar
    if n_similar == 0 or n_dissimilar == 0:
        raise DataError(
            f"the training pairs are {n_similar} similar and {n_dissimilar} dissimilar; "
            "training needs both similar and dissimilar pairs"
        )
    if pairs.n_features == 0:
        raise DataError("the pairs have no feature columns")


def validation_scores(model: keras.Model, pairs: PairSet, margin: float) -> tuple[float, float | None]:
    """The mean contrastive loss of a model on pairs (dropout off), and their ROC AUC (None when the
    pairs are of one class)."""
    distances = predict_distances(model, pairs.left, pairs.right)
    loss = float(contrastive_loss(pairs.labels, distances, margin))
    one_class = int(pairs.similar_mask.sum()) in (0, pairs.n_pairs)
    return loss, None if one_class else roc_auc(distances, pairs.labels)
