"""Issue 18, confidence intervals, in a real browser: what a visitor reads under Evaluate's metrics, after a
threshold preset, and in the HTML report (`streamlit run dashboard/app.py` driven by headless Chromium).

The visitor uploads the shared tiny 6-feature model (tests/conftest.py) and a pair CSV of its features
with every fifth label flipped (the model is right on the others, so no interval collapses to a point).
Every interval shown is checked against `siamese_core.intervals` run here on the same file: the samples
told apart by their feature vectors, 1,000 resamples, seed 0.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import pair_csv_text
from tests.e2e.pages import choose_source, go, upload, wait_idle
from tests.test_dashboard_values import interval_texts

pytestmark = pytest.mark.browser

CI_CAPTION = '[data-testid="stCaptionContainer"]'


@pytest.fixture(scope="module")
def noisy_pairs(tmp_path_factory) -> Path:
    """150 pairs of new samples (seed 5), every fifth label flipped."""
    path = tmp_path_factory.mktemp("intervals") / "new_pairs.csv"
    noisy = pd.read_csv(io.StringIO(pair_csv_text(n_pairs=150, seed=5)))
    noisy.loc[::5, "label"] = 1 - noisy.loc[::5, "label"]
    noisy.to_csv(path, index=False)
    return path


def _shown_intervals(page) -> list[str]:
    """The "95% CI ..." captions, in page order (under AUC, EER, accuracy, precision, recall)."""
    page.locator(CI_CAPTION).filter(has_text=re.compile(r"^95% CI ")).first.wait_for()
    wait_idle(page)
    captions = page.locator(CI_CAPTION).all_inner_texts()
    return [text.strip() for text in captions if text.strip().startswith("95% CI ")]


def test_evaluate_shows_each_metrics_interval_and_a_preset_moves_the_threshold_ones(
    page, model_file, noisy_pairs, tmp_path
):
    """Under AUC, EER, accuracy, precision and recall, "95% CI low to high" as computed here at the model's
    threshold, and a line naming the samples resampled. The best-accuracy preset moves the threshold: the
    last three intervals become those at the new threshold, the first two stay. The HTML report carries
    the AUC's interval in its metrics table."""
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv
    from siamese_core.evaluation import evaluate_distances
    from siamese_core.intervals import bootstrap_intervals, pair_sample_ids

    model, pairs = load_model(model_file), load_pair_csv(noisy_pairs)
    distances = model.distances(pairs.left, pairs.right)
    ids = pair_sample_ids(pairs.left, pairs.right)
    n_samples = len(np.unique(np.concatenate([pairs.left, pairs.right]), axis=0))
    at_model = bootstrap_intervals(distances, pairs.labels, sample_ids=ids, threshold=model.threshold)
    assert at_model.auc.low < at_model.auc.high  # the flipped labels leave room for doubt

    go(page, "Model files & scoring")
    upload(page, Path(model_file))
    page.get_by_text("Loaded model.keras: 6 features. It is now the model on every page.").wait_for()
    wait_idle(page)
    go(page, "Data & training", "Siamese similarity")
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    upload(page, noisy_pairs)
    page.get_by_text(f"{pairs.n_pairs:,} pairs, 6 features per sample").first.wait_for()
    wait_idle(page)

    go(page, "Evaluate")
    assert _shown_intervals(page) == interval_texts(at_model)
    expect(page.get_by_text(re.compile(r"^95% intervals from"))).to_contain_text(
        f"95% intervals from 1,000 bootstrap resamples of the {n_samples:,} samples (seed 0); pairs that "
        "share a sample are drawn together"
    )

    best = evaluate_distances(distances, pairs.labels).best_threshold
    page.get_by_role("button", name=re.compile(r"^Best accuracy \(")).click()
    at_best = interval_texts(bootstrap_intervals(distances, pairs.labels, sample_ids=ids, threshold=best))
    assert at_best[:2] == interval_texts(at_model)[:2] and at_best[2:] != interval_texts(at_model)[2:]
    expect(page.locator(CI_CAPTION).filter(has_text=re.compile(r"^95% CI ")).nth(2)).to_have_text(at_best[2])
    assert _shown_intervals(page) == at_best

    go(page, "Model files & scoring")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the HTML report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    low, high = at_model.auc.low, at_model.auc.high
    assert f'<td class="number">{low:.4f} to {high:.4f}</td>' in report
    assert f"of the {n_samples:,} samples (seed 0)" in report
    assert page.locator('[data-testid="stException"]').count() == 0
