"""Data & training: choose data, check what was detected, train with live progress."""

from __future__ import annotations

import hashlib

import streamlit as st

from dashboard import state, training_job
from dashboard.text import error_text, plain
from siamese_core.errors import ConfigError, SiameseError, listed
from siamese_core.figures import loss_figure
from siamese_core.pairs import SampleSet
from siamese_core.splits import CROSS_VALIDATION_PAIRS, LENGTH_FOLDS

SOURCES = {
    "demo": "Demo: handwritten digits pairs",
    "pairs": "Pair CSV",
    "samples": "Labeled samples CSV",
    "reference": "Pairs by reference (two CSVs)",
}
AUTO = state.AUTO
MAX_PAIRS = 2_000_000  # pairs (or samples) the dashboard trains on
UPLOAD_HELP = f"CSV, comma, semicolon or tab separated, UTF-8; up to {state.MAX_UPLOAD_MB} MB."
TEST_FILE_LABEL = "Test file (optional): pairs (or labeled samples) from other samples"
COLUMNS_PANEL = "columns_panel"  # the key of the data's "Columns and labels" panel, opened by `_show_error`
DROP_MISSING = "Drop rows with missing values"
LABEL_COLUMN = "Label column"
SIMILAR_LABEL = "Value meaning 'similar'"
LEFT_COLUMNS, RIGHT_COLUMNS = (
    "First sample's features (blank: detected)",
    "Second sample's features (blank: detected)",
)
CLASS_COLUMN = "Class column"
SAMPLES_ID_COLUMN = "Samples' id column"
CONTROLS = {  # what to do here for each setting an error names (`SiameseError.settings`)
    "drop_missing": f'tick "{DROP_MISSING}" under Columns and labels',
    "label_column": f'pick the "{LABEL_COLUMN}" under Columns and labels',
    "similar_label": f'pick the "{SIMILAR_LABEL}" under Columns and labels',
    "left_columns": f'pick "{LEFT_COLUMNS}" and "{RIGHT_COLUMNS}" under Columns and labels',
    "right_columns": f'pick "{LEFT_COLUMNS}" and "{RIGHT_COLUMNS}" under Columns and labels',
    "class_column": f'pick the "{CLASS_COLUMN}" under Columns and labels',
    "id_column": f'pick the "{SAMPLES_ID_COLUMN}" under Columns and labels',
    "id_columns": "for example id_a and id_b, in the pairs file",
}


def render_intro() -> None:
    st.title("Siamese similarity")
    st.caption(
        "Learn a distance between feature vectors: similar pairs close, dissimilar pairs at least a margin "
        "apart. Choose data, train, then look at the **Evaluate** and **Compare two samples** pages."
    )


def _uploader(label: str, key: str) -> tuple[str, bytes] | None:
    """An uploaded file as (name, bytes); kept in the session so it survives a visit to another page."""
    upload = state.uploaded(label, key, help=UPLOAD_HELP)
    kept_key = f"{key}_kept"
    if upload is not None:
        st.session_state[kept_key] = (upload.name, upload.getvalue())
        return st.session_state[kept_key]
    kept = st.session_state.get(kept_key)
    if kept is None:
        return None
    left, right = st.columns([4, 1])
    left.caption(f"Using {plain(kept[0])}, uploaded earlier.")
    if right.button("Forget it", key=f"{key}_forget"):
        del st.session_state[kept_key]
        st.rerun()
    return kept


def render_source():
    """The chosen data: (parsed, a key naming it, a preview, a loader of a file of the same kind).

    The loader (`load(name, content)`) reads another file, such as a test file, the way the data were
    read: same kind, same options (label column, value meaning similar, flip...). All None when there is
    no data or it is unusable.
    """
    source = st.radio("Data", list(SOURCES), format_func=SOURCES.get, key="source", horizontal=True)
    try:
        if source == "demo":
            st.caption(
                "1,797 handwritten 8x8 digits from scikit-learn, paired: same digit = similar (label 0)."
            )
            return _pairs_with_options(state.DEMO_NAME, state.demo_bytes())
        if source == "pairs":
            upload = _uploader(
                "Pair CSV: a label column and two groups of feature columns (a_x / b_x ...)", "pair_file"
            )
            return _pairs_with_options(*upload) if upload else _waiting("a pair CSV")
        if source == "samples":
            upload = _uploader(
                "Labeled samples CSV: one row per sample, a class column and features", "samples_file"
            )
            return _samples_with_options(*upload) if upload else _waiting("a samples CSV")
        pairs_upload = _uploader(
            "Pairs CSV: two id columns and a label (id_a, id_b, label)", "reference_pairs_file"
        )
        samples_upload = _uploader("Samples CSV: an id column and features", "reference_samples_file")
        if not (pairs_upload and samples_upload):
            return _waiting("both files")
        return _reference_with_options(pairs_upload, samples_upload)
    except SiameseError as error:
        _show_error(error)
        return None, None, None, None


def _show_error(error: SiameseError) -> None:
    """The error, naming the control that fixes it; the panel holding that control is opened (a rerun), once
    for each error: the visitor may close it again while the error stands."""
    text = error_text(error, CONTROLS)
    st.error(text, icon=":material/error:")
    if (
        error.settings
        and "id_columns" not in dict(error.settings)
        and st.session_state.get("opened_for") != text
    ):
        st.session_state["opened_for"] = text
        if not st.session_state.get(COLUMNS_PANEL):
            st.session_state["open_columns_panel"] = True
            st.rerun()


def _columns_panel():
    """The "Columns and labels" panel of the data; open when an error pointed to one of its controls."""
    if st.session_state.pop("open_columns_panel", False):
        st.session_state[COLUMNS_PANEL] = True
    return st.expander("Columns and labels", key=COLUMNS_PANEL, on_change="rerun")


def _waiting(what: str):
    st.info(f"Upload {what} to continue, or pick the demo data.")
    return None, None, None, None


def _preview_rows(content: bytes, name: str):
    return state.read_table(content, name).head(state.PREVIEW_ROWS)


def _key(*parts) -> str:
    """Names the loaded data: which file(s), their sizes and the options used."""
    return repr(parts)


def _columns(content: bytes, name: str) -> list[str]:
    return list(state.read_table(content, name).columns)


def _choice(label: str, options: list[str], key: str, help: str | None = None) -> str | None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = AUTO  # a choice made for another file
    choice = st.selectbox(label, [AUTO, *options], key=key, help=help)
    return None if choice == AUTO else choice


def _label_options(content: bytes, name: str, key_prefix: str, columns: list[str]) -> dict:
    """Label column, which value means similar, and the flip control."""
    options = {}
    options["label_column"] = _choice(LABEL_COLUMN, columns, f"{key_prefix}_label_column")
    column = options["label_column"]
    values: list[str] = []
    if column is not None:
        values = [str(v) for v in state.read_table(content, name)[column].dropna().unique()[:50]]
    if st.session_state.get(f"{key_prefix}_similar_label") not in values:
        st.session_state[f"{key_prefix}_similar_label"] = AUTO
    similar = st.selectbox(
        SIMILAR_LABEL,
        [AUTO, *values],
        key=f"{key_prefix}_similar_label",
        help="Y = 0 (similar) / 1 (dissimilar) is the default for numbers; words map by meaning. "
        "Pick a label column above to list its values.",
    )
    options["similar_label"] = None if similar == AUTO else similar
    return options


def _pairs_with_options(name: str, content: bytes):
    columns = _columns(content, name)
    with _columns_panel():
        options = _label_options(content, name, "pairs", columns)
        left, right = st.columns(2)
        for key in ("left_columns", "right_columns"):  # drop choices made for another file
            st.session_state[key] = [c for c in st.session_state.get(key, []) if c in columns]
        options["left_columns"] = left.multiselect(LEFT_COLUMNS, columns, key="left_columns") or None
        options["right_columns"] = right.multiselect(RIGHT_COLUMNS, columns, key="right_columns") or None
        if bool(options["left_columns"]) != bool(options["right_columns"]):
            st.warning("Pick the columns of both samples, or neither.")
            options["left_columns"] = options["right_columns"] = None
        options["drop_missing"] = st.checkbox(DROP_MISSING, key="drop_missing")
    options = _flip(options, lambda opts: state.parse_pairs(content, name, **opts))
    return (
        state.parse_pairs(content, name, **options),
        _key(name, len(content), options),
        _preview_rows(content, name),
        lambda other_name, other_content: state.parse_pairs(other_content, other_name, **options),
    )


def _flip(options: dict, parse) -> dict:
    """Apply the flip toggle: the value that meant dissimilar now means similar."""
    if not st.session_state.get("flip_labels"):
        return options
    mapping = parse(options).info.label_mapping
    if mapping is not None and mapping.dissimilar_values:
        return {**options, "similar_label": mapping.dissimilar_values[0]}
    return options


def _samples_with_options(name: str, content: bytes):
    columns = _columns(content, name)
    with _columns_panel():
        options = {
            "class_column": _choice(CLASS_COLUMN, columns, "class_column"),
            "id_column": _choice("Id column", columns, "id_column"),
            "drop_missing": st.checkbox(DROP_MISSING, key="samples_drop_missing"),
        }
    return (
        state.parse_samples(content, name, **options),
        _key(name, len(content), options),
        _preview_rows(content, name),
        lambda other_name, other_content: state.parse_samples(other_content, other_name, **options),
    )


def _reference_with_options(pairs_upload: tuple[str, bytes], samples_upload: tuple[str, bytes]):
    (pairs_name, pairs_content), (samples_name, samples_content) = pairs_upload, samples_upload
    with _columns_panel():
        options = _label_options(pairs_content, pairs_name, "reference", _columns(pairs_content, pairs_name))
        options["id_column"] = _choice(
            SAMPLES_ID_COLUMN, _columns(samples_content, samples_name), "ref_id_column"
        )
        options["drop_missing"] = st.checkbox(DROP_MISSING, key="reference_drop_missing")

    def parse(opts):
        return state.parse_reference(pairs_content, pairs_name, samples_content, samples_name, **opts)

    options = _flip(options, parse)
    key = _key(pairs_name, len(pairs_content), samples_name, len(samples_content), options)
    # A test file of pairs by reference would point into the same samples file, so every pair would share
    # samples with the training data: a test file here is a pair CSV (both samples' features in a row).
    labels = {name: options[name] for name in ("label_column", "similar_label", "drop_missing")}

    def load_test(other_name, other_content):
        return state.parse_pairs(other_content, other_name, **labels)

    return parse(options), key, _preview_rows(pairs_content, pairs_name), load_test


def render_summary(loaded, preview) -> None:
    """What was detected, in words, with a preview."""
    info = loaded.info
    if isinstance(loaded, SampleSet):
        classes = len(set(loaded.classes.tolist()))
        st.success(
            f"{loaded.n_samples:,} samples of {classes} classes (class column **{plain(info.class_column)}**), "
            f"{len(loaded.feature_names)} features. Pairs are made after the split: same class = similar."
        )
    else:
        features = "feature" if loaded.n_features == 1 else "features"
        st.success(f"{loaded.n_pairs:,} pairs, {loaded.n_features} {features} per sample.")
        if info.label_mapping is not None:
            mapping = info.label_mapping
            st.markdown(f"**Labels:** {plain(mapping.describe())}  \n*{plain(mapping.reason)}*")
            st.toggle("Flip labels (swap similar and dissimilar)", key="flip_labels")
        if info.kind == "pairs" and info.left_columns:
            st.caption(
                f"Sides: {plain(listed(info.left_columns, 6))} paired with {plain(listed(info.right_columns, 6))}"
            )
    if info.ignored_columns:
        st.caption(f"Ignored columns: {plain(listed(info.ignored_columns, 12))}")
    if info.dropped_rows:
        st.caption(f"Dropped {info.dropped_rows:,} rows with missing values.")
    for warning in info.warnings:
        st.warning(plain(warning))
    with st.expander(f"Preview: the first {len(preview)} rows of {plain(info.source)}"):
        st.dataframe(preview, hide_index=True, key="preview")


def render_training_settings(loaded) -> dict:
    with st.expander("Training settings", expanded=False):
        first, second, third = st.columns(3)
        settings = {
            "hidden": first.text_input(
                "Hidden layer sizes", key="hidden", help="Comma-separated, e.g. 256,128"
            ),
            "embedding_dim": first.number_input("Embedding size", 2, 1024, key="embedding_dim"),
            "dropout": first.slider("Dropout", 0.0, 0.8, step=0.05, key="dropout"),
            "margin": second.number_input("Margin m", 0.05, 100.0, step=0.05, key="margin"),
            "epochs": second.number_input("Most epochs", 1, 1000, key="epochs"),
            "batch_size": second.selectbox(
                "Batch size",
                ["auto", 32, 64, 128, 256, 512, 1024],
                key="batch_size",
                help="auto: 512 pairs per step, or fewer on small data so that an epoch has at least 32 steps",
            ),
            "learning_rate": third.select_slider(
                "Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="learning_rate"
            ),
            "seed": third.number_input("Seed", 0, 2**31 - 1, key="seed"),
            "early_stopping_patience": third.number_input(
                "Early-stopping patience (0: off)", 0, 1000, key="patience"
            ),
        }
        second.caption(
            "The margin is how far apart dissimilar pairs are pushed; once farther than m they cost nothing."
        )
        test_upload = _uploader(TEST_FILE_LABEL, "test_file")
        split_left, split_right = st.columns(2)
        split = {
            "test_fraction": split_left.slider(
                "Test share",
                0.0,
                0.4,
                step=0.05,
                key="test_fraction",
                disabled=test_upload is not None,
                help="Not used with a test file: the metrics come from its pairs, so no test split is made."
                if test_upload is not None
                else "Share of the pairs held out for the metrics, split by sample: no sample is in two splits.",
            ),
            "validation_fraction": split_right.slider(
                "Validation share",
                0.0,
                0.4,
                step=0.05,
                key="validation_fraction",
                help="Share held out to choose how long to train (early stopping) and the threshold.",
            ),
        }
        split["refit"] = st.checkbox(
            "Refit the final model on all pairs",
            key="refit",
            help="After the length and the threshold are chosen on the split, train the final model on "
            "every pair for as long. Off: the final model is the one trained on the training split.",
        )
        if isinstance(loaded, SampleSet):
            split["pairs_per_sample"] = st.number_input("Pairs per sample", 2, 64, key="pairs_per_sample")
            split["hard_negatives"] = st.checkbox(
                "Hard negatives (nearest samples of other classes)", key="hard_negatives"
            )
        split["test_upload"] = test_upload
    return {"config": settings, **split}


def render_test_file(loaded, data_key: str, load_same_kind, settings: dict):
    """The test file's pairs, features in the training data's order: (pairs or None, usable).

    Loaded the way the data were (`load_same_kind`), paired when it holds labeled samples, and checked
    now, before training, so that a bad file is named at once; kept per file and settings in the session.
    """
    upload = settings["test_upload"]
    if upload is None:
        return None, True
    name, content = upload
    seed = int(settings["config"]["seed"])
    pairing = (settings.get("pairs_per_sample"), settings.get("hard_negatives"), seed)
    # The file's digest, not only its name and size: a corrected file of the same size is read again.
    cache_key = (data_key, name, hashlib.blake2b(content, digest_size=16).digest(), pairing)
    cached = st.session_state.get("test_pairs")
    if cached is None or cached[0] != cache_key:
        try:
            cached = (cache_key, _test_pairs(loaded, load_same_kind(name, content), settings, seed), None)
        except SiameseError as error:
            message = (
                f"The test file {plain(name)} cannot be used: {error_text(error, CONTROLS).rstrip('.')}. Fix it "
                "(it needs the training data's feature and label columns), or remove it to hold out a test share "
                "instead."
            )
            cached = (cache_key, None, message)
        st.session_state["test_pairs"] = cached
    _, test_pairs, message = cached
    if message:
        st.error(message, icon=":material/error:")
        return None, False
    return test_pairs, True


def _test_pairs(loaded, test, settings: dict, seed: int):
    from siamese_core.pairing import prepare_test_pairs

    return prepare_test_pairs(
        test,
        loaded.feature_names,
        pairs_per_sample=int(settings.get("pairs_per_sample", 8)),
        hard_negatives=bool(settings.get("hard_negatives", False)),
        seed=seed,
    )


def render_plan(loaded, data_key: str, settings: dict, test_source: str | None) -> bool:
    """How training will use the pairs, with the split's exact counts, said before training.

    The split is made here as training will make it (`make_splits`, no TensorFlow), once per data and
    settings. Returns False when the split is impossible (the error is shown instead).
    """
    from siamese_core.splits import make_splits, plan_text

    options = {
        "validation_fraction": float(settings["validation_fraction"]),
        "test_fraction": 0.0 if test_source else float(settings["test_fraction"]),
        "seed": int(settings["config"]["seed"]),
    }
    if isinstance(loaded, SampleSet):
        options["pairs_per_sample"] = int(settings["pairs_per_sample"])
        options["hard_negatives"] = bool(settings["hard_negatives"])
    refit = bool(settings["refit"])
    cache_key = (data_key, tuple(sorted(options.items())), refit, test_source)
    cached = st.session_state.get("plan")
    if cached is None or cached[0] != cache_key:
        try:
            splits = make_splits(loaded, **options)
            held_out = splits.held_out
            n_pairs = None if isinstance(loaded, SampleSet) else loaded.n_pairs
            text = plan_text(
                splits.describe(), n_pairs, refit=refit, held_out=held_out, test_source=test_source
            )
            cached = (cache_key, text, None)
        except SiameseError as error:
            cached = (cache_key, None, error_text(error, CONTROLS))
        st.session_state["plan"] = cached
    _, text, error = cached
    if error:
        st.error(error, icon=":material/error:")
        return False
    st.info(f"**Before you train:** {plain(text)}.", icon=":material/call_split:")
    then = (
        "then the final model learns from every pair, for as long."
        if refit
        else "with the refit off, it is also the final model, so the held-out pairs never teach it."
    )
    st.caption(
        "No sample is in two splits, so the held-out numbers measure the model on samples it never saw. "
        "A selection model, trained on the training split, picks the threshold and how long to train "
        f"(on files under {CROSS_VALIDATION_PAIRS:,} pairs, {LENGTH_FOLDS} folds by sample pick how long); {then}"
    )
    return True


def _train_config(settings: dict):
    from siamese_core.config import TrainConfig, parse_hidden_sizes

    hidden = settings["config"]["hidden"]
    try:
        sizes = parse_hidden_sizes(hidden)
    except ValueError:
        raise ConfigError(
            f"Hidden layer sizes must be whole numbers such as 128,64; got {hidden!r}."
        ) from None
    if not sizes:
        raise ConfigError("Give at least one hidden layer size, such as 128.")
    values = {
        **settings["config"],
        "hidden": sizes,
        "validation_fraction": settings["validation_fraction"],
        "max_seconds": training_job.MAX_SECONDS,
    }
    return TrainConfig(**values)


def render_training(loaded, settings: dict, *, test_pairs=None, data_key=None, ready: bool = True) -> None:
    """The Train button, which starts training in a worker thread (`training_job`) and returns at once.

    The run goes on while the visitor uses other pages, and only Stop ends it early; its progress, Stop
    button and growing loss curve are drawn below this page (see `app.py`), and at the top of the others.
    Training is disabled (`ready` False) while the test file or the split cannot be used, and while a run
    is going on.
    """
    running = training_job.current() is not None
    clicked = st.button(
        "Train",
        type="primary",
        key="train",
        icon=":material/play_arrow:",
        disabled=not ready or running,
        help="A training is running: stop it, or let it end, to train again." if running else None,
    )
    if not clicked or running:  # a click on the button drawn before the job began starts nothing
        return
    config = _train_config(settings)
    everything = (
        "all pairs made from the samples"
        if isinstance(loaded, SampleSet)
        else f"all {loaded.n_pairs:,} pairs"
    )
    extra = {k: settings[k] for k in ("pairs_per_sample", "hard_negatives") if k in settings}

    def run(job):  # in the worker thread: no Streamlit calls
        from siamese_core.pipeline import fit

        def on_progress(progress):
            return job.report(progress.fraction, _progress_text(progress, everything), progress.history)

        outcome = fit(
            loaded,
            config,
            test_fraction=settings["test_fraction"],
            test=test_pairs,
            refit=settings["refit"],
            on_progress=on_progress,
            **extra,
        )
        return outcome, training_job.result_message(outcome, stopped=job.stopped)

    if training_job.start(run, data_key) is None:
        st.warning(
            f"The server is training {training_job.MAX_RUNNING} models for other visitors already: click Train "
            "again in a minute.",
            icon=":material/hourglass:",
        )
        return
    st.rerun()  # draws the page anew: the Train button disabled, the progress below


def _progress_text(progress, everything: str) -> str:
    text = (
        f"{_phase_text(progress.phase, everything)}: epoch {progress.epoch}/{progress.epochs}, "
        f"loss {progress.loss:.4f}"
    )
    if progress.val_loss is not None:
        text += f", validation loss {progress.val_loss:.4f}"
    return text


def _phase_text(phase: str, everything: str) -> str:
    """What the progress bar is showing: the selection on the split, the refit, or the only training."""
    if phase == "selection":
        return "Choosing how long to train and the threshold"
    if phase == "refit":
        return f"Refitting on {everything}"
    return "Training"


def render_result() -> None:
    """How the last training went, until the next one: its message, warnings and loss curve, or why it
    failed or was lost (`training_job`)."""
    problem = st.session_state.get("train_problem")
    if problem is not None:
        kind, what = problem
        if kind == "error":
            st.error(error_text(what, CONTROLS), icon=":material/error:")
        else:
            st.warning(plain(what), icon=":material/warning:")
    message, outcome = st.session_state.get("train_message"), st.session_state.get("outcome")
    if not message or outcome is None or state.bundle() is None:
        return  # nothing trained here, or a model uploaded since
    st.success(plain(message), icon=":material/check_circle:")
    for warning in st.session_state.get("train_warnings", []):
        st.warning(plain(warning), icon=":material/warning:")
    chooser = outcome.selection or outcome.result
    st.plotly_chart(loss_figure(chooser.history), key="result_loss")
    st.caption(
        "The selection model's losses: it chose how long to train and the threshold, before the refit."
        if outcome.selection is not None
        else "The model's losses per epoch."
    )
    left, right = st.columns(2)
    left.page_link("views/evaluate.py", label="See the evaluation", icon=":material/insights:")
    right.page_link("views/compare.py", label="Compare two samples", icon=":material/compare_arrows:")


def main() -> None:
    render_intro()
    loaded, key, preview, load_same_kind = render_source()
    state.set_dataset(loaded, key)
    if loaded is None:
        return
    render_summary(loaded, preview)
    size = loaded.n_samples if isinstance(loaded, SampleSet) else loaded.n_pairs
    if size > MAX_PAIRS:
        st.error(
            f"{plain(loaded.info.source)} has {size:,} rows; the dashboard trains on up to {MAX_PAIRS:,}. "
            "Use the command line (siamese train) for more, or upload a sample of the rows."
        )
        return
    st.subheader("Train")
    settings = render_training_settings(loaded)
    test_pairs, ready = render_test_file(loaded, key, load_same_kind, settings)
    if ready:
        test_source = settings["test_upload"][0] if settings["test_upload"] else None
        ready = render_plan(loaded, key, settings, test_source)
    try:
        render_training(loaded, settings, test_pairs=test_pairs, data_key=key, ready=ready)
    except SiameseError as error:
        st.error(error_text(error, CONTROLS), icon=":material/error:")
    render_result()


main()
