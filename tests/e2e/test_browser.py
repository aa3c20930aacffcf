"""End to end in a real browser: `streamlit run dashboard/app.py` driven by headless Debian Chromium.

One flow on one browser session (Streamlit keeps the data and the model per session, so pages are
reached through the sidebar, never by loading a new URL): the demo data, a pair CSV uploaded through the
file input, a short training run, the evaluation with its threshold presets, the comparison of two
samples, and the model download. A second test checks that a bad CSV gives a plain error, no traceback.

Screenshots of each page are written to docs/screenshots/.
"""

from __future__ import annotations

import re
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.e2e.pages import choose_source, split_counts, wait_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
SLOW_MS = 120_000  # training, including TensorFlow's first import
STEP_MS = 60_000  # any other rerun
SLIDER_LABEL = "Threshold: pairs at or below this distance are called similar"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(STEP_MS)
    opened = context.new_page()
    try:
        opened.goto(server, wait_until="domcontentloaded")
        yield opened
    finally:
        context.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let charts finish drawing
    page.screenshot(path=str(SCREENSHOTS / name))


def _upload(page, path: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(path))


def _go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for()


def _metric(page, label: str):
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    )
    return metric.locator('[data-testid="stMetricValue"]').first


def _slider_value(page) -> float:
    """The threshold the slider shows on its thumb (formatted %.4f)."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=SLIDER_LABEL)
    return float(slider.locator('[data-testid="stSliderThumbValue"]').first.inner_text())


def _preset(page, name: str):
    button = page.get_by_role("button", name=re.compile(rf"^{re.escape(name)} \("))
    value = float(re.search(r"\(([-0-9.]+)\)", button.inner_text()).group(1))
    return button, value


def _wait_slider(page, target: float, tolerance: float = 6e-4) -> float:
    deadline = time.monotonic() + STEP_MS / 1000
    while True:
        value = _slider_value(page)
        if abs(value - target) <= tolerance or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(200)


def _small_pair_csv(directory: Path) -> Path:
    import pandas as pd

    path = directory / "small_pairs.csv"
    pd.read_csv(ROOT / "examples" / "digits_pairs.csv", nrows=600).to_csv(path, index=False)
    return path


def test_demo_upload_train_evaluate_compare_download(page, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect

    # 1. The demo data is loaded on arrival.
    page.get_by_text("11,304 pairs, 64 features per sample").wait_for(timeout=SLOW_MS)
    wait_idle(page)
    _shot(page, "data.png")

    # 2. A small pair CSV uploaded through the page's file input.
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    _upload(page, _small_pair_csv(tmp_path))
    page.get_by_text("600 pairs, 64 features per sample").wait_for()
    wait_idle(page)

    # 3. A short training run.
    page.get_by_text("Training settings").click()
    epochs = page.get_by_label("Most epochs")
    epochs.fill("5")
    epochs.press("Enter")
    expect(epochs).to_have_value("5")
    wait_idle(page)
    # The plan, said before training, holds the split's exact counts: they add up to the 600 pairs.
    plan = page.locator('[data-testid="stAlertContentInfo"]').filter(has_text="Before you train:")
    expect(plan).to_be_visible()
    planned = split_counts(plan.inner_text())
    assert sum(planned.values()) == 600, planned
    expect(plan).to_contain_text("then the final model is refit on all 600 pairs")
    page.locator('[data-testid="stBaseButton-primary"]').filter(has_text="Train").click()
    page.get_by_text("See the evaluation").wait_for(timeout=SLOW_MS)
    # 5 epochs, under the default patience of 10: the selection runs all 5, then the refit on all pairs.
    result = page.get_by_text(re.compile(r"^Training finished\. Pairs: "))
    expect(result).to_be_visible()
    message = result.inner_text()
    assert split_counts(message) == planned, message  # the split made is the split announced
    kept, ran = map(int, re.search(r"selection model kept epoch (\d+) of (\d+);", message).groups())
    assert ran == 5 and 1 <= kept <= 5, message
    assert re.search(r"final model refit on all 600 pairs for [\d,]+ steps \([\d.]+ epochs\)", message)
    test_pairs = f"{planned['test']:,} test-split pairs"
    assert f"held-out metrics: the selection model on {test_pairs}, whose samples it never saw" in message
    assert f"from the selection model (trained on {planned['train']:,} of 600 pairs" in message, message
    wait_idle(page)
    page.get_by_text("Training settings").click()  # fold the settings so the result shows
    wait_idle(page)
    _shot(page, "train.png")

    # 4. Evaluate: histogram, metrics and the threshold presets.
    page.get_by_text("See the evaluation").click()
    page.get_by_role("heading", name="Evaluate").first.wait_for()
    page.get_by_text("Hardest pairs").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    wait_idle(page)
    # Judged on the test split by the selection model, which never saw those samples.
    caption = page.get_by_text(re.compile(r": [\d,]+ pairs \([\d,]+ similar, [\d,]+ dissimilar\)"))
    expect(caption).to_contain_text(
        f"The selection model on {test_pairs}, whose samples it never saw: {planned['test']:,} pairs ("
    )
    for label in ("ROC AUC", "Equal error rate", "Accuracy", "Precision", "Recall", "F1"):
        expect(_metric(page, label)).to_be_visible()
    accuracy = _metric(page, "Accuracy").inner_text()
    assert re.fullmatch(r"\d{1,3}\.\d\d%", accuracy), accuracy
    auc = float(_metric(page, "ROC AUC").inner_text())
    assert 0.0 <= auc <= 1.0

    best_button, best = _preset(page, "Best accuracy")
    eer_button, eer = _preset(page, "Equal error rate")
    best_button.click()
    at_best = _wait_slider(page, best)
    assert abs(at_best - best) <= 6e-4, (at_best, best)
    wait_idle(page)
    eer_button.click()
    at_eer = _wait_slider(page, eer)
    assert abs(at_eer - eer) <= 6e-4, (at_eer, eer)
    if abs(best - eer) > 1e-3:
        assert at_eer != at_best
    wait_idle(page)
    expect(_metric(page, "Accuracy")).to_have_text(re.compile(r"\d{1,3}\.\d\d%"))
    page.locator(".js-plotly-plot").first.wait_for()
    _shot(page, "evaluate.png")

    # 5. Compare two samples picked from the loaded data (both sides of the 600 pairs).
    _go(page, "Compare two samples")
    for label in ("A", "B"):
        picker = page.get_by_label(re.compile(rf"^Sample {label} \(1 to 1,200\)"))
        expect(picker).to_be_visible()
        assert 1 <= int(picker.input_value()) <= 1200
    distance = _metric(page, "Distance")
    distance.wait_for()
    assert float(distance.inner_text()) >= 0.0
    assert _metric(page, "Verdict").inner_text().strip() in {"similar", "dissimilar"}
    wait_idle(page)
    _shot(page, "compare.png")

    # 6. Model download: one .keras (zip) file that loads back with 64 features.
    _go(page, "Model files & scoring")
    download_button = page.get_by_role("button", name=re.compile(r"Download the model \(\.keras\)"))
    download_button.wait_for()
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    saved = tmp_path / (download.suggested_filename or "model.keras")
    download.save_as(saved)
    assert saved.suffix == ".keras"
    assert zipfile.is_zipfile(saved)
    with zipfile.ZipFile(saved) as archive:
        names = set(archive.namelist())
    assert {"config.json", "siamese_core.json"} <= names, names

    from siamese_core.bundle import load_model

    assert load_model(saved).n_features == 64


def test_bad_csv_shows_plain_error(page):
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bad.csv"
        path.write_text("label,a_x,b_x\n0,1,oops\n1,2,3\n")
        _upload(page, path)
        error = page.locator('[data-testid="stAlertContentError"]').first
        error.wait_for()
    wait_idle(page)
    text = error.inner_text()
    assert "oops" in text and "is not a number" in text, text
    assert "Traceback" not in page.locator("body").inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
