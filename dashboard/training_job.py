"""A visitor's training run, in a worker thread of its own, shown on every page.

The run goes on while the visitor looks at other pages or reloads, and ends only when it finishes, fails,
meets the dashboard's time limit or the visitor clicks Stop. Its worker never calls Streamlit (Streamlit
docs, "Multithreading in Streamlit"): it writes plain values under a lock (`TrainingJob.report`), and
`render_progress`, a fragment that reruns every second on whatever page is open, reads them. When the run
has ended, the next script run makes its model the visitor's model (`adopt_finished`).

A reload starts a new Streamlit session with an empty session state. So the job's token is also kept in
the page's address (the `training` query parameter) and every running job is kept by token in one
process-wide table: the reloaded page finds its job again by the token in its address. A token is 128
random bits put only in that visitor's address, so no other visitor can reach the job (an address shared
while training shares the training).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from dashboard import state
from dashboard.text import plain
from siamese_core.errors import SiameseError
from siamese_core.figures import loss_figure

MAX_SECONDS = 600  # one training run in the dashboard; the CLI has no limit
PARAM = "training"  # the query parameter holding the visitor's job token
POLL_SECONDS = 1.0
KEEP_FINISHED_SECONDS = 3600  # a finished job nobody came back for is dropped after this long
# A running job no page has shown for this long is stopped: its tab was closed (a hidden tab still polls,
# throttled by the browser to about once a minute).
ABANDONED_SECONDS = 300
MAX_RUNNING = max(4, os.cpu_count() or 1)  # trainings at once in this server process
LOST = (
    "The training this page was running is no longer here: the server restarted, or another tab showing "
    "the same training took its model. Train again to get a model."
)


@dataclass(frozen=True)
class Snapshot:
    """What a page shows of a job: the share done, the progress in words, the per-epoch losses so far."""

    fraction: float = 0.0
    text: str = "Starting: loading TensorFlow..."
    history: dict[str, list[float]] = field(default_factory=dict)
    stopping: bool = False
    done: bool = False


class TrainingJob:
    """One training run in a worker thread: its progress, its stop request and its result or error.

    Args:
        run: Called in the worker as `run(job)`; trains, calling `job.report` with its progress, and
            returns `(outcome, message)` (a `FitOutcome` and how training went, in words). It must not
            call Streamlit.
        data_key: Names the data it trains on (see `state.set_dataset`).
    """

    def __init__(self, run: Callable[[TrainingJob], tuple], data_key: str | None = None):
        self.data_key = data_key
        self.token = secrets.token_urlsafe(16)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._snapshot = Snapshot()
        self._stopped = False
        self._result: tuple | None = None
        self._error: BaseException | None = None
        self._collected = False
        self.finished_at: float | None = None
        self._seen_at = time.monotonic()
        self._thread = threading.Thread(target=self._work, args=(run,), name="training", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _work(self, run) -> None:
        result = error = None
        try:
            result = run(self)
        except BaseException as raised:  # handed to the page, which shows a user's error and raises a bug
            error = raised
        with self._lock:
            self._result, self._error, self.finished_at = result, error, time.monotonic()
        self._done.set()

    def report(self, fraction: float, text: str, history: dict[str, list[float]]) -> bool:
        """Record the progress (from the worker); False once Stop was clicked, which stops training, or
        once no page has shown the job for `ABANDONED_SECONDS` (its tab was closed)."""
        with self._lock:
            self._snapshot = Snapshot(fraction, text, history)
            if self._stop.is_set():
                self._stopped = True
            abandoned = time.monotonic() - self._seen_at > ABANDONED_SECONDS
            return not (self._stopped or abandoned)

    def seen(self) -> None:
        """A page shows the job: it is not abandoned."""
        with self._lock:
            self._seen_at = time.monotonic()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._done.is_set()

    @property
    def stopped(self) -> bool:
        """Whether training ended because the visitor clicked Stop (a progress report answered False)."""
        with self._lock:
            return self._stopped

    def stop(self) -> None:
        """Ask training to stop at its next progress report (it keeps the best weights so far)."""
        self._stop.set()

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = self._snapshot
        return Snapshot(now.fraction, now.text, now.history, self._stop.is_set(), self._done.is_set())

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the run has ended; True if it has."""
        return self._done.wait(timeout)

    def collect(self) -> tuple[tuple | None, BaseException | None] | None:
        """The ended run's `(result, error)`, to the first caller only (two tabs can hold one job); else None."""
        with self._lock:
            if self._collected or not self._done.is_set():
                return None
            self._collected = True
            return self._result, self._error


class _Jobs:
    """Every session's running (or finished, not yet collected) job, by token, for a reloaded page."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_token: dict[str, TrainingJob] = {}

    def add(self, job: TrainingJob) -> bool:
        """Keep `job`; False (not kept) when `MAX_RUNNING` jobs are running already."""
        with self._lock:
            self._prune()
            if sum(other.running for other in self._by_token.values()) >= MAX_RUNNING:
                return False
            self._by_token[job.token] = job
            return True

    def get(self, token: str) -> TrainingJob | None:
        with self._lock:
            self._prune()
            return self._by_token.get(token)

    def _prune(self) -> None:
        """Drop finished jobs nobody came back for within `KEEP_FINISHED_SECONDS` (the lock is held)."""
        now = time.monotonic()
        for token, old in list(self._by_token.items()):
            if old.finished_at is not None and now - old.finished_at > KEEP_FINISHED_SECONDS:
                del self._by_token[token]

    def remove(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)


@st.cache_resource(show_spinner=False)
def _jobs() -> _Jobs:
    """The one table of the process: shared by every visitor, but a job is reached only by its token."""
    return _Jobs()


def start(run: Callable[[TrainingJob], tuple], data_key: str | None = None) -> TrainingJob | None:
    """Start training in a worker thread as the visitor's job; forgets how the previous training went.
    None, and nothing started, when the server is running `MAX_RUNNING` trainings already."""
    for key in ("train_message", "train_warnings", "train_problem"):
        st.session_state.pop(key, None)
    job = TrainingJob(run, data_key)
    if not _jobs().add(job):
        return None
    st.session_state["training_job"] = job
    st.query_params[PARAM] = job.token
    job.start()
    return job


def current() -> TrainingJob | None:
    """The visitor's job, found again by the token in the address after a reload; None without one.

    A token that finds no job (the server restarted, or another tab collected it) is dropped from the
    address, and the visitor is told (`LOST`).
    """
    job = st.session_state.get("training_job")
    token = st.query_params.get(PARAM)
    if job is None and token:
        job = _jobs().get(token)
        if job is None:
            del st.query_params[PARAM]
            _tell("warning", LOST)
            return None
        st.session_state["training_job"] = job
    if job is not None and token != job.token:
        st.query_params[PARAM] = job.token  # a change of page can drop it from the address
    if job is not None:
        job.seen()
    return job


def adopt_finished() -> None:
    """Make an ended job's model the visitor's model (`state.set_model`) and keep how training went; a
    user's error in it is kept and shown as its message, a bug is raised. Called at the start of every
    script run, so the model is adopted on whatever page is open."""
    job = current()
    if job is None or not job.wait(0):
        return
    del st.session_state["training_job"]
    _jobs().remove(job.token)
    st.query_params.pop(PARAM, None)
    collected = job.collect()
    if collected is None:
        _tell("warning", LOST)
        return
    result, error = collected
    if error is not None:
        if not isinstance(error, SiameseError):
            raise error
        _tell("error", error)
        return
    outcome, message = result
    state.set_model(outcome.bundle, outcome=outcome, source="trained here", data_key=job.data_key)
    st.session_state["train_message"] = message
    st.session_state["train_warnings"] = list(outcome.result.warnings)
    st.toast(f"{plain(message.split('. ')[0])}. The new model is in use.", icon=":material/check_circle:")


def _tell(kind: str, problem: str | SiameseError) -> None:
    """Keep a problem to show on Data & training (`kind` "error", with the error, or "warning"), and say it
    now (in full there, where the controls it may name are)."""
    st.session_state["train_problem"] = (kind, problem)
    short = "Training failed: see Data & training." if kind == "error" else plain(problem)
    st.toast(short, icon=":material/error:" if kind == "error" else ":material/warning:")


def result_message(outcome, *, stopped: bool) -> str:
    """How training went, how the pairs were used, and which model the held-out metrics belong to.

    Args:
        outcome: The run's `FitOutcome`.
        stopped: Whether the visitor's Stop ended it (`TrainingJob.stopped`).

    Returns:
        The message, starting "Training finished.", "Training stopped by you.", "Training stopped early
        at epoch ..." or "Training stopped at the dashboard's ...-minute limit".
    """
    chooser = outcome.selection or outcome.result  # the training whose kept epoch set the length
    how = "finished"
    if chooser.stopped_early:
        how = (
            f"stopped early at epoch {chooser.epochs_run:,} of {chooser.config.epochs:,}: "
            f"{chooser.config.early_stopping_patience} epochs without improvement"
        )
    if stopped:
        how = "stopped by you"
    if chooser.stopped_by_time or outcome.result.stopped_by_time:
        how = f"stopped at the dashboard's {MAX_SECONDS // 60}-minute limit (the CLI has none)"
    use = outcome.describe_splits()
    return f"Training {how}. {use[:1].upper()}{use[1:]}. {_held_out_text(outcome)}."


def _held_out_text(outcome) -> str:
    splits, final_pairs = outcome.splits, outcome.final_pairs
    if outcome.selection is not None:
        final = f"the final model was refit on all {final_pairs:,} pairs"
    elif splits.validation is None and splits.test is None and not splits.dropped_pairs:
        final = f"the final model trained on all {final_pairs:,} pairs (none were held out)"
    else:
        final = (
            f"the final model was not refit on all pairs: it trained on the {final_pairs:,} pairs of the "
            "training split"
        )
    test = outcome.test
    if test is None:
        return (
            "No held-out metrics (no test pairs with both similar and dissimilar pairs: raise the test share "
            f"or add a test file); {final}"
        )
    metrics = (
        f"AUC {test.auc:.4f}, accuracy {test.at_threshold.accuracy:.2%} at threshold {test.threshold:.3f} "
        f"(chosen on the {outcome.threshold_source})"
    )
    if splits.test is None:  # no test split: the held-out pairs are a test file's
        pairs = outcome.test_pairs
        source = pairs.info.source if pairs.info is not None else "the test file"
        who = (
            f"the test file {source} (the final model on {pairs.n_pairs:,} of its pairs, whose samples it "
            "never saw)"
        )
    elif outcome.selection is not None:
        who = (
            f"the selection model (trained on {splits.train.n_pairs:,} of {final_pairs:,} pairs, never saw "
            "the test samples)"
        )
    else:
        who = f"the final model (trained on {splits.train.n_pairs:,} pairs, never saw the test samples)"
    return f"Held-out metrics from {who}: {metrics}; {final}"


def render_progress(*, curve: bool) -> None:
    """The visitor's running training, if any: its progress, a Stop button and, with `curve`, the loss
    curve as it grows; redrawn every second (`POLL_SECONDS`) on its own."""
    if current() is not None:
        _progress(curve)


@st.fragment(run_every=POLL_SECONDS)
def _progress(curve: bool) -> None:
    job = st.session_state.get("training_job")
    if job is None:
        return
    job.seen()
    now = job.snapshot()
    if now.done:
        st.rerun()  # the full run adopts the model (`adopt_finished`) and shows how training went
    with st.container(border=True):
        st.progress(now.fraction, text=plain(now.text))
        if now.stopping:
            st.caption("Stopping: the best weights so far are kept...")
        else:
            st.button(
                "Stop training",
                key="stop",
                icon=":material/stop:",
                on_click=job.stop,
                help="Keeps the best weights so far.",
            )
        if curve and now.history.get("loss"):
            st.plotly_chart(loss_figure(now.history))
        if not curve:
            st.caption(
                "Training goes on while you use the other pages; they use the current model until it ends."
            )
