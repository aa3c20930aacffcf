"""The dashboard's logic through Streamlit's AppTest (no browser): every page and path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
SMALL_TRAINING = {"epochs": 3, "hidden": "32", "embedding_dim": 8}


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception
    return at


def train(at: AppTest, **settings) -> AppTest:
    """Train with small settings (these override them) and wait for the end: the model is the session's."""
    start_training(at, **{**SMALL_TRAINING, **settings})
    return finish_training(at)


def start_training(at: AppTest, **settings):
    """Click Train with these settings; the run returns while the session's job trains. The job."""
    for key, value in settings.items():
        widget = at.text_input(key=key) if key == "hidden" else at.number_input(key=key)
        widget.set_value(value)
    at.button(key="train").click().run()
    assert not at.exception
    return at.session_state["training_job"]


def finish_training(at: AppTest) -> AppTest:
    """Wait for the session's training (a worker thread) to end, then run: the run adopts its model."""
    assert at.session_state["training_job"].wait(300), "training did not end within 300 s"
    at.run()
    assert not at.exception
    assert "training_job" not in at.session_state
    return at


def texts(elements) -> list[str]:
    """Element texts as a person reads them (user text is shown as escaped Markdown)."""
    return [str(element.value).replace("\\", "") for element in elements]


def small_pair_csv(rows: int = 400) -> bytes:
    frame = pd.read_csv(ROOT / "examples" / "digits_pairs.csv", nrows=rows)
    return frame.to_csv(index=False).encode()


def test_first_page_paints_without_tensorflow():
    """The Data & training page with the demo data imports neither TensorFlow (it takes ~10 s) nor
    scikit-learn (about 1.5 s, the larger part of the first visit's wait)."""
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({APP!r}, default_timeout=120); at.run();"
        "assert not at.exception, at.exception;"
        "print('11,304 pairs' in ' '.join(str(s.value) for s in at.success), 'tensorflow' in sys.modules,"
        "'sklearn' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.stdout.split()[-3:] == ["True", "False", "False"], result.stdout + result.stderr


def test_demo_opens_ready_to_train_and_trains_end_to_end():
    at = new_app()
    assert "11,304 pairs, 64 features per sample." in texts(at.success)
    labels = "similar: label = 0 (5,652 pairs); dissimilar: label = 1 (5,652 pairs)"
    assert labels in at.markdown[0].value.replace("\\", "")
    assert at.button(key="train").label == "Train"
    assert at.selectbox(key="batch_size").value == "auto"
    train(at)
    message = next(text for text in texts(at.success) if text.startswith("Training"))
    outcome = at.session_state["outcome"]
    assert outcome.selection.epochs_run == 3 and f"kept epoch {outcome.selection.best_epoch} of 3" in message
    assert (
        f"Held-out metrics from the selection model (trained on {outcome.splits.train.n_pairs:,} of "
        in message
    )
    assert at.session_state["bundle"].n_features == 64
    n_train = outcome.splits.train.n_pairs
    assert 1000 < n_train < 11_304  # the leakage-aware split keeps part of the 11,304 pairs
    # "auto" resolves for the selection model's training split; the refit keeps that batch size.
    from siamese_core.config import TrainConfig

    assert at.session_state["bundle"].train_config["batch_size"] == TrainConfig().batch_size_for(n_train)
    at.selectbox(key="batch_size").set_value(64)
    train(at, epochs=1)
    assert at.session_state["bundle"].train_config["batch_size"] == 64


@pytest.fixture(scope="module")
def trained_app() -> AppTest:
    """One app with a small model trained on an uploaded pair CSV, shared by the page tests below."""
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    assert "Upload a pair CSV to continue, or pick the demo data." in texts(at.info)
    at.file_uploader(key="pair_file").set_value(("pairs.csv", small_pair_csv(), "text/csv")).run()
    assert not at.exception
    assert "400 pairs, 64 features per sample." in texts(at.success)
    return train(at)


def test_upload_is_used_for_training(trained_app):
    outcome = trained_app.session_state["outcome"]
    assert outcome.splits.train.info.source == "pairs.csv"
    assert (
        sum(p.n_pairs for p in (outcome.splits.train, outcome.splits.validation, outcome.splits.test) if p)
        <= 400
    )


def test_evaluate_page_threshold_changes_the_metrics(trained_app):
    at = trained_app
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    labels = [metric.label for metric in at.metric]
    assert labels == [
        "ROC AUC",
        "Equal error rate",
        "Accuracy",
        "Precision",
        "Recall",
        "F1",
        "TAR at FAR 1%",
        "TAR at FAR 0.1%",
        "Brier score",
        "Expected calibration error",
    ]
    at.slider(key="threshold").set_value(0.0).run()
    assert at.metric[4].value == "0.00%"  # nothing is called similar at distance 0: recall 0
    at.button(key="preset_eer").click().run()
    evaluation = at.session_state["evaluation"][1]
    from siamese_core.evaluation import equal_error_rate

    assert at.session_state["threshold"] == pytest.approx(
        equal_error_rate(evaluation.distances, evaluation.pairs.labels)[1]
    )
    assert at.metric[4].value != "0.00%"
    assert len(at.dataframe) == 1  # hardest pairs
    assert not at.exception


def test_compare_page_rows_and_typed_vectors(trained_app):
    at = trained_app
    at.switch_page("views/compare.py").run()
    assert not at.exception
    metrics = {metric.label: metric.value for metric in at.metric}
    assert set(metrics) == {"Distance", "P(similar)", "Verdict", "Threshold"}  # values: test_dashboard_values
    at.radio(key="compare_mode").set_value("type").run()
    at.text_area(key="typed_a").set_value(", ".join(["1"] * 64))
    at.text_area(key="typed_b").set_value(" ".join(["1"] * 63 + ["oops"])).run()
    assert any("Sample B: value 64 ('oops') is not a number" in text for text in texts(at.error))
    at.text_area(key="typed_b").set_value(" ".join(["1"] * 64)).run()
    metrics = {metric.label: metric.value for metric in at.metric}
    assert float(metrics["Distance"]) < 1e-3 and metrics["Verdict"] == "similar"  # identical vectors
    at.radio(key="compare_mode").set_value("rows").run()


def test_compare_page_uploaded_samples_by_name_in_any_case(trained_app):
    """A samples CSV: the model's features found by name (here in capitals, in reverse order), rows with a
    gap left out of the choice, and text in a feature refused naming its column and row."""
    at = trained_app
    at.switch_page("views/compare.py").run()
    at.radio(key="compare_mode").set_value("upload").run()
    features = [f"PX{i}" for i in reversed(range(64))]
    rows = [",".join(["1"] * 64), ",".join([""] + ["2"] * 63), ",".join(["1"] * 64)]
    table = (
        "id," + ",".join(features) + "\n" + "".join(f"s{i},{row}\n" for i, row in enumerate(rows))
    ).encode()
    at.file_uploader(key="compare_file").set_value(("samples.csv", table, "text/csv")).run()
    assert not at.error and not at.exception
    assert at.number_input(key="uploaded_B_row").value == 3  # row 2 has a gap: the second complete row is 3
    metrics = {metric.label: metric.value for metric in at.metric}
    assert float(metrics["Distance"]) < 1e-3 and metrics["Verdict"] == "similar"  # rows 1 and 3 are equal
    broken = table.replace(b"s2,1,", b"s2,oops,")
    at.file_uploader(key="compare_file").set_value(("broken.csv", broken, "text/csv")).run()
    assert any(
        "broken.csv, column 'PX63', row 3 (line 4): value 'oops' is not a number" in text
        for text in texts(at.error)
    )


def test_model_page_download_upload_and_refusal(trained_app, tmp_path):
    import io
    import json
    import zipfile

    at = trained_app
    at.switch_page("views/model.py").run()
    assert not at.exception
    from dashboard.state import model_bytes  # noqa: F401  (the page's own bytes are in session state)

    data = at.session_state["model_bytes"][1]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {"config.json", "siamese_core.json"} <= set(archive.namelist())

    # An unsafe model (a Lambda layer added to its config) is refused with a message, and nothing crashes.
    unsafe = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(unsafe, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "config.json":
                config = json.loads(content)
                config["config"]["layers"].append({"class_name": "Lambda", "config": {}})
                content = json.dumps(config).encode()
            target.writestr(name, content)
    at.file_uploader(key="model_file").set_value(("evil.keras", unsafe.getvalue(), "application/zip")).run()
    assert not at.exception
    assert any("Lambda layer, which can run arbitrary code" in text for text in texts(at.error))

    at.file_uploader(key="model_file").set_value(("good.keras", data, "application/zip")).run()
    assert any("Loaded good.keras: 64 features" in text for text in texts(at.success))
    assert at.session_state["model_source"] == "uploaded from good.keras"

    at.file_uploader(key="score_file").set_value(("score.csv", small_pair_csv(20), "text/csv")).run()
    assert not at.exception
    assert any(text.startswith("Scored 20 pairs") for text in texts(at.success))

    # A file with a `similar` column of its own: it is kept, and the message counts ours and says so.
    header, *rows = small_pair_csv(20).decode().splitlines()
    own = "\n".join([f"{header},similar", *(f"{row},yes" for row in rows)]).encode()
    at.file_uploader(key="score_file").set_value(("own.csv", own, "text/csv")).run()
    assert not at.exception
    [scored] = [text for text in texts(at.success) if text.startswith("Scored 20 pairs")]
    assert scored.endswith(
        "Note: the input has columns named similar already, kept as they are: the added columns are similar_2."
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"label,a_x,b_x\n", "has a header but no data rows"),
        (b"label,a_x,b_x\n0,1,oops\n1,2,3\n", "is not a number"),
        (b"label,a_x,a_y,b_x\n0,1,2,3\n1,2,3,4\n", "sides of unequal width"),
        (b"\x00\x01\x02binary\xff", "binary"),
        (b"label,a_x,b_x\n0,1,\n1,2,3\n0,1,1\n1,5,3\n0,2,2\n", 'tick "Drop rows with missing values"'),
        (b"label,a_x,b_x\n2,1,1\n1,2,3\n0,1,1\n", "'2'"),
    ],
)
def test_bad_csvs_show_an_error_not_an_exception(content, fragment):
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("bad.csv", content, "text/csv")).run()
    assert not at.exception
    errors = " ".join(texts(at.error))
    assert "bad.csv" in errors and fragment in errors
    assert len(at.button) == 0 or "train" not in [button.key for button in at.button]


def test_flip_swaps_the_label_mapping():
    at = new_app()
    at.toggle(key="flip_labels").set_value(True).run()
    assert not at.exception
    assert "similar: label = 1 (5,652 pairs); dissimilar: label = 0" in at.markdown[0].value.replace("\\", "")


def test_missing_values_can_be_dropped():
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    csv = b"label,a_x,b_x\n0,1,\n1,2,3\n0,1,1\n1,5,3\n0,2,2\n1,9,1\n"
    at.file_uploader(key="pair_file").set_value(("gaps.csv", csv, "text/csv")).run()
    assert " ".join(texts(at.error)).endswith(
        'fill them in, or drop those rows (tick "Drop rows with missing values" under Columns and labels)'
    )
    at.checkbox(key="drop_missing").check().run()
    assert not at.exception and not at.error
    assert "5 pairs, 1 feature per sample." in texts(at.success)


def test_two_sessions_do_not_share_data_or_models():
    first, second = new_app(), new_app()
    first.radio(key="source").set_value("pairs").run()
    first.file_uploader(key="pair_file").set_value(("mine.csv", small_pair_csv(100), "text/csv")).run()
    assert "100 pairs, 64 features per sample." in texts(first.success)
    assert "11,304 pairs, 64 features per sample." in texts(second.success)
    assert "bundle" not in second.session_state and "pair_file_kept" not in second.session_state


def test_user_text_is_shown_as_text_not_markdown():
    """A column named like Markdown (bold, a link) and a file name with underscores show verbatim."""
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    csv = b"label,**bold**,[x](http://evil),a_x,b_x\n0,1,2,1,1\n1,1,2,5,9\n0,3,4,2,2\n1,3,4,0,7\n"
    at.file_uploader(key="pair_file").set_value(("my_file_.csv", csv, "text/csv")).run()
    assert not at.exception
    ignored = next(caption.value for caption in at.caption if "Ignored columns" in caption.value)
    assert ignored == "Ignored columns: \\*\\*bold\\*\\*, \\[x\\](http://evil)"
    assert any("my\\_file\\_.csv" in expander.label for expander in at.expander)


def test_pages_without_a_model_say_what_to_do():
    at = new_app()
    for page in ("views/evaluate.py", "views/compare.py"):
        at.switch_page(page).run()
        assert not at.exception
        assert any("No model yet" in text for text in texts(at.info))
