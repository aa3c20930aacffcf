"""Training a Siamese model with the contrastive loss."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from siamese_core.config import TrainConfig
from siamese_core.errors import DataError
from siamese_core.losses import ContrastiveLoss
from siamese_core.model import build_encoder, build_siamese_model, encoder_of, scaling_statistics
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
    """

    stage: str
    epoch: int
    epochs: int
    batch: int
    batches: int
    loss: float
    val_loss: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)

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
        history: Per-epoch "loss" and, with a validation set, "val_loss".
        config: The settings it was trained with.
        epochs_run: Epochs actually run.
        best_epoch: The epoch whose weights were kept (1-based).
        stopped_early: True when early stopping ended training.
        stopped_by_user: True when the progress callback asked to stop.
    """

    model: keras.Model
    history: dict[str, list[float]]
    config: TrainConfig
    epochs_run: int
    best_epoch: int
    stopped_early: bool = False
    stopped_by_user: bool = False


class _ProgressBridge(keras.callbacks.Callback):
    """Forwards Keras's batch and epoch ends to a plain callback, which may ask to stop."""

    def __init__(self, on_progress: ProgressCallback, epochs: int, batches: int):
        super().__init__()
        self.on_progress = on_progress
        self.epochs = epochs
        self.batches = batches
        self.epoch = 1
        self.history: dict[str, list[float]] = {}
        self.stopped_by_user = False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        self._send("batch", batch + 1, logs, None)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key in ("loss", "val_loss"):
            if key in logs:
                self.history.setdefault(key, []).append(float(logs[key]))
        self._send("epoch", self.batches, logs, logs.get("val_loss"))

    def _send(self, stage, batch, logs, val_loss):
        progress = TrainProgress(
            stage=stage,
            epoch=self.epoch,
            epochs=self.epochs,
            batch=batch,
            batches=self.batches,
            loss=float((logs or {}).get("loss", float("nan"))),
            val_loss=None if val_loss is None else float(val_loss),
            history={key: list(values) for key, values in self.history.items()},
        )
        if self.on_progress(progress) is False:
            self.stopped_by_user = True
            self.model.stop_training = True


def pair_inputs(pairs: PairSet) -> dict[str, np.ndarray]:
    """The model's inputs for a pair set."""
    return {"left": pairs.left, "right": pairs.right}


def train(
    train_pairs: PairSet,
    validation_pairs: PairSet | None = None,
    config: TrainConfig | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> TrainResult:
    """Build and train a Siamese model with the contrastive loss.

    Feature scaling (mean and variance of the training samples) is computed here and stored inside the
    model, so the saved model takes raw features.

    Args:
        train_pairs: Pairs to fit on; both similar and dissimilar pairs are needed.
        validation_pairs: Pairs for the validation loss and early stopping; optional.
        config: Settings; `TrainConfig()` when None.
        on_progress: Called after each batch and each epoch with a `TrainProgress`; returning False
            stops training after the current batch (the best weights so far are kept).

    Returns:
        A `TrainResult`.

    Raises:
        DataError: If the training pairs are not of both classes or have no features.
    """
    config = config or TrainConfig()
    _check_trainable(train_pairs)
    keras.utils.set_random_seed(config.seed)

    mean, variance = scaling_statistics(np.concatenate([train_pairs.left, train_pairs.right]))
    encoder = build_encoder(
        train_pairs.n_features,
        hidden=config.hidden,
        embedding_dim=config.embedding_dim,
        activation=config.activation,
        dropout=config.dropout,
        feature_mean=mean,
        feature_variance=variance,
    )
    model = build_siamese_model(encoder, train_pairs.n_features)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss=ContrastiveLoss(margin=config.margin),
    )

    has_validation = validation_pairs is not None and validation_pairs.n_pairs > 0
    monitor = "val_loss" if has_validation else "loss"
    batches = math.ceil(train_pairs.n_pairs / config.batch_size)
    best = _BestWeights(monitor, config.early_stopping_patience)
    callbacks: list[keras.callbacks.Callback] = [best]
    bridge = None
    if on_progress is not None:
        bridge = _ProgressBridge(on_progress, config.epochs, batches)
        callbacks.append(bridge)

    keras_history = model.fit(
        pair_inputs(train_pairs),
        train_pairs.labels,
        validation_data=(pair_inputs(validation_pairs), validation_pairs.labels) if has_validation else None,
        epochs=config.epochs,
        batch_size=config.batch_size,
        shuffle=True,
        callbacks=callbacks,
        verbose=0,
    )
    best.restore()
    history = {key: [float(v) for v in values] for key, values in keras_history.history.items()}
    epochs_run = len(history.get("loss", []))
    return TrainResult(
        model=model,
        history=history,
        config=config,
        epochs_run=epochs_run,
        best_epoch=best.best_epoch or epochs_run,
        stopped_early=best.stopped,
        stopped_by_user=bool(bridge and bridge.stopped_by_user),
    )


class _BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the best epoch and stops after `patience` epochs without improvement.

    Unlike `keras.callbacks.EarlyStopping`, the best weights are also restored when training ends for
    another reason (the last epoch, or a stop asked for by the user).
    """

    def __init__(self, monitor: str, patience: int):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.best_value = math.inf
        self.best_epoch = 0
        self.best_weights = None
        self.waited = 0
        self.stopped = False

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        if value < self.best_value:
            self.best_value, self.best_epoch, self.waited = value, epoch + 1, 0
            self.best_weights = self.model.get_weights()
        else:
            self.waited += 1
            if self.patience and self.waited >= self.patience:
                self.stopped = True
                self.model.stop_training = True

    def restore(self):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


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


def predict_distances(
    model: keras.Model, left: np.ndarray, right: np.ndarray, batch_size: int = 4096
) -> np.ndarray:
    """Distances of a model for pairs of raw feature rows, as a float32 array."""
    distances = model.predict({"left": left, "right": right}, batch_size=batch_size, verbose=0)
    return np.asarray(distances, dtype=np.float32).reshape(-1)


def embed(model: keras.Model, samples: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Embeddings of raw feature rows by the model's shared encoder."""
    return np.asarray(encoder_of(model).predict(samples, batch_size=batch_size, verbose=0), dtype=np.float32)
