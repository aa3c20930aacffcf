"""Issue 17, second round, in a real browser: what a person does on Evaluate, Compare and Model files, and
what they must see (`streamlit run dashboard/app.py` driven by headless Debian Chromium).

Each test is a new visitor who uploads the shared tiny 6-feature model (tests/conftest.py) instead of
training, then data with its features: labeled samples, a pair CSV whose label column is called `same`,
or pairs by reference. Numbers on the pages are checked against siamese_core run here on the same files;
figures are read from the page's Plotly charts (their `_fullData`), as drawn.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FEATURES, clustered_samples, pair_csv_text
from tests.e2e.pages import choose_source, go, metrics, set_number, upload, wait_idle

pytestmark = pytest.mark.browser

ERROR = '[data-testid="stAlertContentError"] [data-testid="stMarkdownContainer"]'
SPECIES = np.array(["setosa", "versicolor", "virginica", "tulip"])


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The visitors' files: labeled samples with ids, a pair CSV labelled same/different, pairs by
    reference (w000, w001, ...) with their samples, and a pair CSV whose labels are partly wrong."""
    folder = tmp_path_factory.mktemp("files")
    features, classes = clustered_samples()
    samples = pd.DataFrame(features, columns=FEATURES)
    samples.insert(0, "species", SPECIES[classes.astype(int)])
    samples.insert(0, "id", [f"s{i:03d}" for i in range(len(samples))])
    samples.to_csv(folder / "flowers.csv", index=False)

    wide = pd.read_csv(io.StringIO(pair_csv_text(n_pairs=120)))
    wide.insert(0, "same", np.where(wide.pop("label") == 0, "same", "different"))
    wide.to_csv(folder / "same_pairs.csv", index=False)

    ids = [f"w{i:03d}" for i in range(len(features))]
    reference_samples = pd.DataFrame(features, columns=FEATURES)
    reference_samples.insert(0, "id", ids)
    reference_samples.to_csv(folder / "words.csv", index=False)
    rng = np.random.default_rng(3)
    first, second = rng.integers(0, len(ids), 200), rng.integers(0, len(ids), 200)
    labels = (classes[first] != classes[second]).astype(int)
    pd.DataFrame({"id_a": np.take(ids, first), "id_b": np.take(ids, second), "label": labels}).to_csv(
        folder / "word_pairs.csv", index=False
    )

    # New pairs (seed 5: other samples) with every fifth label flipped: the model is right on the others.
    noisy = pd.read_csv(io.StringIO(pair_csv_text(n_pairs=150, seed=5)))
    noisy.loc[::5, "label"] = 1 - noisy.loc[::5, "label"]
    noisy.to_csv(folder / "new_pairs.csv", index=False)
    return {
        "samples": folder / "flowers.csv",
        "same": folder / "same_pairs.csv",
        "reference pairs": folder / "word_pairs.csv",
        "reference samples": folder / "words.csv",
        "noisy": folder / "new_pairs.csv",
    }


def _upload_model(page, model_file: str) -> None:
    go(page, "Model files & scoring")
    upload(page, Path(model_file))
    page.get_by_text("Loaded model.keras: 6 features. It is now the model on every page.").wait_for()
    wait_idle(page)


def _load_data(page, source: str, *paths: Path, loaded: str) -> None:
    go(page, "Data & training", "Siamese similarity")
    choose_source(page, source)
    page.get_by_text(re.compile(r"^Upload (a pair CSV|a samples CSV|both files) to continue")).wait_for()
    wait_idle(page)
    for index, path in enumerate(paths):
        upload(page, path, index)
        wait_idle(page)
    page.get_by_text(loaded).first.wait_for()
    wait_idle(page)


def _figures(page, count: int = 1) -> list[dict]:
    """The page's Plotly charts as drawn (once `count` are), each its title and its traces' type, name,
    x, y, text and z."""
    page.wait_for_function(
        """count => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(p => p._fullData).length
               >= count""",
        arg=count,
    )
    return page.evaluate(
        """() => {
            const list = a => (a === undefined || a === null)
                ? null : Array.from(a, v => ArrayBuffer.isView(v) || Array.isArray(v) ? Array.from(v) : v);
            return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(p => p._fullData).map(
                plot => ({
                    title: (plot._fullLayout.title.text || '').replace(/<[^>]*>/g, ''),  // Streamlit adds <b>
                    traces: plot._fullData.map(t => ({
                        type: t.type, name: t.name, x: list(t.x), y: list(t.y), text: list(t.text),
                        z: list(t.z),
                    })),
                }));
        }"""
    )


def _figure(page, title: str) -> dict:
    """The Plotly chart whose title starts with `title`, once it is drawn."""
    page.wait_for_function(
        """title => Array.from(document.querySelectorAll('.js-plotly-plot')).some(
               p => p._fullLayout && (p._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(title))""",
        arg=title,
    )
    return next(figure for figure in _figures(page) if figure["title"].startswith(title))


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.locator("body").inner_text()


# ------------------------------------------------------------------------------------------------------
# 4. The embedding plot: each sample once, in its class; pairs as pairs
# ------------------------------------------------------------------------------------------------------


def test_embeddings_draw_each_labeled_sample_once_in_its_own_class(page, files, model_file):
    """Labeled samples: every sample of the evaluated pairs is one point, in the trace of its own species
    (the old plot drew a pair's second sample under its first sample's class, and each sample once per
    pair); the legend counts samples."""
    from siamese_core.data import load_samples_csv
    from siamese_core.pairing import make_pairs

    _upload_model(page, model_file)
    _load_data(page, "Labeled samples CSV", files["samples"], loaded="160 samples of 4 classes")
    go(page, "Evaluate")
    samples = load_samples_csv(files["samples"])
    pairs = make_pairs(samples, seed=0)  # what Evaluate judges the model on: all pairs of the data
    in_pairs = np.unique(pairs.sample_rows)
    figure = _figure(page, f"{in_pairs.size:,} samples of these pairs, each drawn once")
    species_of = dict(zip(samples.ids.tolist(), samples.classes.tolist(), strict=True))

    drawn = []
    for trace in figure["traces"]:
        name = re.fullmatch(r"(\w+) \(n=(\d+)\)", trace["name"])
        assert name, trace["name"]
        ids = [re.fullmatch(r"id (s\d{3}) \(row \d+\)", text).group(1) for text in trace["text"]]
        assert int(name.group(2)) == len(ids) == len(trace["x"])
        assert {species_of[ident] for ident in ids} == {name.group(1)}, trace["name"]  # its own class
        drawn += ids
    assert len(drawn) == len(set(drawn))  # no sample twice
    assert sorted(drawn) == sorted(samples.ids[in_pairs - 1].tolist())  # every sample of the pairs
    counts = {trace["name"] for trace in figure["traces"]}
    expected = pd.Series(samples.classes[in_pairs - 1]).value_counts()
    assert counts == {f"{species} (n={count})" for species, count in expected.items()}
    _no_exception(page)


def test_embeddings_of_a_pair_file_draw_each_pair_as_a_line_coloured_by_its_label(page, files, model_file):
    """A pair CSV has no classes: each pair is a segment from its first to its second sample, in the
    similar or the dissimilar trace as its label says, hover text naming its row and side."""
    from siamese_core.data import load_pair_csv

    pairs = load_pair_csv(files["same"])
    _upload_model(page, model_file)
    _load_data(page, "Pair CSV", files["same"], loaded=f"{pairs.n_pairs:,} pairs, 6 features per sample")
    go(page, "Evaluate")
    figure = _figure(page, f"{pairs.n_pairs:,} pairs: a line from each pair's first sample to its second")
    n_similar = int((pairs.labels == 0).sum())
    similar, dissimilar = figure["traces"]
    assert similar["name"] == f"similar pairs (n={n_similar})"
    assert dissimilar["name"] == f"dissimilar pairs (n={pairs.n_pairs - n_similar})"
    for trace, kind in ((similar, 0), (dissimilar, 1)):
        rows = pairs.rows[pairs.labels == kind]
        expected = [
            text for row in rows for text in (f"row {row}, first sample", f"row {row}, second sample", None)
        ]
        assert trace["text"] == expected
        assert trace["x"][2::3] == [None] * rows.size  # a gap after each pair: one segment per pair
    _no_exception(page)


# ------------------------------------------------------------------------------------------------------
# 8. Labels, presets and the report
# ------------------------------------------------------------------------------------------------------


def test_label_line_presets_and_report_read_correctly(page, files, model_file, tiny_outcome, tmp_path):
    """A label column named `same` holding same/different reads as a condition; the two presets show
    digits enough to differ and say which pairs chose them, next to the trained threshold; the HTML report
    names the data file and the split's dropped pairs, and shows settings and labels as text, not JSON."""
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv
    from siamese_core.evaluation import evaluate_distances

    pairs = load_pair_csv(files["same"])
    n_similar = int((pairs.labels == 0).sum())
    _upload_model(page, model_file)
    _load_data(page, "Pair CSV", files["same"], loaded=f"{pairs.n_pairs:,} pairs, 6 features per sample")
    labels_line = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=re.compile("^Labels:"))
    expect(labels_line).to_contain_text(
        f"similar: same = 'same' ({n_similar} pairs); dissimilar: same = 'different' "
        f"({pairs.n_pairs - n_similar} pairs)"
    )

    go(page, "Evaluate")
    model = load_model(model_file)
    result = evaluate_distances(model.distances(pairs.left, pairs.right), pairs.labels)
    best = page.get_by_role("button", name=re.compile(r"^Best accuracy \(")).inner_text()
    eer = page.get_by_role("button", name=re.compile(r"^Equal error rate \(")).inner_text()
    best_text, eer_text = (re.search(r"\(([\d.]+)\)", text).group(1) for text in (best, eer))
    trained = model.metrics["threshold"]
    # The shown digits tell the values apart, and each is its value rounded to those digits.
    decimals = len(best_text.split(".")[1])
    assert decimals >= 4 and len(eer_text.split(".")[1]) == decimals
    assert (best_text == eer_text) == (round(result.best_threshold, 12) == round(result.eer_threshold, 12))
    assert abs(float(best_text) - result.best_threshold) <= 0.5 * 10**-decimals + 1e-12
    assert abs(float(eer_text) - result.eer_threshold) <= 0.5 * 10**-decimals + 1e-12
    expect(page.get_by_text(re.compile("^The presets are"))).to_have_text(
        "The presets are the thresholds with the best accuracy and with equal error rates on the "
        f"{pairs.n_pairs:,} pairs measured here; chosen on the pairs they are measured on, they flatter the "
        f"model. The model's threshold as trained, {trained:.{decimals}f}, was chosen on its validation pairs."
    )

    go(page, "Model files & scoring")
    button = page.get_by_role("button", name="Download the HTML report")
    with page.expect_download() as download:
        button.click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    body = report[report.index("<body>") : report.index('<div class="figure">')]
    assert "<tr><td>data file</td><td>same_pairs.csv</td></tr>" in body
    assert f"<tr><td>pairs evaluated</td><td>{pairs.n_pairs} ({n_similar} similar, " in body
    dropped = tiny_outcome.splits.dropped_pairs
    assert dropped > 0  # the tiny model's split dropped pairs: the report must say how many
    assert f"<li>{dropped:,} pairs whose two samples fell into different splits are left out" in body
    assert "<li>similar: label = 0</li><li>dissimilar: label = 1</li>" in body  # the model's own mapping
    assert "<tr><td>hidden</td><td>16</td></tr><tr><td>embedding dim</td><td>4</td></tr>" in body
    assert '{"' not in body and "similar_values" not in body
    _no_exception(page)


# ------------------------------------------------------------------------------------------------------
# 6. Picking two samples on Compare
# ------------------------------------------------------------------------------------------------------


def _radio(page, group: str, option: str) -> None:
    page.locator('[data-testid="stRadio"]').filter(has_text=group).locator("label").filter(
        has_text=option
    ).first.click()
    wait_idle(page)


def _caption(page, text):
    """A caption (the picked sample's description), apart from the same words in the neighbours' table."""
    return page.locator('[data-testid="stCaptionContainer"]').get_by_text(text, exact=True)


def _distance_shown(page) -> float:
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)
    return float(metrics(page)["Distance"])


def test_compare_picks_a_pair_row_and_side(page, files, model_file):
    """Row 1's two samples to begin with; then sample A is row 3's second sample and B stays row 1's
    second: the distance is the model's for exactly those two."""
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    pairs = load_pair_csv(files["same"])
    model = load_model(model_file)
    _upload_model(page, model_file)
    _load_data(page, "Pair CSV", files["same"], loaded=f"{pairs.n_pairs:,} pairs, 6 features per sample")
    go(page, "Compare two samples")
    last = f"{pairs.n_pairs:,}"
    expect(page.get_by_label(f"Sample A: pair row (1 to {last})")).to_have_value("1")
    expect(page.get_by_label(f"Sample B: pair row (1 to {last})")).to_have_value("1")
    expect(_caption(page, "row 1, first sample")).to_be_visible()
    expect(_caption(page, "row 1, second sample")).to_be_visible()
    first_pair = float(model.distances(pairs.left[:1], pairs.right[:1])[0])
    assert abs(_distance_shown(page) - first_pair) <= 5e-5 + 1e-6

    set_number(page, f"Sample A: pair row (1 to {last})", 3)
    _radio(page, "Sample A: side", "second sample")
    expect(_caption(page, "row 3, second sample")).to_be_visible()
    expect(_caption(page, "row 1, second sample")).to_be_visible()
    expected = float(model.distances(pairs.right[2:3], pairs.right[:1])[0])
    assert abs(expected - first_pair) > 1e-3  # a different pair of samples, a different distance
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(f"{expected:.4f}")
    _no_exception(page)


def test_compare_finds_a_sample_by_its_id_in_pairs_by_reference(page, files, model_file):
    """Pairs by reference name their samples (w000, ...): sample A found by its id is that sample; an
    unknown id says which box to fix."""
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pairs_by_reference

    pairs = load_pairs_by_reference(files["reference pairs"], files["reference samples"])
    samples = pd.read_csv(files["reference samples"])
    model = load_model(model_file)
    _upload_model(page, model_file)
    _load_data(
        page,
        "Pairs by reference",
        files["reference pairs"],
        files["reference samples"],
        loaded=f"{pairs.n_pairs:,} pairs, 6 features per sample",
    )
    go(page, "Compare two samples")
    _radio(page, "Pick sample A by", "Id")
    box = page.get_by_label("Sample A: id")
    box.fill("nope")
    box.press("Enter")
    wait_idle(page)
    expect(page.locator(ERROR)).to_have_text("No sample has the id 'nope': check Sample A: id.")
    ident = pairs.sample_ids[5, 1]  # a sample that is the second of pair 6 (and maybe of others)
    box.fill(ident)
    box.press("Enter")
    wait_idle(page)
    expect(_caption(page, re.compile(rf"^id {ident}, row \d+, (first|second) sample$"))).to_be_visible()
    vector = samples.loc[samples["id"] == ident, FEATURES].to_numpy(np.float32)
    b = pairs.right[:1]  # B: row 1's second sample, as it begins
    expect(_caption(page, f"id {pairs.sample_ids[0, 1]}, row {pairs.rows[0]}, second sample")).to_be_visible()
    expected = float(model.distances(vector, b)[0])
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(f"{expected:.4f}")
    _no_exception(page)


def test_pasting_shows_the_whole_feature_order_and_answers_the_first_vector(page, wide_model_file):
    """A 12-feature model: all 12 names in order (not the first 8); after pasting sample A alone the page
    says it was read and asks for B; a bad B names its problem."""
    expect = pytest.importorskip("playwright.sync_api").expect
    names = [f"band_{i:02d}" for i in range(12)]
    go(page, "Model files & scoring")
    upload(page, Path(wide_model_file))
    page.get_by_text(re.compile(r"^Loaded wide\.keras: 12 features")).wait_for()
    wait_idle(page)
    go(page, "Compare two samples")
    _radio(page, "Samples", "Type or paste two vectors")
    expect(page.locator('[data-testid="stCode"]')).to_have_text(", ".join(names))
    page.get_by_label("Sample A").fill(" ".join(["0.5"] * 12))
    page.get_by_label("Sample B").click()  # leaving the box sends its text
    wait_idle(page)
    expect(page.get_by_text("Sample A: 12 numbers read.")).to_be_visible()
    expect(
        page.locator('[data-testid="stAlertContentInfo"] [data-testid="stMarkdownContainer"]')
    ).to_have_text("Sample A is read. Type or paste sample B to compare them.")
    page.get_by_label("Sample B").fill("1, 2, 3")
    page.get_by_label("Sample A").click()
    wait_idle(page)
    expect(page.locator(ERROR)).to_have_text("Sample B has 3 numbers; the model expects 12")
    _no_exception(page)


@pytest.fixture(scope="module")
def wide_model_file(tmp_path_factory) -> str:
    """A 12-feature model, trained for one epoch: only its feature names matter here."""
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import SampleSet
    from siamese_core.pipeline import fit
    from siamese_core.training import TrainConfig

    rng = np.random.default_rng(0)
    classes = np.repeat(np.arange(3), 20).astype(str)
    features = (rng.normal(0, 1, (60, 12)) + classes.astype(int)[:, None]).astype(np.float32)
    pairs = make_pairs(SampleSet(features, classes, [f"band_{i:02d}" for i in range(12)]), seed=0)
    config = TrainConfig(hidden=(8,), embedding_dim=2, epochs=1, batch_size=32, seed=0)
    path = tmp_path_factory.mktemp("wide") / "wide.keras"
    fit(pairs, config, test_fraction=0.2, refit=False).bundle.save(path)
    return str(path)


# ------------------------------------------------------------------------------------------------------
# 7. Scoring a labelled file
# ------------------------------------------------------------------------------------------------------


def test_scoring_a_labelled_file_puts_results_first_and_shows_itsmetrics(page, files, model_file):
    """The preview starts with distance and similar; the file has labels, so the metrics, the confusion
    matrix and the histograms are those siamese_core computes from the same distances at the model's
    threshold (every fifth label is flipped, so they are not perfect)."""
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv
    from siamese_core.evaluation import evaluate_distances

    model = load_model(model_file)
    pairs = load_pair_csv(files["noisy"])
    distances = model.distances(pairs.left, pairs.right)
    assert np.abs(distances - model.threshold).min() > 1e-5  # no verdict hangs on the last float bit
    result = evaluate_distances(
        distances, pairs.labels, threshold=model.threshold, margin=model.margin, calibration=model.calibration
    )
    at = result.at_threshold
    assert 0.5 < at.accuracy < 1 and result.auc < 1  # the flipped labels cost something

    _upload_model(page, model_file)
    upload(page, files["noisy"], 1)
    page.get_by_text(re.compile(rf"^Scored {pairs.n_pairs} pairs at threshold")).wait_for()
    wait_idle(page)
    # The grid is drawn on a canvas; its accessible table (hidden) holds the column headers in order.
    headers = page.locator('[data-testid="stDataFrame"] th[role=columnheader]')
    headers.nth(2).wait_for(state="attached")
    assert headers.all_text_contents()[:3] == ["distance", "similar", "label"]

    page.get_by_role("heading", name="How the model does on this file").wait_for()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)
    n_similar = int((pairs.labels == 0).sum())
    expect(page.get_by_text(re.compile(r"^\d+ scored pairs"))).to_have_text(
        f"{pairs.n_pairs} scored pairs ({n_similar} similar, {pairs.n_pairs - n_similar} dissimilar) at "
        f"threshold {model.threshold:.4f}. Labels: similar: label = 0 ({n_similar} pairs); dissimilar: "
        f"label = 1 ({pairs.n_pairs - n_similar} pairs) (as in the model's training data)."
    )
    assert metrics(page) == {
        "ROC AUC": f"{result.auc:.4f}",
        "Equal error rate": f"{result.eer:.2%}",
        "Accuracy": f"{at.accuracy:.2%}",
        "Precision": f"{at.precision:.2%}",
        "Recall": f"{at.recall:.2%}",
        "F1": f"{at.f1:.4f}",
        **{
            f"TAR at FAR {far * 100:g}%": "n/a" if tar is None else f"{tar:.2%}"
            for far, tar in result.tar_at_far.items()
        },
        "Brier score": f"{result.calibration.brier:.4f}",
        "Expected calibration error": f"{result.calibration.ece:.4f}",
    }
    confusion = _figure(page, "Confusion matrix at threshold")
    assert confusion["traces"][0]["z"] == [[at.tp, at.fn], [at.fp, at.tn]]
    histogram = next(f for f in _figures(page, 3) if f["traces"][0]["type"] == "histogram")
    names = [trace["name"] for trace in histogram["traces"]]
    assert names == [f"similar (n={n_similar})", f"dissimilar (n={pairs.n_pairs - n_similar})"]
    _no_exception(page)
