"""The numbers a person reads on the dashboard, checked against numbers computed here (AppTest, no browser).

Nothing expected is taken from the page's own path: distances come from one call of the Keras model on
all pairs (not `bundle.distances`, which batches and pads), the AUC from scikit-learn, and accuracy,
precision, recall, F1, the best accuracy and the equal error rate from counting pairs at each threshold.
The helpers are shared with the browser tests (`tests/e2e/test_browser.py`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.test_dashboard import new_app, small_pair_csv, texts, train

# What the Evaluate page shows, in its order; each value formatted as the page formats it.
METRICS = (
    "ROC AUC",
    "Equal error rate",
    "Accuracy",
    "Precision",
    "Recall",
    "F1",
    "TAR at FAR 1%",
    "TAR at FAR 0.1%",
)
# Then, under the charts, the calibration of p_similar (its values: tests/test_dashboard_calibration.py).
CALIBRATION_METRICS = ("Brier score", "Expected calibration error")


def model_distances(model, left, right) -> np.ndarray:
    """Distances from one eager call of the Keras model on all pairs (float64 (n,))."""
    output = model(
        {"left": np.asarray(left, dtype=np.float32), "right": np.asarray(right, dtype=np.float32)},
        training=False,
    )
    return np.asarray(output, dtype=np.float64).reshape(-1)


def shown_metrics(distances, labels, threshold: float) -> dict[str, str]:
    """The Evaluate page's metrics at `threshold` (all but the equal error rate), as it formats them.

    Similar (label 0) is the positive class and a pair is called similar when its distance is at most
    the threshold; precision, recall and F1 are 0 when their denominator is (scikit-learn's
    `zero_division=0`). AUC: the area under the ROC of -distance as the score of "similar". The true
    acceptance rates do not depend on the threshold (`tar_by_counting`).
    """
    from sklearn.metrics import roc_auc_score

    similar = np.asarray(labels) == 0
    called = np.asarray(distances) <= threshold
    tp, fp = int((called & similar).sum()), int((called & ~similar).sum())
    fn, tn = int((~called & similar).sum()), int((~called & ~similar).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "ROC AUC": f"{roc_auc_score(similar, -np.asarray(distances)):.4f}",
        "Accuracy": f"{(tp + tn) / len(similar):.2%}",
        "Precision": f"{precision:.2%}",
        "Recall": f"{recall:.2%}",
        "F1": f"{f1:.4f}",
        **{f"TAR at FAR {far * 100:g}%": tar_by_counting(distances, labels, far) for far in (0.01, 0.001)},
    }


def tar_by_counting(distances, labels, far: float) -> str:
    """The true acceptance rate at a false-match rate as the page writes it: "n/a" unless the dissimilar
    pairs allow at least one false match (1 / n_dissimilar <= far); else, of the thresholds at each distinct
    distance whose share of dissimilar pairs at or below it is at most `far`, the largest, and the share of
    similar pairs at or below it (none when not even the smallest distance fits)."""
    distances = np.asarray(distances)
    similar = np.asarray(labels) == 0
    n_dissimilar = int((~similar).sum())
    if 1 / n_dissimilar > far:
        return "n/a"
    within = [t for t in np.unique(distances) if (distances[~similar] <= t).sum() / n_dissimilar <= far]
    accepted = (distances[similar] <= within[-1]).sum() if within else 0
    return f"{accepted / similar.sum():.2%}"


def best_accuracy(distances, labels) -> float:
    """The highest accuracy any threshold reaches: every distance tried, and one below them all."""
    similar = np.asarray(labels) == 0
    candidates = np.concatenate(([-np.inf], np.asarray(distances)))
    return max(float(((distances <= t) == similar).mean()) for t in candidates)


def eer_bounds(distances, labels) -> tuple[float, float, float, float]:
    """Where the equal error rate and its threshold must lie: (rate low, rate high, threshold low, high).

    The false accept rate FAR(t) (dissimilar pairs called similar) rises with the threshold and the false
    reject rate FRR(t) (similar pairs called dissimilar) falls. Between the last threshold (a distance, or
    one below them all) where FAR < FRR and the next distance, where FAR >= FRR, the two rates cross: at
    a rate no lower than max(FAR before, FRR after) and no higher than min(FAR after, FRR before).
    """
    distances = np.asarray(distances)
    similar = np.asarray(labels) == 0
    thresholds = np.concatenate(([-np.inf], np.unique(distances)))
    far = np.array([(distances[~similar] <= t).mean() for t in thresholds])
    frr = np.array([(distances[similar] > t).mean() for t in thresholds])
    after = int(np.argmax(far >= frr))
    assert after > 0  # at -inf nothing is called similar: FAR 0 < FRR 1
    low, high = max(far[after - 1], frr[after]), min(far[after], frr[after - 1])
    return float(low), float(high), float(thresholds[after - 1]), float(thresholds[after])


def eer_stand_in(threshold: float, below: float, above: float) -> float:
    """For an equal-error-rate threshold between `below` and `above` (from `eer_bounds`), the one of the
    two that calls every pair as it does: `above` when it is that distance (FAR and FRR equal at a
    distance), else `below`. Our distances may differ from the page's in the last float bit, so a
    threshold equal to one of the page's distances must be matched with ours, not compared with it."""
    assert below - 1e-6 <= threshold <= above + 1e-6, (threshold, below, above)
    return above if abs(threshold - above) <= 1e-6 else below


def clear_threshold(distances) -> float:
    """A threshold in the middle of the distances and far from each (the widest gap of the middle half), so
    a difference in the last float bit between two ways of computing a distance cannot change a verdict."""
    ordered = np.sort(np.asarray(distances))
    middle = ordered[len(ordered) // 4 : 3 * len(ordered) // 4 + 1]
    gap = int(np.argmax(np.diff(middle)))
    return float((middle[gap] + middle[gap + 1]) / 2)


def percent(text: str) -> float:
    """'12.34%' as 0.1234."""
    return float(text.rstrip("%")) / 100


def shown(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


@pytest.fixture(scope="module")
def trained():
    """A small model trained on 400 uploaded pairs; each test below sets the threshold it needs."""
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("pairs.csv", small_pair_csv(), "text/csv")).run()
    return train(at)


def test_evaluate_shows_the_held_out_numbers_of_the_selection_model(trained):
    """Every metric on Evaluate equals the one computed here from the selection model and the test pairs,
    at a threshold set on the slider, at the best-accuracy preset and at the equal-error-rate preset."""
    at = trained
    outcome = at.session_state["outcome"]
    assert outcome.selection is not None  # refit: the held-out numbers are the selection model's
    pairs = outcome.test_pairs
    distances = model_distances(outcome.selection.model, pairs.left, pairs.right)
    n_similar = int((pairs.labels == 0).sum())
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    assert tuple(shown(at)) == (*METRICS, *CALIBRATION_METRICS)
    assert any(
        text.startswith(f"The selection model on {pairs.n_pairs:,} test-split pairs")
        and f": {pairs.n_pairs:,} pairs ({n_similar:,} similar, {pairs.n_pairs - n_similar:,} dissimilar)"
        in text
        for text in texts(at.caption)
    ), texts(at.caption)

    # A threshold of our own: the five threshold-dependent numbers and the AUC, formatted as shown.
    threshold = clear_threshold(distances)
    at.slider(key="threshold").set_value(threshold).run()
    expected = shown_metrics(distances, pairs.labels, threshold)
    assert {label: shown(at)[label] for label in expected} == expected
    assert at.session_state["bundle"].threshold == pytest.approx(threshold, abs=1e-12)

    # The equal error rate: the shown rate and the preset's threshold lie where FAR and FRR cross.
    low, high, below, above = eer_bounds(distances, pairs.labels)
    eer = percent(shown(at)["Equal error rate"])
    assert low - 5e-5 <= eer <= high + 5e-5, (eer, low, high)
    at.button(key="preset_eer").click().run()
    at_eer = at.slider(key="threshold").value
    expected = shown_metrics(distances, pairs.labels, eer_stand_in(at_eer, below, above))
    # The calibration of p_similar does not depend on the threshold: the model's calibration at the
    # selection model's distances (np.interp over its corner points), scored against the labels.
    from siamese_core.calibration import brier_score, expected_calibration_error

    calibration = at.session_state["bundle"].calibration
    p_similar = np.interp(distances, calibration.distances, calibration.probabilities)
    assert shown(at) == {
        **expected,
        "Equal error rate": f"{eer:.2%}",
        "Brier score": f"{brier_score(p_similar, pairs.labels):.4f}",
        "Expected calibration error": f"{expected_calibration_error(p_similar, pairs.labels):.4f}",
    }

    # Best accuracy: no threshold does better than what the preset shows, and it reaches that.
    at.button(key="preset_best").click().run()
    assert shown(at)["Accuracy"] == f"{best_accuracy(distances, pairs.labels):.2%}"
    assert not at.exception


def test_compare_verdict_follows_the_distance_and_the_threshold(trained):
    """The Compare page's distance is the final model's for the two picked samples, its threshold the one
    set on Evaluate, and its verdict flips when that threshold moves across the distance."""
    at = trained
    data = at.session_state["dataset"]
    model = at.session_state["bundle"].model
    calibration = at.session_state["bundle"].calibration
    distances = model_distances(model, data.left, data.right)
    # The pair whose distance is nearest the median: both thresholds below fit on the slider.
    row = int(np.argmin(np.abs(distances - np.median(distances))))
    distance = float(distances[row])
    for threshold, verdict in ((0.5 * distance, "dissimilar"), (1.5 * distance, "similar")):
        at.switch_page("views/evaluate.py").run()
        at.slider(key="threshold").set_value(threshold).run()
        assert not at.exception
        at.switch_page("views/compare.py").run()
        assert not at.exception
        # A: the pair's row, first side (as it begins); B: the same row, second side (as it begins).
        at.number_input(key="pick_A_row").set_value(int(data.rows[row]))
        at.number_input(key="pick_B_row").set_value(int(data.rows[row])).run()
        assert (at.radio(key="pick_A_side").value, at.radio(key="pick_B_side").value) == (0, 1)
        assert [caption for caption in texts(at.caption) if caption.startswith("row ")][:2] == [
            f"row {data.rows[row]}, first sample",
            f"row {data.rows[row]}, second sample",
        ]
        p_similar = np.interp(distance, calibration.distances, calibration.probabilities)
        assert shown(at) == {
            "Distance": f"{distance:.4f}",
            "P(similar)": f"{p_similar:.3f}",  # the calibration's, whatever the threshold
            "Verdict": verdict,
            "Threshold": f"{threshold:.4f}",
        }


def test_the_threshold_set_by_a_preset_is_the_one_compared_scored_and_saved(trained):
    """Evaluate's equal-error-rate preset, then Compare, then Model files: each page shows that threshold,
    the scores use it and the downloaded model carries it (issue 17: it used to fall back to the trained
    one on the third page)."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    at = trained
    at.switch_page("views/evaluate.py").run()
    at.button(key="preset_eer").click().run()
    threshold = at.slider(key="threshold").value
    assert threshold != pytest.approx(at.session_state["outcome"].bundle.metrics["threshold"])  # a change
    at.switch_page("views/compare.py").run()
    assert shown(at)["Threshold"] == f"{threshold:.4f}"

    at.switch_page("views/model.py").run()
    assert not at.exception
    caption = next(text for text in texts(at.caption) if "(set on Evaluate; saved with the model)" in text)
    assert f"threshold {threshold:.4f} (set on Evaluate" in caption
    assert load_model(at.session_state["model_bytes"][1]).threshold == threshold

    scored_csv = small_pair_csv(20)
    at.file_uploader(key="score_file").set_value(("score.csv", scored_csv, "text/csv")).run()
    pairs = load_pair_csv(scored_csv, name="score.csv")
    called = int(
        (model_distances(at.session_state["bundle"].model, pairs.left, pairs.right) <= threshold).sum()
    )
    assert f"Scored 20 pairs at threshold {threshold:.4f}: {called:,} called similar." in texts(at.success)


def test_a_model_of_another_width_says_so_and_still_scores_and_evaluates(model_file, pair_csv):
    """A 6-feature model uploaded while the 64-feature demo is loaded: no page crashes (issue 17), each says
    what does not match and what to do; the model scores and is evaluated on data with its features."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    at = new_app()
    at.switch_page("views/model.py").run()
    content = Path(model_file).read_bytes()
    at.file_uploader(key="model_file").set_value(("six.keras", content, "application/zip")).run()
    assert not at.exception
    assert "Loaded six.keras: 6 features. It is now the model on every page." in texts(at.success)
    mismatch = (
        "digits demo pairs: the model has 6 features per sample but the file has 64; missing for example "
        "f0, f1, f2, f3, ... (6 in all). To evaluate this model, load data with its features on "
        "**Data & training**; **Model files & scoring** scores any pair CSV with its features."
    )
    assert texts(at.warning) == [mismatch]

    at.switch_page("views/evaluate.py").run()
    assert not at.exception and not at.metric
    assert texts(at.warning) == [mismatch]
    at.switch_page("views/compare.py").run()
    assert not at.exception
    assert texts(at.error) == [
        "digits demo pairs: the model has 6 features per sample but the file has 64; missing for example "
        "f0, f1, f2, f3, ... (6 in all). Load data with the model's features on **Data & training**, or "
        "choose **Type or paste two vectors** above."
    ]

    # What works: scoring a file with the model's features, and evaluating on such data.
    model = load_model(content)
    pairs = load_pair_csv(pair_csv)
    distances = model_distances(model.model, pairs.left, pairs.right)
    at.switch_page("views/model.py").run()
    at.file_uploader(key="score_file").set_value(("six.csv", Path(pair_csv).read_bytes(), "text/csv")).run()
    assert not at.exception
    called = int((distances <= model.threshold).sum())
    success = f"Scored {pairs.n_pairs:,} pairs at threshold {model.threshold:.4f}: {called:,} called similar."
    assert success in texts(at.success)

    at.switch_page("views/data_train.py").run()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("six.csv", Path(pair_csv).read_bytes(), "text/csv")).run()
    assert f"{pairs.n_pairs:,} pairs, 6 features per sample." in texts(at.success)
    at.switch_page("views/evaluate.py").run()
    assert not at.exception and not at.warning
    assert np.abs(distances - model.threshold).min() > 1e-5  # no verdict hangs on the last float bit
    expected = shown_metrics(distances, pairs.labels, model.threshold)
    assert {label: shown(at)[label] for label in expected} == expected


def test_compare_puts_the_samples_features_in_the_models_order(model_file):
    """Labeled samples whose file holds the model's six features in reverse order: Compare's distance for
    rows 1 and 2 is the model's for those samples with their columns put back in the model's order (it
    used to pass the file's order, a wrong distance with no word)."""
    import pandas as pd

    from siamese_core.bundle import load_model
    from tests.conftest import FEATURES, clustered_samples

    features, classes = clustered_samples(n_per_class=5)
    frame = pd.DataFrame(features, columns=FEATURES)[FEATURES[::-1]]  # f5, f4, ..., f0
    frame.insert(0, "class", classes)
    model = load_model(model_file)
    expected = float(model_distances(model.model, features[:1], features[1:2])[0])

    at = new_app()
    at.switch_page("views/model.py").run()
    at.file_uploader(key="model_file").set_value(("m.keras", Path(model_file).read_bytes(), "x")).run()
    at.switch_page("views/data_train.py").run()
    at.radio(key="source").set_value("samples").run()
    at.file_uploader(key="samples_file").set_value(("rev.csv", frame.to_csv(index=False).encode(), "x")).run()
    at.switch_page("views/compare.py").run()
    assert not at.exception and not at.error
    assert [at.number_input(key="pick_A_row").value, at.number_input(key="pick_B_row").value] == [1, 2]
    assert shown(at)["Distance"] == f"{expected:.4f}"


def _cut_counts(distances, labels, threshold: float) -> tuple[int, int]:
    """(similar, dissimilar) pairs at or below `threshold`."""
    called = np.asarray(distances) <= threshold
    similar = np.asarray(labels) == 0
    return int((called & similar).sum()), int((called & ~similar).sum())


def _next_distance(distances, threshold: float) -> float:
    return float(np.asarray(distances)[np.asarray(distances) > threshold].min())


def _metric_help(at, label: str) -> str:
    return next(metric.proto.help for metric in at.metric if metric.label == label)


def test_error_budget_presets_set_the_threshold_and_the_tar_is_shown(model_file, pair_csv):
    """The 6-feature model on its 300 pairs (147 similar, 153 dissimilar), every number counted here from
    the model's distances. TAR at FAR 1% is measured (153 dissimilar pairs allow one false match), 0.1% is
    not (1,000 needed). Each preset's threshold keeps within its budget and is the most permissive that
    does: the next distance beyond it would break it. The budgets are typed in percent and kept when the
    visitor leaves the page and comes back."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    distances, labels = model_distances(model.model, pairs.left, pairs.right), pairs.labels
    n_similar, n_dissimilar = int((labels == 0).sum()), int((labels == 1).sum())
    assert (n_similar, n_dissimilar) == (147, 153)
    at = new_app()
    at.switch_page("views/model.py").run()
    at.file_uploader(key="model_file").set_value(("six.keras", Path(model_file).read_bytes(), "x")).run()
    at.switch_page("views/data_train.py").run()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("six.csv", Path(pair_csv).read_bytes(), "text/csv")).run()
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    assert tuple(shown(at)) == (*METRICS, *CALIBRATION_METRICS)
    assert shown(at)["TAR at FAR 1%"] == tar_by_counting(distances, labels, 0.01) != "n/a"
    assert shown(at)["TAR at FAR 0.1%"] == "n/a"
    assert _metric_help(at, "TAR at FAR 0.1%") == (
        "Not measured: a false-match rate of 0.1% needs at least 1,000 dissimilar pairs (one false match in "
        "1,000); these pairs have 153."
    )

    # At most 1% false matches: 1% of 153 is 1.53, so one false match; the next distance makes two.
    assert at.number_input(key="far_target").value == 1.0
    assert at.button(key="preset_far").label.startswith("At most 1% false matches (")
    at.button(key="preset_far").click().run()
    threshold = at.slider(key="threshold").value
    assert _cut_counts(distances, labels, threshold)[1] <= 1
    assert _cut_counts(distances, labels, _next_distance(distances, threshold))[1] >= 2
    assert shown(at)["Recall"] == shown(at)["TAR at FAR 1%"]  # the TAR is the recall at this threshold
    assert at.session_state["bundle"].threshold == threshold

    # 10%: 15 false matches at most.
    at.number_input(key="far_target").set_value(10.0).run()
    assert at.button(key="preset_far").label.startswith("At most 10% false matches (")
    at.button(key="preset_far").click().run()
    threshold = at.slider(key="threshold").value
    assert _cut_counts(distances, labels, threshold)[1] <= 15
    assert _cut_counts(distances, labels, _next_distance(distances, threshold))[1] >= 16

    # At least 95% precision: no threshold at a distance calls more similar pairs similar at >= 95%.
    at.number_input(key="precision_target").set_value(95.0).run()
    at.button(key="preset_precision").click().run()
    threshold = at.slider(key="threshold").value
    tp, fp = _cut_counts(distances, labels, threshold)
    assert tp / (tp + fp) >= 0.95
    cuts = [_cut_counts(distances, labels, d) for d in np.unique(distances)]
    assert tp == max(s for s, d in cuts if s / (s + d) >= 0.95)
    assert shown(at)["Precision"] == f"{tp / (tp + fp):.2%}"

    # The budgets stay as typed across pages; 0.1% of 153 allows no false match, and the caption says so.
    at.switch_page("views/compare.py").run()
    at.switch_page("views/evaluate.py").run()
    assert (at.number_input(key="far_target").value, at.number_input(key="precision_target").value) == (
        10,
        95,
    )
    at.number_input(key="far_target").set_value(0.1).run()
    assert (
        "The error-budget presets are chosen the same way, on the same 300 pairs: the most permissive "
        "threshold calling at most 0.1% of the 153 dissimilar pairs similar, and the one calling the most "
        "similar pairs similar with at least 95% precision. With 153 dissimilar pairs, 0.1% allows no false "
        "match at all: that preset calls none of them similar."
    ) in texts(at.caption)
    at.button(key="preset_far").click().run()
    threshold = at.slider(key="threshold").value
    assert _cut_counts(distances, labels, threshold)[1] == 0
    assert _cut_counts(distances, labels, _next_distance(distances, threshold))[1] == 1
    assert not at.exception


def test_an_unreachable_precision_is_said_and_its_preset_disabled(model_file, pair_csv):
    """The same pairs with their labels flipped on the Data page: the closest pairs are now dissimilar, so
    no threshold reaches 100% precision. The preset is disabled and the caption gives the best precision
    any threshold reaches, counted here; the threshold is left where it was."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    distances, labels = model_distances(model.model, pairs.left, pairs.right), 1 - pairs.labels
    cuts = [_cut_counts(distances, labels, d) for d in np.unique(distances)]
    best = max(s / (s + d) for s, d in cuts)
    tp, fp = max((s, d) for s, d in cuts if s / (s + d) == best)  # the most similar pairs at that precision
    assert best < 1
    at = new_app()
    at.switch_page("views/model.py").run()
    at.file_uploader(key="model_file").set_value(("six.keras", Path(model_file).read_bytes(), "x")).run()
    at.switch_page("views/data_train.py").run()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("six.csv", Path(pair_csv).read_bytes(), "text/csv")).run()
    at.toggle(key="flip_labels").set_value(True).run()
    at.switch_page("views/evaluate.py").run()
    before = at.slider(key="threshold").value
    at.number_input(key="precision_target").set_value(100.0).run()
    assert not at.exception
    button = at.button(key="preset_precision")
    assert (button.label, button.disabled) == ("At least 100% precision (not reached)", True)
    reason = (
        f"No threshold reaches a precision of 1 on these 300 pairs: the highest any threshold reaches is "
        f"{best:.4g} ({tp:,} similar among the {tp + fp:,} closest pairs); lower the precision target, or "
        "choose the threshold by its false-match rate"
    )
    assert any(text.endswith(f" {reason}.") for text in texts(at.caption)), texts(at.caption)
    assert at.slider(key="threshold").value == before


def interval_texts(intervals) -> list[str]:
    """The captions under AUC, EER, accuracy, precision and recall: "95% CI low to high", each end formatted
    as its metric is (AUC to 4 decimals, the rates in percent to 2)."""
    found = []
    for name, form in (
        ("auc", ".4f"),
        ("eer", ".2%"),
        ("accuracy", ".2%"),
        ("precision", ".2%"),
        ("recall", ".2%"),
    ):
        interval = getattr(intervals, name)
        found.append(f"95% CI {interval.low:{form}} to {interval.high:{form}}")
    return found


def test_evaluate_and_scoring_show_bootstrap_intervals_under_the_metrics(model_file, pair_csv):
    """Evaluate, then a scored file: under each of the first five metrics its 95% bootstrap interval over
    the samples of these pairs (told apart by their feature vectors, resampled with their pairs), equal to
    the intervals computed here from one call of the Keras model at the threshold shown; a line says how
    many samples were resampled (counted here with NumPy's row-wise unique). Moving the threshold moves
    the intervals of accuracy, precision and recall and leaves those of AUC and EER."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv
    from siamese_core.intervals import bootstrap_intervals, pair_sample_ids

    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    distances = model_distances(model.model, pairs.left, pairs.right)
    ids = pair_sample_ids(pairs.left, pairs.right)
    n_samples = len(np.unique(np.concatenate([pairs.left, pairs.right]), axis=0))
    assert n_samples < 2 * pairs.n_pairs  # samples recur: resampling pairs would be another thing
    how = f"95% intervals from 1,000 bootstrap resamples of the {n_samples:,} samples (seed 0); pairs that"

    at = new_app()
    at.switch_page("views/model.py").run()
    at.file_uploader(key="model_file").set_value(("six.keras", Path(model_file).read_bytes(), "x")).run()
    at.switch_page("views/data_train.py").run()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("six.csv", Path(pair_csv).read_bytes(), "text/csv")).run()
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    shown_before = None
    ordered = np.sort(distances)  # a second threshold between two distances of the closest fifth
    fifth = ordered.size // 5
    for threshold in (None, float(ordered[fifth] + ordered[fifth + 1]) / 2):
        if threshold is not None:
            at.slider(key="threshold").set_value(threshold).run()
            assert not at.exception
        threshold = at.session_state["bundle"].threshold
        expected = interval_texts(
            bootstrap_intervals(distances, pairs.labels, sample_ids=ids, threshold=threshold)
        )
        captions = texts(at.caption)
        assert [text for text in captions if text.startswith("95% CI ")] == expected
        assert any(text.startswith(how) for text in captions), captions
        if shown_before is not None:
            assert expected[:2] == shown_before[:2] and expected[2:] != shown_before[2:]
        shown_before = expected

    # The same pairs scored on Model files & scoring, with their labels: the same intervals.
    at.switch_page("views/model.py").run()
    at.file_uploader(key="score_file").set_value(("score.csv", Path(pair_csv).read_bytes(), "text/csv")).run()
    assert not at.exception
    captions = texts(at.caption)
    assert [text for text in captions if text.startswith("95% CI ")] == shown_before
    assert any(text.startswith(how) for text in captions), captions
