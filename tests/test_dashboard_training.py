"""dashboard/training_job.py through Streamlit's AppTest: training in a worker thread owned by the session.

A visit to another page or a reload never ends a training run; only Stop does, and the message then says
so. Each test ends the run it starts (it finishes or is stopped), so no worker outlives its test.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re

import numpy as np
from streamlit.testing.v1 import AppTest

from dashboard import training_job
from tests.test_dashboard import (
    APP,
    SMALL_TRAINING,
    finish_training,
    new_app,
    small_pair_csv,
    start_training,
    texts,
)

LONG = {**SMALL_TRAINING, "epochs": 1000, "patience": 0}  # only its end (10 s without a refit) or Stop


def _uploaded(at: AppTest, rows: int = 400) -> AppTest:
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("pairs.csv", small_pair_csv(rows), "text/csv")).run()
    assert f"{rows} pairs, 64 features per sample." in texts(at.success)
    return at


def _panel_shown(at: AppTest) -> bool:
    """Whether the page shows the running training: its progress bar and its Stop button."""
    return len(at.get("progress")) == 1 and [b.label for b in at.button if b.key == "stop"] == [
        "Stop training"
    ]


def _loss_curve(at: AppTest) -> dict[str, list[float]]:
    """The losses the page's loss curve draws, by trace name (Plotly sends them as base64 float64)."""
    (chart,) = [chart for chart in at.get("plotly_chart") if "Loss per epoch" in chart.proto.spec]
    traces = json.loads(chart.proto.spec)["data"]
    return {
        trace["name"]: np.frombuffer(
            base64.b64decode(trace["y"]["bdata"]), dtype=trace["y"]["dtype"]
        ).tolist()
        for trace in traces
    }


def _message(at: AppTest) -> str:
    return next(text for text in texts(at.success) if text.startswith("Training"))


def test_training_goes_on_while_the_visitor_uses_other_pages_and_runs_all_its_epochs():
    """The user's report: 1,000 epochs, a click on Evaluate during training. The run goes on, its
    progress and Stop are on Evaluate too, Evaluate says it still has no model, and the run ends by
    itself with all 1,000 epochs (the refit is off, so the one training is the final model)."""
    at = _uploaded(new_app())
    at.checkbox(key="refit").uncheck().run()
    job = start_training(at, **LONG)
    assert _panel_shown(at) and at.button(key="train").disabled

    at.switch_page("views/evaluate.py").run()
    assert not at.exception
    assert _panel_shown(at)
    assert (
        "Training goes on while you use the other pages; they use the current model until it ends."
        in texts(at.caption)
    )
    assert any("No model yet" in text for text in texts(at.info))
    assert not job.snapshot().stopping

    at.switch_page("views/data_train.py").run()
    finish_training(at)
    assert not job.stopped
    message = _message(at)
    assert message.startswith("Training finished. Pairs: "), message
    assert re.search(r"final model trained on [\d,]+ pairs \(kept epoch \d+ of 1000\)", message), message
    assert at.session_state["outcome"].result.epochs_run == 1000
    assert [toast.value for toast in at.toast] == ["Training finished. The new model is in use."]
    assert not _panel_shown(at) and not at.button(key="train").disabled
    # The loss curve stays on the page after training, in no closed panel: the losses of all 1,000 epochs.
    history = at.session_state["outcome"].result.history
    assert _loss_curve(at) == {"training": history["loss"], "validation": history["val_loss"]}
    assert len(history["loss"]) == 1000
    assert not any(expander.get("plotly_chart") for expander in at.expander)
    assert "training" not in at.query_params


def test_stop_ends_training_and_the_message_says_it_was_you():
    at = _uploaded(new_app())
    job = start_training(at, **LONG)
    at.button(key="stop").click().run()
    assert "Stopping: the best weights so far are kept..." in texts(at.caption)
    finish_training(at)
    assert job.stopped
    message = _message(at)
    assert message.startswith("Training stopped by you. Pairs: "), message
    outcome = at.session_state["outcome"]
    assert outcome.selection is None and outcome.result.stopped_by_user
    assert outcome.result.epochs_run < 1000
    assert at.session_state["bundle"] is outcome.bundle


def test_a_reloaded_page_finds_its_training_again():
    """A reload is a new session: it finds the job by the token in its address, shows it and can stop
    it; the model goes to the reloaded page. The old page, should it still be open, is told."""
    before = _uploaded(new_app())
    job = start_training(before, **LONG)
    token = before.query_params["training"]
    assert token == job.token

    reloaded = AppTest.from_file(APP, default_timeout=300)
    reloaded.query_params["training"] = token
    reloaded.run()
    assert not reloaded.exception
    assert reloaded.session_state["training_job"] is job and _panel_shown(reloaded)
    reloaded.button(key="stop").click().run()
    finish_training(reloaded)
    assert _message(reloaded).startswith("Training stopped by you. Pairs: ")
    assert reloaded.session_state["bundle"] is reloaded.session_state["outcome"].bundle
    assert "training" not in reloaded.query_params

    before.run()  # the model went to the other page: this one says so and keeps its (lack of) model
    assert not before.exception
    assert training_job.LOST in texts(before.warning)
    assert "bundle" not in before.session_state


def test_an_address_whose_training_is_gone_says_so():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["training"] = "no-such-job"
    at.run()
    assert not at.exception
    assert training_job.LOST in texts(at.warning)
    assert "training" not in at.query_params and "training_job" not in at.session_state


def test_a_users_error_in_the_worker_is_shown_as_its_message_not_a_traceback():
    """The training file as its own test file: every test pair shares samples with the training data, so
    `fit` raises a DataError in the worker; the page shows its message."""
    at = _uploaded(new_app())
    at.file_uploader(key="test_file").set_value(("pairs.csv", small_pair_csv(), "text/csv")).run()
    assert not at.exception and not at.error
    start_training(at, **{**SMALL_TRAINING, "epochs": 1})
    finish_training(at)
    errors = texts(at.error)
    assert len(errors) == 1 and "share a sample with the training data" in errors[0], errors
    assert "bundle" not in at.session_state


def test_the_message_says_early_stopping_only_when_it_cut_the_run_short():
    """`TrainResult.stopped_early` is set only when patience cut the run short (tests/test_training.py)."""
    from siamese_core.config import TrainConfig
    from siamese_core.data import load_pair_csv
    from siamese_core.pipeline import fit

    pairs = load_pair_csv(small_pair_csv(), name="pairs.csv")
    outcome = fit(pairs, TrainConfig(epochs=3, early_stopping_patience=2, hidden=(8,)), refit=False)

    def message(**result):
        changed = dataclasses.replace(outcome, result=dataclasses.replace(outcome.result, **result))
        return training_job.result_message(changed, stopped=False).split(". Pairs: ")[0]

    assert message(epochs_run=3, stopped_early=False) == "Training finished"
    assert message(epochs_run=2, stopped_early=True) == (
        "Training stopped early at epoch 2 of 3: 2 epochs without improvement"
    )
    assert training_job.result_message(outcome, stopped=True).startswith("Training stopped by you. Pairs: ")


def test_a_training_whose_tab_was_closed_stops_itself(monkeypatch):
    """No page has shown the job (no progress poll, no script run) for longer than `ABANDONED_SECONDS`:
    the worker's next progress report is answered False, so training stops and keeps its best weights."""
    now = [1000.0]
    monkeypatch.setattr(training_job.time, "monotonic", lambda: now[0])
    job = training_job.TrainingJob(lambda job: None)
    assert job.report(0.1, "epoch 1", {}) is True
    now[0] += training_job.ABANDONED_SECONDS  # exactly the limit: still watched
    assert job.report(0.2, "epoch 2", {}) is True
    now[0] += 1
    assert job.report(0.3, "epoch 3", {}) is False
    job.seen()  # a reloaded page found it again in time for the next report
    assert job.report(0.4, "epoch 4", {}) is True
    assert not job.stopped  # not the visitor's Stop


def test_a_full_server_says_so_instead_of_starting_another_training(monkeypatch):
    monkeypatch.setattr(training_job, "MAX_RUNNING", 0)
    at = _uploaded(new_app())
    at.button(key="train").click().run()
    assert not at.exception
    assert "training_job" not in at.session_state
    assert texts(at.warning) == [
        "The server is training 0 models for other visitors already: click Train again in a minute."
    ]
