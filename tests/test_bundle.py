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
    assert indices[0] == 7 and distances[0] == pytest.approx(0.0, abs=1e-5)
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


def _look_alike(tmp_path, model_file, name: str, encoder, distance) -> Path:
    """A plain Keras model with layers named "encoder" and "distance", and our metadata entry."""
    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    model = keras.Model({"left": left, "right": right}, distance([encoder(left), encoder(right)]))
    path = tmp_path / name
    model.save(path)
    with zipfile.ZipFile(model_file) as ours, zipfile.ZipFile(path, "a") as archive:
        archive.writestr(BUNDLE_ENTRY, ours.read(BUNDLE_ENTRY))
    return path


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
    pd.testing.assert_frame_equal(default.contributions, explicit.contributions)
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
