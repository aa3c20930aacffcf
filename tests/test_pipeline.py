import numpy as np
import pytest

from siamese_core.config import TrainConfig
from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import best_accuracy_threshold, evaluate_distances
from siamese_core.inference import predict_distances
from siamese_core.pairing import make_pairs
from siamese_core.pairs import LoadInfo, PairSet, SampleSet, align_features, match_features
from siamese_core.pipeline import (
    count_samples,
    fit,
    refit_steps,
    score_pairs,
)
from siamese_core.splits import (
    CROSS_VALIDATION_PAIRS,
    LENGTH_FOLDS,
    make_splits,
    pair_samples_seen,
    sample_folds,
    sample_splits,
)
from tests.conftest import FEATURES, clustered_samples


def test_fit_outcome_is_consistent(tiny_outcome):
    outcome = tiny_outcome
    splits = outcome.splits
    kept = splits.train.n_pairs + splits.validation.n_pairs + splits.test.n_pairs
    assert splits.dropped_pairs == 300 - kept > 0  # samples are reused across pairs: cross-split pairs go
    assert outcome.threshold_source == "validation pairs"
    # The threshold is the selection model's best-accuracy threshold on the validation pairs, which the
    # selection model did not train on (the final model did: it was refit on all pairs).
    validation = splits.validation
    distances = predict_distances(outcome.selection.model, validation.left, validation.right)
    assert outcome.bundle.threshold == pytest.approx(best_accuracy_threshold(distances, validation.labels)[1])
    assert outcome.test.n_pairs == splits.test.n_pairs
    assert outcome.test.threshold == pytest.approx(outcome.bundle.threshold)
    assert outcome.bundle.metrics["auc"] == pytest.approx(outcome.test.auc)
    assert outcome.test.auc > 0.75  # well-separated clusters; chance is 0.5


def test_the_final_model_is_refit_on_every_pair():
    """1,600 samples, 8 pairs each, batch 32: each refit epoch is n_pairs // 32 steps over a shuffle of
    every pair; the selection epochs cover only the training split. The file holds over 10,000 pairs,
    so one selection sets the length: its steps to the kept epoch times (samples in all pairs / samples
    in the training split)."""
    features, classes = clustered_samples(n_per_class=400, seed=4)
    every_pair = make_pairs(SampleSet(features, classes, FEATURES), pairs_per_sample=8, seed=4)
    outcome = fit(every_pair, TINY)
    splits, selection, final = outcome.splits, outcome.selection, outcome.result
    assert every_pair.n_pairs >= CROSS_VALIDATION_PAIRS
    assert outcome.final_pairs == every_pair.n_pairs
    assert final.steps_per_epoch == every_pair.n_pairs // 32
    assert selection.steps_per_epoch == splits.train.n_pairs // 32 < final.steps_per_epoch
    selection_samples = count_samples([(splits.train.left, splits.train.right)])
    all_samples = count_samples([(every_pair.left, every_pair.right)])
    assert all_samples == 1_600 > selection_samples
    expected_steps = round(selection.best_epoch * selection.steps_per_epoch * all_samples / selection_samples)
    assert final.steps_run == refit_steps(selection, selection_samples, all_samples) == expected_steps
    assert final.config.batch_size == selection.config.batch_size == 32
    assert final.epochs_run == -(-final.steps_run // final.steps_per_epoch)
    text = outcome.describe_splits()
    assert f"final model refit on all {every_pair.n_pairs:,} pairs for {expected_steps:,} steps" in text
    assert "held-out metrics: the selection model on" in text and "cross-validation" not in text
    assert outcome.bundle.metrics["split"] == text
    saved = outcome.bundle.train_config  # the settings asked for, not the refit's derived epochs
    assert (saved["epochs"], saved["early_stopping_patience"], saved["batch_size"]) == (3, 10, 32)


def test_on_a_small_file_the_length_comes_from_cross_validation_by_sample():
    """300 pairs (under 10,000): after the selection (which keeps the threshold and the metrics, see
    test_fit_outcome_is_consistent), five folds by sample train and validate; the refit runs the epoch of
    the best mean validation AUC (ties: the lowest mean validation loss), as many passes over each sample: best epoch x the folds' mean of (pairs
    per epoch x samples in all pairs / samples in the fold's training pairs), in batches of 32."""
    pairs = _pairs(seed=0)
    events = []
    outcome = fit(pairs, TINY, on_progress=events.append)
    starts = [e.phase for e in events if e.stage == "epoch" and e.epoch == 1]
    assert starts == ["selection"] * (1 + LENGTH_FOLDS) + ["refit"]
    # Each selection's last epoch event carries its validation curves; the first selection comes first.
    histories = []
    for e in events:
        if e.stage == "epoch" and e.phase == "selection":
            if e.epoch == 1:
                histories.append(None)
            histories[-1] = e.history
    histories = histories[1:]
    assert len(histories) == LENGTH_FOLDS
    mean_auc = np.mean([h["val_auc"] for h in histories], axis=0)
    mean_loss = np.mean([h["val_loss"] for h in histories], axis=0)
    best = [epoch for epoch in range(len(mean_auc)) if mean_auc[epoch] == mean_auc.max()]
    best_epoch = min(best, key=lambda epoch: mean_loss[epoch]) + 1
    all_samples = count_samples([(pairs.left, pairs.right)])
    passes = [
        (train.n_pairs // 32) * 32 * all_samples / count_samples([(train.left, train.right)])
        for train, _ in sample_folds(pairs, LENGTH_FOLDS, seed=0)
    ]
    assert outcome.result.steps_run == round(best_epoch * np.mean(passes) / 32)
    assert f"the refit length is epoch {best_epoch} of {LENGTH_FOLDS}-fold cross-validation by sample" in (
        outcome.describe_splits()
    )


def test_held_out_metrics_never_include_a_sample_the_measured_model_saw(tiny_outcome):
    outcome, splits = tiny_outcome, tiny_outcome.splits
    assert outcome.test_pairs is splits.test
    assert not pair_samples_seen(outcome.test_pairs, splits.train).any()
    assert not pair_samples_seen(outcome.test_pairs, splits.validation).any()
    expected = predict_distances(outcome.selection.model, splits.test.left, splits.test.right)
    np.testing.assert_allclose(outcome.test_distances, expected, rtol=1e-6)


def test_a_test_file_replaces_the_test_split_and_its_seen_samples_are_left_out():
    """The test pairs: 40 pairs of new samples plus 10 pairs taken from the training data itself."""
    training = _pairs(seed=0)
    fresh = _pairs(seed=1, n_pairs=40)
    test = PairSet(
        np.concatenate([fresh.left, training.left[:10]]),
        np.concatenate([fresh.right, training.right[:10]]),
        np.concatenate([fresh.labels, training.labels[:10]]),
        list(training.feature_names),
        info=LoadInfo(source="test.csv", kind="pairs"),
    )
    outcome = fit(training, TINY, test=test)
    assert outcome.splits.test is None and outcome.splits.validation is not None
    assert outcome.test_pairs.n_pairs == 40
    assert not pair_samples_seen(outcome.test_pairs, training).any()
    expected = outcome.bundle.distances(fresh.left, fresh.right)  # the final model's, on the new pairs
    np.testing.assert_allclose(outcome.test_distances, expected, rtol=1e-5)
    assert outcome.test.auc == pytest.approx(evaluate_distances(expected, fresh.labels).auc)
    text = outcome.describe_splits()
    assert "held-out metrics: the final model on 40 pairs of test.csv, whose samples it never saw" in text
    assert "10 of 50 pairs of test.csv share a sample with the training data" in text


def test_a_test_file_made_of_training_samples_is_refused():
    training = _pairs(seed=0)
    with pytest.raises(DataError, match="0 test pairs are left"):
        fit(training, TINY, test=training.subset(np.arange(20)))


def test_a_test_file_with_splits_that_hold_test_pairs_is_refused():
    training = _pairs(seed=0)
    splits = make_splits(training, validation_fraction=0.2, test_fraction=0.2)
    with pytest.raises(ConfigError, match="the splits given hold test pairs"):
        fit(training, TINY, test=_pairs(seed=1, n_pairs=40), splits=splits)


def test_without_refit_the_final_model_is_the_selection_model():
    training = _pairs(seed=0)
    outcome = fit(training, TINY, refit=False)
    assert outcome.selection is None
    assert outcome.final_pairs == outcome.splits.train.n_pairs < training.n_pairs
    assert "final model trained on" in outcome.describe_splits()


def test_counting_samples_is_exact_when_few_and_close_when_many():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(30_000, 3)).astype(np.float32)
    assert count_samples([(samples[:100], samples[50:150])]) == 150
    estimate = count_samples([(samples[:15_000], samples[10_000:20_000]), (samples[20_000:], samples[:10])])
    assert abs(estimate / 30_000 - 1) < 0.05  # 1 / sqrt(4096) = 1.6% typical error


@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1])
def test_counting_the_samples_of_a_split_is_not_fooled_by_the_split_hash(seed):
    """The training split keeps the samples whose split hash is below a bound: about half of them here.

    Counted with that same hash, its smallest hashes would be the whole set's and the estimate the
    whole set's count (30,000, as the refit of seed 0 once used); counted apart, about 14,800.
    """
    samples = np.random.default_rng(0).normal(size=(30_000, 3)).astype(np.float32)
    codes = sample_splits(samples, validation_fraction=0.15, test_fraction=0.15, seed=seed)
    train = samples[codes == 0]
    assert 14_000 < len(train) < 16_000
    estimate = count_samples([(train, train)])
    assert abs(estimate / len(train) - 1) < 0.05


TINY = TrainConfig(hidden=(16,), embedding_dim=4, epochs=3, batch_size=32, seed=0)


def _pairs(seed: int, n_pairs: int = 200) -> PairSet:
    """Pairs of clustered samples (samples recur across pairs); other seeds give other samples."""
    features, classes = clustered_samples(seed=seed)
    pairs = make_pairs(SampleSet(features, classes, FEATURES), pairs_per_sample=4, seed=seed)
    return pairs.subset(np.arange(min(n_pairs, pairs.n_pairs)))


def test_features_are_aligned_by_name(tiny_outcome):
    bundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.test
    order = np.arange(pairs.n_features)[::-1]
    shuffled = PairSet(
        pairs.left[:, order], pairs.right[:, order], pairs.labels, [pairs.feature_names[i] for i in order]
    )
    np.testing.assert_allclose(score_pairs(bundle, shuffled), score_pairs(bundle, pairs), rtol=1e-5)
    assert align_features(bundle, shuffled).feature_names == bundle.feature_names


def test_mismatched_features_are_a_user_error(tiny_outcome):
    bundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.test
    narrow = PairSet(pairs.left[:, :4], pairs.right[:, :4], pairs.labels, pairs.feature_names[:4])
    with pytest.raises(DataError, match="the model has 6 features per sample but the file has 4"):
        score_pairs(bundle, narrow)
    renamed = PairSet(pairs.left, pairs.right, pairs.labels, [f"g{i}" for i in range(6)])
    with pytest.raises(DataError, match="Rename the columns to match the model"):
        score_pairs(bundle, renamed)


def test_match_features_takes_the_exact_name_else_the_one_equal_ignoring_case_and_spaces():
    """'age' has a column of its exact name (position 1), though 'Age' differs only by case; 'Height' has
    none, and 'HEIGHT ' (position 0) is the only column equal to it ignoring case and spaces; 'weight' has
    no column at all."""
    columns = ["HEIGHT ", "age", "Age"]
    assert match_features(["age", "Height", "weight"], columns) == [1, 0, None]


@pytest.mark.parametrize(
    ("expected", "columns", "message"),
    [
        (
            ["age"],
            ["Age", " AGE"],
            "p.csv: feature 'age' matches 2 columns that differ only by case or spaces: Age,  AGE; rename all "
            "but one of them",
        ),
        (
            ["Age", "AGE"],
            ["age"],
            "p.csv: column 'age' matches two features, 'Age' and 'AGE', which differ only by case or spaces; "
            "name a column for each exactly",
        ),
    ],
    ids=["two columns for a feature", "a column for two features"],
)
def test_match_features_refuses_ambiguity_naming_the_columns(expected, columns, message):
    with pytest.raises(DataError) as caught:
        match_features(expected, columns, source="p.csv")
    assert str(caught.value) == message


def test_align_features_reorders_samples_and_pairs_whose_names_differ_only_by_case():
    """Evaluation, scoring and the dashboard match features alike: pair files and labeled samples named
    'B', 'a' follow a model's 'a', 'b' order, under the model's names."""
    features = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    samples = align_features(["a", "b"], SampleSet(features, np.array(["x", "y"]), ["B", "a"]))
    assert samples.feature_names == ["a", "b"]
    np.testing.assert_array_equal(samples.features, [[2.0, 1.0], [4.0, 3.0]])
    pairs = align_features(["a", "b"], PairSet(features, features + 10, np.zeros(2), ["B", "a"]))
    assert pairs.feature_names == ["a", "b"]
    np.testing.assert_array_equal(pairs.left, [[2.0, 1.0], [4.0, 3.0]])
    np.testing.assert_array_equal(pairs.right, [[12.0, 11.0], [14.0, 13.0]])


def test_the_calibration_is_fitted_on_held_out_pairs_only(monkeypatch):
    """200 pairs (a small file): the calibration pools the selection model's distances for its validation
    pairs and each fold model's for its validation pairs, less those with a sample of the test split;
    every one of them a pair whose samples the model giving its distance never trained on. Refitted by
    hand from the recorded trainings, it is the same calibration."""
    import siamese_core.pipeline as pipeline
    from siamese_core.calibration import calibration_metrics, fit_calibration
    from siamese_core.training import train

    trainings = []

    def recorded(train_pairs, validation_pairs, *args, **kwargs):
        result = train(train_pairs, validation_pairs, *args, **kwargs)
        trainings.append((train_pairs, validation_pairs, result.model))
        return result

    monkeypatch.setattr(pipeline, "train", recorded)
    outcome = fit(_pairs(seed=0), TINY)
    splits = outcome.splits
    assert len(trainings) == 1 + LENGTH_FOLDS + 1  # selection, folds, refit (no validation)
    distances, labels = [], []
    for train_pairs, validation, model in trainings[:-1]:
        if validation is not trainings[0][1]:  # a fold: its test-split samples are left out
            validation = validation.subset(np.flatnonzero(~pair_samples_seen(validation, splits.test)))
        assert not pair_samples_seen(validation, train_pairs).any()
        assert not pair_samples_seen(validation, splits.test).any()
        distances.append(predict_distances(model, validation.left, validation.right))
        labels.append(validation.labels)
    expected = fit_calibration(np.concatenate(distances), np.concatenate(labels), pairs="x")
    calibration = outcome.bundle.calibration
    assert calibration is outcome.calibration
    assert calibration.method == expected.method  # chosen on the same pairs (`choose_method`)
    assert (calibration.distances, calibration.probabilities) == (expected.distances, expected.probabilities)
    assert calibration.n_pairs == sum(map(len, labels)) > splits.validation.n_pairs
    assert calibration.pairs == (
        "held-out pairs: the selection model's validation pairs and the out-of-fold pairs of its 5 "
        "cross-validation folds"
    )
    # The held-out metrics measure it on the test split, with the selection model's distances.
    measured = calibration_metrics(calibration.p_similar(outcome.test_distances), splits.test.labels)
    assert outcome.test.calibration.ece == pytest.approx(measured.ece)
    assert outcome.bundle.metrics["brier_score"] == pytest.approx(measured.brier)
    assert outcome.bundle.metrics["expected_calibration_error"] == pytest.approx(measured.ece)


def test_without_held_out_pairs_of_both_classes_there_is_no_calibration_and_it_says_so():
    """No validation split and no refit (so no folds): nothing held out to fit it on, and it is never
    fitted on training pairs."""
    from siamese_core.pipeline import NO_CALIBRATION_NOTE

    config = TrainConfig(hidden=(16,), embedding_dim=4, epochs=2, batch_size=32, validation_fraction=0.0)
    outcome = fit(_pairs(seed=0), config, refit=False)
    assert outcome.calibration is None and outcome.bundle.calibration is None
    assert NO_CALIBRATION_NOTE in outcome.describe_splits()
    assert outcome.test is not None and outcome.test.calibration is None
    assert outcome.bundle.metrics["brier_score"] is None


def test_without_refit_the_calibration_is_the_models_own_validation_pairs():
    from siamese_core.calibration import fit_calibration

    outcome = fit(_pairs(seed=0), TINY, refit=False)
    validation = outcome.splits.validation
    distances = outcome.bundle.distances(validation.left, validation.right)
    expected = fit_calibration(distances, validation.labels, pairs="x")
    assert outcome.bundle.calibration.probabilities == expected.probabilities
    assert outcome.bundle.calibration.coefficients == expected.coefficients
    assert outcome.bundle.calibration.n_pairs == validation.n_pairs
    assert outcome.bundle.calibration.pairs == "held-out pairs: the model's validation pairs"


def test_a_streamed_fit_calibrates_on_its_validation_pairs():
    from siamese_core.calibration import fit_calibration
    from siamese_core.distributed import MemoryPairStream
    from siamese_core.pipeline import fit_stream

    splits = make_splits(_pairs(seed=0), validation_fraction=0.25, test_fraction=0.0)
    stream = MemoryPairStream(splits.train, splits.validation, chunk_rows=64)
    outcome = fit_stream(stream, TINY)
    validation = splits.validation
    distances = predict_distances(outcome.selection.model, validation.left, validation.right)
    expected = fit_calibration(distances, validation.labels, pairs="x")
    assert outcome.bundle.calibration.probabilities == expected.probabilities
    assert outcome.bundle.calibration.pairs == "held-out pairs: the selection model's validation pairs"
