"""Model files & scoring: download or upload a model, score a pair CSV, download the HTML report."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.text import plain
from siamese_core import data as core_data
from siamese_core.errors import SiameseError

MODEL_LIMIT_MB = 200


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
    from siamese_core.report import render_report

    bundle = state.bundle()
    threshold = state.threshold()
    result = evaluate_distances(
        evaluation.distances, evaluation.pairs.labels, threshold=threshold, margin=bundle.margin
    )
    info = {
        "evaluated on": evaluation.title,
        "features": ", ".join(bundle.feature_names[:8]) + (" ..." if bundle.n_features > 8 else ""),
        "margin": bundle.margin,
        "threshold": threshold,
        "label mapping": bundle.label_mapping,
        "training settings": bundle.train_config,
        "versions": bundle.versions,
    }
    return render_report(
        result,
        evaluation.distances,
        evaluation.pairs.labels,
        model_info=info,
        history=bundle.history or None,
        rows=evaluation.pairs.rows,
    )


def render_upload() -> None:
    st.subheader("Use a model file")
    upload = st.file_uploader(
        "Model file (.keras) saved by this tool",
        type=["keras"],
        key="model_file",
        max_upload_size=MODEL_LIMIT_MB,
        help="Loaded with safe_mode=True: files with code in them (Lambda layers) or unknown parts are refused.",
    )
    if upload is None or st.session_state.get("uploaded_model_id") == upload.file_id:
        return
    with st.spinner("Checking and loading the model..."):
        from siamese_core.bundle import load_model

        try:
            bundle = load_model(upload.getvalue(), name=upload.name)
        except SiameseError as error:
            st.error(plain(error), icon=":material/error:")
            return
    state.set_model(bundle, source=f"uploaded from {upload.name}")
    st.session_state["uploaded_model_id"] = upload.file_id
    st.success(
        f"Loaded {plain(upload.name)}: {bundle.n_features} features. It is now the model on every page."
    )
    state.show_evaluation_error()


def render_scoring() -> None:
    st.subheader("Score a pair CSV")
    upload = st.file_uploader(
        "Pair CSV with the model's features on both sides (a label column is not needed)",
        type=["csv", "tsv", "txt"],
        key="score_file",
        max_upload_size=state.MAX_UPLOAD_MB,
    )
    if upload is None:
        return
    from siamese_core.scoring import ScoreColumns, csv_bytes, neutralise_formulas, score_frame

    bundle = state.bundle()
    drop = st.checkbox("Leave rows with missing values unscored", key="score_drop_missing")
    threshold = state.threshold()
    try:
        frame = core_data.read_csv(upload.getvalue(), name=upload.name)
        scored = score_frame(bundle, frame, threshold=threshold, drop_missing=drop, name=upload.name)
    except SiameseError as error:
        st.error(plain(error), icon=":material/error:")
        return
    columns = ScoreColumns.for_table(frame.columns)
    similar = int(scored[columns.similar].sum())
    renamed = columns.renamed()
    st.success(
        f"Scored {scored[columns.distance].notna().sum():,} pairs at threshold {threshold:.4f}: {similar:,} called "
        "similar." + (f" Note: {plain(renamed)}." if renamed else "")
    )
    st.dataframe(scored.head(50), hide_index=True, key="scores_preview")
    st.download_button(
        "Download the scores CSV",
        csv_bytes(neutralise_formulas(scored)),
        file_name=f"scored_{upload.name}",
        mime="text/csv",
        key="download_scores",
        on_click="ignore",
        icon=":material/download:",
    )


def main() -> None:
    st.title("Model files & scoring")
    render_upload()
    if state.bundle() is None:
        st.info("Train a model on **Data & training**, or upload a model file above.")
        return
    render_download()
    render_scoring()


main()
