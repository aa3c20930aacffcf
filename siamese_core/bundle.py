"""A trained model and what it needs to be used again, saved as one standard `.keras` file.

The file is the zip archive Keras writes (config, weights, metadata) plus one more entry,
`siamese_core.json`, holding feature names, label mapping, margin, threshold, the calibration of the
probability of "similar" (plain numbers), training settings, metrics and versions. Keras ignores that entry, so the file also loads with plain
`keras.saving.load_model(path, safe_mode=True)` once this module is imported: importing it registers the
distance layer and the loss that the file names. (Keras finds a custom class only among registered ones;
by module it imports only its own packages. `import siamese_core` alone loads no TensorFlow, so registers
nothing.) Loading always uses `safe_mode=True`: a model file from elsewhere is untrusted.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from siamese_core.calibration import Calibration
from siamese_core.errors import ConfigError, DataError, ModelFileError, listed, shown
from siamese_core.inference import embed, predict_distances
from siamese_core.losses import ContrastiveLoss  # noqa: F401  (registered: a model file names it)
from siamese_core.model import DISTANCE_NAME, ENCODER_NAME, EuclideanDistance
from siamese_core.outputs import atomic_write

BUNDLE_ENTRY = "siamese_core.json"
BUNDLE_FORMAT = "siamese_core.bundle/1"
KERAS_ENTRIES = ("config.json", "metadata.json", "model.weights.h5")
MODEL_ENTRIES = (*KERAS_ENTRIES, BUNDLE_ENTRY)  # all that `SiameseBundle.save` writes, each once
MAX_FILE_BYTES = 1 << 30  # 1 GiB on disk
MAX_UNPACKED_BYTES = 2 << 30  # 2 GiB declared inside the zip
FORBIDDEN_CLASSES = {"Lambda", "TFOpLambda"}
JSON_ENTRIES = (BUNDLE_ENTRY, "config.json", "metadata.json")
# A model's JSON entries take a few KB (config.json 5 KB for a small model, siamese_core.json grows with
# features and epochs); anything unpacking to more is refused before it is read.
MAX_JSON_BYTES = 4 << 20
# Keras stores its entries uncompressed, so a large entry (the weights) unpacks to about its stored size;
# one unpacking to over 100x (deflate reaches 1,000x only on filler) is a decompression bomb.
MAX_EXPANSION = 100
MAX_NESTING = 64  # JSON levels; Keras' config of a siamese_core model has 11


@dataclass
class Comparison:
    """Two samples compared by a model.

    Attributes:
        distance: Euclidean distance between their embeddings.
        similar: True when `distance <= threshold`.
        threshold: The decision threshold used.
        p_similar: The calibrated probability that the pair is similar (`SiameseBundle.p_similar`); None
            when the model has no calibration.
        contributions: One row per feature: `feature`, `value_a`, `value_b`, `contribution` (its share of
            the distance by integrated gradients; the column sums to about `distance`), sorted by the
            size of the contribution.
    """

    distance: float
    similar: bool
    threshold: float
    contributions: pd.DataFrame
    p_similar: float | None = None


@dataclass
class SiameseBundle:
    """A trained Siamese model with everything needed to use it again.

    Attributes:
        model: The Keras model: inputs "left" and "right" (raw features), output the distance.
        feature_names: Names of the features, in the model's input order.
        margin: The contrastive margin it was trained with.
        threshold: Distance at or below which a pair is called similar.
        calibration: P(similar | distance), fitted on held-out pairs when the model was trained
            (`siamese_core.calibration`); None when there were none of both classes, or the file predates it.
        label_mapping: How the training file's labels mapped to similar and dissimilar (plain dict).
        train_config: The training settings (plain dict).
        metrics: Held-out metrics measured after training (plain dict).
        history: Per-epoch training and validation loss.
        versions: Package versions that made the model.
        created: When it was made (ISO 8601, UTC).
    """

    model: keras.Model
    feature_names: list[str]
    margin: float = 1.0
    threshold: float = 0.5
    calibration: Calibration | None = None
    label_mapping: dict | None = None
    train_config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    created: str = ""

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def _features(self, values, what: str) -> np.ndarray:
        with np.errstate(over="ignore"):  # a value beyond float32 becomes inf, refused below
            array = np.asarray(values, dtype=np.float32)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] != self.n_features:
            raise DataError(
                f"{what} has {array.shape[-1] if array.ndim else 0} features but the model expects "
                f"{self.n_features} ({listed(self.feature_names, 4)})"
            )
        if not np.isfinite(array).all():
            raise DataError(f"{what} has missing or infinite values; every feature must be a finite number")
        return array

    def distances(self, left, right) -> np.ndarray:
        """Distances between rows of `left` and `right` ((n, d) or (d,) each), as float32 (n,)."""
        return predict_distances(self.model, self._features(left, "left"), self._features(right, "right"))

    def p_similar(self, distances) -> np.ndarray | None:
        """The calibrated probability that pairs at these distances are similar (`Calibration.p_similar`);
        None when the model has no calibration."""
        return None if self.calibration is None else self.calibration.p_similar(distances)

    def embed(self, samples) -> np.ndarray:
        """Embeddings (n, k) of raw feature rows."""
        return embed(self.model, self._features(samples, "samples"))

    def compare(self, a, b, *, steps: int = 32) -> Comparison:
        """Distance, verdict and per-feature contributions for two samples.

        Contributions are integrated gradients of the distance along the straight line from one sample
        to the other, taken both ways and averaged, so they add up to the distance (less the tiny
        distance of a sample to itself) and each says how much that feature's difference adds.

        Args:
            a: First sample, d values.
            b: Second sample, d values.
            steps: Points on the path; more is more exact.

        Returns:
            A `Comparison`.
        """
        import tensorflow as tf  # the backend, needed for gradients

        a = self._features(a, "sample A")[0]
        b = self._features(b, "sample B")[0]
        distance = float(self.distances(a, b)[0])
        alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)[:, None]

        def path_gradients(fixed, start, end):
            moving = tf.constant(start + alphas * (end - start))
            anchor = tf.constant(np.repeat(fixed[None, :], steps, axis=0))
            with tf.GradientTape() as tape:
                tape.watch(moving)
                output = self.model({"left": anchor, "right": moving}, training=False)
            return tape.gradient(output, moving).numpy().mean(axis=0) * (end - start)

        contribution = 0.5 * (path_gradients(a, a, b) + path_gradients(b, b, a))
        table = pd.DataFrame(
            {"feature": self.feature_names, "value_a": a, "value_b": b, "contribution": contribution}
        )
        table = table.reindex(table["contribution"].abs().sort_values(ascending=False).index)
        probability = self.p_similar(distance)
        return Comparison(
            distance=distance,
            similar=distance <= self.threshold,
            threshold=self.threshold,
            contributions=table.reset_index(drop=True),
            p_similar=None if probability is None else float(probability),
        )

    def nearest_neighbours(self, sample, reference, *, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """The k rows of `reference` nearest to `sample` in the embedding space.

        Args:
            sample: One sample, d values.
            reference: (n, d) samples to search.
            k: How many neighbours.

        Returns:
            `(indices, distances)`, nearest first; rows at equal distances in their order in `reference`.

        Raises:
            ValueError: If `k` is under 1.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1. Received: k={k}")
        query = self.embed(sample)[0]
        embeddings = self.embed(reference)
        distances = np.sqrt(((embeddings - query) ** 2).sum(axis=1))
        nearest = np.argsort(distances, kind="stable")[:k]
        return nearest, distances[nearest]

    def save(self, path) -> Path:
        """Save as one `.keras` file, atomically: the old file stays intact until the new one is complete.

        Args:
            path: Where to save; must end in ".keras".

        Returns:
            The path written.

        Raises:
            ConfigError: If the path does not end in ".keras", is a folder, or its folder does not exist or
                cannot be written.
        """
        path = Path(path)
        if path.suffix != ".keras":
            raise ConfigError(f"model files end in .keras. Received: {path}")
        with atomic_write(path) as temporary:
            self.model.save(temporary)
            with zipfile.ZipFile(temporary, "a") as archive:
                archive.writestr(BUNDLE_ENTRY, json.dumps(self._metadata(), default=_json_default))
        return path

    def to_bytes(self) -> bytes:
        """The saved file's bytes (for a download button)."""
        with tempfile.TemporaryDirectory() as folder:
            return self.save(Path(folder) / "model.keras").read_bytes()

    def _metadata(self) -> dict:
        return {
            "format": BUNDLE_FORMAT,
            "feature_names": list(self.feature_names),
            "margin": float(self.margin),
            "threshold": float(self.threshold),
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
            "label_mapping": self.label_mapping,
            "train_config": self.train_config,
            "metrics": self.metrics,
            "history": self.history,
            "versions": self.versions or current_versions(),
            "created": self.created or datetime.now(UTC).isoformat(timespec="seconds"),
        }


def current_versions() -> dict:
    """Versions of the packages that make and read model files."""
    import tensorflow as tf

    from siamese_core import __version__

    return {
        "siamese_core": __version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
    }


def load_model(source, *, name: str | None = None) -> SiameseBundle:
    """Load a model file saved by siamese_core, safely.

    The archive is checked before Keras reads it (a zip of the entries a model file has and no others,
    bounded unpacked sizes, intact, ours, no `Lambda` layer, metadata of the right types), then loaded with
    `safe_mode=True`, so no code from the file runs, and the model must have the shape siamese_core gives its
    models.

    Args:
        source: A path, the file's bytes, or a binary file-like object.
        name: What messages call the file.

    Returns:
        The `SiameseBundle`.

    Raises:
        ModelFileError: If the file is missing, not a regular file, corrupt, unsafe, or not a siamese_core
            model.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = name or path.name
        if not path.exists():
            raise ModelFileError(f"{name}: no such model file")
        if not path.is_file():  # a folder, or a pipe or device, which could keep a reader waiting forever
            raise ModelFileError(
                f"{name}: not a regular file (a folder, a pipe or a device); pass a .keras model file"
            )
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ModelFileError(
                f"{name}: the file is over {MAX_FILE_BYTES >> 20} MiB, too large for a model file"
            )
        if path.suffix == ".keras":
            return _load_path(path, name)
        data = path.read_bytes()
    else:
        data = source if isinstance(source, bytes) else source.read()
        name = name or getattr(source, "name", None) or "the uploaded model"
        if len(data) > MAX_FILE_BYTES:
            raise ModelFileError(
                f"{name}: the file is over {MAX_FILE_BYTES >> 20} MiB, too large for a model file"
            )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return _load_path(path, name)


def _load_path(path: Path, name: str) -> SiameseBundle:
    fields = _metadata_fields(_check_archive(path, name), name)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a bad file; all mean "cannot load".
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelFileError(f"{name}: cannot be loaded safely ({shown(reason, 300)})") from error
    _check_model(model, len(fields["feature_names"]), name)
    return SiameseBundle(model=model, **fields)


def _check_model(model, n_features: int, name: str) -> None:
    """Refuse a model that is not shaped as siamese_core builds them (see `siamese_core.model`): inputs
    "left" and "right" of the features' width, a shared encoder model giving one embedding per row, and a
    Euclidean distance layer giving one distance per pair."""
    try:
        encoder = model.get_layer(ENCODER_NAME)
        distance = model.get_layer(DISTANCE_NAME)
    except (ValueError, AttributeError) as error:  # no such layer, or not a model at all
        raise ModelFileError(
            f"{name}: not a siamese_core model (no shared encoder and distance layer)"
        ) from error
    if not isinstance(encoder, keras.Model) or not isinstance(distance, EuclideanDistance):
        raise ModelFileError(
            f"{name}: not a siamese_core model: its layers named {ENCODER_NAME} and {DISTANCE_NAME} are a "
            f"{type(encoder).__name__} and a {type(distance).__name__}, where siamese_core has an encoder "
            "model and a EuclideanDistance layer"
        )
    inputs = {tensor.name: tuple(tensor.shape) for tensor in model.inputs}
    if sorted(inputs) != ["left", "right"] or any(shape != (None, n_features) for shape in inputs.values()):
        raise ModelFileError(
            f"{name}: the model's inputs {shown(inputs, 200)} do not match its {n_features} feature names; "
            "the file is inconsistent"
        )
    samples, embeddings, distances = (
        [tuple(tensor.shape) for tensor in tensors]
        for tensors in (encoder.inputs, encoder.outputs, model.outputs)
    )
    if (
        samples != [(None, n_features)]
        or [len(shape) for shape in embeddings] != [2]
        or distances != [(None,)]
    ):
        raise ModelFileError(
            f"{name}: not a siamese_core model: the encoder maps {samples} to {embeddings} and the model gives "
            f"{distances}, where one embedding per sample and one distance per pair are expected"
        )


def _metadata_fields(metadata: dict, name: str) -> dict:
    """The bundle's fields from its metadata, each checked to be of the type it must be: the file may come
    from anywhere, and a wrong type must be refused here, not fail later in a figure or a message."""

    def wrong(key: str, expected: str) -> ModelFileError:
        return ModelFileError(
            f"{name}: refused: its {BUNDLE_ENTRY} gives {key} = {shown(json.dumps(metadata.get(key)))}, "
            f"where {expected} is expected; the file is damaged or not from siamese_core"
        )

    feature_names = metadata.get("feature_names")
    if not isinstance(feature_names, list) or not all(
        isinstance(feature, str) and feature for feature in feature_names
    ):
        raise wrong("feature_names", "a list of non-empty names")
    repeated = [(feature, count) for feature, count in Counter(feature_names).items() if count > 1]
    if repeated:  # both columns of that name would be read from one, silently
        raise ModelFileError(
            f"{name}: refused: its {BUNDLE_ENTRY} gives the name '{shown(repeated[0][0])}' to {repeated[0][1]} "
            "features, where each feature has its own name; the file is damaged or not from siamese_core"
        )
    fields = {"feature_names": feature_names}
    for key, default in (("margin", 1.0), ("threshold", 0.5)):
        value = metadata.get(key, default)
        if not _is_number(value) or not math.isfinite(value):
            raise wrong(key, "a finite number")
        fields[key] = float(value)
    if fields["margin"] <= 0:
        raise wrong("margin", "a number > 0")
    calibration = metadata.get("calibration")  # absent from files made before it existed
    fields["calibration"] = None if calibration is None else Calibration.from_dict(calibration, name)
    for key in ("label_mapping", "train_config", "metrics", "history", "versions"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, dict):
            raise wrong(key, "an object")
        fields[key] = value if key == "label_mapping" else value or {}
    if not all(
        isinstance(values, list) and all(map(_is_number, values)) for values in fields["history"].values()
    ):
        raise wrong("history", "lists of numbers (one per epoch)")
    created = metadata.get("created", "")
    if not isinstance(created, str):
        raise wrong("created", "a date as text")
    fields["created"] = created
    return fields


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_archive(path: Path, name: str) -> dict:
    """Refuse what is not a safe, intact siamese_core archive; return its metadata.

    Entry names (`MODEL_ENTRIES`, each once) and sizes (`_check_entry_size`) are checked on the archive's
    directory before anything is unpacked, so a small file that unpacks to gigabytes is refused at once and
    in little memory; then the JSON entries are read, at most `MAX_JSON_BYTES` and `MAX_NESTING` levels deep
    each, and only then are the checksums of all entries verified.
    """
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{name}: not a model file (a .keras model is a zip archive; this is not one)")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            missing = [entry for entry in KERAS_ENTRIES if entry not in names]
            if missing:
                raise ModelFileError(f"{name}: not a Keras model file (missing {', '.join(missing)})")
            if BUNDLE_ENTRY not in names:
                raise ModelFileError(
                    f"{name}: a Keras model, but not one saved by siamese_core (no {BUNDLE_ENTRY}); "
                    "train one with `siamese train` or the dashboard"
                )
            # Nothing else, each once: not a path out of the folder, nor assets that Keras would unpack, nor
            # filler entries, each small enough for `_check_entry_size` but unpacking to gigabytes together.
            seen = set()
            for entry in entries:
                if entry.filename not in MODEL_ENTRIES or entry.filename in seen:
                    odd = (
                        f"{entry.filename} twice"
                        if entry.filename in seen
                        else f"an entry '{shown(entry.filename)}'"
                    )
                    raise ModelFileError(
                        f"{name}: refused: the archive has {odd} (a model file has {', '.join(MODEL_ENTRIES)}, once "
                        "each); the file is damaged or not from siamese_core"
                    )
                seen.add(entry.filename)
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                raise ModelFileError(
                    f"{name}: refused: the archive declares over {MAX_UNPACKED_BYTES >> 30} GiB of contents"
                )
            for entry in entries:
                _check_entry_size(entry, name)
            metadata, config, _ = (_read_json(archive, entry, name) for entry in JSON_ENTRIES)
            broken = archive.testzip()
            if broken is not None:
                raise ModelFileError(f"{name}: the file is corrupt (entry {broken} fails its checksum)")
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as error:
        raise ModelFileError(f"{name}: the file is corrupt or truncated ({shown(error, 300)})") from error
    fmt = metadata.get("format") if isinstance(metadata, dict) else None
    if fmt != BUNDLE_FORMAT:
        raise ModelFileError(f"{name}: unknown model file format {shown(repr(fmt))}")
    forbidden = sorted(FORBIDDEN_CLASSES & _class_names(config))
    if forbidden:
        raise ModelFileError(
            f"{name}: refused: the model contains a {forbidden[0]} layer, which can run arbitrary code"
        )
    return metadata


def _check_entry_size(entry: zipfile.ZipInfo, name: str) -> None:
    """Refuse an entry that its directory record says unpacks to more than a model's entry of its kind.

    Reading an entry stops at that size (zipfile's `ZipExtFile`; data unpacking to more fails its checksum),
    so it bounds what reading takes.
    """
    size = entry.file_size
    if entry.filename in JSON_ENTRIES and size > MAX_JSON_BYTES:
        raise ModelFileError(
            f"{name}: refused: its entry {entry.filename} unpacks to over {MAX_JSON_BYTES >> 20} MiB, far more "
            "than a model's settings take (a decompression bomb?)"
        )
    if size > MAX_JSON_BYTES and size > MAX_EXPANSION * entry.compress_size:
        raise ModelFileError(
            f"{name}: refused: its entry {shown(entry.filename)} unpacks to {size:,} bytes from "
            f"{entry.compress_size:,} (a decompression bomb?)"
        )


def _read_json(archive: zipfile.ZipFile, entry: str, name: str):
    """A JSON entry, unpacked to at most `MAX_JSON_BYTES` and at most `MAX_NESTING` levels deep."""
    with archive.open(entry) as stream:
        data = stream.read(MAX_JSON_BYTES)  # the declared size, checked; no more whatever the data holds
    try:
        value = json.loads(data)
        too_deep = max(depth for _, depth in _json_nodes(value)) > MAX_NESTING
    except RecursionError:
        too_deep = True
    if too_deep:
        raise ModelFileError(
            f"{name}: refused: its entry {entry} is nested over {MAX_NESTING} levels deep, far more than a "
            "model's settings are"
        )
    return value


def _json_nodes(value):
    """Every value inside a parsed JSON value, with its depth (1 for `value`), walked without recursion."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)


def _class_names(config) -> set[str]:
    return {
        node["class_name"]
        for node, _ in _json_nodes(config)
        if isinstance(node, dict) and isinstance(node.get("class_name"), str)
    }


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
