"""Thresholds by error budget in a real browser (issue 18): Evaluate's "at most X% false matches" and
"at least X% precision" presets, their typed budgets, and the true acceptance rates among the metrics.

A fresh visitor uploads the 6-feature test model and its 300 pairs (147 similar, 153 dissimilar); every
threshold and rate the page shows is checked against one counted here from the model's distances.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from tests.e2e.pages import STEP_MS, choose_source, go, metrics, wait_idle
from tests.test_dashboard_values import (
    CALIBRATION_METRICS,
    METRICS,
    model_distances,
    shown_metrics,
    tar_by_counting,
)

pytestmark = pytest.mark.browser

SLIDER_LABEL = "Threshold: pairs at or below this distance are called similar"


def _upload(page, path: str) -> None:
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(path)


def _slider(page) -> float:
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=SLIDER_LABEL)
    return float(slider.locator('[data-testid="stSliderThumbValue"]').first.inner_text())


def _preset(page, name: str):
    """The preset button whose label starts with `name (`, and the threshold its label shows."""
    button = page.get_by_role("button", name=re.compile(rf"^{re.escape(name)} \("))
    button.wait_for()
    text = button.inner_text()
    return button, float(re.search(r"\(([-0-9.]+)\)", text).group(1)), len(text.split(".")[-1].rstrip(")"))


def _click_preset(page, name: str, expected: float) -> None:
    """Click a preset whose label shows `expected` to its digits, and wait until the slider shows it."""
    button, shown, decimals = _preset(page, name)
    assert abs(shown - expected) <= 0.5 * 10**-decimals + 1e-9, (name, shown, expected)
    button.click()
    deadline = time.monotonic() + STEP_MS / 1000
    while abs(_slider(page) - expected) > 6e-5 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    wait_idle(page)
    assert abs(_slider(page) - expected) <= 6e-5, (name, _slider(page), expected)


def _type_percent(page, label: str, value: float) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    field = page.get_by_label(label)
    field.fill(f"{value:g}")
    field.press("Enter")
    expect(field).to_have_value(f"{value:.2f}")
    wait_idle(page)


def _cuts(distances, labels):
    """Each distinct distance, with the similar and dissimilar pairs at or below it."""
    similar = labels == 0
    distinct = np.unique(distances)
    return [
        (d, int((distances[similar] <= d).sum()), int((distances[~similar] <= d).sum())) for d in distinct
    ]


def _midway_after(distances, distance: float) -> float:
    distinct = np.unique(distances)
    index = int(np.flatnonzero(distinct == distance)[0])
    return float((distinct[index] + distinct[index + 1]) / 2)


def _at_far(distances, labels, far: float) -> float:
    """Midway between the farthest distance whose dissimilar pairs at or below it are at most `far` of all
    dissimilar pairs, and the next distance."""
    n_dissimilar = int((labels == 1).sum())
    last = [d for d, _, fp in _cuts(distances, labels) if fp / n_dissimilar <= far][-1]
    return _midway_after(distances, last)


def _at_precision(distances, labels, precision: float) -> float:
    """Midway after the nearest distance calling the most similar pairs similar at >= `precision`."""
    qualifying = [(tp, -d, d) for d, tp, fp in _cuts(distances, labels) if tp / (tp + fp) >= precision]
    return _midway_after(distances, max(qualifying)[2])


def test_error_budget_presets_and_true_acceptance_rates(page, model_file, pair_csv):
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    distances, labels = model_distances(model.model, pairs.left, pairs.right), pairs.labels
    assert int((labels == 1).sum()) == 153

    go(page, "Model files & scoring")
    _upload(page, model_file)
    expect(
        page.get_by_text("Loaded model.keras: 6 features. It is now the model on every page.")
    ).to_be_visible()
    wait_idle(page)
    go(page, "Data & training", "Siamese similarity")
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    _upload(page, pair_csv)
    page.get_by_text("300 pairs, 6 features per sample").wait_for()
    wait_idle(page)
    go(page, "Evaluate")
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)

    # The true acceptance rates: 153 dissimilar pairs measure FAR 1% (one false match), not 0.1%.
    shown = metrics(page)
    assert tuple(shown) == (*METRICS, *CALIBRATION_METRICS)
    assert shown["TAR at FAR 1%"] == tar_by_counting(distances, labels, 0.01) != "n/a"
    assert shown["TAR at FAR 0.1%"] == "n/a"

    # At most 1% false matches: the slider moves to the most permissive threshold with one false match,
    # and the metrics are those at it (the recall is then the TAR at 1%).
    expected = _at_far(distances, labels, 0.01)
    _click_preset(page, "At most 1% false matches", expected)
    at_far = metrics(page)
    for label in ("Equal error rate", *CALIBRATION_METRICS):
        del at_far[label]
    assert at_far == shown_metrics(distances, labels, expected)
    assert at_far["Recall"] == at_far["TAR at FAR 1%"]

    # A budget of one's own: 10% (15 of 153 false matches at most).
    _type_percent(page, "Max. false matches (%)", 10)
    _click_preset(page, "At most 10% false matches", _at_far(distances, labels, 0.10))

    # At least 95% precision.
    _type_percent(page, "Min. precision (%)", 95)
    expected = _at_precision(distances, labels, 0.95)
    _click_preset(page, "At least 95% precision", expected)
    at_precision = metrics(page)
    for label in ("Equal error rate", *CALIBRATION_METRICS):
        del at_precision[label]
    assert at_precision == shown_metrics(distances, labels, expected)
    expect(page.get_by_text(re.compile("^The error-budget presets are"))).to_have_text(
        "The error-budget presets are chosen the same way, on the same 300 pairs: the most permissive "
        "threshold calling at most 10% of the 153 dissimilar pairs similar, and the one calling the most "
        "similar pairs similar with at least 95% precision."
    )

    # Labels flipped on the Data page: the closest pairs are now dissimilar and 100% precision is out of
    # reach; the preset is disabled and says so. The typed budgets were kept across the pages.
    go(page, "Data & training", "Siamese similarity")
    page.get_by_text("Flip labels (swap similar and dissimilar)").click()
    # The Data page has read the labels flipped (a page left mid-rerun would keep the old reading).
    expect(
        page.get_by_text(re.compile(r"similar: label = 1 \(153 pairs\); dissimilar: label = 0"))
    ).to_be_visible()
    wait_idle(page)
    go(page, "Evaluate")
    expect(page.get_by_label("Max. false matches (%)")).to_have_value("10.00")
    expect(page.get_by_label("Min. precision (%)")).to_have_value("95.00")
    _type_percent(page, "Min. precision (%)", 100)
    flipped = 1 - labels
    best = max(tp / (tp + fp) for _, tp, fp in _cuts(distances, flipped))
    assert best < 1
    button = page.get_by_role("button", name="At least 100% precision (not reached)")
    expect(button).to_be_disabled()
    expect(page.get_by_text(re.compile("^The error-budget presets are"))).to_contain_text(
        f"No threshold reaches a precision of 1 on these 300 pairs: the highest any threshold reaches is "
        f"{best:.4g} ("
    )
    assert page.locator('[data-testid="stException"]').count() == 0
