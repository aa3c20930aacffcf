"""Tests of siamese_core.report: what the page says, what it escapes, and how it is written."""

from __future__ import annotations

import os

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from siamese_core.errors import ConfigError
from siamese_core.evaluation import evaluate_distances
from siamese_core.report import model_info, render_report, write_report

# Sorted: 0.1 S, 0.4 D, 0.5 S, 0.9 D. AUC 0.75, EER 0.5 at 0.4, best accuracy 0.75 at 0.25
# (worked out in test_evaluation). At threshold 0.25 only 0.1 is called similar: tp 1, fn 1, fp 0, tn 2.
DISTANCES = np.array([0.1, 0.5, 0.4, 0.9])
LABELS = np.array([0, 0, 1, 1])


@pytest.fixture(scope="module")
def page():
    result = evaluate_distances(DISTANCES, LABELS, margin=0.45)
    return render_report(
        result,
        DISTANCES,
        LABELS,
        title="Report <b>x</b>",
        model_info={"architecture": "<script>alert('x')</script>", "layers": [64, 32], "margin": 0.45},
        history={"loss": [0.9, 0.4], "val_loss": [1.0, 0.5]},
        rows=[101, 102, 103, 104],
    )


def test_page_has_the_metric_values(page):
    assert page.startswith("<!DOCTYPE html>")
    for text in (
        'ROC AUC</td><td class="number">0.7500',
        'equal error rate (EER)</td><td class="number">0.5000',
        'threshold at the EER</td><td class="number">0.4000',
        'best accuracy</td><td class="number">0.7500',
        'threshold of best accuracy</td><td class="number">0.2500',
        'precision at the threshold (similar = positive)</td><td class="number">1.0000',
        'recall at the threshold</td><td class="number">0.5000',
        # Margin 0.45: dissimilar 0.4 is inside, 0.9 is not -> 50%.
        'dissimilar pairs inside the margin (D &lt; m)</td><td class="number">50.0%',
        'mean distance, similar pairs</td><td class="number">0.3000',
    ):
        assert text in page, text
    # Confusion matrix rows: actually similar 1 | 1, actually dissimilar 0 | 2.
    assert '<td>actually similar</td><td class="number">1</td><td class="number">1</td>' in page
    assert '<td>actually dissimilar</td><td class="number">0</td><td class="number">2</td>' in page


def test_page_has_figures_and_hardest_pairs(page):
    assert page.count("Plotly.newPlot") == 3  # histogram, ROC, loss
    assert "Hardest pairs" in page
    # The farthest similar pair is 0.5 at data row 102; the closest dissimilar is 0.4 at row 103.
    assert '<td>similar, far apart</td><td class="number">102</td><td class="number">0.5000</td>' in page
    assert '<td>dissimilar, close</td><td class="number">103</td><td class="number">0.4000</td>' in page


def test_plotly_js_inline_exactly_once(page):
    assert page.count(get_plotlyjs()[:200]) == 1
    assert "<script src=" not in page  # nothing fetched from the network


def test_user_text_is_escaped(page):
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page and "Report &lt;b&gt;x&lt;/b&gt;" in page
    assert "64, 32" in page and "[64, 32]" not in page  # a list as a person writes it


def test_warnings_and_no_history():
    """Similar pairs far and dissimilar close: the inverted-labels warning shows; no loss curve."""
    distances, labels = [0.8, 0.9, 0.1, 0.2], [0, 0, 1, 1]
    page = render_report(evaluate_distances(distances, labels), distances, labels)
    assert 'class="warnings"' in page and "inverted" in page
    assert page.count("Plotly.newPlot") == 2
    assert "<h2>Model</h2>" not in page


def test_write_report_replaces_the_file(tmp_path):
    target = tmp_path / "report.html"
    write_report(target, "<html>one</html>")
    write_report(str(target), "<html>two é</html>")
    assert target.read_text(encoding="utf-8") == "<html>two é</html>"
    assert os.listdir(tmp_path) == ["report.html"]


def test_failed_write_leaves_existing_report_intact(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")

    def failing_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ConfigError) as caught:
        write_report(target, "new report")
    assert str(caught.value) == (
        f"cannot write {target}: disk full; report.html is left as it was. Free some space or choose another path"
    )
    assert target.read_text(encoding="utf-8") == "old report"
    assert os.listdir(tmp_path) == ["report.html"]  # the temporary file is gone too


def test_settings_label_mapping_data_file_and_split_read_as_text_not_json():
    """Settings and versions are tables, the label mapping a list of its two sides and its rule, and the
    Data table names the file and the pairs: 4 evaluated, 2 similar (0.1, 0.5) and 2 dissimilar (0.4, 0.9);
    the split's parts are listed one per item, the dropped pairs among them."""
    split = (
        "pairs: train 8, test 2 (split by samples); 3 pairs whose two samples fell into different splits "
        "are left out of all three (no sample is shared between splits); final model trained on 8 pairs"
    )
    page = render_report(
        evaluate_distances(DISTANCES, LABELS),
        DISTANCES,
        LABELS,
        model_info={
            "label mapping": {
                "column": "same",
                "similar_values": ["same"],
                "dissimilar_values": ["different"],
                "reason": "words mapped by meaning: same = similar, different = dissimilar",
            },
            "training settings": {"hidden": [64, 32], "learning_rate": 0.003, "max_seconds": None},
            "versions": {"keras": "3.15.1"},
        },
        data_file="<b>my</b>_pairs.csv",
        split=split,
    )
    body = page[page.index("<body>") : page.index('<div class="figure">')]  # plotly.js holds any text
    assert "similar_values" not in body and '{"' not in body  # no JSON
    assert (
        "<ul><li>similar: same = &#x27;same&#x27;</li><li>dissimilar: same = &#x27;different&#x27;</li>"
        "<li>decided by: words mapped by meaning: same = similar, different = dissimilar</li></ul>"
    ) in page
    assert "<tr><td>hidden</td><td>64, 32</td></tr>" in page
    assert "<tr><td>learning rate</td><td>0.003</td></tr>" in page
    assert "<tr><td>max seconds</td><td>none</td></tr>" in page
    assert "<tr><td>keras</td><td>3.15.1</td></tr>" in page
    assert "<tr><td>data file</td><td>&lt;b&gt;my&lt;/b&gt;_pairs.csv</td></tr>" in page
    assert "<tr><td>pairs evaluated</td><td>4 (2 similar, 2 dissimilar)</td></tr>" in page
    assert (
        "<li>pairs: train 8, test 2 (split by samples)</li><li>3 pairs whose two samples fell into different "
        "splits are left out of all three (no sample is shared between splits)</li>"
        "<li>final model trained on 8 pairs</li>"
    ) in page


def test_a_class_column_mapping_reads_as_its_rule():
    page = render_report(
        evaluate_distances(DISTANCES, LABELS),
        DISTANCES,
        LABELS,
        model_info={
            "label mapping": {"column": "<i>species</i>", "rule": "pairs of the same class are similar"}
        },
    )
    assert "<li>class column &lt;i&gt;species&lt;/i&gt;: pairs of the same class are similar</li>" in page


def test_metrics_table_shows_bootstrap_intervals():
    """Two pairs, 0.05 similar and 0.1 dissimilar, resampled (no sample ids): a resample holds the similar
    pair twice (chance 1/4), one of each (1/2) or the dissimilar twice (1/4). At 0.15 both are called
    similar, so accuracy is 1, 1/2 or 0, each at least 1/4 likely: its 95% interval is 0 to 1. AUC and
    EER exist with one of each only, and are then 1 and 0. The note says how the intervals were made."""
    distances, labels = [0.05, 0.1], [0, 1]
    result = evaluate_distances(distances, labels, threshold=0.15, intervals=True)
    page = render_report(result, distances, labels)
    for text in (
        "<th>metric</th><th>value</th><th>95% interval</th>",
        'ROC AUC</td><td class="number">1.0000</td><td class="number">1.0000 to 1.0000</td>',
        'equal error rate (EER)</td><td class="number">0.0000</td><td class="number">0.0000 to 0.0000</td>',
        'accuracy at the threshold</td><td class="number">0.5000</td><td class="number">0.0000 to 1.0000</td>',
        'threshold used below</td><td class="number">0.1500</td><td class="number"></td>',
        "95% intervals from 1,000 bootstrap resamples of the 2 pairs (seed 0); which pairs share a sample",
    ):
        assert text in page, text
    plain = render_report(evaluate_distances(distances, labels, threshold=0.15), distances, labels)
    assert "95% interval" not in plain and "<th>metric</th><th>value</th></tr>" in plain


def test_metrics_table_shows_the_true_acceptance_rate_at_common_false_match_rates():
    """100 dissimilar pairs at 1, 2, ..., 100; similar pairs, 50 at 0.1 and 50 at 2.5. At most 1% false
    matches allows one (the pair at 1): the threshold sits between 1 and 2, half the similar pairs are
    below it, TAR 0.5. At 0.1% one false match needs 1,000 dissimilar pairs: not measurable here."""
    distances = [0.1] * 50 + [2.5] * 50 + [float(d) for d in range(1, 101)]
    labels = [0] * 100 + [1] * 100
    page = render_report(evaluate_distances(distances, labels), distances, labels)
    assert (
        'true acceptance rate at 1.0% false matches (threshold chosen on these pairs)</td><td class="number">'
        "0.5000</td>"
    ) in page
    assert (
        "true acceptance rate at 0.1% false matches (threshold chosen on these pairs)</td>"
        '<td class="number">n/a (too few dissimilar pairs)</td>'
    ) in page


def test_page_measures_the_calibration_of_p_similar():
    """A calibration fitted on the four pairs themselves: by distance the outcomes are 1 (0.1), 0 (0.4),
    1 (0.5), 0 (0.9), which isotonic regression makes 1, 0.5, 0.5, 0. Brier (0 + 0.25 + 0.25 + 0) / 4 =
    0.125; bins [0, 0.1) (p 0, dissimilar), [0.5, 0.6) (p 0.5 twice, one similar), [0.9, 1] (p 1,
    similar) have no gap: ECE 0."""
    from siamese_core.calibration import fit_calibration

    calibration = fit_calibration(DISTANCES, LABELS, pairs="held-out <b>pairs</b>", method="isotonic")
    result = evaluate_distances(DISTANCES, LABELS, calibration=calibration)
    page = render_report(result, DISTANCES, LABELS, calibration=calibration)
    for text in (
        'Brier score of p_similar</td><td class="number">0.1250',
        'expected calibration error of p_similar (10 bins)</td><td class="number">0.0000',
        '<td>0.0 to 0.1</td><td class="number">0.0000</td><td class="number">0.0000</td><td class="number">1</td>',
        '<td>0.5 to 0.6</td><td class="number">0.5000</td><td class="number">0.5000</td><td class="number">2</td>',
        '<td>0.9 to 1.0</td><td class="number">1.0000</td><td class="number">1.0000</td><td class="number">1</td>',
        "fitted on 4 held-out &lt;b&gt;pairs&lt;/b&gt;",
        "Reliability of p_similar (ECE 0.0000, Brier 0.1250)",
    ):
        assert text in page, text
    assert page.count("Plotly.newPlot") == 3  # histogram, ROC, reliability


def test_page_says_when_the_model_has_no_calibration(page):
    assert 'Brier score of p_similar</td><td class="number">n/a (no calibration)' in page
    assert "No calibrated probability of similar (p_similar): the model has no calibration" in page
    assert "Reliability of p_similar" not in page


def test_model_info_is_what_every_report_says_of_a_model():
    """One home for the CLI's and the dashboard's reports: the first six feature names, the threshold to six
    decimals, and the model's own facts as saved."""
    from types import SimpleNamespace

    names = [f"f{i}" for i in range(8)]
    bundle = SimpleNamespace(
        n_features=8,
        feature_names=names,
        margin=1.5,
        threshold=0.123456789,
        label_mapping={"column": "label"},
        train_config={"hidden": [16]},
        versions={"keras": "3"},
        created="2026-11-30T12:00:00+00:00",
    )
    assert model_info(bundle) == {
        "features": "8 (f0, f1, f2, f3, f4, f5, ...)",
        "margin": 1.5,
        "threshold": 0.123457,
        "label mapping": {"column": "label"},
        "training settings": {"hidden": [16]},
        "versions": {"keras": "3"},
        "created": "2026-11-30T12:00:00+00:00",
    }
    bundle.n_features, bundle.feature_names = 2, ["a", "b"]
    assert model_info(bundle)["features"] == "2 (a, b)"
