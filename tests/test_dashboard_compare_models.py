"""The Compare models page through Streamlit's AppTest (no browser): two models on the same pairs, the AUC
difference with its paired interval and the verdict, checked against `siamese_core.comparison` run here.

The models are the shared tiny ones (tests/conftest.py): the final model of one training run and its
selection model, both on features f0..f5; the pairs are new samples with every fifth label flipped, so
both AUCs are below 1 and differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import noisy_pair_csv_text
from tests.test_dashboard import new_app, texts

PAGE = "views/compare_models.py"
KERAS = "application/zip"


def _open() -> object:
    at = new_app()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _upload(at, key: str, name: str, content: bytes, kind: str = KERAS):
    at.file_uploader(key=key).set_value((name, content, kind)).run()
    assert not at.exception
    return at


def _shown(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _figure_names(at) -> list[list[str]]:
    """The trace names of each Plotly chart on the page, in order."""
    return [
        [trace.get("name") for trace in json.loads(chart.proto.spec)["data"]]
        for chart in at.get("plotly_chart")
    ]


def _expected(model_a: str, model_b: str, csv: bytes, names: tuple[str, str]):
    from siamese_core.bundle import load_model
    from siamese_core.comparison import compare_models
    from siamese_core.data import load_pair_csv

    pairs = load_pair_csv(csv, name="noisy.csv")
    return compare_models(load_model(model_a), load_model(model_b), pairs, names=names)


def test_without_models_the_page_says_what_to_do():
    at = _open()
    assert at.title[0].value == "Compare models"
    assert texts(at.info) == ["Upload model A and model B above to compare."]
    assert not at.metric and not at.error


def test_two_uploaded_models_on_a_pair_csv_show_the_cores_numbers(model_file, selection_model_file):
    """No model in the session: A and B are both uploaded; the pairs an uploaded CSV. Every number shown
    is the core's comparison of the two files, formatted as the page writes it."""
    at = _open()
    _upload(at, "compare_model_a", "final.keras", Path(model_file).read_bytes())
    assert texts(at.info) == ["Upload model B above to compare."]
    _upload(at, "compare_model_b", "selection.keras", Path(selection_model_file).read_bytes())
    at.radio(key="compare_models_pairs").set_value("upload").run()
    assert "Upload a pair CSV to compare the models on." in texts(at.info)
    csv = noisy_pair_csv_text().encode()
    _upload(at, "compare_pairs_file", "noisy.csv", csv, "text/csv")
    assert not at.error

    expected = _expected(model_file, selection_model_file, csv, ("final.keras", "selection.keras"))
    auc = expected.auc
    assert auc.difference != 0
    assert _shown(at) == {
        "ROC AUC of A": f"{auc.auc_a:.4f}",
        "ROC AUC of B": f"{auc.auc_b:.4f}",
        "AUC difference B − A": f"{auc.difference:+.4f}",
        "B ahead in": f"{auc.share_b_better:.1%}",
    }
    captions = texts(at.caption)
    d = auc.interval
    assert f"95% CI {d.low:+.4f} to {d.high:+.4f}" in captions
    assert f"95% CI {auc.auc_a_interval.low:.4f} to {auc.auc_a_interval.high:.4f}" in captions
    assert f"two-sided p = {auc.p_value:.3g}" in captions
    verdict = f"Verdict: {auc.verdict()}."
    assert verdict in texts(at.info) + texts(at.success)
    assert "150 pairs of noisy.csv." in captions
    assert _figure_names(at) == [
        [
            f"A: final.keras (AUC = {auc.auc_a:.3f})",
            f"B: selection.keras (AUC = {auc.auc_b:.3f})",
            "chance",
        ],
        ["similar (n=73)", "dissimilar (n=77)"] * 2,
    ]


def test_the_sessions_model_against_its_own_file_differs_by_exactly_zero(model_file):
    """The session's model (uploaded on Model files & scoring) on the session's pairs (the loaded CSV)
    against the same model file as B: AUC of A as Evaluate shows it, the difference +0.0000 with the
    interval [0, 0], and no clear difference."""
    csv = noisy_pair_csv_text().encode()
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    _upload(at, "pair_file", "noisy.csv", csv, "text/csv")
    at.switch_page("views/model.py").run()
    content = Path(model_file).read_bytes()
    _upload(at, "model_file", "model.keras", content)
    at.switch_page("views/evaluate.py").run()
    evaluate_auc = _shown(at)["ROC AUC"]

    at.switch_page(PAGE).run()
    assert "Model A: the session's model" in [markdown.value.replace("*", "") for markdown in at.markdown]
    assert "150 pairs: all pairs of the loaded data." in texts(at.caption)
    _upload(at, "compare_model_b", "same.keras", content)
    shown = _shown(at)
    assert shown["ROC AUC of A"] == shown["ROC AUC of B"] == evaluate_auc
    assert shown["AUC difference B − A"] == "+0.0000"
    assert "95% CI +0.0000 to +0.0000" in texts(at.caption)
    assert "two-sided p = 1" in texts(at.caption)
    assert texts(at.info) == ["Verdict: no clear difference: the interval of the AUC difference includes 0."]


def test_a_model_without_the_pairs_features_is_named_with_what_to_do(model_file):
    """Two 6-feature models on the demo's 64-feature pairs: the error names model A and its file, and
    points to the control that helps."""
    at = _open()
    content = Path(model_file).read_bytes()
    _upload(at, "compare_model_a", "six.keras", content)
    _upload(at, "compare_model_b", "also_six.keras", content)
    assert texts(at.error) == [
        "digits demo pairs: model A (six.keras) has 6 features per sample but the file has 64; missing for "
        "example f0, f1, f2, f3, ... (6 in all). Or choose **A pair CSV with labels** above, with both models' "
        "features."
    ]
    assert not at.metric


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", "notes.txt is not a .keras file: upload one of those instead."),
        (
            "broken.keras",
            b"not a zip archive",
            "broken.keras: not a model file (a .keras model is a zip archive; this is not one)",
        ),
    ],
)
def test_a_bad_model_upload_is_refused_under_its_control(name, content, message, model_file):
    at = _open()
    _upload(at, "compare_model_a", "good.keras", Path(model_file).read_bytes())
    _upload(at, "compare_model_b", name, content)
    assert texts(at.error) == [message]
    assert texts(at.info) == ["Upload model B above to compare."]


def test_a_bad_pair_csv_is_refused_in_the_dashboards_words(model_file):
    """A pair CSV with an empty cell: the message names the file and the checkbox under the upload; ticked,
    the row is dropped and both models are compared on the other 149 pairs."""
    at = _open()
    content = Path(model_file).read_bytes()
    _upload(at, "compare_model_a", "a.keras", content)
    _upload(at, "compare_model_b", "b.keras", content)
    at.radio(key="compare_models_pairs").set_value("upload").run()
    header, first, *rest = noisy_pair_csv_text().splitlines()
    gappy = "\n".join([header, first.rsplit(",", 1)[0] + ",", *rest]).encode()
    _upload(at, "compare_pairs_file", "gaps.csv", gappy, "text/csv")
    [error] = texts(at.error)
    assert error.startswith("gaps.csv") and error.endswith(
        'fill them in, or drop those rows (tick "Drop rows with missing values" under the upload)'
    )
    at.checkbox(key="compare_drop_missing").check().run()
    assert not at.exception and not at.error
    assert "149 pairs of gaps.csv." in texts(at.caption)
    assert _shown(at)["AUC difference B − A"] == "+0.0000"
