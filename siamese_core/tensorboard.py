"""TensorBoard logs of a training: per-epoch scalars and distance histograms, and the held-out embeddings
for the Embedding Projector.

A `TrainingLog` is a progress callback (`siamese_core.training.TrainProgress`), so it logs whatever trains
through `train`, `fit`, `fit_stream` or the distributed path alike, and training knows nothing of it. Each
training of a fit is one TensorBoard run, a subfolder named by its phase:

    DIR/selection/            the selection model (on the training split, validated on the validation split)
    DIR/selection_fold_1/...  on files too small for one split, the cross-validation trainings that choose
                              the refit's length, in the order they ran
    DIR/refit/                the final model, refit on all pairs (no validation pairs: the loss alone)
    DIR/training/             the only training, when there is no refit

Per epoch (step = the epoch, from 1), each run holds the scalars of the training's history, under their
history names: `loss` (the training loss), `val_loss` and `val_auc` (the validation loss and ROC AUC, as
the history records them), and, when the run has validation pairs, the histograms of their distances at
that epoch, `val_distance/similar` and `val_distance/dissimilar`. After training, `write_held_out` adds
the held-out pairs' embeddings to the run of the model whose metrics they are, in the Embedding
Projector's format: `projector_config.pbtxt`, `embeddings.tsv` (one row per point, tab-separated) and
`metadata.tsv` (a header, then one row per point).

    log = TrainingLog("logs")
    outcome = fit(pairs, config, on_progress=log)
    log.write_held_out(outcome)
    log.close()                     # then: tensorboard --logdir logs
"""

from __future__ import annotations

import os
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamese_core.errors import ConfigError
from siamese_core.pairs import SIMILAR, PairSet, SampleSet

HISTOGRAM_BUCKETS = 30
PROJECTOR_ROWS = 10_000  # points written for the projector at most (a seeded random share beyond)
DISTANCE_TAG = "val_distance"
PROJECTOR_TENSOR = "held_out_embeddings"
DESCRIPTIONS = {  # shown beside each chart
    "loss": "mean contrastive loss of the epoch's training steps",
    "val_loss": "contrastive loss on the validation pairs after the epoch",
    "val_auc": "ROC AUC of the validation pairs' distances after the epoch (early stopping watches it)",
    "similar": "distances of the similar validation pairs after the epoch",
    "dissimilar": "distances of the dissimilar validation pairs after the epoch",
}
EMBEDDINGS_FILE = "embeddings.tsv"
METADATA_FILE = "metadata.tsv"


def check_log_dir(log_dir, *, what: str = "log_dir") -> None:
    """Refuse, before any work, a log folder that cannot be used.

    Args:
        log_dir: The folder for the logs: new (made with its parents) or empty.
        what: How messages name it ("log_dir" in Python, "--log-dir" on the command line).

    Raises:
        ConfigError: `log_dir` is a file, a folder that already holds files (an earlier run's logs would
            mix with this one's), or under a file or a folder that cannot be written into.
    """
    folder = Path(log_dir)
    subject = f"{what} {log_dir}"
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{subject} is a file; give a folder (new or empty) for the TensorBoard logs")
    if folder.is_dir():
        if any(folder.iterdir()):
            raise ConfigError(
                f"{subject} is a folder that already holds files, whose runs would mix with this one's; give "
                f"a new or empty folder, such as {folder / 'run2'}"
            )
        existing = folder
    else:
        existing = folder.absolute().parent
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise ConfigError(f"{subject}: {existing} is a file, not a folder; give a folder elsewhere")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{subject}: cannot write into the folder {existing}; choose a folder you can write to"
        )


@dataclass
class ProjectorFiles:
    """The held-out embeddings written for the Embedding Projector (`TrainingLog.write_held_out`).

    Attributes:
        run: The run folder holding them (that of the model whose embeddings they are).
        config_path: `projector_config.pbtxt`.
        embeddings_path: The embeddings, one tab-separated row per point.
        metadata_path: A header, then one row per point: for labeled samples `class`, `row` (the
            samples file's row) and `id` when there are ids; else each pair's two samples, `label`
            (similar or dissimilar), `pair` (its number among the held-out pairs, from 1), `side` (first or
            second), `row` (the file's row) when known, and `id` when the pairs are given by reference.
        rows: Points written.
        available: Points there were (more than `rows` when a random share was written).
        kind: "samples" (each held-out sample once, with its class) or "pair sides".
    """

    run: Path
    config_path: Path
    embeddings_path: Path
    metadata_path: Path
    rows: int
    available: int
    kind: str

    def describe(self) -> str:
        what = "held-out samples" if self.kind == "samples" else "held-out pair samples (two per pair)"
        share = f" (a random {self.rows:,} of {self.available:,})" if self.rows < self.available else ""
        return f"{self.rows:,} {what}{share} in {self.run}"


class TrainingLog:
    """A progress callback that writes TensorBoard logs, one run folder per training (see the module).

    Args:
        log_dir: The folder for the logs: new or empty (see `check_log_dir`).
        what: How messages name the folder.

    Raises:
        ConfigError: As `check_log_dir` says.
    """

    def __init__(self, log_dir, *, what: str = "log_dir"):
        check_log_dir(log_dir, what=what)
        self.log_dir = Path(log_dir)
        self.runs: list[str] = []
        self._phases: Counter = Counter()
        self._writer = None
        self._model = None
        self._folders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its run folder

    def __call__(self, progress) -> None:
        """Log one epoch (batch reports are skipped). Returns None: logging never stops training."""
        if progress.stage != "epoch":
            return
        import tensorflow as tf

        model = progress.model
        # A new model is a new training; without one (a caller's own reports), a training starts at epoch 1.
        if self._writer is None or (model is not self._model if model is not None else progress.epoch == 1):
            self._start_run(progress.phase, model)
        epoch = progress.epoch
        with self._writer.as_default(step=epoch):
            for name, values in progress.history.items():
                if len(values) >= epoch:
                    tf.summary.scalar(name, values[epoch - 1], description=DESCRIPTIONS.get(name))
            if model is not None and progress.validation_pairs is not None:
                self._distance_histograms(model, progress.validation_pairs)
        self._writer.flush()

    def _start_run(self, phase: str, model) -> None:
        import tensorflow as tf

        self._close_writer()
        self._phases[phase] += 1
        count = self._phases[phase]
        if count == 1:
            name = phase
        elif phase == "selection":  # fit's cross-validation trainings, choosing the refit's length
            name = f"selection_fold_{count - 1}"
        else:
            name = f"{phase}_{count}"
        folder = self.log_dir / name
        self._writer = tf.summary.create_file_writer(str(folder))
        self._model = model
        if model is not None:
            self._folders[model] = folder
        self.runs.append(name)

    @staticmethod
    def _distance_histograms(model, pairs: PairSet) -> None:
        import tensorflow as tf

        from siamese_core.inference import predict_distances

        distances = predict_distances(model, pairs.left, pairs.right)
        similar = pairs.labels == SIMILAR
        for kind, mask in (("similar", similar), ("dissimilar", ~similar)):
            if mask.any():
                tf.summary.histogram(
                    f"{DISTANCE_TAG}/{kind}",
                    distances[mask],
                    buckets=HISTOGRAM_BUCKETS,
                    description=DESCRIPTIONS[kind],
                )

    def run_folder(self, model) -> Path | None:
        """The run folder of a model this log saw train; None for another model."""
        return self._folders.get(model)

    def write_held_out(
        self, outcome, *, separate_test: bool = False, samples: SampleSet | None = None
    ) -> ProjectorFiles | None:
        """Write a fit's held-out pairs' embeddings for the Embedding Projector, by the model whose metrics
        they are (`outcome.measured`), into that model's run.

        Args:
            outcome: The `FitOutcome` of the fit this log followed.
            separate_test: Whether the held-out pairs came from a separate test file (`fit(test=...)`):
                then the final model measured them, else the selection model.
            samples: The labeled samples the held-out pairs were made from, for their classes (each sample
                is then written once, with its class); None writes each pair's two samples with its label.

        Returns:
            The `ProjectorFiles`, or None when the fit had no held-out pairs.
        """
        if outcome.test_pairs is None:
            return None
        model = outcome.result.model if separate_test else (outcome.selection or outcome.result).model
        return self.write_projector(model, outcome.test_pairs, samples=samples)

    def write_projector(
        self,
        model,
        pairs: PairSet,
        *,
        samples: SampleSet | None = None,
        max_rows: int = PROJECTOR_ROWS,
        seed: int = 0,
    ) -> ProjectorFiles:
        """Write the embeddings of pairs' samples by `model` for the Embedding Projector.

        Args:
            model: The Siamese model; the files go into its run (the log folder itself for a model this log
                did not see train).
            pairs: The pairs whose samples to embed.
            samples: The labeled samples `pairs` were made from (see `write_held_out`).
            max_rows: The most points written; a seeded random share beyond.
            seed: Seed of that share.

        Returns:
            The `ProjectorFiles`.
        """
        from tensorboard.plugins import projector

        from siamese_core.inference import embed

        features, metadata, kind = projector_points(pairs, samples)
        available = len(features)
        if available > max_rows:
            if kind == "samples":
                keep = np.sort(np.random.default_rng(seed).choice(available, max_rows, replace=False))
            else:  # whole pairs: both samples of each pair kept
                chosen = np.sort(
                    np.random.default_rng(seed).choice(available // 2, max_rows // 2, replace=False)
                )
                keep = np.stack([2 * chosen, 2 * chosen + 1], axis=1).reshape(-1)
            features = features[keep]
            metadata = {name: [values[i] for i in keep] for name, values in metadata.items()}
        embeddings = embed(model, features)
        folder = self.run_folder(model) or self.log_dir
        folder.mkdir(parents=True, exist_ok=True)
        embeddings_path, metadata_path = folder / EMBEDDINGS_FILE, folder / METADATA_FILE
        embeddings_path.write_text(
            "".join("\t".join(f"{value:.9g}" for value in row) + "\n" for row in embeddings.tolist()),
            encoding="utf-8",
        )
        columns = list(metadata)
        lines = ["\t".join(columns)]
        lines += ["\t".join(_cell(metadata[name][i]) for name in columns) for i in range(len(embeddings))]
        metadata_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        config = projector.ProjectorConfig()
        embedding = config.embeddings.add()
        embedding.tensor_name = PROJECTOR_TENSOR
        embedding.tensor_path = (
            EMBEDDINGS_FILE  # relative: found beside the config, wherever the folder moves
        )
        embedding.metadata_path = METADATA_FILE
        embedding.tensor_shape.extend(embeddings.shape)
        projector.visualize_embeddings(str(folder), config)
        return ProjectorFiles(
            run=folder,
            config_path=folder / "projector_config.pbtxt",
            embeddings_path=embeddings_path,
            metadata_path=metadata_path,
            rows=len(embeddings),
            available=available,
            kind=kind,
        )

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> None:
        """Flush and close the current run's event file."""
        self._close_writer()
        self._model = None

    def __enter__(self) -> TrainingLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def projector_points(pairs: PairSet, samples: SampleSet | None = None) -> tuple[np.ndarray, dict, str]:
    """The points for the projector: features and metadata columns.

    Args:
        pairs: The pairs whose samples to show.
        samples: The labeled samples they were made from, or None.

    Returns:
        `(features (n, d), {column: n values}, kind)`: with `samples` (and every pair's samples found
        among them by row), each distinct sample once with its `class`, `row` and `id` ("samples");
        otherwise each pair's first then second sample with the pair's `label`, `pair`, `side`, `row` and
        `id` where known ("pair sides").
    """
    if samples is not None and pairs.sample_rows is not None:
        rows = pairs.sample_rows.reshape(-1)  # first, second, first, second, ...
        features = np.stack((pairs.left, pairs.right), axis=1).reshape(-1, pairs.n_features)
        rows, first = np.unique(rows, return_index=True)
        position = {int(row): index for index, row in enumerate(samples.rows.tolist())}
        index = np.array([position.get(int(row), -1) for row in rows])
        if (index >= 0).all():
            metadata = {"class": samples.classes[index].tolist(), "row": rows.tolist()}
            if samples.ids is not None:
                metadata["id"] = samples.ids[index].tolist()
            return features[first], metadata, "samples"
    n = pairs.n_pairs
    features = np.stack((pairs.left, pairs.right), axis=1).reshape(-1, pairs.n_features)
    labels = np.where(pairs.labels == SIMILAR, "similar", "dissimilar")
    metadata = {
        "label": np.repeat(labels, 2).tolist(),
        "pair": np.repeat(np.arange(1, n + 1), 2).tolist(),
        "side": ["first", "second"] * n,
    }
    if pairs.rows is not None and (pairs.rows >= 0).all():
        metadata["row"] = np.repeat(pairs.rows, 2).tolist()
    if pairs.sample_ids is not None:
        metadata["id"] = np.asarray(pairs.sample_ids).reshape(-1).tolist()
    return features, metadata, "pair sides"


def _cell(value) -> str:
    """A metadata value on one line of its column: tabs and line breaks (which would split it) as spaces."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split("\t"))
