"""Issue 18, comparing two models, in a real browser (`streamlit run dashboard/app.py` driven by headless
Chromium): a visitor makes an uploaded model the session's, loads pairs, and on Compare models uploads a
second model; what the page says (both AUCs, the difference, its interval, the verdict) is checked against
`siamese_core.comparison` run here on the same files.

The models are the shared tiny ones (tests/conftest.py): the final model of one training run and its
selection model; the pairs are new samples with every fifth label flipped, so the AUCs are below 1 and
differ.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import noisy_pair_csv_text
from tests.e2e.pages import choose_source, go, metrics, upload, wait_idle

pytestmark = pytest.mark.browser


def test_the_sessions_model_against_an_uploaded_one_shows_the_cores_difference_and_verdict(
    page, model_file, selection_model_file, tmp_path
):
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.comparison import compare_models
    from siamese_core.data import load_pair_csv

    pairs_path = tmp_path / "noisy.csv"
    pairs_path.write_text(noisy_pair_csv_text())
    pairs = load_pair_csv(pairs_path)
    expected = compare_models(
        load_model(model_file),
        load_model(selection_model_file),
        pairs,
        names=("model.keras", "selection.keras"),
    ).auc
    assert expected.difference != 0

    go(page, "Model files & scoring")
    upload(page, Path(model_file))
    page.get_by_text("Loaded model.keras: 6 features. It is now the model on every page.").wait_for()
    wait_idle(page)
    go(page, "Data & training", "Siamese similarity")
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    upload(page, pairs_path)
    page.get_by_text(f"{pairs.n_pairs:,} pairs, 6 features per sample").first.wait_for()
    wait_idle(page)

    go(page, "Compare models")
    page.get_by_text("Upload model B above to compare.").wait_for()
    upload(page, Path(selection_model_file))
    verdict = page.get_by_text(re.compile(r"^Verdict: "))
    expect(verdict).to_have_text(f"Verdict: {expected.verdict()}.")
    # the metrics are drawn after the verdict: wait for the last of them, as a person waits to read it
    page.locator('[data-testid="stMetricLabel"]').filter(has_text="AUC difference B − A").wait_for()
    wait_idle(page)
    shown = metrics(page)
    assert shown["ROC AUC of A"] == f"{expected.auc_a:.4f}"
    assert shown["ROC AUC of B"] == f"{expected.auc_b:.4f}"
    assert shown["AUC difference B − A"] == f"{expected.difference:+.4f}"
    interval = expected.interval
    expect(
        page.get_by_text(f"95% CI {interval.low:+.4f} to {interval.high:+.4f}", exact=True)
    ).to_be_visible()
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(p => p._fullData).length == 2"
    )
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => p._fullData.map(t => t.name))"
    )
    assert drawn[0] == [
        f"A: the session's model (AUC = {expected.auc_a:.3f})",
        f"B: selection.keras (AUC = {expected.auc_b:.3f})",
        "chance",
    ]
    assert drawn[1] == ["similar (n=73)", "dissimilar (n=77)"] * 2
    assert page.locator('[data-testid="stException"]').count() == 0
