"""Data & training's split plan, refit and separate test file, through Streamlit's AppTest (no browser).

The expected texts are computed here with the same public functions the page calls (`make_splits`,
`plan_text`), so a change in the counts, the shares or the wording of either side makes them fail.
"""

from __future__ import annotations

import pandas as pd
import pytest

from siamese_core.data import load_pair_csv, load_samples_csv
from siamese_core.pairs import PairSet
from siamese_core.splits import make_splits, plan_text
from tests.test_dashboard import (
    ROOT,
    SMALL_TRAINING,
    finish_training,
    new_app,
    small_pair_csv,
    start_training,
    texts,
    train,
)

DEMO_CSV = ROOT / "examples" / "digits_pairs.csv"
SAMPLES_CSV = ROOT / "examples" / "digits_samples.csv"
TINY = {"epochs": 1}
PLAN_PREFIX = "**Before you train:** "


def shown_plan(at) -> str:
    """The plan as a person reads it, without its bold lead-in and final full stop."""
    plans = [text for text in texts(at.info) if text.startswith(PLAN_PREFIX)]
    assert len(plans) == 1, texts(at.info)
    return plans[0].removeprefix(PLAN_PREFIX).removesuffix(".")


def expected_plan(at, data, *, refit: bool = True, test_source: str | None = None, **pairing):
    """The page's split and plan, made with the page's current settings."""
    splits = make_splits(
        data,
        validation_fraction=at.slider(key="validation_fraction").value,
        test_fraction=0.0 if test_source else at.slider(key="test_fraction").value,
        seed=int(at.number_input(key="seed").value),
        **pairing,
    )
    held_out = splits.validation is not None or splits.test is not None or splits.dropped_pairs > 0
    n_pairs = data.n_pairs if isinstance(data, PairSet) else None
    return splits, plan_text(
        splits.describe(), n_pairs, refit=refit, held_out=held_out, test_source=test_source
    )


def result_message(at) -> str:
    return next(text for text in texts(at.success) if text.startswith("Training"))


def samples_csv(rows: slice) -> bytes:
    """Some rows of the digits samples CSV: two disjoint slices hold different samples."""
    frame = pd.read_csv(SAMPLES_CSV).iloc[rows]
    return frame.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def demo():
    return load_pair_csv(DEMO_CSV)


def test_plan_is_shown_before_training_with_the_exact_counts_and_follows_the_shares(demo):
    at = new_app()
    splits, expected = expected_plan(at, demo)
    shown = shown_plan(at)
    assert shown == expected
    assert f"train {splits.train.n_pairs:,}, validation {splits.validation.n_pairs:,}" in shown
    assert f"test {splits.test.n_pairs:,}" in shown and f"refit on all {demo.n_pairs:,} pairs" in shown
    assert "bundle" not in at.session_state  # said before any training

    at.slider(key="test_fraction").set_value(0.3).run()
    assert not at.exception
    bigger, expected_after = expected_plan(at, demo)
    assert bigger.test.n_pairs > splits.test.n_pairs
    assert shown_plan(at) == expected_after != shown

    at.checkbox(key="refit").uncheck().run()
    assert shown_plan(at) == expected_plan(at, demo, refit=False)[1]
    assert "(no refit)" in shown_plan(at)
    assert any("no sample is in two splits" in text.lower() for text in texts(at.caption))


def test_refit_on_and_off_are_said_in_the_result_and_measured_honestly(demo):
    at = new_app()
    assert at.checkbox(key="refit").value is True
    job = start_training(at, **{**SMALL_TRAINING, **TINY})
    finish_training(at)
    outcome = at.session_state["outcome"]
    message = result_message(at)
    assert outcome.selection is not None and outcome.final_pairs == demo.n_pairs
    assert f"the final model was refit on all {demo.n_pairs:,} pairs" in message
    assert (
        f"Held-out metrics from the selection model (trained on {outcome.splits.train.n_pairs:,} of "
        f"{demo.n_pairs:,} pairs, never saw the test samples): AUC {outcome.test.auc:.4f}"
    ) in message
    # The progress the page showed last, while the refit ran.
    assert job.snapshot().text.startswith(f"Refitting on all {demo.n_pairs:,} pairs: epoch")

    # Evaluate: the selection model's distances on the test split, titled with what was measured.
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    evaluation = at.session_state["evaluation"][1]
    assert evaluation.pairs is outcome.test_pairs and evaluation.distances is outcome.test_distances
    assert evaluation.title == outcome.measured and "selection model" in outcome.measured
    assert any(
        text.startswith(f"The selection model on {outcome.test_pairs.n_pairs:,}")
        for text in texts(at.caption)
    )

    at.switch_page("views/data_train.py").run()
    at.checkbox(key="refit").uncheck().run()
    job = start_training(at, **{**SMALL_TRAINING, **TINY})
    finish_training(at)
    outcome = at.session_state["outcome"]
    message = result_message(at)
    assert outcome.selection is None and outcome.final_pairs == outcome.splits.train.n_pairs
    assert "the final model was not refit on all pairs" in message
    assert "was refit on all" not in message and "final model refit on all" not in message
    assert "Held-out metrics from the final model" in message
    assert job.snapshot().text.startswith("Training: epoch")

    # No held-out pairs: Evaluate says the numbers are on pairs the model trained on.
    at.slider(key="test_fraction").set_value(0.0)
    at.slider(key="validation_fraction").set_value(0.0).run()
    assert shown_plan(at) == f"all {demo.n_pairs:,} pairs train the model; nothing is held out"
    train(at, **TINY)
    assert "No held-out metrics" in result_message(at)
    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    title = at.session_state["evaluation"][1].title
    assert title == "all pairs of the loaded data (the model trained on them: not a held-out measure)"
    assert any(
        text.startswith("All pairs of the loaded data (the model trained on them")
        for text in texts(at.caption)
    )


def test_a_test_file_of_other_samples_gives_the_metrics():
    at = new_app()
    at.radio(key="source").set_value("samples").run()
    at.file_uploader(key="samples_file").set_value(
        ("first.csv", samples_csv(slice(0, 900)), "text/csv")
    ).run()
    assert not at.exception and not at.error
    assert not at.slider(key="test_fraction").disabled
    at.file_uploader(key="test_file").set_value(
        ("other.csv", samples_csv(slice(900, None)), "text/csv")
    ).run()
    assert not at.exception and not at.error
    assert at.slider(key="test_fraction").disabled  # no test split with a test file

    first = load_samples_csv(samples_csv(slice(0, 900)), name="first.csv")
    _, expected = expected_plan(
        at,
        first,
        test_source="other.csv",
        pairs_per_sample=int(at.number_input(key="pairs_per_sample").value),
    )
    assert shown_plan(at) == expected and expected.endswith("the metrics come from the test file other.csv")

    train(at, **TINY)
    outcome = at.session_state["outcome"]
    assert outcome.splits.test is None and outcome.test is not None
    assert outcome.test_pairs.info.source == "other.csv"
    message = result_message(at)
    assert (
        f"Held-out metrics from the test file other.csv (the final model on {outcome.test_pairs.n_pairs:,} of "
        "its pairs, whose samples it never saw)"
    ) in message
    assert f"the final model was refit on all {outcome.final_pairs:,} pairs" in message

    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    evaluation = at.session_state["evaluation"][1]
    assert evaluation.pairs is outcome.test_pairs and evaluation.title == outcome.measured
    assert evaluation.classes is None  # the test file's rows are not rows of the loaded samples


def test_a_pair_test_file_sharing_samples_is_measured_on_its_new_pairs_only():
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("train.csv", small_pair_csv(400), "text/csv")).run()
    rows = pd.read_csv(DEMO_CSV, nrows=1200).iloc[400:]
    at.file_uploader(key="test_file").set_value(
        ("more.csv", rows.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not at.exception and not at.error
    train(at, **TINY)
    outcome = at.session_state["outcome"]
    assert 0 < outcome.test_pairs.n_pairs < 800  # pairs with a sample of train.csv are left out
    message = result_message(at)
    assert "of 800 pairs of more.csv share a sample with the training data" in message
    assert "Held-out metrics from the test file more.csv" in message


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("renamed.csv", small_pair_csv(40).replace(b"px", b"pixel"), "not those of the training data"),
        ("narrow.csv", b"label,a_x,b_x\n0,1,1\n1,2,3\n0,1,1\n1,5,3\n", "the training data has 64 features"),
        ("broken.csv", b"label,a_x,b_x\n0,1,oops\n1,2,3\n", "is not a number"),
    ],
)
def test_a_bad_test_file_is_named_in_an_error_and_blocks_training(name, content, fragment):
    at = new_app()
    at.file_uploader(key="test_file").set_value((name, content, "text/csv")).run()
    assert not at.exception
    errors = " ".join(texts(at.error))
    assert f"The test file {name} cannot be used" in errors and fragment in errors
    assert at.button(key="train").disabled
    assert not [text for text in texts(at.info) if text.startswith(PLAN_PREFIX)]


def test_a_test_file_with_a_gap_names_the_checkbox_that_drops_it():
    """The test file is read with the data's options, so the data's checkbox fixes it too."""
    gappy = small_pair_csv(40).replace(b"\n0,", b"\n,", 1)  # the first label 0 left empty
    at = new_app()
    at.file_uploader(key="test_file").set_value(("gaps.csv", gappy, "text/csv")).run()
    (error,) = texts(at.error)
    assert error.startswith("The test file gaps.csv cannot be used: gaps.csv, column 'label', row ")
    assert (
        '(empty cells), the first here; fill them in, or drop those rows (tick "Drop rows with missing values" '
        "under Columns and labels). Fix it"
    ) in error
    assert "drop_missing" not in error


def test_a_corrected_test_file_of_the_same_name_and_size_is_read_again():
    good = small_pair_csv(40)
    header, first, rest = good.split(b"\n", 2)
    cells = first.split(b",")
    broken = b"\n".join([header, b",".join([*cells[:-1], b"x" * len(cells[-1])]), rest])
    assert len(broken) == len(good)
    at = new_app()
    at.file_uploader(key="test_file").set_value(("mine.csv", broken, "text/csv")).run()
    assert any("The test file mine.csv cannot be used" in text for text in texts(at.error))
    at.file_uploader(key="test_file").set_value(("mine.csv", good, "text/csv")).run()
    assert not at.exception and not at.error
    assert shown_plan(at).endswith("the metrics come from the test file mine.csv")
    assert not at.button(key="train").disabled
