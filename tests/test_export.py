"""The SavedModel export (`siamese_core.export`): what TensorFlow loads back computes what the bundle does."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from siamese_core.errors import ConfigError
from siamese_core.export import check_export_folder, export_saved_model, read_export_metadata

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundle(model_file):
    from siamese_core.bundle import load_model

    return load_model(model_file)


@pytest.fixture(scope="module")
def exported(bundle, model_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export") / "siamese"
    return export_saved_model(bundle, folder, model_path=model_file)


def _raw_rows(bundle, n=64, seed=0):
    """Raw feature rows on the scale of the training data and far off it (the model scales them itself)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(0, 4, size=(n, bundle.n_features))
    rows[:4] *= 1000  # far outside the training range
    return rows.astype(np.float32)


def test_the_saved_model_reproduces_the_bundles_distances_and_embeddings(bundle, exported):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(exported.folder))
    a, b = _raw_rows(bundle, seed=1), _raw_rows(bundle, seed=2)
    b[:8] = a[:8]  # identical pairs: the distance layer's floor, not 0
    outputs = loaded.signatures["distance"](a=tf.constant(a), b=tf.constant(b))
    expected = bundle.distances(a, b)
    np.testing.assert_allclose(outputs["distance"].numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(outputs["similar"].numpy(), expected <= bundle.threshold)
    assert outputs["similar"].numpy().any() and not outputs["similar"].numpy().all()
    embeddings = loaded.signatures["embed"](x=tf.constant(a))["embedding"].numpy()
    np.testing.assert_allclose(embeddings, bundle.embed(a), rtol=1e-5, atol=1e-5)
    # The default signature, the one TensorFlow Serving answers without a signature_name, is distance.
    default = loaded.signatures["serving_default"](a=tf.constant(a), b=tf.constant(b))["distance"].numpy()
    np.testing.assert_allclose(default, expected, rtol=1e-5, atol=1e-5)


def test_the_signatures_take_float32_rows_of_the_models_features(bundle, exported):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(exported.folder))
    assert set(loaded.signatures) == {"distance", "embed", "serving_default"}
    _, distance_inputs = loaded.signatures["distance"].structured_input_signature
    _, embed_inputs = loaded.signatures["embed"].structured_input_signature
    assert sorted(distance_inputs) == ["a", "b"] and list(embed_inputs) == ["x"]
    for spec in [*distance_inputs.values(), *embed_inputs.values()]:
        assert spec.dtype == tf.float32 and spec.shape.as_list() == [None, bundle.n_features]
    outputs = loaded.signatures["embed"].structured_outputs
    assert outputs["embedding"].shape.as_list() == [None, exported.embedding_dim]


def test_the_json_beside_it_says_the_input_order_threshold_and_margin(bundle, exported):
    metadata = read_export_metadata(exported.folder)
    assert exported.metadata_path == exported.folder / "assets.extra" / "siamese_core.json"
    assert json.loads(exported.metadata_path.read_text()) == metadata  # plain JSON
    assert metadata["feature_names"] == bundle.feature_names
    assert metadata["threshold"] == bundle.threshold
    assert metadata["margin"] == bundle.margin
    assert metadata["n_features"] == bundle.n_features
    assert metadata["embedding_dim"] == bundle.embed(_raw_rows(bundle, n=1)).shape[1]
    assert metadata["calibration"] == bundle.calibration.to_dict()


def test_the_saved_model_loads_and_runs_without_siamese_core(bundle, exported):
    """As TensorFlow Serving loads it: no Python class of ours is needed (a fresh process, TensorFlow alone)."""
    rows = _raw_rows(bundle, n=3)
    script = (
        "import sys, json, numpy as np, tensorflow as tf\n"
        f"loaded = tf.saved_model.load({str(exported.folder)!r})\n"
        f"a = tf.constant(np.array({rows.tolist()!r}, dtype=np.float32))\n"
        "d = loaded.signatures['distance'](a=a, b=a[::-1])['distance'].numpy()\n"
        "print(json.dumps([d.tolist(), 'siamese_core' in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=exported.folder.parent,  # not the project: siamese_core cannot even be imported from here
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    distances, imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported is False
    np.testing.assert_allclose(distances, bundle.distances(rows, rows[::-1]), rtol=1e-5, atol=1e-5)


def test_an_empty_folder_is_filled(bundle, model_file, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    exported = export_saved_model(bundle, folder, model_path=model_file)
    assert (folder / "saved_model.pb").is_file() and exported.metadata_path.is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty"]  # no temporary folder left


def _refused(bundle, folder, model_path, message):
    before = {path: path.read_bytes() for path in folder.parent.rglob("*") if path.is_file()}
    with pytest.raises(ConfigError, match=message):
        export_saved_model(bundle, folder, model_path=model_path)
    assert {path: path.read_bytes() for path in folder.parent.rglob("*") if path.is_file()} == before


def test_a_folder_with_files_is_never_written_over(bundle, model_file, tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    _refused(bundle, folder, model_file, "is a folder that is not empty; an export never writes over files")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["served"]


def test_a_file_and_the_model_file_are_never_written_over(bundle, model_file, tmp_path):
    existing = tmp_path / "out"
    existing.write_text("a file")
    _refused(bundle, existing, model_file, "is a file; an export is a folder and never replaces a file")
    model = tmp_path / "m.keras"
    model.write_bytes(Path(model_file).read_bytes())
    _refused(bundle, model, model, "is the model file being exported")


def test_a_missing_parent_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"folder .*missing does not exist; create it or export elsewhere"):
        check_export_folder(tmp_path / "missing" / "out")


def test_a_failed_export_leaves_nothing_behind(bundle, model_file, tmp_path, monkeypatch):
    """A disk filling up at the last step (the rename) leaves no folder and no temporary one."""

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ConfigError, match="No space left on device; nothing was written"):
        export_saved_model(bundle, tmp_path / "out", model_path=model_file)
    assert list(tmp_path.iterdir()) == []
