"""Compare models: is the new model better? Two models on the same labelled pairs, with the difference of
their ROC AUCs and its paired bootstrap interval (`siamese_core.comparison`)."""

from __future__ import annotations

import math

import streamlit as st

from dashboard import state
from dashboard.text import error_text, plain
from siamese_core.errors import SiameseError
from siamese_core.pairs import SampleSet

SESSION_PAIRS = "session"
UPLOADED_PAIRS = "upload"
DROP_MISSING = "Drop rows with missing values"
SESSION_MODEL = "the session's model"


def _uploaded_model(label: str, key: str):
    """(name, model) of the .keras file uploaded under `key`, loaded once per file; None without one, or
    when it is refused (said under the control)."""
    upload = state.model_upload(label, key)
    kept_key = f"{key}_loaded"
    if upload is None:
        st.session_state.pop(kept_key, None)
        return None
    kept = st.session_state.get(kept_key)
    if kept is None or kept[0] != upload.file_id:
        bundle = state.load_uploaded_model(upload)
        if bundle is None:
            return None
        kept = (upload.file_id, upload.name, bundle)
        st.session_state[kept_key] = kept
    return kept[1], kept[2]


def render_models():
    """Model A (the session's model, or an upload when there is none) and model B (an upload): each
    (name, model), or None."""
    st.subheader("Models")
    left, right = st.columns(2)
    with left:
        if state.bundle() is not None:
            first = (SESSION_MODEL, state.bundle())
            st.markdown("**Model A: the session's model**")
            st.caption(
                f"{plain(st.session_state.get('model_source', ''))}: {state.bundle().n_features} features, "
                f"threshold {state.threshold():.4f} (set on Evaluate)."
            )
        else:
            first = _uploaded_model("Model A (.keras), such as the model in use", "compare_model_a")
    with right:
        second = _uploaded_model("Model B (.keras), such as a new model", "compare_model_b")
    return first, second


def render_pairs():
    """The labelled pairs to compare on: (pairs, model A's distances when they are Evaluate's, what the pairs
    are for the cache), or None (why is said)."""
    st.subheader("Pairs")
    source = st.radio(
        "Compare on",
        [SESSION_PAIRS, UPLOADED_PAIRS],
        format_func={
            SESSION_PAIRS: "The session's pairs (held out after training, else the loaded data)",
            UPLOADED_PAIRS: "A pair CSV with labels",
        }.get,
        key="compare_models_pairs",
        horizontal=True,
    )
    if source == UPLOADED_PAIRS:
        return _uploaded_pairs()
    if state.bundle() is not None:
        evaluation = state.evaluation()
        if evaluation is None:
            message = state.evaluation_error() or "no data loaded"
            st.warning(
                f"The session's pairs cannot be used: {plain(message)}. Choose **A pair CSV with labels** "
                "above, with the models' features.",
                icon=":material/warning:",
            )
            return None
        st.caption(f"{evaluation.pairs.n_pairs:,} pairs: {plain(evaluation.title)}.")
        key = ("session", st.session_state["evaluation"][0])
        return evaluation.pairs, evaluation.distances, key
    loaded = state.dataset()
    if loaded is None:
        st.info(
            "No data loaded: load data on **Data & training**, or choose **A pair CSV with labels** above."
        )
        return None
    from siamese_core.pairing import make_pairs

    pairs = make_pairs(loaded, seed=0) if isinstance(loaded, SampleSet) else loaded
    st.caption(f"{pairs.n_pairs:,} pairs: {state.ALL_PAIRS}.")
    return pairs, None, ("data", st.session_state.get("dataset_key"))


def _uploaded_pairs():
    upload = state.uploaded(
        "Pair CSV: a label column and both models' features on each side", "compare_pairs_file"
    )
    drop = st.checkbox(DROP_MISSING, key="compare_drop_missing")
    if upload is None:
        st.info("Upload a pair CSV to compare the models on.")
        return None
    try:
        pairs = state.parse_pairs(upload.getvalue(), upload.name, drop_missing=drop)
    except SiameseError as error:
        st.error(
            error_text(error, {"drop_missing": f'tick "{DROP_MISSING}" under the upload'}),
            icon=":material/error:",
        )
        return None
    st.caption(f"{pairs.n_pairs:,} pairs of {plain(upload.name)}.")
    return pairs, None, ("upload", upload.file_id, drop)


def _comparison(first, second, pairs, distances_a, pairs_key):
    """The comparison of the two models on the pairs, kept in the session while models, thresholds and
    pairs stay the same (the bootstrap takes about a second per 30,000 pairs)."""
    from siamese_core.comparison import compare_distances, model_distances
    from siamese_core.intervals import pair_sample_ids

    (name_a, bundle_a), (name_b, bundle_b) = first, second
    key = (id(bundle_a), bundle_a.threshold, id(bundle_b), bundle_b.threshold, pairs_key)
    kept = st.session_state.get("model_comparison")
    if kept is None or kept[0] != key:
        with st.spinner("Measuring both models and bootstrapping the difference..."):
            if distances_a is None:
                distances_a = model_distances(bundle_a, pairs, what=f"model A ({name_a})")
            distances_b = model_distances(bundle_b, pairs, what=f"model B ({name_b})")
            found = compare_distances(
                (distances_a, distances_b),
                pairs.labels,
                thresholds=(bundle_a.threshold, bundle_b.threshold),
                margins=(bundle_a.margin, bundle_b.margin),
                names=(f"A: {name_a}", f"B: {name_b}"),
                sample_ids=pair_sample_ids(pairs.left, pairs.right),
            )
        kept = (key, found)
        st.session_state["model_comparison"] = kept
    return kept[1]


def _ends(interval, form: str) -> str:
    low, high = ("n/a" if math.isnan(end) else format(end, form) for end in (interval.low, interval.high))
    return f"{low} to {high}"


def render_result(comparison) -> None:
    """Both AUCs and the difference with their intervals, the verdict, and the two figures."""
    from siamese_core.figures import histogram_comparison_figure, roc_comparison_figure

    auc = comparison.auc
    level = f"{auc.confidence:.0%} CI"
    st.subheader("Is B better?")
    cells = st.columns(4)
    for cell, label, value, interval, form in (
        (cells[0], "ROC AUC of A", auc.auc_a, auc.auc_a_interval, ".4f"),
        (cells[1], "ROC AUC of B", auc.auc_b, auc.auc_b_interval, ".4f"),
        (cells[2], "AUC difference B − A", auc.difference, auc.interval, "+.4f"),
    ):
        cell.metric(label, format(value, form))
        cell.caption(f"{level} {_ends(interval, form)}")
    share = "n/a" if math.isnan(auc.share_b_better) else f"{auc.share_b_better:.1%}"
    cells[3].metric(
        "B ahead in",
        share,
        help="The share of the bootstrap resamples where B's AUC is higher than A's.",
    )
    p_value = "n/a" if math.isnan(auc.p_value) else f"{auc.p_value:.3g}"
    cells[3].caption(f"two-sided p = {p_value}")
    verdict = f"Verdict: {auc.verdict()}."
    if auc.interval.low > 0 or auc.interval.high < 0:
        st.success(verdict, icon=":material/check_circle:")
    else:
        st.info(verdict, icon=":material/balance:")
    first, second = comparison.results
    accuracies = (
        f"accuracy {first.at_threshold.accuracy:.2%} (A, threshold {first.threshold:.4f}) and "
        f"{second.at_threshold.accuracy:.2%} (B, threshold {second.threshold:.4f})"
    )
    st.caption(
        f"{plain(auc.describe())} Each model at its own threshold: {accuracies}. A model that trained on some "
        "of these pairs is flattered by them: compare on pairs neither model trained on."
    )
    for letter, result in zip("AB", comparison.results, strict=True):
        for warning in result.warnings:
            st.warning(f"Model {letter}: {plain(warning)}", icon=":material/warning:")
    st.plotly_chart(
        roc_comparison_figure(comparison.results, names=comparison.names),
        key="compare_models_roc",
    )
    st.plotly_chart(
        histogram_comparison_figure(
            comparison.distances,
            comparison.labels,
            thresholds=tuple(result.threshold for result in comparison.results),
            names=comparison.names,
        ),
        key="compare_models_histograms",
    )


def main() -> None:
    st.title("Compare models")
    st.caption(
        "Is the new model better? Both models are measured on the same labelled pairs, and the difference "
        "of their ROC AUCs gets a paired bootstrap interval: B is better when the interval lies above 0."
    )
    first, second = render_models()
    chosen = render_pairs()
    if first is None or second is None:
        missing = (
            "model B" if first is not None else ("model A" if second is not None else "model A and model B")
        )
        st.info(f"Upload {missing} above to compare.")
        return
    if chosen is None:
        return
    pairs, distances_a, pairs_key = chosen
    try:
        comparison = _comparison(first, second, pairs, distances_a, pairs_key)
    except SiameseError as error:  # a model without the pairs' features, or pairs of one class
        text = error_text(error, {})
        if pairs_key[0] != "upload":
            text = (
                text.rstrip(".") + ". Or choose **A pair CSV with labels** above, with both models' features."
            )
        st.error(text, icon=":material/error:")
        return
    render_result(comparison)


main()
