"""Tests of siamese_core.figures: the traces, bins, lines and labels each figure must carry."""

from __future__ import annotations

import json

import numpy as np
import pytest

from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import evaluate_distances, metrics_at_threshold
from siamese_core.figures import (
    confusion_figure,
    decimals_to_tell_apart,
    distance_histogram,
    embedding_figure,
    format_distance,
    histogram_comparison_figure,
    loss_figure,
    pair_embedding_figure,
    roc_comparison_figure,
    roc_figure,
    shared_bins,
)


@pytest.fixture
def distances_and_labels():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 1234 + [1] * 1180)
    distances = np.concatenate((rng.gamma(2.0, 0.2, 1234), 1.0 + rng.normal(0, 0.3, 1180).clip(-0.9)))
    return distances, labels


def test_histogram_traces_share_bins_and_show_counts(distances_and_labels):
    distances, labels = distances_and_labels
    figure = distance_histogram(distances, labels, nbins=30)
    assert [trace.name for trace in figure.data] == ["similar (n=1,234)", "dissimilar (n=1,180)"]
    similar, dissimilar = figure.data
    assert similar.xbins.to_plotly_json() == dissimilar.xbins.to_plotly_json()
    assert similar.xbins.start == pytest.approx(distances.min())
    # 30 bins of the same size cover every distance, the largest included.
    assert similar.xbins.end == pytest.approx(similar.xbins.start + 30 * similar.xbins.size)
    assert similar.xbins.end > distances.max()
    assert len(similar.x) == 1234 and len(dissimilar.x) == 1180
    assert similar.marker.color != dissimilar.marker.color
    assert figure.layout.barmode == "overlay"
    assert figure.layout.xaxis.title.text == "Euclidean distance between embeddings"
    assert figure.layout.yaxis.title.text == "pairs"
    json.loads(figure.to_json())


def test_histogram_lines_for_margin_threshold_and_marker(distances_and_labels):
    distances, labels = distances_and_labels
    figure = distance_histogram(distances, labels, margin=1.0, threshold=0.53, marker=0.7)
    shapes = {shape.x0: shape for shape in figure.layout.shapes}
    assert set(shapes) == {1.0, 0.53, 0.7}
    assert shapes[1.0].line.dash == "dash"
    assert shapes[0.53].line.dash == "solid"
    texts = {annotation.x: annotation.text for annotation in figure.layout.annotations}
    assert texts == {1.0: "margin m = 1.00", 0.53: "threshold 0.53", 0.7: "this pair"}
    assert not distance_histogram(distances, labels).layout.shapes
    figure.to_json()


def test_shared_bins_when_all_distances_are_equal():
    """numpy spreads a constant over [d - 0.5, d + 0.5], so the bins still have a positive size."""
    bins = shared_bins([0.3, 0.3, 0.3], nbins=10)
    assert bins["size"] > 0
    assert bins["start"] < 0.3 < bins["end"]
    figure = distance_histogram([0.3, 0.3], [0, 0])
    assert [trace.name for trace in figure.data] == ["similar (n=2)", "dissimilar (n=0)"]


def test_small_distances_keep_their_digits():
    assert format_distance(1) == "1.00"
    assert format_distance(0.0534) == "0.0534"
    assert format_distance(0) == "0.00"


def test_histogram_errors():
    with pytest.raises(DataError, match="no distances"):
        distance_histogram([], [])
    with pytest.raises(DataError, match="same length"):
        distance_histogram([0.1, 0.2], [0])
    with pytest.raises(DataError, match="not finite"):
        distance_histogram([0.1, np.nan], [0, 1])
    with pytest.raises(ConfigError, match=r"^threshold must be finite\. Received: threshold=nan$"):
        distance_histogram([0.1, 0.2], [0, 1], threshold=np.nan)  # no line at all would be drawn


def test_roc_figure_marks_the_eer():
    """On distances 0.1 S, 0.4 D, 0.5 S, 0.9 D the EER is 0.5 at threshold 0.4 and the AUC 0.75
    (worked out in test_evaluation), so the EER point sits at (0.5, 1 - 0.5)."""
    result = evaluate_distances([0.1, 0.5, 0.4, 0.9], [0, 0, 1, 1])
    figure = roc_figure(result)
    curve, chance, eer_point = figure.data
    assert "AUC = 0.750" in curve.name
    assert "0.750" in figure.layout.title.text
    assert list(chance.x) == [0, 1] and list(chance.y) == [0, 1]
    assert list(eer_point.x) == [0.5] and list(eer_point.y) == [0.5]
    assert eer_point.text[0] == "EER 0.500 at threshold 0.40"
    np.testing.assert_allclose(curve.x, result.roc_fpr)
    np.testing.assert_allclose(curve.y, result.roc_tpr)
    figure.to_json()


def test_loss_figure_epochs_start_at_one():
    figure = loss_figure({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.5]})
    assert [trace.name for trace in figure.data] == ["training", "validation"]
    assert list(figure.data[0].x) == [1, 2, 3]
    assert list(figure.data[1].y) == [1.0, 0.6, 0.5]
    assert len(loss_figure({"loss": [0.4]}).data) == 1
    with pytest.raises(DataError, match="no 'loss'"):
        loss_figure({"val_loss": [0.1]})
    figure.to_json()


def test_embedding_figure_one_trace_per_class_and_variance_in_titles():
    """Points spread along x only (y and z constant) put 100% of the variance on PC1, none on PC2."""
    embeddings = np.column_stack((np.arange(6.0), np.ones(6), np.zeros(6)))
    figure = embedding_figure(
        embeddings, ["b", "a", "b", "a", "b", "c"], hover=[f"row {i}" for i in range(6)]
    )
    assert [trace.name for trace in figure.data] == ["a (n=2)", "b (n=3)", "c (n=1)"]
    assert sum(len(trace.x) for trace in figure.data) == 6
    assert figure.layout.xaxis.title.text == "PC1 (100.0% of variance)"
    assert figure.layout.yaxis.title.text == "PC2 (0.0% of variance)"
    assert list(figure.data[0].text) == ["row 1", "row 3"]
    figure.to_json()


def test_embedding_figure_partial_variance():
    """Points (±2, 0) and (0, ±1): variances 2 and 0.5 along the axes, so PC1 holds 2 / 2.5 = 80%."""
    embeddings = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    figure = embedding_figure(embeddings, [0, 0, 1, 1])
    assert figure.layout.xaxis.title.text == "PC1 (80.0% of variance)"
    assert figure.layout.yaxis.title.text == "PC2 (20.0% of variance)"


@pytest.mark.parametrize("shape", [(5, 1), (5, 2), (1, 4), (5,)])
def test_embedding_figure_small_shapes(shape):
    embeddings = np.arange(np.prod(shape), dtype=float).reshape(shape)
    n = shape[0]
    figure = embedding_figure(embeddings, np.zeros(n))
    assert sum(len(trace.x) for trace in figure.data) == n
    figure.to_json()


def test_embedding_figure_errors():
    with pytest.raises(DataError, match="one entry per embedding"):
        embedding_figure(np.zeros((3, 2)), [0, 1])
    with pytest.raises(DataError, match="not finite"):
        embedding_figure(np.array([[0.0, np.nan]]), [0])


def test_pair_embedding_figure_draws_each_pair_as_one_segment_coloured_by_its_label():
    """1-D embeddings are the x axis as they are (y = 0). Pairs (0, 2) similar, (1, 5) dissimilar and
    (3, 4) similar: the similar trace holds 2 pairs, x = 0, 2, gap, 3, 4, gap; the dissimilar one 1 pair."""
    figure = pair_embedding_figure(
        [[0.0], [1.0], [3.0]],
        [[2.0], [5.0], [4.0]],
        [0, 1, 0],
        hover=[["row 1, first", "row 1, second"], ["row 2, first", "row 2, second"], ["r3a", "r3b"]],
    )
    similar, dissimilar = figure.data
    assert (similar.name, dissimilar.name) == ("similar pairs (n=2)", "dissimilar pairs (n=1)")
    assert list(similar.x) == [0.0, 2.0, None, 3.0, 4.0, None]
    assert list(similar.y) == [0.0, 0.0, None, 0.0, 0.0, None]
    assert list(dissimilar.x) == [1.0, 5.0, None]
    assert list(similar.text) == ["row 1, first", "row 1, second", None, "r3a", "r3b", None]
    assert list(dissimilar.text) == ["row 2, first", "row 2, second", None]
    assert similar.mode == dissimilar.mode == "lines+markers"
    assert similar.line.color != dissimilar.line.color
    figure.to_json()


def test_names_from_a_users_file_show_as_written_not_as_markup_or_template():
    """Plotly reads tags, entities and `%{...}` in names, hover templates and hover text."""
    figure = embedding_figure(
        [[0.0, 1.0], [1.0, 0.0]], ["<b>x</b>", "50%{y}"], hover=["id <i>7</i>", "id %{x}"]
    )
    assert sorted(trace.name for trace in figure.data) == ["&lt;b&gt;x&lt;/b&gt; (n=1)", "50&#37;{y} (n=1)"]
    templates = " ".join(trace.hovertemplate for trace in figure.data)
    assert "<b>x" not in templates and "%{y}<" not in templates and templates.count("%{x:.3g}") == 2
    assert sorted(text for trace in figure.data for text in trace.text) == [
        "id &#37;{x}",
        "id &lt;i&gt;7&lt;/i&gt;",
    ]
    pairs = pair_embedding_figure([[0.0]], [[1.0]], [0], hover=[["<a href='x'>a</a>", "b & c"]])
    assert list(pairs.data[0].text) == ["&lt;a href='x'&gt;a&lt;/a&gt;", "b &amp; c", None]


def test_pair_embedding_figure_projects_both_sides_together():
    """Pairs (2, 0)-(-2, 0) similar and (0, 1)-(0, -1) dissimilar: the four points have variances 2 and
    0.5 along the axes, so PC1 holds 2 / 2.5 = 80%; PCA of 2-D points only rotates (and maybe mirrors)
    them, so the segments keep their lengths, 4 and 2, and both sides of a pair are projected alike."""
    figure = pair_embedding_figure([[2.0, 0.0], [0.0, 1.0]], [[-2.0, 0.0], [0.0, -1.0]], [0, 1])
    assert figure.layout.xaxis.title.text == "PC1 (80.0% of variance)"
    assert figure.layout.yaxis.title.text == "PC2 (20.0% of variance)"
    for trace, length in zip(figure.data, (4.0, 2.0), strict=True):
        (x1, x2, gap), (y1, y2, _) = trace.x, trace.y
        assert gap is None
        assert np.hypot(x2 - x1, y2 - y1) == pytest.approx(length)


def test_pair_embedding_figure_errors():
    with pytest.raises(DataError, match="same shape"):
        pair_embedding_figure(np.zeros((2, 3)), np.zeros((3, 3)), [0, 1])
    with pytest.raises(DataError, match="one entry per pair"):
        pair_embedding_figure(np.zeros((2, 3)), np.ones((2, 3)), [0])
    with pytest.raises(DataError, match="hover must be"):
        pair_embedding_figure(np.zeros((2, 3)), np.ones((2, 3)), [0, 1], hover=["a", "b"])


def test_decimals_to_tell_apart():
    """0.68431 and 0.68449 differ at the 4th decimal (0.6843, 0.6845); 0.684301 and 0.684304 at the
    6th, whatever a third value; equal values need no more than the least asked for."""
    assert decimals_to_tell_apart([0.68431, 0.68449]) == 4
    assert decimals_to_tell_apart([0.684301, 0.684304, 0.78]) == 6
    assert decimals_to_tell_apart([0.684301, 0.684301]) == 4
    assert decimals_to_tell_apart([0.21, 0.24], at_least=1) == 2  # 0.2 and 0.2, then 0.21 and 0.24
    assert decimals_to_tell_apart([0.1, 0.1 + 1e-15]) == 12  # at_most: closer values stay alike


def test_confusion_figure():
    """Threshold 0.35 on [0.1, 0.2, 0.3, 0.6, 0.7] with labels S S D S D: [[tp, fn], [fp, tn]] =
    [[2, 1], [1, 1]] (see test_evaluation)."""
    metrics = metrics_at_threshold([0.1, 0.2, 0.3, 0.6, 0.7], [0, 0, 1, 0, 1], 0.35)
    figure = confusion_figure(metrics)
    heatmap = figure.data[0]
    assert np.asarray(heatmap.z).tolist() == [[2, 1], [1, 1]]
    assert list(heatmap.x) == ["predicted similar", "predicted dissimilar"]
    assert list(heatmap.y) == ["actually similar", "actually dissimilar"]
    assert heatmap.text[0][0] == "true similar<br>2 (40.0%)"
    assert "0.35" in figure.layout.title.text
    figure.to_json()


def test_long_roc_curve_is_thinned_but_keeps_its_ends():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 20_000)
    result = evaluate_distances(rng.random(20_000) + 0.5 * labels, labels)
    assert len(result.roc_fpr) > 2000
    curve = roc_figure(result).data[0]
    assert len(curve.x) <= 2002
    assert (curve.x[0], curve.y[0]) == (0, 0)
    assert (curve.x[-1], curve.y[-1]) == (1, 1)
    assert np.all(np.diff(curve.x) >= 0) and np.all(np.diff(curve.y) >= 0)


def test_roc_comparison_overlays_both_models_curves_with_their_aucs():
    """A: 0.1 S, 0.5 S, 0.4 D, 0.9 D (AUC 0.75, as in `test_roc_figure_marks_the_eer`); B puts both similar
    pairs first (AUC 1). Each curve is its model's ROC, named with its AUC; B's is dashed; then the chance
    line."""
    labels = [0, 0, 1, 1]
    first = evaluate_distances([0.1, 0.5, 0.4, 0.9], labels)
    second = evaluate_distances([0.1, 0.2, 0.4, 0.9], labels)
    figure = roc_comparison_figure((first, second), names=("A: old.keras", "B: <b>new</b>.keras"))
    curve_a, curve_b, chance = figure.data
    assert curve_a.name == "A: old.keras (AUC = 0.750)"
    assert curve_b.name == "B: &lt;b&gt;new&lt;/b&gt;.keras (AUC = 1.000)"  # a file name shows as written
    np.testing.assert_allclose(curve_a.x, first.roc_fpr)
    np.testing.assert_allclose(curve_b.y, second.roc_tpr)
    assert (curve_a.line.dash, curve_b.line.dash) == ("solid", "dash")
    assert curve_a.line.color != curve_b.line.color
    assert curve_b.hovertemplate.startswith("B: &lt;b&gt;new&lt;/b&gt;.keras<br>threshold")
    assert chance.name == "chance" and list(chance.x) == [0, 1]
    figure.to_json()


def test_histogram_comparison_puts_each_model_on_its_own_axis_and_bins(distances_and_labels):
    """B's distances are 100 times A's: each panel has its own bins (B's 100 times as wide), its own
    threshold line, and the same counts of similar and dissimilar pairs."""
    distances, labels = distances_and_labels
    figure = histogram_comparison_figure(
        (distances, 100 * distances), labels, thresholds=(0.5, 50.0), names=("A: a.keras", "B: b.keras")
    )
    names = ["similar (n=1,234)", "dissimilar (n=1,180)"]
    assert [trace.name for trace in figure.data] == names + names
    assert [trace.xaxis for trace in figure.data] == ["x", "x", "x2", "x2"]
    assert [trace.showlegend for trace in figure.data] == [True, True, False, False]
    assert [trace.legendgroup for trace in figure.data] == ["similar", "dissimilar"] * 2
    assert figure.data[2].xbins.size == pytest.approx(100 * figure.data[0].xbins.size)
    assert figure.data[0].xbins.to_plotly_json() == shared_bins(distances, 40)
    lines = {(shape.x0, shape.xref) for shape in figure.layout.shapes}
    assert lines == {(0.5, "x"), (50.0, "x2")}
    texts = [annotation.text for annotation in figure.layout.annotations]
    assert texts == ["A: a.keras", "B: b.keras", "threshold 0.50", "threshold 50.00"]
    assert figure.layout.barmode == "overlay"
    figure.to_json()
    with pytest.raises(DataError, match="same length"):
        histogram_comparison_figure((distances, distances[:3]), labels)


def test_reliability_figure_draws_the_bins_against_the_diagonal_with_their_counts():
    """p = 0.05 (dissimilar), 0.15 and 0.12 (one similar), 0.95 and 1.0 (similar): bins [0, 0.1), [0.1,
    0.2) and [0.9, 1] at mean predictions 0.05, 0.135, 0.975 and observed shares 0, 0.5, 1."""
    from siamese_core.calibration import calibration_metrics
    from siamese_core.figures import reliability_figure

    metrics = calibration_metrics([0.05, 0.15, 0.12, 0.95, 1.0], [1, 0, 1, 0, 0])
    figure = reliability_figure(metrics)
    diagonal, bins, counts = figure.data
    assert (list(diagonal.x), list(diagonal.y)) == ([0.0, 1.0], [0.0, 1.0])
    np.testing.assert_allclose(bins.x, [0.05, 0.135, 0.975])
    np.testing.assert_allclose(bins.y, [0.0, 0.5, 1.0])
    assert list(bins.text) == ["1", "2", "2"]
    np.testing.assert_allclose(counts.x, [0.05, 0.15, 0.95])
    assert list(counts.y) == [1, 2, 2] and counts.yaxis == "y2"
    assert figure.layout.title.text == f"Reliability of p_similar (ECE 0.1660, Brier {metrics.brier:.4f})"
    assert list(figure.layout.xaxis.range) == [0, 1]
