"""Exporting a model for serving: a TensorFlow SavedModel with an `embed` and a `distance` signature.

The folder is what TensorFlow Serving loads (docs/serving.md): `saved_model.pb` and `variables/`, written by
Keras' public `keras.export.ExportArchive`, plus `assets.extra/siamese_core.json`, the plain JSON a server
needs to use it (the feature names in input order, the threshold, the margin; TensorFlow Serving's place for
files that go with a model but are not loaded by its graph). The signatures take raw features, as the
`.keras` model does: the feature scaling is inside the encoder.

    embed(x: float32 (n, d))                -> {"embedding": float32 (n, k)}
    distance(a: float32 (n, d), b: (n, d))  -> {"distance": float32 (n,), "similar": bool (n,)}

`distance` is also the default signature (`serving_default`). `similar` is `distance <= threshold` at the
model's threshold when it was exported.

An export never writes over anything: the folder must be new or empty. It is written into a temporary
folder beside it and renamed into place once complete (`outputs.atomic_folder`), so a failed export leaves
nothing behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from siamese_core.errors import ConfigError
from siamese_core.outputs import atomic_folder, same_file

EXPORT_FORMATS = ("saved_model",)
METADATA_FOLDER = "assets.extra"
METADATA_FILE = "siamese_core.json"
METADATA_FORMAT = "siamese_core.saved_model/1"
SIGNATURES = ("distance", "embed")  # the first is also "serving_default"


@dataclass
class ExportedModel:
    """What `export_saved_model` wrote.

    Attributes:
        folder: The SavedModel folder.
        metadata_path: Its `assets.extra/siamese_core.json`.
        signatures: The signature names, the default one first.
        n_features: Features per sample the signatures take.
        embedding_dim: Size of an embedding.
    """

    folder: Path
    metadata_path: Path
    signatures: tuple[str, ...]
    n_features: int
    embedding_dim: int


def check_export_folder(folder, *, model_path=None, what: str = "folder") -> None:
    """Refuse, before any work, an export folder that would write over something or cannot be made.

    Args:
        folder: The SavedModel folder to make: new, or an empty folder.
        model_path: The model file exported, which the folder must not be.
        what: How messages name the folder ("folder" in Python, "DIR" on the command line).

    Raises:
        ConfigError: `folder` is the model file, an existing file, a folder that is not empty, or its parent
            folder is missing, not a folder, or cannot be written into.
    """
    folder = Path(folder)
    subject = f"{what} {folder}"
    if model_path is not None and same_file(folder, model_path):
        raise ConfigError(f"{subject} is the model file being exported; give a new folder for {what}")
    if folder.is_symlink():  # a link's target would be replaced or written through: say which folder
        raise ConfigError(f"{subject} is a symbolic link; give the path of a new folder itself")
    if folder.exists():
        if not folder.is_dir():
            raise ConfigError(
                f"{subject} is a file; an export is a folder and never replaces a file: give a new folder"
            )
        if any(folder.iterdir()):
            raise ConfigError(
                f"{subject} is a folder that is not empty; an export never writes over files: give a new or "
                "empty folder"
            )
    parent = folder.resolve().parent
    if not parent.exists():
        raise ConfigError(f"{subject}: the folder {parent} does not exist; create it or export elsewhere")
    if not parent.is_dir():
        raise ConfigError(f"{subject}: {parent} is a file, not a folder; export elsewhere")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{subject}: cannot write into the folder {parent}; choose a folder you can write to"
        )


def export_saved_model(bundle, folder, *, model_path=None, what: str = "folder") -> ExportedModel:
    """Write a model as a TensorFlow SavedModel for serving, with the JSON a server needs beside it.

    Args:
        bundle: The `SiameseBundle` to export.
        folder: The SavedModel folder to make: new, or an empty folder (see `check_export_folder`).
        model_path: The model file the bundle was loaded from, never to be written over.
        what: How messages name the folder.

    Returns:
        An `ExportedModel`.

    Raises:
        ConfigError: As `check_export_folder` says, or the folder could not be written (a full disk, say);
            nothing is left behind then.
    """
    import keras
    import tensorflow as tf

    from siamese_core.model import DISTANCE_NAME, encoder_of

    check_export_folder(folder, model_path=model_path, what=what)
    folder = Path(folder)
    model = bundle.model
    encoder = encoder_of(model)
    distance_layer = model.get_layer(DISTANCE_NAME)
    n_features = bundle.n_features
    embedding_dim = int(encoder.output_shape[-1])
    threshold = float(bundle.threshold)

    def distance(a, b):
        # Both sides through the encoder, then the model's own distance layer, as `SiameseBundle.distances`.
        value = distance_layer([encoder(a, training=False), encoder(b, training=False)])
        # Compared in float64, as the bundle compares its float32 distances with its float threshold.
        similar = tf.cast(value, tf.float64) <= tf.constant(threshold, tf.float64)
        return {"distance": value, "similar": similar}

    def embed(x):
        return {"embedding": encoder(x, training=False)}

    def rows(name):
        return tf.TensorSpec((None, n_features), tf.float32, name=name)

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("distance", distance, input_signature=[rows("a"), rows("b")])
    archive.add_endpoint("embed", embed, input_signature=[rows("x")])
    metadata = {
        "format": METADATA_FORMAT,
        "feature_names": list(bundle.feature_names),
        "n_features": n_features,
        "embedding_dim": embedding_dim,
        "threshold": threshold,
        "margin": float(bundle.margin),
        "calibration": None if bundle.calibration is None else bundle.calibration.to_dict(),
        "signatures": {
            "distance": {
                "inputs": {"a": [None, n_features], "b": [None, n_features]},
                "outputs": {"distance": [None], "similar": [None]},
                "default": True,
            },
            "embed": {"inputs": {"x": [None, n_features]}, "outputs": {"embedding": [None, embedding_dim]}},
        },
        "inputs": "raw features in the order of feature_names, float32; the model scales them itself",
        "similar": "distance <= threshold",
        "versions": bundle.versions,
    }
    try:
        with atomic_folder(folder) as temporary:
            archive.write_out(str(temporary), verbose=False)
            extra = temporary / METADATA_FOLDER
            extra.mkdir(exist_ok=True)
            (extra / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"cannot export to {what} {folder}: {error.strerror or error}; nothing was written. Free some "
            "space or choose another folder"
        ) from error
    return ExportedModel(
        folder=folder,
        metadata_path=folder / METADATA_FOLDER / METADATA_FILE,
        signatures=SIGNATURES,
        n_features=n_features,
        embedding_dim=embedding_dim,
    )


def read_export_metadata(folder) -> dict:
    """The plain JSON of an exported model (`assets.extra/siamese_core.json`)."""
    return json.loads((Path(folder) / METADATA_FOLDER / METADATA_FILE).read_text(encoding="utf-8"))
