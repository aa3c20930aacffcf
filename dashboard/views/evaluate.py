"""Evaluate: distance histograms, a threshold and its metrics, ROC, hardest pairs, embeddings."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import state
from dashboard.text import plain
from siamese_core.evaluation import evaluate_distances, hardest_pairs, metrics_at_threshold
from siamese_core.figures import confusion_figure, distance_histogram, embedding_figure, roc_figure

EMBEDDING_POINTS = 2000


def _set_threshold(value: float | None = None) -> None:
    """A preset's value, or the slider's after the user moved it, becomes the model's threshold."""
    state.set_threshold(st.session_state["threshold"] if value is None else value)


def render_threshold(result, distances: np.ndarray) -> float:
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
    middle.button(
        f"Best accuracy ({result.best_threshold:.3f})",
        key="preset_best",
        on_click=_set_threshold,
        args=(result.best_threshold,),
    )
    right.button(
        f"Equal error rate ({result.eer_threshold:.3f})",
        key="preset_eer",
        on_click=_set_threshold,
        args=(result.eer_threshold,),
    )
    return float(threshold)


def render_metrics(metrics, result) -> None:
    cells = st.columns(6)
    cells[0].metric("ROC AUC", f"{result.auc:.4f}")
    cells[1].metric("Equal error rate", f"{result.eer:.2%}")
    cells[2].metric("Accuracy", f"{metrics.accuracy:.2%}")
    cells[3].metric(
        "Precision", f"{metrics.precision:.2%}", help="Of the pairs called similar, the share that are."
    )
    cells[4].metric("Recall", f"{metrics.recall:.2%}", help="Of the similar pairs, the share called similar.")
    cells[5].metric("F1", f"{metrics.f1:.4f}")


def render_embeddings(evaluation) -> None:
    bundle = state.bundle()
    pairs = evaluation.pairs
    count = min(pairs.n_pairs, EMBEDDING_POINTS // 2)
    rows = np.random.default_rng(0).choice(pairs.n_pairs, size=count, replace=False)
    samples = np.concatenate([pairs.left[rows], pairs.right[rows]])
    if evaluation.classes is not None:
        colour = np.concatenate([evaluation.classes[rows], evaluation.classes[rows]])
        title = "Embeddings (PCA), coloured by class"
    else:
        label = np.where(pairs.labels[rows] == 0, "in a similar pair", "in a dissimilar pair")
        colour = np.concatenate([label, label])
        title = "Embeddings (PCA), coloured by the label of their pair"
    figure = embedding_figure(bundle.embed(samples), colour, title=title)
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
    result = evaluate_distances(distances, labels, margin=bundle.margin)
    title = evaluation.title[:1].upper() + evaluation.title[1:]
    st.caption(
        f"{plain(title)}: {result.n_pairs:,} pairs ({result.n_similar:,} similar, "
        f"{result.n_dissimilar:,} dissimilar). Model {plain(st.session_state.get('model_source', ''))}; margin {bundle.margin:g}."
    )
    for warning in result.warnings:
        st.warning(plain(warning), icon=":material/warning:")

    render_threshold(result, distances)
    threshold = state.threshold()
    metrics = metrics_at_threshold(distances, labels, threshold)
    render_metrics(metrics, result)
    st.plotly_chart(
        distance_histogram(distances, labels, margin=bundle.margin, threshold=threshold), key="histogram"
    )
    if result.dissimilar_inside_margin is not None:
        st.caption(f"{result.dissimilar_inside_margin:.1%} of dissimilar pairs are still inside the margin.")

    left, right = st.columns(2)
    with left:
        st.plotly_chart(confusion_figure(metrics), key="confusion")
    with right:
        st.plotly_chart(roc_figure(result), key="roc")

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
