"""Evaluate: distance histograms, a threshold and its metrics, ROC, hardest pairs, embeddings."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import state
from dashboard.evaluation_panel import render_calibration, render_charts, render_metrics
from dashboard.text import plain
from siamese_core.error_budget import ThresholdTarget, dissimilar_pairs_needed
from siamese_core.errors import DataError
from siamese_core.evaluation import evaluate_distances, hardest_pairs, metrics_at_threshold
from siamese_core.figures import decimals_to_tell_apart, embedding_figure, pair_embedding_figure
from siamese_core.pairs import SampleSet

EMBEDDING_POINTS = 2000
# The error budgets' inputs, in percent: at most this share of dissimilar pairs called similar, at least
# this precision. Kept for the whole session, across pages.
FAR_TARGET = "far_target"
PRECISION_TARGET = "precision_target"


def _set_threshold(value: float | None = None) -> None:
    """A preset's value, or the slider's after the user moved it, becomes the model's threshold."""
    state.set_threshold(st.session_state["threshold"] if value is None else value)


def render_threshold(result, distances: np.ndarray, labels: np.ndarray) -> float:
    # Up to just past nearly all distances: a few far outliers must not squeeze the useful range.
    # The model's own threshold is always within reach, so showing the page never moves it.
    top = (
        float(
            max(np.quantile(distances, 0.995), result.best_threshold, result.eer_threshold, state.threshold())
        )
        * 1.2
        or 1.0
    )
    current = min(max(state.threshold(), 0.0), top)
    st.session_state["threshold"] = current  # the slider shows the model's threshold, wherever it was set
    left, middle, right = st.columns([3, 1, 1])
    threshold = left.slider(
        "Threshold: pairs at or below this distance are called similar",
        0.0,
        top,
        step=top / 500,
        key="threshold",
        format="%.4f",
        on_change=_set_threshold,
    )
    trained = _recorded(state.bundle().metrics, "threshold", (int, float))
    far_input, far_preset, precision_input, precision_preset = st.columns(
        [1, 2, 1, 2], vertical_alignment="bottom"
    )
    far = ThresholdTarget("far", _percent(far_input, "Max. false matches (%)", FAR_TARGET, 1.0, 0.0) / 100)
    precision = ThresholdTarget(
        "precision", _percent(precision_input, "Min. precision (%)", PRECISION_TARGET, 99.0, 0.01) / 100
    )
    far_threshold = far.threshold(distances, labels)
    try:
        precision_threshold, unreachable = precision.threshold(distances, labels), None
    except DataError as error:  # no threshold reaches it on these pairs: said, never replaced by another
        precision_threshold, unreachable = None, error
    shown = [result.best_threshold, result.eer_threshold, far_threshold]
    shown += [value for value in (precision_threshold, trained) if value is not None]
    decimals = decimals_to_tell_apart(shown)
    middle.button(
        f"Best accuracy ({result.best_threshold:.{decimals}f})",
        key="preset_best",
        on_click=_set_threshold,
        args=(result.best_threshold,),
    )
    right.button(
        f"Equal error rate ({result.eer_threshold:.{decimals}f})",
        key="preset_eer",
        on_click=_set_threshold,
        args=(result.eer_threshold,),
    )
    far_preset.button(
        f"{_capitalised(far.describe())} ({far_threshold:.{decimals}f})",
        key="preset_far",
        on_click=_set_threshold,
        args=(far_threshold,),
    )
    if precision_threshold is None:
        precision_preset.button(
            f"{_capitalised(precision.describe())} (not reached)",
            key="preset_precision",
            disabled=True,
            help=plain(_capitalised(str(unreachable))),
        )
    else:
        precision_preset.button(
            f"{_capitalised(precision.describe())} ({precision_threshold:.{decimals}f})",
            key="preset_precision",
            on_click=_set_threshold,
            args=(precision_threshold,),
        )
    st.caption(_presets_text(result.n_pairs, trained, decimals))
    st.caption(_budgets_text(result, far, precision, unreachable))
    return float(threshold)


def _percent(column, label: str, key: str, default: float, least: float) -> float:
    """An error budget in percent, typed by the user; kept for the session."""
    return column.number_input(
        label, least, 100.0, value=default, step=0.1, format="%.2f", key=key, persist_state="session"
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _budgets_text(result, far: ThresholdTarget, precision: ThresholdTarget, unreachable) -> str:
    """How the error-budget presets are chosen, and what these pairs cannot give."""
    rate, least = f"{far.value * 100:g}%", f"{precision.value * 100:g}%"
    text = (
        f"The error-budget presets are chosen the same way, on the same {result.n_pairs:,} pairs: the most "
        f"permissive threshold calling at most {rate} of the {result.n_dissimilar:,} dissimilar pairs similar, "
        f"and the one calling the most similar pairs similar with at least {least} precision."
    )
    if far.value > 0 and result.n_dissimilar < dissimilar_pairs_needed(far.value):
        text += (
            f" With {result.n_dissimilar:,} dissimilar pairs, {rate} allows no false match at all: that preset "
            "calls none of them similar."
        )
    if unreachable is not None:
        text += f" {_capitalised(str(unreachable))}."
    return plain(text)


def _presets_text(n_pairs: int, trained: float | None, decimals: int) -> str:
    """Which pairs the presets were chosen on, and which the model's own threshold was."""
    text = (
        f"The presets are the thresholds with the best accuracy and with equal error rates on the {n_pairs:,} "
        "pairs measured here; chosen on the pairs they are measured on, they flatter the model."
    )
    source = _recorded(state.bundle().metrics, "threshold_source", str)
    if trained is not None and source:
        text += (
            f" The model's threshold as trained, {trained:.{decimals}f}, was chosen on its {plain(source)}."
        )
    elif source:
        text += f" The model's threshold as trained was chosen on its {plain(source)}."
    return text


def _recorded(metrics: dict, key: str, kind):
    """A value the model file records of its training, or None when it is missing or not a `kind` (a model
    file may come from anywhere; `load_model` checks only that its metrics are an object)."""
    value = metrics.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        return None
    return None if isinstance(value, float) and not np.isfinite(value) else value


def render_embeddings(evaluation) -> None:
    """Each sample once, coloured by its class, for labeled samples; else each pair as a line."""
    samples = _samples_of(evaluation)
    if samples is not None and _render_samples(evaluation.pairs, samples):
        return
    _render_pairs(evaluation.pairs)


def _samples_of(evaluation) -> SampleSet | None:
    """The loaded labeled samples whose rows the evaluated pairs' `sample_rows` name, or None.

    `Evaluation.classes` is set only when they are (pairs made from the loaded samples file).
    """
    loaded = state.dataset()
    if (
        evaluation.classes is None
        or evaluation.pairs.sample_rows is None
        or not isinstance(loaded, SampleSet)
    ):
        return None
    return loaded


def _render_samples(pairs, samples: SampleSet) -> bool:
    """Plot the distinct samples of `pairs`; False (nothing drawn) if a row is not in `samples`."""
    rows = pairs.sample_rows.reshape(-1)  # first, second, first, second, ...
    features = np.stack((pairs.left, pairs.right), axis=1).reshape(-1, pairs.n_features)  # model order
    rows, first = np.unique(rows, return_index=True)
    features = features[first]
    n_samples = rows.size
    if n_samples > EMBEDDING_POINTS:
        keep = np.sort(np.random.default_rng(0).choice(n_samples, EMBEDDING_POINTS, replace=False))
        rows, features = rows[keep], features[keep]
    position = {int(row): index for index, row in enumerate(samples.rows.tolist())}
    index = np.array([position.get(int(row), -1) for row in rows])
    if (index < 0).any():
        return False
    if samples.ids is None:
        hover = [f"row {row}" for row in rows]
    else:
        hover = [f"id {ident} (row {row})" for ident, row in zip(samples.ids[index], rows, strict=True)]
    title = f"{rows.size:,} samples of these pairs, each drawn once, coloured by class"
    if rows.size < n_samples:
        st.caption(f"A random {rows.size:,} of the {n_samples:,} samples in these pairs.")
    figure = embedding_figure(
        state.bundle().embed(features), samples.classes[index], title=title, hover=hover
    )
    st.plotly_chart(figure, key="embeddings")
    return True


def _render_pairs(pairs) -> None:
    count = min(pairs.n_pairs, EMBEDDING_POINTS // 2)
    rows = np.sort(np.random.default_rng(0).choice(pairs.n_pairs, size=count, replace=False))
    if count < pairs.n_pairs:
        st.caption(f"A random {count:,} of the {pairs.n_pairs:,} pairs.")
    ids = None if pairs.sample_ids is None else pairs.sample_ids[rows]
    hover = np.array(
        [
            [
                ("" if ids is None else f"id {ids[i, side]}, ") + f"row {row}, {name} sample"
                for side, name in enumerate(("first", "second"))
            ]
            for i, row in enumerate(pairs.rows[rows])
        ]
    )
    embeddings = state.bundle().embed(np.concatenate([pairs.left[rows], pairs.right[rows]]))
    figure = pair_embedding_figure(
        embeddings[:count],
        embeddings[count:],
        pairs.labels[rows],
        hover=hover,
        title=f"{count:,} pairs: a line from each pair's first sample to its second, coloured by its label",
    )
    st.plotly_chart(figure, key="embeddings")


def main() -> None:
    st.title("Evaluate")
    if not state.require_model():
        return
    evaluation = state.evaluation()
    if evaluation is None:
        if not state.show_evaluation_error():
            st.info("Load data on **Data & training** to evaluate this model on it.")
        return
    bundle = state.bundle()
    distances, labels = evaluation.distances, evaluation.pairs.labels
    result = evaluate_distances(distances, labels, margin=bundle.margin, calibration=bundle.calibration)
    title = evaluation.title[:1].upper() + evaluation.title[1:]
    st.caption(
        f"{plain(title)}: {result.n_pairs:,} pairs ({result.n_similar:,} similar, "
        f"{result.n_dissimilar:,} dissimilar). Model {plain(st.session_state.get('model_source', ''))}; margin {bundle.margin:g}."
    )
    for warning in result.warnings:
        st.warning(plain(warning), icon=":material/warning:")

    render_threshold(result, distances, labels)
    metrics = metrics_at_threshold(distances, labels, state.threshold())
    render_metrics(metrics, result, state.intervals(metrics.threshold))
    render_charts(distances, labels, result, metrics, margin=bundle.margin)
    render_calibration(result, bundle.calibration)

    st.subheader("Hardest pairs")
    st.caption(
        "Similar pairs farthest apart and dissimilar pairs closest together: the model's worst mistakes."
    )
    rows = (
        evaluation.pairs.rows
        if evaluation.pairs.rows is not None and (evaluation.pairs.rows > 0).all()
        else None
    )
    st.dataframe(hardest_pairs(distances, labels, k=10, rows=rows), hide_index=True, key="hardest")

    st.subheader("Embedding space")
    outcome = st.session_state.get("outcome")
    if outcome is not None and outcome.selection is not None:
        st.caption(
            "The final model's embeddings. It was refit on all pairs, so it has seen these samples: "
            "a picture of the model, not a held-out measure."
        )
    render_embeddings(evaluation)


main()
