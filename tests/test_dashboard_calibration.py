"""The calibrated probability of "similar" on the dashboard (AppTest, no browser): Evaluate's Brier score,
expected calibration error and reliability diagram, and Compare's P(similar), each equal to the number
computed here from one call of the Keras model and the calibration's own corner points."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dashboard.evaluation_panel import NO_CALIBRATION
from tests.test_dashboard import new_app, texts
from tests.test_dashboard_values import model_distances, shown


def _with_model_and_pairs(model_bytes: bytes, pair_csv: str):
    """An app with the model uploaded and the pair CSV loaded."""
    at = new_app()
    at.switch_page("views/model.py").run()
    at.file_uploader(key="model_file").set_value(("six.keras", model_bytes, "application/zip")).run()
    at.switch_page("views/data_train.py").run()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("six.csv", Path(pair_csv).read_bytes(), "text/csv")).run()
    assert not at.exception
    return at


def _chart_titles(at) -> list[str]:
    layouts = [json.loads(chart.proto.spec)["layout"] for chart in at.get("plotly_chart")]
    return [layout.get("title", {}).get("text", "") for layout in layouts]


@pytest.fixture(scope="module")
def uncalibrated_model(model_file, tmp_path_factory) -> bytes:
    from siamese_core.bundle import load_model

    path = tmp_path_factory.mktemp("old") / "old.keras"
    replace(load_model(model_file), calibration=None).save(path)
    return path.read_bytes()


def test_evaluate_shows_the_calibration_of_p_similar(model_file, pair_csv):
    """The Brier score and ECE of p_similar (np.interp over the file's corner points) on the 300 pairs, as
    the page writes them, the reliability diagram titled with them, and where the calibration comes from."""
    from siamese_core.bundle import load_model
    from siamese_core.calibration import brier_score, expected_calibration_error
    from siamese_core.data import load_pair_csv

    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    calibration = model.calibration
    p_similar = np.interp(
        model_distances(model.model, pairs.left, pairs.right),
        calibration.distances,
        calibration.probabilities,
    )
    brier = f"{brier_score(p_similar, pairs.labels):.4f}"
    ece = f"{expected_calibration_error(p_similar, pairs.labels):.4f}"

    at = _with_model_and_pairs(Path(model_file).read_bytes(), pair_csv)
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    metrics = shown(at)
    assert (metrics["Brier score"], metrics["Expected calibration error"]) == (brier, ece)
    assert f"Reliability of p_similar (ECE {ece}, Brier {brier})" in _chart_titles(at)
    assert f"p_similar: {calibration.describe()}." in texts(at.caption)
    assert "Calibration of p_similar" in texts(at.subheader)


def test_compare_shows_p_similar_beside_the_distance_and_verdict(model_file, pair_csv):
    """The first pair's two samples (rows picked by default): P(similar) is the calibration at the
    distance shown."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    distance = float(model_distances(model.model, pairs.left[:1], pairs.right[:1])[0])
    expected = np.interp(distance, model.calibration.distances, model.calibration.probabilities)

    at = _with_model_and_pairs(Path(model_file).read_bytes(), pair_csv)
    at.switch_page("views/compare.py").run()
    assert not at.exception
    metrics = shown(at)
    assert list(metrics)[:4] == ["Distance", "P(similar)", "Verdict", "Threshold"]
    assert metrics["Distance"] == f"{distance:.4f}"
    assert metrics["P(similar)"] == f"{expected:.3f}"
    help_text = next(metric.proto.help for metric in at.metric if metric.label == "P(similar)")
    assert model.calibration.describe() in help_text.replace("\\", "")


def test_a_model_without_a_calibration_says_so_on_evaluate_and_compare(uncalibrated_model, pair_csv):
    at = _with_model_and_pairs(uncalibrated_model, pair_csv)
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    assert NO_CALIBRATION in texts(at.info)
    assert "Brier score" not in shown(at)
    assert not any(title.startswith("Reliability") for title in _chart_titles(at))
    at.switch_page("views/compare.py").run()
    assert not at.exception
    assert shown(at)["P(similar)"] == "n/a"
