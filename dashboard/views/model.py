"""Model files & scoring: download or upload a model, score a pair CSV, download the HTML report."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.evaluation_panel import render_calibration, render_charts, render_metrics
from dashboard.text import error_text, plain
from siamese_core import data as core_data
from siamese_core.errors import SiameseError

LEAVE_MISSING = "Leave rows with missing values unscored"


def render_download() -> None:
    st.subheader("This model")
    bundle = state.bundle()
    st.caption(
        f"{plain(st.session_state.get('model_source', ''))}: {bundle.n_features} features, margin {bundle.margin:g}, "
        f"threshold {state.threshold():.4f} (set on Evaluate; saved with the model). One standard .keras file; "
        "it loads with safe_mode=True."
    )
    st.download_button(
        "Download the model (.keras)",
        state.model_bytes(),
        file_name="siamese_model.keras",
        mime="application/zip",
        key="download_model",
        on_click="ignore",
        icon=":material/download:",
    )
    evaluation = state.evaluation()
    if evaluation is not None:
        st.download_button(
            "Download the HTML report",
            _report(evaluation),
            file_name="siamese_report.html",
            mime="text/html",
            key="download_report",
            on_click="ignore",
            icon=":material/description:",
        )


def _report(evaluation) -> str:
    from siamese_core.evaluation import evaluate_distances
    from siamese_core.report import model_info, render_report

    bundle = state.bundle()
    threshold = state.threshold()
    result = evaluate_distances(
        evaluation.distances,
        evaluation.pairs.labels,
        threshold=threshold,
        margin=bundle.margin,
        calibration=bundle.calibration,
    )
    result.intervals = state.intervals(threshold)  # the bootstrap Evaluate shows, kept in the session
    info = {"evaluated on": evaluation.title} | model_info(bundle)
    return render_report(
        result,
        evaluation.distances,
        evaluation.pairs.labels,
        model_info=info,
        history=bundle.history or None,
        rows=evaluation.pairs.rows,
        data_file=evaluation.pairs.info.source if evaluation.pairs.info else None,
        split=bundle.metrics.get("split") if isinstance(bundle.metrics.get("split"), str) else None,
        calibration=bundle.calibration,
    )


def render_upload() -> None:
    st.subheader("Use a model file")
    upload = state.model_upload("Model file (.keras) saved by this tool", "model_file")
    if upload is None or st.session_state.get("uploaded_model_id") == upload.file_id:
        return
    bundle = state.load_uploaded_model(upload)
    if bundle is None:
        return
    state.set_model(bundle, source=f"uploaded from {upload.name}")
    st.session_state["uploaded_model_id"] = upload.file_id
    st.success(
        f"Loaded {plain(upload.name)}: {bundle.n_features} features. It is now the model on every page."
    )
    state.show_evaluation_error()


def render_scoring() -> None:
    st.subheader("Score a pair CSV")
    upload = state.uploaded(
        "Pair CSV with the model's features on both sides (a label column is not needed)", "score_file"
    )
    if upload is None:
        return
    from siamese_core.scoring import ScoreColumns, csv_bytes, neutralise_formulas, score_frame

    bundle = state.bundle()
    drop = st.checkbox(LEAVE_MISSING, key="score_drop_missing")
    threshold = state.threshold()
    try:
        frame = core_data.read_csv(upload.getvalue(), name=upload.name)
        scored = score_frame(bundle, frame, threshold=threshold, drop_missing=drop, name=upload.name)
    except SiameseError as error:
        st.error(
            error_text(error, {"drop_missing": f'tick "{LEAVE_MISSING}" above'}), icon=":material/error:"
        )
        return
    columns = ScoreColumns.for_table(frame.columns)
    similar = int(scored[columns.similar].sum())
    renamed = columns.renamed()
    st.success(
        f"Scored {scored[columns.distance].notna().sum():,} pairs at threshold {threshold:.4f}: {similar:,} called "
        "similar." + (f" Note: {plain(renamed)}." if renamed else "")
    )
    first = [columns.distance, columns.similar]  # the results first: a file's features fill the screen
    preview = scored[first + [column for column in scored.columns if column not in first]]
    st.dataframe(preview.head(50), hide_index=True, key="scores_preview")
    st.download_button(
        "Download the scores CSV",
        csv_bytes(neutralise_formulas(scored)),
        file_name=f"scored_{upload.name}",
        mime="text/csv",
        key="download_scores",
        on_click="ignore",
        icon=":material/download:",
    )
    render_scored_metrics(frame, scored, columns, threshold, upload.name)


def render_scored_metrics(frame, scored, columns, threshold: float, name: str) -> None:
    """How well the model does on a scored file with a label column, as Evaluate shows it."""
    from siamese_core.evaluation import evaluate_distances

    bundle = state.bundle()
    label = core_data.label_column_as_trained(list(frame.columns), bundle.label_mapping)
    if label is None:
        st.caption(
            "The file has no label column (such as label, y or same), so there are scores but no metrics. "
            "Score a file with labels to see how the model does on new data."
        )
        return
    st.subheader("How the model does on this file")
    scored_rows = scored[columns.distance].notna().to_numpy()
    distances = scored[columns.distance].to_numpy(dtype=float)[scored_rows]
    try:
        labels, mapping, how = core_data.map_labels_as_trained(
            frame[label][scored_rows], column=label, trained_mapping=bundle.label_mapping, source=name
        )
        result = evaluate_distances(
            distances, labels, threshold=threshold, margin=bundle.margin, calibration=bundle.calibration
        )
    except (
        SiameseError
    ) as error:  # no label control on this page: the message says what to change in the file
        st.warning(f"No metrics: {error_text(error, {})}", icon=":material/warning:")
        return
    unscored = int((~scored_rows).sum())
    st.caption(
        f"{result.n_pairs:,} scored pairs ({result.n_similar:,} similar, {result.n_dissimilar:,} dissimilar) "
        f"at threshold {threshold:.4f}"
        + (f"; {unscored:,} unscored rows left out" if unscored else "")
        + f". Labels: {plain(mapping.describe())} ({plain(how)})."
    )
    for warning in result.warnings:
        st.warning(plain(warning), icon=":material/warning:")
    render_metrics(
        result.at_threshold,
        result,
        state.scored_intervals(frame, scored_rows, distances, labels, threshold, name),
    )
    render_charts(distances, labels, result, result.at_threshold, margin=bundle.margin, key="scored_")
    render_calibration(result, bundle.calibration, key="scored_")


def main() -> None:
    st.title("Model files & scoring")
    render_upload()
    if state.bundle() is None:
        st.info("Train a model on **Data & training**, or upload a model file above.")
        return
    render_download()
    render_scoring()


main()
