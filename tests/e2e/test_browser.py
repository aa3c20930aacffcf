"""End to end in a real browser: `streamlit run dashboard/app.py` driven by headless Debian Chromium.

One flow on one browser session (Streamlit keeps the data and the model per session, so pages are
reached through the sidebar, never by loading a new URL): the demo data, a pair CSV uploaded through the
file input, a short training run, the evaluation with its threshold presets, the comparison of two
samples, and the model download. The numbers read on the pages are checked against the downloaded model
and against numbers computed here. A second flow uploads a model of another width than the loaded data,
then data of its own width, and checks every number the pages show. A third test checks that a bad CSV
gives a plain error, no traceback.

Screenshots go to a temporary folder only (for debugging); the README's are made by
`python -m tests.e2e.screenshots`, which runs `demo_flow` into docs/screenshots/.
"""

from __future__ import annotations

import re
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.pages import STEP_MS, choose_source, metrics, split_counts, wait_idle
from tests.test_dashboard_values import (
    CALIBRATION_METRICS,
    METRICS,
    eer_bounds,
    eer_stand_in,
    model_distances,
    shown_metrics,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SLOW_MS = 120_000  # training, including TensorFlow's first import
SLIDER_LABEL = "Threshold: pairs at or below this distance are called similar"


def _shot(page, directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let charts finish drawing
    page.screenshot(path=str(directory / name))


def _upload(page, path: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(path))


def _go(page, title: str, heading: str | None = None) -> None:
    """Open a page through the sidebar and wait for its heading (its title unless given)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=heading or title).first.wait_for()


def _metric(page, label: str):
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    )
    return metric.locator('[data-testid="stMetricValue"]').first


def _slider_text(page) -> str:
    """The threshold the slider shows on its thumb (formatted %.4f)."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=SLIDER_LABEL)
    return slider.locator('[data-testid="stSliderThumbValue"]').first.inner_text().strip()


def _slider_value(page) -> float:
    return float(_slider_text(page))


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


def _download_model(page, directory: Path):
    """Click the model's download button; the downloaded file, loaded back."""
    from siamese_core.bundle import load_model

    download_button = page.get_by_role("button", name=re.compile(r"Download the model \(\.keras\)"))
    download_button.wait_for()
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    saved = directory / (download.suggested_filename or "model.keras")
    download.save_as(saved)
    assert saved.suffix == ".keras"
    assert zipfile.is_zipfile(saved)
    with zipfile.ZipFile(saved) as archive:
        names = set(archive.namelist())
    assert {"config.json", "siamese_core.json"} <= names, names
    return load_model(saved)


def _comparison(page, pairs) -> dict[str, str]:
    """Compare's default pick, the first row's two samples (checked by their captions): the metrics shown."""
    expect = pytest.importorskip("playwright.sync_api").expect
    last = f"{pairs.rows.max():,}"
    for label in ("A", "B"):  # row 1 for both: A its first sample, B its second
        expect(page.get_by_label(f"Sample {label}: pair row (1 to {last})")).to_have_value("1")
    for side in ("first", "second"):
        expect(page.get_by_text(f"row {pairs.rows[0]}, {side} sample", exact=True)).to_be_visible()
    _metric(page, "Distance").wait_for()
    wait_idle(page)
    return metrics(page)


def _check_comparison(shown: dict[str, str], pairs, model, threshold_text: str) -> None:
    """The distance shown is `model`'s for the first row's two samples, the threshold the one set on
    Evaluate, and the verdict follows from the two."""
    distance = float(model_distances(model.model, pairs.left[:1], pairs.right[:1])[0])
    assert abs(distance - model.threshold) > 1e-4  # the verdict does not hang on rounding
    assert set(shown) == {"Distance", "P(similar)", "Verdict", "Threshold"}, shown
    assert abs(float(shown["Distance"]) - distance) <= 5e-5 + 1e-6, (shown, distance)
    assert shown["Threshold"] == threshold_text, shown
    assert shown["Verdict"] == ("similar" if distance <= model.threshold else "dissimilar"), (shown, distance)


def _small_pair_csv(directory: Path) -> Path:
    import pandas as pd

    path = directory / "small_pairs.csv"
    pd.read_csv(ROOT / "examples" / "digits_pairs.csv", nrows=600).to_csv(path, index=False)
    return path


def demo_flow(page, work: Path, shots: Path) -> None:
    """The demo, a 600-pair upload, training, Evaluate, Compare and the model download, with screenshots
    of four pages saved into `shots` (`python -m tests.e2e.screenshots` passes docs/screenshots/)."""
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.data import load_pair_csv

    # 1. The demo data is loaded on arrival.
    page.get_by_text("11,304 pairs, 64 features per sample").wait_for(timeout=SLOW_MS)
    wait_idle(page)
    _shot(page, shots, "data.png")

    # 2. A small pair CSV uploaded through the page's file input.
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    uploaded = _small_pair_csv(work)
    _upload(page, uploaded)
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
    _shot(page, shots, "train.png")

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
    for label in METRICS:
        expect(_metric(page, label)).to_be_visible()
    arrived, trained_threshold = metrics(page), _slider_text(page)  # checked against the file in 6.

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
    eer_text = _slider_text(page)
    page.locator(".js-plotly-plot").first.wait_for()
    _shot(page, shots, "evaluate.png")

    # 5. Compare two samples: the first row's two samples, checked against the downloaded model in 6.
    _go(page, "Compare two samples")
    pairs = load_pair_csv(uploaded)
    compared = _comparison(page, pairs)
    _shot(page, shots, "compare.png")

    # 6. Model files, after Evaluate's preset and Compare (where the threshold used to be lost): the page
    # and the downloaded .keras file carry the threshold the slider showed.
    _go(page, "Model files & scoring")
    expect(page.get_by_text(re.compile(r"threshold [\d.]+ \(set on Evaluate"))).to_contain_text(
        f": 64 features, margin 1, threshold {eer_text} (set on Evaluate; saved with the model)."
    )
    model = _download_model(page, work)
    assert model.n_features == 64
    assert f"{model.threshold:.4f}" == eer_text and abs(model.threshold - eer) <= 5e-4, model.threshold
    _check_comparison(compared, pairs, model, eer_text)
    # What Evaluate showed on arrival, at the trained threshold, is the file's record of the held-out test.
    record = model.metrics
    assert f"{record['threshold']:.4f}" == trained_threshold, (record["threshold"], trained_threshold)
    assert arrived == {
        "ROC AUC": f"{record['auc']:.4f}",
        "Equal error rate": f"{record['eer']:.2%}",
        "Accuracy": f"{record['accuracy_at_threshold']:.2%}",
        "Precision": f"{record['precision_at_threshold']:.2%}",
        "Recall": f"{record['recall_at_threshold']:.2%}",
        "F1": f"{record['f1_at_threshold']:.4f}",
        **{
            f"TAR at FAR {rate}": "n/a" if record[key] is None else f"{record[key]:.2%}"
            for rate, key in (("1%", "tar_at_far_0.01"), ("0.1%", "tar_at_far_0.001"))
        },
        "Brier score": f"{record['brier_score']:.4f}",
        "Expected calibration error": f"{record['expected_calibration_error']:.4f}",
    }, (arrived, record)


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where a test run's screenshots go: its temporary folder, never docs/screenshots/."""
    return tmp_path / "screenshots"


def test_demo_upload_train_evaluate_compare_download(page, tmp_path, shots):
    demo_flow(page, tmp_path, shots)
    assert sorted(path.name for path in shots.iterdir()) == [
        "compare.png",
        "data.png",
        "evaluate.png",
        "train.png",
    ]


def test_a_model_of_another_width_then_data_of_its_own(page, tmp_path, model_file, pair_csv):
    """A fresh visit (the 64-feature demo) uploads a 6-feature model: a clear message on Model files and
    Evaluate, no exception (issue 17). Then a 6-feature pair CSV: every number on Evaluate equals the one
    computed here from the model file and the pairs; the equal-error-rate preset's threshold is the one
    Compare uses and the downloaded model carries."""
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    mismatch = (
        "digits demo pairs: the model has 6 features per sample but the file has 64; missing for example "
        "f0, f1, f2, f3, ... (6 in all). To evaluate this model, load data with its features on "
        "Data & training; Model files & scoring scores any pair CSV with its features."
    )
    page.get_by_text("11,304 pairs, 64 features per sample").wait_for(timeout=SLOW_MS)
    wait_idle(page)
    _go(page, "Model files & scoring")
    _upload(page, Path(model_file))
    expect(
        page.get_by_text("Loaded model.keras: 6 features. It is now the model on every page.")
    ).to_be_visible()
    warning = page.locator('[data-testid="stAlertContentWarning"] [data-testid="stMarkdownContainer"]')
    expect(warning).to_have_text(mismatch)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    _go(page, "Evaluate")
    expect(warning).to_have_text(mismatch)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stMetric"]').count() == 0

    # Data with the model's six features: Evaluate judges the model on all its pairs.
    _go(page, "Data & training", "Siamese similarity")
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    _upload(page, Path(pair_csv))
    pairs = load_pair_csv(pair_csv)
    page.get_by_text(f"{pairs.n_pairs:,} pairs, 6 features per sample").wait_for()
    wait_idle(page)
    _go(page, "Evaluate")
    page.get_by_text("Hardest pairs").wait_for()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)
    uploaded = load_model(model_file)
    distances = model_distances(uploaded.model, pairs.left, pairs.right)
    assert np.abs(distances - uploaded.threshold).min() > 1e-5  # no verdict hangs on the last float bit
    assert _slider_text(page) == f"{uploaded.threshold:.4f}"
    low, high, below, above = eer_bounds(distances, pairs.labels)
    shown = metrics(page)
    assert tuple(shown) == (*METRICS, *CALIBRATION_METRICS)
    shown = {label: shown[label] for label in METRICS}  # the calibration's: tests/e2e/test_calibration.py
    assert low - 5e-5 <= float(shown.pop("Equal error rate").rstrip("%")) / 100 <= high + 5e-5, (low, high)
    assert shown == shown_metrics(distances, pairs.labels, uploaded.threshold)

    # The equal-error-rate preset: a threshold between the two distances where FAR and FRR cross.
    eer_button, eer = _preset(page, "Equal error rate")
    eer_button.click()
    _wait_slider(page, eer)
    wait_idle(page)
    eer_text = _slider_text(page)
    assert below - 5e-5 <= float(eer_text) <= above + 5e-5, (eer_text, below, above)
    at_eer = metrics(page)  # checked below, with the downloaded model's exact threshold
    for label in ("Equal error rate", *CALIBRATION_METRICS):
        del at_eer[label]

    _go(page, "Compare two samples")
    compared = _comparison(page, pairs)
    _go(page, "Model files & scoring")
    expect(page.get_by_text(re.compile(r"threshold [\d.]+ \(set on Evaluate"))).to_contain_text(
        f"uploaded from model.keras: 6 features, margin 1, threshold {eer_text} (set on Evaluate;"
    )
    model = _download_model(page, tmp_path)
    assert f"{model.threshold:.4f}" == eer_text, (model.threshold, eer_text)
    assert at_eer == shown_metrics(distances, pairs.labels, eer_stand_in(model.threshold, below, above))
    _check_comparison(compared, pairs, model, eer_text)
    assert page.locator('[data-testid="stException"]').count() == 0


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
