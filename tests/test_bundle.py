import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from siamese_core.bundle import BUNDLE_ENTRY, MODEL_ENTRIES, SiameseBundle, load_model
from siamese_core.errors import ConfigError, DataError, ModelFileError


def test_round_trip_with_safe_mode_keeps_distances_and_metadata(tiny_outcome, model_file):
    bundle = tiny_outcome.bundle
    loaded = load_model(model_file)
    pairs = tiny_outcome.splits.train
    np.testing.assert_allclose(
        loaded.distances(pairs.left, pairs.right), bundle.distances(pairs.left, pairs.right), rtol=1e-5
    )
    assert loaded.feature_names == bundle.feature_names
    assert loaded.threshold == pytest.approx(bundle.threshold)
    assert loaded.margin == bundle.margin
    assert loaded.label_mapping["similar_values"] == ["0"]
    assert loaded.train_config["hidden"] == [16]
    assert loaded.metrics["auc"] == pytest.approx(tiny_outcome.test.auc)
    assert set(loaded.versions) >= {"keras", "tensorflow", "siamese_core"}


def test_file_is_a_standard_keras_file(model_file):
    """Plain Keras loads it in safe mode too: the extra metadata entry does not get in the way."""
    import siamese_core.model  # noqa: F401  (registers the distance layer)

    model = keras.saving.load_model(model_file, safe_mode=True, compile=False)
    assert [tensor.name for tensor in model.inputs] == ["left", "right"]


def test_loads_from_bytes_and_file_objects(model_file):
    data = Path(model_file).read_bytes()
    assert load_model(data).n_features == 6
    assert load_model(io.BytesIO(data), name="upload.keras").n_features == 6


def test_save_is_atomic_old_file_survives_a_failed_save(tiny_outcome, tmp_path, monkeypatch):
    target = tmp_path / "model.keras"
    tiny_outcome.bundle.save(target)
    before = target.read_bytes()

    def broken_save(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(ConfigError) as caught:
        tiny_outcome.bundle.save(target)
    assert str(caught.value) == (
        f"cannot write {target}: disk full; model.keras is left as it was. Free some space or choose another path"
    )
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]  # no temporary left behind


def test_save_needs_keras_suffix_and_existing_folder(tiny_outcome, tmp_path):
    with pytest.raises(ConfigError, match=r"model files end in \.keras"):
        tiny_outcome.bundle.save(tmp_path / "model.h5")
    with pytest.raises(ConfigError, match="does not exist"):
        tiny_outcome.bundle.save(tmp_path / "missing" / "model.keras")


def _rewrite(model_file, tmp_path, name, change):
    """A copy of the model file with entries changed by `change(entries) -> entries`."""
    with zipfile.ZipFile(model_file) as archive:
        entries = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    target = tmp_path / name
    with zipfile.ZipFile(target, "w") as archive:
        for entry, data in change(entries).items():
            archive.writestr(entry, data)
    return target


def test_lambda_layer_is_refused(model_file, tmp_path):
    def add_lambda(entries):
        config = json.loads(entries["config.json"])
        config["config"]["layers"].append({"class_name": "Lambda", "config": {"function": "os.system"}})
        return {**entries, "config.json": json.dumps(config)}

    with pytest.raises(ModelFileError, match="Lambda layer, which can run arbitrary code"):
        load_model(_rewrite(model_file, tmp_path, "lambda.keras", add_lambda))


def test_unknown_class_is_refused(model_file, tmp_path):
    def rename(entries):
        text = entries["config.json"].decode().replace("EuclideanDistance", "EvilDistance")
        return {**entries, "config.json": text}

    with pytest.raises(ModelFileError, match="cannot be loaded safely"):
        load_model(_rewrite(model_file, tmp_path, "unknown.keras", rename))


def test_path_traversal_entry_is_refused(model_file, tmp_path):
    path = _rewrite(model_file, tmp_path, "evil.keras", lambda e: {**e, "../../etc/evil": b"x"})
    assert _refusal(path) == (
        "evil.keras: refused: the archive has an entry '../../etc/evil' (a model file has config.json, "
        "metadata.json, model.weights.h5, siamese_core.json, once each); the file is damaged or not from "
        "siamese_core"
    )


def test_a_saved_model_has_exactly_the_entries_a_model_file_may_have(model_file):
    with zipfile.ZipFile(model_file) as archive:
        assert sorted(archive.namelist()) == sorted(MODEL_ENTRIES)


def test_many_small_filler_entries_are_refused_unread(model_file, tmp_path):
    """100 entries of 4 MiB of zeros each (under the 4 MiB that one entry may unpack to, and under the
    2 GiB of the whole) make a 2 MB file that unpacks to 400 MiB: refused on the directory, before the
    checksums of all entries are computed (which unpacks them)."""
    path = tmp_path / "filler.keras"
    shutil.copy(model_file, path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index in range(100):
            archive.writestr(f"assets/filler{index}", bytes(4 << 20))
    assert path.stat().st_size < 2 << 20
    messages = []
    peak = _peak_bytes(lambda: messages.append(_refusal(path)))
    assert messages == [
        "filler.keras: refused: the archive has an entry 'assets/filler0' (a model file has config.json, "
        "metadata.json, model.weights.h5, siamese_core.json, once each); the file is damaged or not from "
        "siamese_core"
    ]
    assert peak < 1 << 20


def test_an_entry_given_twice_is_refused(model_file, tmp_path):
    path = tmp_path / "twice.keras"
    shutil.copy(model_file, path)
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name, which is the point
        archive.writestr("config.json", "{}")
    assert _refusal(path) == (
        "twice.keras: refused: the archive has config.json twice (a model file has config.json, "
        "metadata.json, model.weights.h5, siamese_core.json, once each); the file is damaged or not from "
        "siamese_core"
    )


def test_truncated_file_is_refused(model_file, tmp_path):
    data = Path(model_file).read_bytes()
    path = tmp_path / "truncated.keras"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"not a model file|corrupt"):
        load_model(path)


def test_not_a_model_and_missing_files_are_refused(tmp_path):
    text = tmp_path / "notes.keras"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a model file"):
        load_model(text)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "absent.keras")


def test_plain_keras_model_without_our_metadata_is_refused(model_file, tmp_path):
    path = _rewrite(
        model_file, tmp_path, "plain.keras", lambda e: {k: v for k, v in e.items() if k != BUNDLE_ENTRY}
    )
    with pytest.raises(ModelFileError, match="not one saved by siamese_core"):
        load_model(path)


def test_wrong_feature_count_in_metadata_is_refused(model_file, tmp_path):
    def fewer_features(entries):
        metadata = json.loads(entries[BUNDLE_ENTRY])
        metadata["feature_names"] = metadata["feature_names"][:3]
        return {**entries, BUNDLE_ENTRY: json.dumps(metadata)}

    with pytest.raises(ModelFileError) as caught:
        load_model(_rewrite(model_file, tmp_path, "fewer.keras", fewer_features))
    assert str(caught.value) == (
        "fewer.keras: the model's inputs {'left': (None, 6), 'right': (None, 6)} do not match its 3 feature "
        "names; the file is inconsistent"
    )


def test_compare_contributions_add_up_to_the_distance(tiny_outcome):
    bundle: SiameseBundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.train
    comparison = bundle.compare(pairs.left[0], pairs.right[0], steps=64)
    assert comparison.distance == pytest.approx(float(bundle.distances(pairs.left[0], pairs.right[0])[0]))
    assert comparison.contributions["contribution"].sum() == pytest.approx(
        comparison.distance, rel=0.05, abs=1e-3
    )
    assert comparison.similar == (comparison.distance <= bundle.threshold)
    assert list(comparison.contributions.columns) == ["feature", "value_a", "value_b", "contribution"]
    sizes = comparison.contributions["contribution"].abs().to_numpy()
    assert (np.diff(sizes) <= 1e-12).all()  # largest first


def test_a_sample_is_its_own_nearest_neighbour(tiny_outcome):
    bundle = tiny_outcome.bundle
    reference = tiny_outcome.splits.train.left[:30]
    indices, distances = bundle.nearest_neighbours(reference[7], reference, k=3)
    # samples recur across pairs: the first row equal to sample 7 comes first
    first = next(i for i in range(30) if np.array_equal(reference[i], reference[7]))
    assert indices[0] == first and distances[0] == pytest.approx(0.0, abs=1e-5)
    assert len(indices) == 3 and (np.diff(distances) >= 0).all()


def test_wrong_width_or_non_finite_samples_are_user_errors(tiny_outcome):
    bundle = tiny_outcome.bundle
    with pytest.raises(DataError, match="has 4 features but the model expects 6"):
        bundle.distances(np.zeros((1, 4)), np.zeros((1, 4)))
    with pytest.raises(DataError, match="missing or infinite"):
        bundle.distances(np.full((1, 6), np.nan), np.zeros((1, 6)))


def test_huge_declared_size_is_refused(model_file, tmp_path):
    """A zip whose central directory declares a 3 GiB entry (a zip bomb's signature) is refused unread."""
    data = bytearray(Path(model_file).read_bytes())
    entry = data.find(b"PK\x01\x02")  # the first central-directory record
    struct.pack_into("<I", data, entry + 24, 3 << 30)  # its uncompressed size
    path = tmp_path / "bomb.keras"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="declares over 2 GiB of contents"):
        load_model(path)


def test_nothing_in_the_project_loads_unsafely():
    """No source file passes safe_mode=False (or turns safe mode off globally)."""
    root = Path(__file__).resolve().parents[1]
    sources = [*root.glob("siamese_core/**/*.py"), *root.glob("dashboard/**/*.py"), *root.glob("bench/*.py")]
    assert sources
    for source in sources:
        text = source.read_text()
        assert "safe_mode=False" not in text, source
        assert "enable_unsafe_deserialization" not in text, source


# --------------------------------------------------------------------------------------------------
# Untrusted files: bombs, wrong types, look-alike models, pipes (CLI: exit 2 and one line)
# --------------------------------------------------------------------------------------------------


def _padded(model_file, tmp_path, entry: str, mib: int) -> Path:
    """A copy of the model file whose `entry` has `mib` MiB of spaces before its last byte, deflated: a
    decompression bomb (a MiB of spaces deflates to about a KB)."""
    with zipfile.ZipFile(model_file) as archive:
        entries = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    target = tmp_path / "bomb.keras"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            if name != entry:
                archive.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as stream:
                stream.write(data[:-1])
                for _ in range(mib):
                    stream.write(b" " * (1 << 20))
                stream.write(data[-1:])
    return target


def _peak_bytes(function) -> int:
    """The peak of Python's allocations while `function()` runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refusal(path) -> str:
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    return str(caught.value)


def test_a_json_bomb_is_refused_unread(model_file, tmp_path):
    """A config.json of 256 MiB of spaces in a file of under 1 MB: refused on the zip's directory. (Before,
    the file was unpacked whole first: a 1.5 GB one took 26 s and 3.8 GB of memory.)"""
    path = _padded(model_file, tmp_path, "config.json", 256)
    assert path.stat().st_size < 1 << 20
    messages = []
    peak = _peak_bytes(lambda: messages.append(_refusal(path)))
    assert messages == [
        "bomb.keras: refused: its entry config.json unpacks to over 4 MiB, far more than a model's settings "
        "take (a decompression bomb?)"
    ]
    assert peak < 1 << 20


def test_a_weights_bomb_is_refused_unread(model_file, tmp_path):
    path = _padded(model_file, tmp_path, "model.weights.h5", 64)
    message = _refusal(path)
    assert re.fullmatch(
        r"bomb\.keras: refused: its entry model\.weights\.h5 unpacks to 67,\d{3},\d{3} bytes from \d{2},\d{3} "
        r"\(a decompression bomb\?\)",
        message,
    ), message


def _nested(depth: int) -> list:
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_deeply_nested_json_is_refused(model_file, tmp_path):
    def deep_metadata(entries):
        metadata = json.loads(entries[BUNDLE_ENTRY])
        metadata["train_config"] = {"hidden": _nested(100)}
        return {**entries, BUNDLE_ENTRY: json.dumps(metadata)}

    assert _refusal(_rewrite(model_file, tmp_path, "deep.keras", deep_metadata)) == (
        "deep.keras: refused: its entry siamese_core.json is nested over 64 levels deep, far more than a "
        "model's settings are"
    )

    def deeper_than_python_parses(entries):  # json.loads itself runs out of recursion
        return {**entries, "config.json": "[" * 100_000 + "]" * 100_000}

    assert _refusal(_rewrite(model_file, tmp_path, "deeper.keras", deeper_than_python_parses)) == (
        "deeper.keras: refused: its entry config.json is nested over 64 levels deep, far more than a "
        "model's settings are"
    )


WRONG_METADATA = [
    ("margin", "abc", '"abc"', "a finite number"),
    ("margin", -1, "-1", "a number > 0"),
    ("margin", 0, "0", "a number > 0"),
    ("threshold", {}, "{}", "a finite number"),
    ("threshold", float("nan"), "NaN", "a finite number"),
    ("threshold", True, "true", "a finite number"),
    ("feature_names", 5, "5", "a list of non-empty names"),
    ("feature_names", [1, 2], "[1, 2]", "a list of non-empty names"),
    ("feature_names", ["x", ""], '["x", ""]', "a list of non-empty names"),
    ("history", {"loss": "abc"}, '{"loss": "abc"}', "lists of numbers (one per epoch)"),
    ("history", {"loss": 3}, '{"loss": 3}', "lists of numbers (one per epoch)"),
    ("train_config", [1], "[1]", "an object"),
    ("created", 5, "5", "a date as text"),
]


def _with_metadata(model_file, tmp_path, key, value) -> Path:
    def change(entries):
        metadata = json.loads(entries[BUNDLE_ENTRY])
        metadata[key] = value
        return {**entries, BUNDLE_ENTRY: json.dumps(metadata)}

    return _rewrite(model_file, tmp_path, "wrong.keras", change)


@pytest.mark.parametrize(("key", "value", "written", "expected"), WRONG_METADATA)
def test_metadata_of_the_wrong_type_is_refused(model_file, tmp_path, key, value, written, expected):
    assert _refusal(_with_metadata(model_file, tmp_path, key, value)) == (
        f"wrong.keras: refused: its siamese_core.json gives {key} = {written}, where {expected} is expected; "
        "the file is damaged or not from siamese_core"
    )


def test_a_feature_named_twice_is_refused(model_file, tmp_path):
    """With names ["x", "x", ...] for the model's first two inputs, scoring would read column a_x twice."""
    names = ["x", "x", "f2", "f3", "f4", "f5"]
    assert _refusal(_with_metadata(model_file, tmp_path, "feature_names", names)) == (
        "wrong.keras: refused: its siamese_core.json gives the name 'x' to 2 features, where each feature has "
        "its own name; the file is damaged or not from siamese_core"
    )


def _keras_file(tmp_path, model_file, name: str, model) -> Path:
    """Any Keras model saved with our metadata entry."""
    path = tmp_path / name
    model.save(path)
    with zipfile.ZipFile(model_file) as ours, zipfile.ZipFile(path, "a") as archive:
        archive.writestr(BUNDLE_ENTRY, ours.read(BUNDLE_ENTRY))
    return path


def _look_alike(tmp_path, model_file, name: str, encoder, distance) -> Path:
    """A plain Keras model with layers named "encoder" and "distance", and our metadata entry."""
    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    model = keras.Model({"left": left, "right": right}, distance([encoder(left), encoder(right)]))
    return _keras_file(tmp_path, model_file, name, model)


def test_a_plain_keras_model_named_like_ours_is_refused(model_file, tmp_path):
    from siamese_core.model import EuclideanDistance

    layers = keras.layers
    dense = _look_alike(
        tmp_path,
        model_file,
        "dense.keras",
        layers.Dense(4, name="encoder"),
        layers.Concatenate(name="distance"),
    )
    assert _refusal(dense) == (
        "dense.keras: not a siamese_core model: its layers named encoder and distance are a Dense and a "
        "Concatenate, where siamese_core has an encoder model and a EuclideanDistance layer"
    )
    encoder = keras.Sequential([keras.Input((6,)), layers.Dense(4), layers.Reshape((2, 2))], name="encoder")
    grid = _look_alike(tmp_path, model_file, "grid.keras", encoder, EuclideanDistance(name="distance"))
    assert _refusal(grid) == (
        "grid.keras: not a siamese_core model: the encoder maps [(None, 6)] to [(None, 2, 2)] and the model "
        "gives [(None, 2)], where one embedding per sample and one distance per pair are expected"
    )


def test_a_pipe_or_a_folder_is_refused_without_reading(tmp_path):
    os.mkfifo(tmp_path / "pipe.keras")
    (tmp_path / "folder.keras").mkdir()
    for name in ("pipe.keras", "folder.keras"):
        assert _refusal(tmp_path / name) == (
            f"{name}: not a regular file (a folder, a pipe or a device); pass a .keras model file"
        )


def test_cli_refuses_bad_model_files_with_one_line(model_file, tmp_path, pair_csv, capsys):
    from siamese_core.cli import main

    os.mkfifo(tmp_path / "pipe.keras")
    models = [
        _padded(model_file, tmp_path, "config.json", 16),
        _with_metadata(model_file, tmp_path, "margin", "abc"),
        tmp_path / "pipe.keras",
    ]
    for model in models:
        for command in (
            ["score", str(model), pair_csv, "-o", str(tmp_path / "out.csv")],
            ["evaluate", str(model), pair_csv],
        ):
            assert main(command) == 2
            captured = capsys.readouterr()
            assert captured.out == "" and captured.err.count("\n") == 1, captured.err
            assert captured.err.startswith(f"siamese: error: {model.name}: ")


def test_plain_keras_loads_a_model_file_in_a_fresh_process_as_the_readme_says(model_file, tmp_path):
    """The README's recipe, in a process where nothing else ran: `import siamese_core` loads no TensorFlow
    (so registers nothing); after `import siamese_core.bundle`, `keras.saving.load_model(path,
    safe_mode=True)` reads the file, its compiled loss included, and gives siamese_core's distances."""
    rng = np.random.default_rng(5)
    left, right = (rng.normal(0, 4, size=(37, 6)).astype(np.float32) for _ in range(2))
    np.save(tmp_path / "left.npy", left)
    np.save(tmp_path / "right.npy", right)
    code = f"""
import sys
import numpy as np
import siamese_core
assert "tensorflow" not in sys.modules and "keras" not in sys.modules
import siamese_core.bundle
import keras
model = keras.saving.load_model({model_file!r}, safe_mode=True)
left, right = np.load({str(tmp_path / "left.npy")!r}), np.load({str(tmp_path / "right.npy")!r})
np.save({str(tmp_path / "distances.npy")!r}, np.asarray(model({{"left": left, "right": right}})))
print(type(model.loss).__name__, model.loss.margin)
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    bundle = load_model(model_file)
    assert done.stdout.split()[-2:] == ["ContrastiveLoss", str(bundle.margin)]
    np.testing.assert_allclose(np.load(tmp_path / "distances.npy"), bundle.distances(left, right), rtol=1e-5)


def test_the_calibration_is_saved_as_plain_numbers_and_loaded_under_safe_mode(tiny_outcome, model_file):
    """The fit's calibration (corner points as JSON floats) comes back equal, and so does its p_similar."""
    bundle = tiny_outcome.bundle
    assert bundle.calibration is not None and bundle.calibration is tiny_outcome.calibration
    with zipfile.ZipFile(model_file) as archive:
        stored = json.loads(archive.read(BUNDLE_ENTRY))["calibration"]
    assert stored == bundle.calibration.to_dict()
    numbers = stored.get("coefficients", []) + stored.get("distances", []) + stored.get("probabilities", [])
    assert numbers and all(isinstance(value, float) for value in numbers)
    loaded = load_model(model_file)
    assert loaded.calibration == bundle.calibration
    distances = np.linspace(0, 3, 31)
    np.testing.assert_array_equal(loaded.p_similar(distances), bundle.calibration.p_similar(distances))


def test_compare_gives_the_calibrated_probability_of_its_distance(tiny_outcome):
    bundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.train
    comparison = bundle.compare(pairs.left[0], pairs.right[0])
    expected = np.interp(comparison.distance, bundle.calibration.distances, bundle.calibration.probabilities)
    assert comparison.p_similar == expected


def test_a_sigmoid_calibration_is_stored_as_its_two_coefficients(model_file, tmp_path):
    """A model file whose calibration is a sigmoid (the choice on small files) holds its method and two
    coefficients; loaded, its p_similar is the curve 1 / (1 + exp(-(a + b d)))."""
    sigmoid = {"method": "sigmoid", "coefficients": [3.0, -6.0], "n_pairs": 40, "pairs": "validation pairs"}
    loaded = load_model(_with_metadata(model_file, tmp_path, "calibration", sigmoid))
    assert loaded.calibration.method == "sigmoid" and loaded.calibration.coefficients == (3.0, -6.0)
    distances = np.linspace(0, 2, 21)
    np.testing.assert_allclose(loaded.p_similar(distances), 1 / (1 + np.exp(-(3 - 6 * distances))), atol=5e-5)
    resaved = loaded.save(tmp_path / "resaved.keras")
    with zipfile.ZipFile(resaved) as archive:
        assert json.loads(archive.read(BUNDLE_ENTRY))["calibration"] == sigmoid


def test_an_older_model_file_without_a_calibration_still_loads(model_file, tmp_path):
    def without(entries):
        metadata = json.loads(entries[BUNDLE_ENTRY])
        del metadata["calibration"]
        return {**entries, BUNDLE_ENTRY: json.dumps(metadata)}

    loaded = load_model(_rewrite(model_file, tmp_path, "older.keras", without))
    assert loaded.calibration is None
    assert loaded.p_similar([0.1, 0.2]) is None
    assert loaded.compare(np.zeros(6), np.ones(6)).p_similar is None
    resaved = loaded.save(tmp_path / "resaved.keras")
    with zipfile.ZipFile(resaved) as archive:
        assert json.loads(archive.read(BUNDLE_ENTRY))["calibration"] is None
    assert load_model(resaved).calibration is None


def test_a_hostile_calibration_is_refused_with_one_clear_line(model_file, tmp_path, pair_csv, capsys):
    """Values a calibration cannot have (here probabilities rising with the distance, and NaN, which
    Python's JSON reads) are refused at load, naming the file and the value; the CLI says it on one line."""
    from siamese_core.cli import main

    rising = {
        "distances": [0.1, 0.9],
        "probabilities": [0.2, 0.8],
        "n_pairs": 10,
        "pairs": "validation pairs",
    }
    path = _with_metadata(model_file, tmp_path, "calibration", rising)
    expected = (
        "wrong.keras: refused: its calibration probabilities is [0.2, 0.8], where a non-increasing list "
        "(nearer pairs are likelier similar) is expected; the file is damaged or not from siamese_core"
    )
    assert _refusal(path) == expected
    assert main(["score", str(path), pair_csv, "-o", str(tmp_path / "out.csv")]) == 2
    assert capsys.readouterr().err == f"siamese: error: {expected}\n"
    assert not (tmp_path / "out.csv").exists()
    nan = {**rising, "probabilities": [float("nan"), 0.1]}
    assert "its calibration probabilities is [NaN, 0.1], where a list of finite numbers is expected" in (
        _refusal(_with_metadata(model_file, tmp_path, "calibration", nan))
    )
    assert "its calibration is 5, where an object is expected" in (
        _refusal(_with_metadata(model_file, tmp_path, "calibration", 5))
    )
    rising_sigmoid = {"method": "sigmoid", "coefficients": [-3.0, 6.0], "n_pairs": 10, "pairs": "x"}
    assert "its calibration coefficients is [-3.0, 6.0], where a slope of at most 0" in (
        _refusal(_with_metadata(model_file, tmp_path, "calibration", rising_sigmoid))
    )
    assert 'its calibration method is "beta", where "isotonic" or "sigmoid" is expected' in (
        _refusal(_with_metadata(model_file, tmp_path, "calibration", {**rising, "method": "beta"}))
    )


def test_compare_integrates_at_the_midpoints_of_32_steps_by_default(tiny_outcome):
    """The default is 32 steps; and the midpoint rule converges: 32 steps agree with 512 to well under 1%
    of the distance, per feature (a rule off by half a step, or a path that overshoots b, would not)."""
    bundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.train
    a, b = pairs.left[3], pairs.right[3]
    default, explicit = bundle.compare(a, b), bundle.compare(a, b, steps=32)
    pd.testing.assert_frame_equal(default.contributions, explicit.contributions, check_exact=True)
    fine = bundle.compare(a, b, steps=512).contributions.set_index("feature")["contribution"]
    coarse = default.contributions.set_index("feature")["contribution"].reindex(fine.index)
    np.testing.assert_allclose(coarse, fine, rtol=0, atol=0.002 * default.distance)


def test_compare_calls_a_pair_at_the_threshold_similar_and_reports_that_threshold(tiny_outcome):
    import dataclasses

    pairs = tiny_outcome.splits.train
    a, b = pairs.left[1], pairs.right[1]
    distance = float(tiny_outcome.bundle.distances(a, b)[0])
    at = dataclasses.replace(tiny_outcome.bundle, threshold=distance)
    comparison = at.compare(a, b)
    assert (comparison.distance, comparison.threshold, comparison.similar) == (distance, distance, True)


@pytest.mark.parametrize("side", ["A", "B"])
def test_compare_names_the_sample_of_the_wrong_width(tiny_outcome, side):
    good, short = np.zeros(6), np.zeros(5)
    a, b = (short, good) if side == "A" else (good, short)
    with pytest.raises(DataError) as caught:
        tiny_outcome.bundle.compare(a, b)
    assert str(caught.value) == (
        f"sample {side} has 5 features but the model expects 6 (f0, f1, f2, f3, ... (6 in all))"
    )


def test_saved_fields_come_back_under_their_names(tiny_outcome, tmp_path):
    """A margin, history and date of its own are read back as written; empty versions and date are filled
    in at saving with this machine's versions and the time in UTC."""
    import dataclasses

    bundle = dataclasses.replace(
        tiny_outcome.bundle, margin=2.5, history={"loss": [0.5, 0.25]}, versions={}, created=""
    )
    loaded = load_model(bundle.save(tmp_path / "own.keras"))
    assert (loaded.margin, loaded.history) == (2.5, {"loss": [0.5, 0.25]})
    assert set(loaded.versions) == {"siamese_core", "keras", "tensorflow", "numpy"}
    assert loaded.versions["numpy"] == np.__version__
    assert loaded.created.endswith("+00:00") and len(loaded.created) == len("2026-11-30T12:00:00+00:00")
    dated = dataclasses.replace(bundle, created="2020-01-02T03:04:05+00:00", versions={"keras": "1"})
    again = load_model(dated.save(tmp_path / "dated.keras"))
    assert (again.created, again.versions) == ("2020-01-02T03:04:05+00:00", {"keras": "1"})


def test_a_file_without_margin_threshold_or_date_gets_the_defaults(model_file, tmp_path):
    def drop(entries):
        metadata = json.loads(entries[BUNDLE_ENTRY])
        for key in ("margin", "threshold", "created", "train_config", "label_mapping"):
            metadata.pop(key)
        return {**entries, BUNDLE_ENTRY: json.dumps(metadata)}

    loaded = load_model(_rewrite(model_file, tmp_path, "defaults.keras", drop))
    assert (loaded.margin, loaded.threshold, loaded.created) == (1.0, 0.5, "")
    assert (loaded.train_config, loaded.label_mapping) == ({}, None)


@pytest.mark.parametrize(
    ("call", "what", "values", "n"),
    [
        ("left", "left", np.float32(5.0), 0),
        ("right", "right", np.zeros((1, 2, 7)), 7),
        ("embed", "samples", np.zeros((2, 5)), 5),
    ],
)
def test_inputs_of_the_wrong_shape_are_named(tiny_outcome, call, what, values, n):
    bundle, good = tiny_outcome.bundle, np.zeros(6)
    with pytest.raises(DataError) as caught:
        if call == "embed":
            bundle.embed(values)
        else:
            bundle.distances(values, good) if call == "left" else bundle.distances(good, values)
    assert (
        str(caught.value)
        == f"{what} has {n} features but the model expects 6 (f0, f1, f2, f3, ... (6 in all))"
    )


def test_nearest_neighbours_are_the_k_nearest_embeddings_nearest_first(tiny_outcome):
    bundle = tiny_outcome.bundle
    reference = np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)
    query = reference[17] + 0.01
    embeddings, at = bundle.embed(reference), bundle.embed(query)[0]
    expected = np.sqrt(((embeddings.astype(np.float64) - at) ** 2).sum(axis=1))
    order = np.argsort(expected, kind="stable")
    indices, distances = bundle.nearest_neighbours(query, reference)
    assert indices.tolist() == order[:5].tolist()  # five by default
    np.testing.assert_allclose(distances, expected[order[:5]], rtol=1e-5, atol=1e-6)
    for k in (1, 9, 199):
        assert bundle.nearest_neighbours(query, reference, k=k)[0].tolist() == order[:k].tolist()


# --------------------------------------------------------------------------------------------------
# Loading: sizes, names, Keras' own errors, code in a file (mutation testing found these untested)
# --------------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_reading_and_one_at_it_loads(
    model_file, tmp_path, monkeypatch
):
    """The limit is inclusive: a file of exactly `MAX_FILE_BYTES` loads, one byte more is refused, by path,
    bytes or file object, each named as the caller names it (a file object by its own name)."""
    import siamese_core.bundle as bundle_module

    size = Path(model_file).stat().st_size
    monkeypatch.setattr(bundle_module, "MAX_FILE_BYTES", size)
    assert load_model(model_file).n_features == 6
    assert load_model(Path(model_file).read_bytes()).n_features == 6

    monkeypatch.setattr(bundle_module, "MAX_FILE_BYTES", 3 << 20)
    big = tmp_path / "big.keras"
    big.write_bytes(bytes((3 << 20) + 1))
    too_large = "the file is over 3 MiB, too large for a model file"
    assert _refusal(big) == f"big.keras: {too_large}"
    assert _refusal(big.read_bytes()) == f"the uploaded model: {too_large}"
    with big.open("rb") as stream:
        assert _refusal(stream) == f"{big}: {too_large}"


def test_a_model_file_of_another_suffix_or_given_as_bytes_loads_under_the_callers_name(model_file, tmp_path):
    other = tmp_path / "model.bin"
    shutil.copy(model_file, other)
    assert load_model(other).feature_names == load_model(model_file).feature_names
    assert _refusal(b"not a zip") == (
        "the uploaded model: not a model file (a .keras model is a zip archive; this is not one)"
    )
    with pytest.raises(ModelFileError) as caught:
        load_model(b"not a zip", name="mine.keras")
    assert str(caught.value).startswith("mine.keras: not a model file")


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        (ValueError("first line\nsecond line"), "first line"),
        (ValueError(""), "ValueError"),
        (OSError("y" * 301), "y" * 300 + "... (301 characters)"),
    ],
)
def test_keras_failing_to_load_is_reported_by_its_first_line(model_file, monkeypatch, raised, reason):
    def failing(*args, **kwargs):
        raise raised

    monkeypatch.setattr(keras.saving, "load_model", failing)
    assert _refusal(model_file) == f"model.keras: cannot be loaded safely ({reason})"


def test_code_in_a_model_file_never_runs(model_file, tmp_path, monkeypatch):
    """An activation written as a Python lambda (what Keras saves for one) is refused by safe mode, and its
    code never runs: it would set an environment variable."""
    monkeypatch.delenv("SIAMESE_LAMBDA_RAN", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns that serialising a lambda is unsafe: the point here
        code = keras.saving.serialize_keras_object(
            lambda x: (os.environ.__setitem__("SIAMESE_LAMBDA_RAN", "1"), x)[1]
        )
    assert code["class_name"] == "__lambda__"

    def with_lambda(entries):
        text = entries["config.json"].decode()
        assert '"activation": "relu"' in text
        return {
            **entries,
            "config.json": text.replace('"activation": "relu"', f'"activation": {json.dumps(code)}', 1),
        }

    message = _refusal(_rewrite(model_file, tmp_path, "code.keras", with_lambda))
    assert message.startswith("code.keras: cannot be loaded safely (")
    assert "SIAMESE_LAMBDA_RAN" not in os.environ


def test_the_training_settings_a_file_asks_for_are_never_compiled(model_file, tmp_path):
    """Only the network is read: a compile configuration naming a loss that does not exist is ignored."""

    def unknown_loss(entries):
        config = json.loads(entries["config.json"])
        assert config["compile_config"]["loss"]
        config["compile_config"]["loss"] = {"module": "evil", "class_name": "NoSuchLoss", "config": {}}
        return {**entries, "config.json": json.dumps(config)}

    loaded = load_model(_rewrite(model_file, tmp_path, "compiled.keras", unknown_loss))
    assert loaded.n_features == 6


def test_models_not_shaped_as_ours_are_refused_by_what_differs(model_file, tmp_path):
    from siamese_core.model import EuclideanDistance

    layers = keras.layers

    def encoder(width=6):
        return keras.Sequential([keras.Input((width,)), layers.Dense(4)], name="encoder")

    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    inputs = {"left": left, "right": right}
    no_encoder = keras.Model(inputs, layers.Concatenate()([left, right]))
    assert _refusal(_keras_file(tmp_path, model_file, "none.keras", no_encoder)) == (
        "none.keras: not a siamese_core model (no shared encoder and distance layer)"
    )
    shared = encoder()
    concatenated = keras.Model(inputs, layers.Concatenate(name="distance")([shared(left), shared(right)]))
    assert _refusal(_keras_file(tmp_path, model_file, "concat.keras", concatenated)) == (
        "concat.keras: not a siamese_core model: its layers named encoder and distance are a Sequential and "
        "a Concatenate, where siamese_core has an encoder model and a EuclideanDistance layer"
    )
    shared = encoder()
    column = layers.Reshape((1,))(EuclideanDistance(name="distance")([shared(left), shared(right)]))
    assert _refusal(_keras_file(tmp_path, model_file, "column.keras", keras.Model(inputs, column))) == (
        "column.keras: not a siamese_core model: the encoder maps [(None, 6)] to [(None, 4)] and the model "
        "gives [(None, 1)], where one embedding per sample and one distance per pair are expected"
    )
    narrow, squeeze = encoder(3), layers.Dense(3)
    distance = EuclideanDistance(name="distance")([narrow(squeeze(left)), narrow(squeeze(right))])
    assert _refusal(_keras_file(tmp_path, model_file, "narrow.keras", keras.Model(inputs, distance))) == (
        "narrow.keras: not a siamese_core model: the encoder maps [(None, 3)] to [(None, 4)] and the model "
        "gives [(None,)], where one embedding per sample and one distance per pair are expected"
    )


def test_inputs_of_other_names_are_named_and_a_long_list_cut(model_file, tmp_path):
    from siamese_core.model import EuclideanDistance

    shared = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)], name="encoder")
    left, right = keras.Input((6,), name="l" * 150), keras.Input((6,), name="r" * 150)
    model = keras.Model([left, right], EuclideanDistance(name="distance")([shared(left), shared(right)]))
    text = str({"l" * 150: (None, 6), "r" * 150: (None, 6)})
    assert _refusal(_keras_file(tmp_path, model_file, "names.keras", model)) == (
        f"names.keras: the model's inputs {text[:200]}... ({len(text)} characters) do not match its 6 feature "
        "names; the file is inconsistent"
    )


# --------------------------------------------------------------------------------------------------
# The archive: missing entries, checksums, broken headers, formats, sizes at their limits
# --------------------------------------------------------------------------------------------------


def test_an_archive_missing_keras_entries_is_named_by_what_it_lacks(model_file, tmp_path):
    lacking = _rewrite(
        model_file,
        tmp_path,
        "lacking.keras",
        lambda e: {k: v for k, v in e.items() if k not in ("config.json", "model.weights.h5")},
    )
    assert (
        _refusal(lacking) == "lacking.keras: not a Keras model file (missing config.json, model.weights.h5)"
    )
    plain = _rewrite(
        model_file, tmp_path, "plain.keras", lambda e: {k: v for k, v in e.items() if k != BUNDLE_ENTRY}
    )
    assert _refusal(plain) == (
        "plain.keras: a Keras model, but not one saved by siamese_core (no siamese_core.json); train one with "
        "`siamese train` or the dashboard"
    )


def _entry_data_offset(path: Path, entry: str) -> int:
    """Where an entry's (stored) bytes start in the file: after its local header and name."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(entry)
    data = path.read_bytes()
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset + 30 + name_length + extra_length


def test_a_changed_byte_or_a_broken_header_is_called_corrupt(model_file, tmp_path):
    stored = _rewrite(model_file, tmp_path, "stored.keras", lambda entries: entries)  # every entry stored
    data = bytearray(stored.read_bytes())
    data[_entry_data_offset(stored, "model.weights.h5") + 100] ^= 0xFF
    flipped = tmp_path / "flipped.keras"
    flipped.write_bytes(bytes(data))
    assert (
        _refusal(flipped) == "flipped.keras: the file is corrupt (entry model.weights.h5 fails its checksum)"
    )

    data = bytearray(stored.read_bytes())
    with zipfile.ZipFile(stored) as archive:
        header = archive.getinfo("config.json").header_offset
    data[header : header + 4] = b"XXXX"  # the local header's signature
    broken = tmp_path / "header.keras"
    broken.write_bytes(bytes(data))
    assert (
        _refusal(broken)
        == "header.keras: the file is corrupt or truncated (Bad magic number for file header)"
    )


def test_an_error_reading_the_archive_is_shown_cut_to_300_characters(model_file, monkeypatch):
    def failing(self):
        raise OSError("z" * 301)

    monkeypatch.setattr(zipfile.ZipFile, "testzip", failing)
    assert _refusal(model_file) == (
        f"model.keras: the file is corrupt or truncated ({'z' * 300}... (301 characters))"
    )


@pytest.mark.parametrize(
    ("metadata", "shown_as"),
    [("[1, 2]", "None"), ('{"format": "siamese_core.bundle/99"}', "'siamese_core.bundle/99'")],
)
def test_metadata_of_another_format_is_refused(model_file, tmp_path, metadata, shown_as):
    path = _rewrite(model_file, tmp_path, "format.keras", lambda e: {**e, BUNDLE_ENTRY: metadata})
    assert _refusal(path) == f"format.keras: unknown model file format {shown_as}"


def test_contents_of_exactly_2_gib_pass_the_total_check(model_file, tmp_path):
    """The directory may declare 2 GiB in all; the entry made to fill it is then refused on its own size."""
    data = bytearray(Path(model_file).read_bytes())
    with zipfile.ZipFile(model_file) as archive:
        infos = archive.infolist()
    record = data.find(b"PK\x01\x02")  # the first central-directory record, that of infos[0]
    struct.pack_into("<I", data, record + 24, (2 << 30) - sum(info.file_size for info in infos[1:]))
    path = tmp_path / "full.keras"
    path.write_bytes(bytes(data))
    message = _refusal(path)
    assert "declares over 2 GiB" not in message
    assert message.startswith(f"full.keras: refused: its entry {infos[0].filename} unpacks to ")


def test_a_settings_entry_of_exactly_4_mib_loads_even_deflated_to_nothing(model_file, tmp_path):
    """4 MiB is the most a JSON entry may unpack to, whatever it deflates to."""
    with zipfile.ZipFile(model_file) as archive:
        entries = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    metadata = entries[BUNDLE_ENTRY].rstrip()
    entries[BUNDLE_ENTRY] = metadata[:-1] + b" " * ((4 << 20) - len(metadata)) + metadata[-1:]
    assert len(entries[BUNDLE_ENTRY]) == 4 << 20
    path = tmp_path / "padded.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(BUNDLE_ENTRY)
        assert info.file_size > 100 * info.compress_size
    assert load_model(path).feature_names == load_model(model_file).feature_names


def test_large_weights_that_do_not_deflate_are_not_taken_for_a_bomb(model_file, tmp_path):
    """5 MiB of random bytes as weights: over the JSON limit but unpacking to about their stored size, so
    they pass the size checks and Keras is the one to refuse them."""
    noise = np.random.default_rng(0).bytes(5 << 20)
    path = _rewrite(model_file, tmp_path, "noise.keras", lambda e: {**e, "model.weights.h5": noise})
    assert _refusal(path).startswith("noise.keras: cannot be loaded safely (")


def test_settings_nested_exactly_64_levels_load_and_65_are_refused(model_file, tmp_path):
    """Depth counts the entry's top object as 1: {"train_config": {"hidden": 62 nested lists}} is 64."""

    def nested(depth):
        def change(entries):
            metadata = json.loads(entries[BUNDLE_ENTRY])
            metadata["train_config"] = {"hidden": _nested(depth - 2)}
            return {**entries, BUNDLE_ENTRY: json.dumps(metadata)}

        return _rewrite(model_file, tmp_path, f"depth{depth}.keras", change)

    assert load_model(nested(64)).train_config == {"hidden": _nested(62)}
    assert _refusal(nested(65)) == (
        "depth65.keras: refused: its entry siamese_core.json is nested over 64 levels deep, far more than a "
        "model's settings are"
    )


# --------------------------------------------------------------------------------------------------
# Saving, comparing, neighbours
# --------------------------------------------------------------------------------------------------


def test_numpy_values_in_the_metadata_are_saved_as_plain_numbers(tiny_outcome, tmp_path):
    import dataclasses

    bundle = dataclasses.replace(
        tiny_outcome.bundle,
        metrics={"auc": np.float32(0.75), "counts": np.array([3, 4])},
        versions={"x": "1"},
    )
    loaded = load_model(bundle.to_bytes())
    assert loaded.metrics == {"auc": 0.75, "counts": [3, 4]}
    assert loaded.feature_names == bundle.feature_names
    np.testing.assert_allclose(
        loaded.distances(np.zeros(6), np.ones(6)), bundle.distances(np.zeros(6), np.ones(6))
    )
    with pytest.raises(TypeError, match="not JSON serialisable: set"):
        dataclasses.replace(bundle, metrics={"odd": {1, 2}}).save(tmp_path / "odd.keras")


def _gradient(bundle, anchor, at, h=1e-2):
    """The gradient of the distance from `anchor` at `at` by central differences, in float64 steps."""
    rows = np.repeat(at[None, :], 2 * len(at), axis=0).astype(np.float64)
    for j in range(len(at)):
        rows[2 * j, j] += h
        rows[2 * j + 1, j] -= h
    distances = bundle.distances(np.repeat(anchor[None, :], len(rows), axis=0), rows).astype(np.float64)
    return (distances[0::2] - distances[1::2]) / (2 * h)


def test_compare_with_one_step_uses_the_gradients_at_the_midpoint(tiny_outcome):
    """With one step the integral is the gradient at the midpoint m times the difference, averaged over the
    two directions: contribution_j = (g_a(m)_j - g_b(m)_j) (b_j - a_j) / 2, where g_x is the gradient of the
    distance from x. Checked against central differences of the model's own distances."""
    bundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.train
    a, b = pairs.left[2].astype(np.float64), pairs.right[2].astype(np.float64)
    middle = (a + b) / 2
    expected = (_gradient(bundle, a, middle) - _gradient(bundle, b, middle)) * (b - a) / 2
    table = bundle.compare(a, b, steps=1).contributions.set_index("feature")["contribution"]
    np.testing.assert_allclose(table.reindex(bundle.feature_names), expected, rtol=0.02, atol=1e-3)


def test_compare_is_deterministic_for_a_model_with_dropout(tiny_outcome):
    """Dropout is off when comparing: the same two samples give the same contributions every time."""
    from siamese_core.model import build_encoder, build_siamese_model

    keras.utils.set_random_seed(0)
    model = build_siamese_model(build_encoder(6, hidden=(64,), embedding_dim=8, dropout=0.5), 6)
    bundle = SiameseBundle(model=model, feature_names=tiny_outcome.bundle.feature_names)
    a, b = np.zeros(6), np.linspace(1.0, 2.0, 6)
    first, second = bundle.compare(a, b), bundle.compare(a, b)
    pd.testing.assert_frame_equal(first.contributions, second.contributions)
    assert first.distance == pytest.approx(float(bundle.distances(a, b)[0]))


def test_nearest_neighbours_keep_the_reference_order_among_equal_distances(tiny_outcome):
    bundle = tiny_outcome.bundle
    reference = np.repeat(np.linspace(0, 1, 6)[None, :], 40, axis=0)
    reference[:10] += 5.0  # ten rows farther away, all alike
    indices, distances = bundle.nearest_neighbours(reference[-1], reference, k=35)
    assert indices.tolist() == list(range(10, 40)) + list(range(5))
    assert distances[:30] == pytest.approx(0.0, abs=1e-5)
    assert len(bundle.nearest_neighbours(reference[0], reference, k=100)[0]) == 40
    with pytest.raises(ValueError, match=r"k must be at least 1\. Received: k=0"):
        bundle.nearest_neighbours(reference[0], reference, k=0)


def test_a_value_too_large_for_float32_is_refused_not_scored_as_infinite(tiny_outcome):
    """1e39 is a finite float64 but beyond float32, the model's type: refused like an infinite value."""
    bundle = tiny_outcome.bundle
    large = np.zeros(6)
    large[2] = 1e39
    for call in (lambda: bundle.distances(large, np.zeros(6)), lambda: bundle.embed(large)):
        with pytest.raises(
            DataError, match="missing or infinite values; every feature must be a finite number"
        ):
            call()
