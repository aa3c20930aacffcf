"""Issue 18, the calibrated probability of "similar", in a real browser: what a visitor reads on Evaluate
(the Brier score and expected calibration error of p_similar, and the reliability diagram) and on Compare
(P(similar) beside the distance and the verdict), with `streamlit run dashboard/app.py` driven by headless
Chromium.

The visitor uploads the shared tiny 6-feature model (tests/conftest.py), whose file carries its calibration,
and the 300 pairs it was trained from; every number shown is checked against `siamese_core` run here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.pages import choose_source, go, metrics, wait_idle

pytestmark = pytest.mark.browser


def _upload(page, path: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(path))


def test_evaluate_shows_the_calibration_and_compare_shows_p_similar(page, model_file, pair_csv):
    from siamese_core.bundle import load_model
    from siamese_core.calibration import calibration_metrics
    from siamese_core.data import load_pair_csv

    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    expected = calibration_metrics(model.p_similar(model.distances(pairs.left, pairs.right)), pairs.labels)
    brier, ece = f"{expected.brier:.4f}", f"{expected.ece:.4f}"
    first_pair = model.compare(pairs.left[0], pairs.right[0])

    go(page, "Model files & scoring")
    _upload(page, Path(model_file))
    page.get_by_text("Loaded model.keras: 6 features. It is now the model on every page.").wait_for()
    wait_idle(page)
    go(page, "Data & training", "Siamese similarity")
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    _upload(page, Path(pair_csv))
    page.get_by_text(f"{pairs.n_pairs:,} pairs, 6 features per sample").first.wait_for()
    wait_idle(page)

    go(page, "Evaluate")
    page.get_by_role("heading", name="Calibration of p_similar").wait_for()
    page.locator('[data-testid="stMetric"]').filter(has_text="Expected calibration error").wait_for()
    wait_idle(page)  # the section's metrics are drawn after its heading
    shown = metrics(page)
    assert (shown["Brier score"], shown["Expected calibration error"]) == (brier, ece)
    figure = page.locator(".js-plotly-plot").filter(has_text="Reliability of p_similar")
    figure.scroll_into_view_if_needed()
    assert f"Reliability of p_similar (ECE {ece}, Brier {brier})" in figure.inner_text()
    assert "perfectly calibrated" in figure.inner_text()  # the diagonal's legend entry
    page.get_by_text(f"p_similar: {model.calibration.describe()}.").wait_for()

    go(page, "Compare two samples")
    page.get_by_text("P(similar)").first.wait_for()
    shown = metrics(page)
    assert shown["Distance"] == f"{first_pair.distance:.4f}"
    assert shown["P(similar)"] == f"{first_pair.p_similar:.3f}"
    assert shown["Verdict"] == ("similar" if first_pair.similar else "dissimilar")
    assert page.locator('[data-testid="stException"]').count() == 0
