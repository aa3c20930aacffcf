"""Per-visitor state and cached parsing for the dashboard.

Parsed data is cached with `st.cache_data` (keyed by the file's bytes, so only someone holding the same
file can hit an entry). A visitor's data, model and evaluation live in `st.session_state` only, so two
people using the app at once never see each other's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.text import plain
from siamese_core import data as core_data
from siamese_core.config import TrainConfig
from siamese_core.demo import digits_pairs_frame
from siamese_core.errors import DataError
from siamese_core.pairs import PairSet, SampleSet

MAX_UPLOAD_MB = 200
PREVIEW_ROWS = 20
DEMO_NAME = "digits demo pairs"
REFERENCE_LIMIT = 5000  # samples searched for nearest neighbours


DEMO_FILE = Path(__file__).resolve().parents[1] / "examples" / "digits_pairs.csv"


@st.cache_data(show_spinner=False)
def demo_bytes() -> bytes:
    """The built-in demo pair CSV (scikit-learn's digits), as a file's bytes.

    Read from `examples/digits_pairs.csv`, which is exactly what `digits_pairs_frame` writes (a test
    checks it), so the first page paints without loading scikit-learn; made afresh if the file is gone.
    """
    if DEMO_FILE.is_file():
        return DEMO_FILE.read_bytes()
    return digits_pairs_frame().to_csv(index=False).encode()


@st.cache_data(show_spinner="Reading the file...", max_entries=16)
def read_table(content: bytes, name: str) -> pd.DataFrame:
    return core_data.read_csv(content, name=name)


@st.cache_data(show_spinner="Checking the pairs...", max_entries=16)
def parse_pairs(content: bytes, name: str, **options) -> PairSet:
    return core_data.load_pair_csv(content, name=name, **options)


@st.cache_data(show_spinner="Checking the samples...", max_entries=16)
def parse_samples(content: bytes, name: str, **options) -> SampleSet:
    return core_data.load_samples_csv(content, name=name, **options)


@st.cache_data(show_spinner="Checking the pairs and samples...", max_entries=16)
def parse_reference(
    pairs_content: bytes, pairs_name: str, samples_content: bytes, samples_name: str, **options
):
    return core_data.load_pairs_by_reference(
        pairs_content, samples_content, pairs_name=pairs_name, samples_name=samples_name, **options
    )


CSV_KINDS = (".csv", ".tsv", ".txt")


def uploaded(
    label: str, key: str, *, kinds: tuple[str, ...] = CSV_KINDS, limit_mb: int = MAX_UPLOAD_MB, help=None
):
    """A file uploader; the upload, or None when there is none or it is refused (said under the control).

    The uploader takes any file and leaves the kind to `upload_error`: an uploader given `type=` keeps
    showing a refused file, in red, beside the good file that replaced it.
    """
    upload = st.file_uploader(label, key=key, help=help, max_upload_size=limit_mb)
    refused = upload_error(upload, kinds, limit_mb)
    if refused:
        st.error(plain(refused), icon=":material/error:")
        return None
    return upload


MODEL_KINDS = (".keras",)
MODEL_LIMIT_MB = 200


def model_upload(label: str, key: str):
    """A model file uploader (`uploaded`: .keras files up to `MODEL_LIMIT_MB`); the upload, or None."""
    return uploaded(
        label,
        key,
        kinds=MODEL_KINDS,
        limit_mb=MODEL_LIMIT_MB,
        help="Loaded with safe_mode=True: files with code in them (Lambda layers) or unknown parts are refused.",
    )


def load_uploaded_model(upload):
    """The model in an uploaded .keras file, or None when it is refused (why is said in an error box)."""
    from siamese_core.errors import SiameseError

    with st.spinner("Checking and loading the model..."):
        from siamese_core.bundle import load_model

        try:
            return load_model(upload.getvalue(), name=upload.name)
        except SiameseError as error:
            st.error(plain(error), icon=":material/error:")
            return None


def upload_error(upload, kinds: tuple[str, ...] = CSV_KINDS, limit_mb: int = MAX_UPLOAD_MB) -> str | None:
    """A message when an uploaded file is not of the kinds a control takes, or over its size limit."""
    if upload is None:
        return None
    if not upload.name.lower().endswith(kinds):
        named = f"{', '.join(kinds[:-1])} or {kinds[-1]}" if len(kinds) > 1 else kinds[0]
        return f"{upload.name} is not a {named} file: upload one of those instead."
    if upload.size > limit_mb * 1024 * 1024:
        return f"{upload.name} is {upload.size / 2**20:,.0f} MB; the limit is {limit_mb} MB."
    return None


@dataclass
class Evaluation:
    """The pairs the current model is judged on and its distances for them.

    Attributes:
        pairs: The pairs: held-out ones (their samples unseen by the measured model) after training, else
            all pairs of the loaded data.
        distances: The measured model's distance for each pair.
        title: Which model was measured on which pairs, in words.
        classes: (n,) class of each pair's first sample when the data are labeled samples, else None.
    """

    pairs: PairSet
    distances: np.ndarray
    title: str
    classes: np.ndarray | None = None


def bundle():
    """The current visitor's model (trained here or uploaded), or None."""
    return st.session_state.get("bundle")


def dataset():
    """The current visitor's loaded data (PairSet or SampleSet), or None."""
    return st.session_state.get("dataset")


def set_dataset(loaded, key: str | None) -> None:
    """Record the visitor's data; `key` names it, so work derived from it is redone only when it changes."""
    st.session_state["dataset"] = loaded
    st.session_state["dataset_key"] = key


AUTO = "(detected)"


def widget_defaults() -> dict:
    """Every persistent widget's starting value; training settings come from `TrainConfig`."""
    config = TrainConfig()
    return {
        "source": "demo",
        "pairs_label_column": AUTO,
        "pairs_similar_label": AUTO,
        "left_columns": [],
        "right_columns": [],
        "drop_missing": False,
        "flip_labels": False,
        "class_column": AUTO,
        "id_column": AUTO,
        "samples_drop_missing": False,
        "reference_label_column": AUTO,
        "reference_similar_label": AUTO,
        "ref_id_column": AUTO,
        "reference_drop_missing": False,
        "hidden": ",".join(str(units) for units in config.hidden),
        "embedding_dim": config.embedding_dim,
        "dropout": config.dropout,
        "margin": config.margin,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "patience": config.early_stopping_patience,
        "test_fraction": 0.15,
        "validation_fraction": config.validation_fraction,
        "refit": True,
        "pairs_per_sample": 8,
        "hard_negatives": False,
        "compare_mode": "rows",
    }


def keep_widget_values() -> None:
    """Give every persistent widget its value before any page draws.

    Streamlit forgets the value of a widget that a run does not draw, so a visit to another page would
    reset the data and training settings; re-assigning the values at the start of every run keeps them.
    The widgets are then drawn without a default of their own.
    """
    for key, default in widget_defaults().items():
        st.session_state[key] = st.session_state.get(key, default)


def set_model(new_bundle, *, outcome=None, source: str, data_key: str | None = None) -> None:
    """Make `new_bundle` the visitor's model; drops what was derived from the previous one.

    `data_key` names the data it was trained on here (None for an uploaded model).
    """
    st.session_state["bundle"] = new_bundle
    st.session_state["outcome"] = outcome
    st.session_state["model_data_key"] = data_key
    st.session_state["model_source"] = source
    st.session_state.pop("evaluation", None)
    st.session_state.pop("model_bytes", None)
    for slot in INTERVAL_SLOTS:
        st.session_state.pop(slot, None)


def evaluation() -> Evaluation | None:
    """The evaluation of the current model, computed once per model and data; None without a model or
    data, or when the data's features do not match the model's (`evaluation_error` says why)."""
    current = bundle()
    if current is None:
        return None
    cached = st.session_state.get("evaluation")
    key = (id(current), st.session_state.get("dataset_key"))
    if cached is None or cached[0] != key:
        try:
            cached = (key, _evaluate(current), None)
        except DataError as error:  # the loaded data's features are not the model's
            cached = (key, None, str(error))
        st.session_state["evaluation"] = cached
    return cached[1]


# Where each page keeps its bootstrap (`kept_intervals`): Evaluate's evaluation, and a scored file's.
EVALUATION_INTERVALS = "evaluation_intervals"
SCORED_INTERVALS = "scored_intervals"
INTERVAL_SLOTS = (EVALUATION_INTERVALS, SCORED_INTERVALS)


def kept_intervals(slot: str, key, threshold: float, distances, labels, sample_ids):
    """Bootstrap intervals (`siamese_core.intervals`) of `distances` and `labels` at `threshold`.

    The bootstrap is kept in the session under `slot` while `key` (which model, which pairs) stays the
    same: AUC and EER are measured once, accuracy, precision and recall once per threshold (about a
    second per 100,000 pairs each time), so moving the threshold back and forth costs nothing new.

    Args:
        slot: Where in the session (one of `INTERVAL_SLOTS`).
        key: What the pairs are; a new key builds a new bootstrap.
        threshold: The threshold of accuracy, precision and recall.
        distances: (n,) distances.
        labels: (n,) 0 similar, 1 dissimilar.
        sample_ids: A function giving the (n, 2) sample of each pair's sides (`pair_sample_ids`), called
            only when a bootstrap is built, so that pairs that share a sample are resampled together.

    Returns:
        `MetricIntervals`.
    """
    from siamese_core.intervals import PairBootstrap

    cached = st.session_state.get(slot)
    with st.spinner("Computing bootstrap intervals..."):  # shown only past half a second
        if cached is None or cached[0] != key:
            cached = (key, PairBootstrap(distances, labels, sample_ids=sample_ids()))
            st.session_state[slot] = cached
        return cached[1].intervals(threshold)


def intervals(threshold: float):
    """Bootstrap intervals of the current evaluation (`evaluation()`) at `threshold`, kept per model and
    data (`kept_intervals`); None when there is no evaluation."""
    from siamese_core.intervals import pair_sample_ids

    current = evaluation()
    if current is None:
        return None
    pairs = current.pairs
    return kept_intervals(
        EVALUATION_INTERVALS,
        st.session_state["evaluation"][0],
        threshold,
        current.distances,
        pairs.labels,
        lambda: pair_sample_ids(pairs.left, pairs.right),
    )


def scored_intervals(
    frame: pd.DataFrame, scored_rows: np.ndarray, distances, labels, threshold: float, name: str
):
    """Bootstrap intervals of a scored file's labelled pairs (Model files & scoring) at `threshold`, kept
    while the model and the file's distances and labels stay the same (`kept_intervals`).

    Args:
        frame: The file's table.
        scored_rows: (rows,) which rows were scored (and are in `distances`).
        distances: The scored rows' distances.
        labels: Their labels, 0 similar and 1 dissimilar.
        threshold: The threshold of accuracy, precision and recall.
        name: The file's name, for messages.
    """
    import hashlib

    from siamese_core.intervals import pair_sample_ids
    from siamese_core.scoring import pair_features

    def sample_ids():
        left, right = pair_features(frame, bundle(), name=name)
        return pair_sample_ids(left[scored_rows], right[scored_rows])

    distances = np.asarray(distances, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    digest = hashlib.blake2b(distances.tobytes() + labels.tobytes(), digest_size=16).hexdigest()
    return kept_intervals(
        SCORED_INTERVALS, (id(bundle()), name, digest), threshold, distances, labels, sample_ids
    )


def evaluation_error() -> str | None:
    """Why the current model cannot be evaluated on the loaded data (their features differ), or None."""
    if evaluation() is not None:
        return None
    cached = st.session_state.get("evaluation")
    return None if cached is None else cached[2]


def show_evaluation_error() -> bool:
    """Say why the model cannot be judged on the loaded data and what works instead; True if it was said."""
    message = evaluation_error()
    if message is None:
        return False
    st.warning(
        f"{plain(message)}. To evaluate this model, load data with its features on **Data & training**; "
        "**Model files & scoring** scores any pair CSV with its features.",
        icon=":material/warning:",
    )
    return True


ALL_PAIRS = "all pairs of the loaded data"
ALL_PAIRS_TRAINED = f"{ALL_PAIRS} (the model trained on them: not a held-out measure)"


def _evaluate(current) -> Evaluation | None:
    """The pairs to judge the model on: held-out ones when training measured some, else the loaded data.

    Held-out pairs come with the distances of the model that never saw their samples (`outcome.measured`
    says which: the selection model on the test split, or the final model on a test file). The final
    model is never judged on validation or training pairs: after a refit on all pairs it trained on them.
    """
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import align_features

    outcome = st.session_state.get("outcome")
    if outcome is not None and outcome.test is not None:
        pairs = outcome.test_pairs
        from_test_split = outcome.splits is not None and outcome.splits.test is not None
        classes = _classes(pairs) if from_test_split else None  # a test file's rows are not the data's
        return Evaluation(pairs, outcome.test_distances, outcome.measured, classes)
    loaded = dataset()
    if loaded is None:
        return None
    pairs = make_pairs(loaded, seed=0) if isinstance(loaded, SampleSet) else loaded
    pairs = align_features(current, pairs)
    trained_on_it = outcome is not None and st.session_state.get("model_data_key") == st.session_state.get(
        "dataset_key"
    )
    return Evaluation(
        pairs,
        current.distances(pairs.left, pairs.right),
        ALL_PAIRS_TRAINED if trained_on_it else ALL_PAIRS,
        _classes(pairs),
    )


def _classes(pairs: PairSet) -> np.ndarray | None:
    loaded = dataset()
    if not isinstance(loaded, SampleSet) or pairs.sample_rows is None:
        return None
    if pairs.info is not None and loaded.info is not None and pairs.info.source != loaded.info.source:
        return None  # pairs of other data (loaded before the current data): their rows mean other samples
    class_of_row = dict(zip(loaded.rows.tolist(), loaded.classes.tolist(), strict=True))
    return np.array([class_of_row.get(int(row), "?") for row in pairs.sample_rows[:, 0]])


def threshold() -> float:
    """The visitor's decision threshold: the model's own, changed only on Evaluate (`set_threshold`), so
    comparisons, scores and the saved file all use the one the user set.

    The model holds it, not the Evaluate slider's widget state: Streamlit drops (and may restore an older
    value of) a widget's state on runs of pages that do not draw it.
    """
    return float(bundle().threshold)


def set_threshold(value: float) -> float:
    """Make `value` the current model's decision threshold; returns it."""
    current = bundle()
    current.threshold = float(value)
    return current.threshold


def model_bytes() -> bytes:
    """The current model's file (with the current threshold), saved once per model and threshold."""
    current = bundle()
    key = (id(current), threshold())
    cached = st.session_state.get("model_bytes")
    if cached is None or cached[0] != key:
        cached = (key, current.to_bytes())
        st.session_state["model_bytes"] = cached
    return cached[1]


def require_model() -> bool:
    """Show what to do when there is no model yet; True when there is one."""
    if bundle() is not None:
        return True
    st.info(
        "No model yet. Train one on **Data & training**, or upload a model file on **Model files & scoring**."
    )
    st.page_link("views/data_train.py", label="Go to Data & training", icon=":material/model_training:")
    return False
