"""TensorBoard logs (`siamese_core.tensorboard`), read back with TensorBoard's own reader."""

from pathlib import Path

import numpy as np
import pytest

from siamese_core.errors import ConfigError
from siamese_core.tensorboard import TrainingLog, check_log_dir, projector_points
from tests.conftest import FEATURES, clustered_samples

EPOCHS = 3


@pytest.fixture(scope="module")
def logged(pair_csv, tmp_path_factory):
    """A fit with a selection, the cross-validation of its length (the file is small) and a refit, logged."""
    from siamese_core.data import load_pair_csv
    from siamese_core.pipeline import fit
    from siamese_core.training import TrainConfig

    log_dir = tmp_path_factory.mktemp("tensorboard") / "logs"
    config = TrainConfig(
        hidden=(16,), embedding_dim=4, epochs=EPOCHS, batch_size=32, seed=1, early_stopping_patience=0
    )
    with TrainingLog(log_dir) as log:
        outcome = fit(load_pair_csv(pair_csv), config, test_fraction=0.2, on_progress=log)
        projector = log.write_held_out(outcome)
    return log, outcome, projector


def _events(folder: Path) -> dict:
    """Each tag's (plugin, [(step, value)]) in a run folder, by TensorBoard's event reader."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})  # 0: keep every event
    accumulator.Reload()
    return {
        tag: (
            accumulator.SummaryMetadata(tag).plugin_data.plugin_name,
            [(event.step, tf.make_ndarray(event.tensor_proto)) for event in accumulator.Tensors(tag)],
        )
        for tag in accumulator.Tags()["tensors"]
    }


def test_each_training_of_the_fit_is_a_run(logged):
    log, outcome, _ = logged
    assert log.runs[0] == "selection" and log.runs[-1] == "refit"
    folds = log.runs[1:-1]  # the cross-validation trainings choosing the refit's length
    assert folds == [f"selection_fold_{index}" for index in range(1, len(folds) + 1)] and len(folds) >= 2
    assert sorted(path.name for path in log.log_dir.iterdir()) == sorted(log.runs)
    assert log.run_folder(outcome.selection.model) == log.log_dir / "selection"
    assert log.run_folder(outcome.result.model) == log.log_dir / "refit"


def test_the_scalars_are_the_historys_values_per_epoch(logged):
    log, outcome, _ = logged
    for run, history in (("selection", outcome.selection.history), ("refit", outcome.result.history)):
        events = _events(log.log_dir / run)
        assert {tag for tag, (plugin, _) in events.items() if plugin == "scalars"} == set(history)
        for name, values in history.items():
            steps, logged_values = zip(*events[name][1], strict=True)
            assert list(steps) == list(range(1, len(values) + 1))
            assert [float(value) for value in logged_values] == pytest.approx(values, rel=1e-6)
    assert set(outcome.selection.history) == {"loss", "val_loss", "val_auc"}
    assert set(outcome.result.history) == {"loss"}  # the refit trains on every pair: nothing to validate


def test_the_histograms_are_the_validation_pairs_distances_per_epoch(logged):
    """Each histogram holds every validation pair of its kind; at the kept epoch its range is that of the
    selection model's distances (the weights of the kept epoch are the model's)."""
    from siamese_core.inference import predict_distances

    log, outcome, _ = logged
    validation = outcome.splits.validation
    distances = predict_distances(outcome.selection.model, validation.left, validation.right)
    events = _events(log.log_dir / "selection")
    for kind, mask in (("similar", validation.similar_mask), ("dissimilar", ~validation.similar_mask)):
        plugin, histograms = events[f"val_distance/{kind}"]
        assert plugin == "histograms"
        assert [step for step, _ in histograms] == list(range(1, outcome.selection.epochs_run + 1))
        for _, buckets in histograms:  # rows of (left edge, right edge, count)
            assert buckets[:, 2].sum() == mask.sum()
        kept = histograms[outcome.selection.best_epoch - 1][1]
        assert kept[0, 0] == pytest.approx(distances[mask].min(), rel=1e-6)
        assert kept[-1, 1] == pytest.approx(distances[mask].max(), rel=1e-6)
    assert not any(plugin == "histograms" for plugin, _ in _events(log.log_dir / "refit").values())


def test_the_projector_holds_the_held_out_pairs_embeddings_and_labels(logged):
    from google.protobuf import text_format
    from tensorboard.plugins import projector

    from siamese_core.inference import embed

    log, outcome, files = logged
    pairs = outcome.test_pairs
    assert files.run == log.log_dir / "selection"  # the selection model measured the test split
    config = text_format.Parse(files.config_path.read_text(), projector.ProjectorConfig())
    (embedding,) = config.embeddings
    assert (files.run / embedding.tensor_path, files.run / embedding.metadata_path) == (
        files.embeddings_path,
        files.metadata_path,
    )
    embeddings = np.loadtxt(files.embeddings_path, delimiter="\t", dtype=np.float32, ndmin=2)
    samples = np.stack((pairs.left, pairs.right), axis=1).reshape(-1, pairs.n_features)
    assert list(embedding.tensor_shape) == list(embeddings.shape) == [2 * pairs.n_pairs, 4]
    np.testing.assert_allclose(embeddings, embed(outcome.selection.model, samples), rtol=1e-6, atol=1e-7)
    lines = files.metadata_path.read_text().splitlines()
    assert lines[0] == "label\tpair\tside\trow"
    rows = [line.split("\t") for line in lines[1:]]
    expected_labels = np.repeat(np.where(pairs.similar_mask, "similar", "dissimilar"), 2)
    assert [row[0] for row in rows] == expected_labels.tolist()
    assert [row[2] for row in rows] == ["first", "second"] * pairs.n_pairs
    assert [int(row[3]) for row in rows] == np.repeat(pairs.rows, 2).tolist()
    assert (files.rows, files.available, files.kind) == (2 * pairs.n_pairs, 2 * pairs.n_pairs, "pair sides")


def test_pairs_of_a_separate_test_file_go_to_the_final_models_run(logged):
    """With `fit(test=...)` the final model measured the held-out pairs: its run, its embeddings."""
    from siamese_core.inference import embed

    log, outcome, _ = logged
    files = log.write_held_out(outcome, separate_test=True)
    assert files.run == log.log_dir / "refit"
    pairs = outcome.test_pairs
    embeddings = np.loadtxt(files.embeddings_path, delimiter="\t", dtype=np.float32, ndmin=2)
    np.testing.assert_allclose(embeddings[::2], embed(outcome.result.model, pairs.left), rtol=1e-6, atol=1e-7)


def test_labeled_samples_are_each_shown_once_with_their_class():
    from siamese_core.pairs import SampleSet
    from siamese_core.splits import make_splits

    features, classes = clustered_samples()
    samples = SampleSet(features, classes, FEATURES, ids=np.array([f"s{i}" for i in range(len(classes))]))
    pairs = make_splits(samples, validation_fraction=0.2, test_fraction=0.2, seed=0).test
    points, metadata, kind = projector_points(pairs, samples)
    rows = np.unique(pairs.sample_rows)
    assert kind == "samples" and metadata["row"] == rows.tolist()
    np.testing.assert_array_equal(points, features[rows - 1])  # rows count from 1
    assert metadata["class"] == classes[rows - 1].tolist()
    assert metadata["id"] == [f"s{row - 1}" for row in rows]


def test_a_large_held_out_set_is_cut_to_whole_pairs(logged, tmp_path):
    _, outcome, _ = logged
    with TrainingLog(tmp_path / "cut") as other:
        files = other.write_projector(outcome.result.model, outcome.test_pairs, max_rows=6)
    assert files.run == tmp_path / "cut"  # a model this log did not see train: the log folder itself
    assert (files.rows, files.available) == (6, 2 * outcome.test_pairs.n_pairs)
    rows = [line.split("\t") for line in files.metadata_path.read_text().splitlines()[1:]]
    assert [row[2] for row in rows] == ["first", "second"] * 3
    assert [row[1] for row in rows[::2]] == [row[1] for row in rows[1::2]]  # both samples of each pair


def test_epoch_reports_carry_the_model_and_the_validation_pairs(pair_csv):
    from siamese_core.data import load_pair_csv
    from siamese_core.training import TrainConfig, train

    pairs = load_pair_csv(pair_csv)
    validation = pairs.subset(np.arange(40))
    reports = []
    result = train(
        pairs.subset(np.arange(40, 300)),
        validation,
        TrainConfig(hidden=(8,), embedding_dim=2, epochs=2, batch_size=64, seed=0),
        on_progress=reports.append,
    )
    epochs = [report for report in reports if report.stage == "epoch"]
    assert [report.epoch for report in epochs] == [1, 2]
    assert all(report.model is result.model and report.validation_pairs is validation for report in epochs)
    assert all(report.model is None for report in reports if report.stage == "batch")


def test_a_log_dir_that_is_a_file_or_holds_files_is_refused(tmp_path):
    existing = tmp_path / "file"
    existing.write_text("x")
    with pytest.raises(ConfigError, match=r"--log-dir .*file is a file; give a folder \(new or empty\)"):
        check_log_dir(existing, what="--log-dir")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "events").write_text("x")
    with pytest.raises(ConfigError, match="already holds files, whose runs would mix with this one's"):
        TrainingLog(tmp_path / "used")
    with pytest.raises(ConfigError, match=r"file is a file, not a folder; give a folder elsewhere"):
        check_log_dir(existing / "logs")
    log = TrainingLog(tmp_path / "new" / "logs")  # made, with its parents, only when it writes
    assert not (tmp_path / "new").exists() and log.runs == []
