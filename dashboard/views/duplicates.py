"""Find duplicates: the closest pairs of rows of a samples table (or across two tables), by the model's
distance (`siamese_core.duplicates.find_duplicates`), to look at side by side, mark and download."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.text import error_text, plain
from siamese_core.errors import SiameseError
from siamese_core.pairs import PairSet, SampleSet

UPLOADED = "upload"
TRAINING = "training"
AT_MOST = "threshold"
CLOSEST = "top"
NO_ID = "(none: number the rows)"
ID_LABEL = "Id column"
MARK = "duplicate"
TABLE_KINDS = (".csv", ".tsv", ".txt", ".parquet", ".pq")
DEFAULT_TOP = 50
DEFAULT_K = 10  # `siamese_core.duplicates.DEFAULT_K`, which loads FAISS on import


@dataclass
class SamplesTable:
    """A table to search, as `find_duplicates` takes it and as the page shows its rows.

    Attributes:
        name: What messages call it.
        source: What `find_duplicates` reads: a CSV's bytes, or a DataFrame.
        frame: Every row and column, with the 0-based data row as index (rows are numbered from 1).
        decimal: The decimal mark of numbers written as text.
        delimiter: A CSV's delimiter, for messages; None for other tables.
        key: What the table is, for what the page keeps in the session.
    """

    name: str
    source: object
    frame: pd.DataFrame
    decimal: str = "."
    delimiter: str | None = None
    key: tuple = ()


@st.cache_data(show_spinner="Reading the table...", max_entries=8)
def _read(content: bytes, name: str) -> tuple[pd.DataFrame, str, str | None, bool]:
    """(every row and column, decimal mark, delimiter, whether it is Parquet) of an uploaded table, read as
    the core reads it (`siamese_core.sources.open_table`)."""
    from siamese_core.embedding import EMBED_CHUNK_ROWS
    from siamese_core.sources import PARQUET_SUFFIXES, open_table

    parquet = name.lower().endswith(PARQUET_SUFFIXES) or content.startswith(b"PAR1")
    with tempfile.TemporaryDirectory(prefix="siamese-upload-") as folder:
        source = content
        if parquet:  # Parquet is read from a file: written under the upload's name, which messages use
            source = Path(folder) / (Path(name).name or "table.parquet")
            source.write_bytes(content)
        files = open_table(source, name=name)
        frames = [frame for _, frame in files.table_chunks(EMBED_CHUNK_ROWS)]
        file = files.files[0]
        frame = pd.concat(frames) if frames else pd.DataFrame(columns=file.columns)
    return frame, file.decimal, file.delimiter, parquet


def _uploaded_table(label: str, key: str) -> SamplesTable | None:
    """The table uploaded under `key`, or None without one or when it cannot be read (said on the page)."""
    upload = state.uploaded(label, key, kinds=TABLE_KINDS)
    if upload is None:
        return None
    content = upload.getvalue()
    digest = hashlib.blake2b(content, digest_size=16).hexdigest()  # marks outlive the upload's widget
    try:
        frame, decimal, delimiter, parquet = _read(content, upload.name)
    except SiameseError as error:
        st.error(error_text(error, {}), icon=":material/error:")
        return None
    return SamplesTable(
        upload.name,
        frame if parquet else content,  # a CSV is read by the core itself (its decimal mark, its messages)
        frame,
        decimal,
        delimiter,
        ("upload", upload.name, digest),
    )


def _training_table(loaded) -> SamplesTable:
    """The loaded data's samples as a table: a samples file's rows, or each distinct sample of a pair file
    (both sides), with an id saying where it is; made once per loaded data."""
    key = ("data", st.session_state.get("dataset_key"))
    kept = st.session_state.get("duplicates_training")
    if kept is not None and kept.key == key:
        return kept
    if isinstance(loaded, SampleSet):
        ids = loaded.ids if loaded.ids is not None else [f"row {row}" for row in loaded.rows]
        features = loaded.features
    else:
        features, ids = _distinct_samples(loaded)
    frame = pd.DataFrame(features, columns=list(loaded.feature_names))
    frame.insert(0, _id_name(loaded.feature_names), np.asarray(ids, dtype=object))
    name = loaded.info.source if loaded.info is not None else "the loaded data"
    kept = SamplesTable(name, frame, frame, key=key)
    st.session_state["duplicates_training"] = kept
    return kept


def _distinct_samples(pairs: PairSet) -> tuple[np.ndarray, list[str]]:
    """Each distinct sample of the pairs' two sides once, in the order they first appear, with its id (pairs
    by reference) or where it first appears ("pair 3 a": the pair's row, its first side)."""
    both = np.concatenate([pairs.left, pairs.right])
    _, first = np.unique(both, axis=0, return_index=True)
    first = np.sort(first)
    n = pairs.n_pairs
    if pairs.sample_ids is not None:
        ids = [str(pairs.sample_ids[index % n, index // n]) for index in first]
    else:
        ids = [f"pair {pairs.rows[index % n]} {'ab'[index // n]}" for index in first]
    return both[first], ids


def _id_name(feature_names) -> str:
    name = "sample"
    while name in set(feature_names):
        name = f"{name}_id"
    return name


def render_tables() -> tuple[SamplesTable, SamplesTable | None, str | None] | None:
    """The table to search, the other table (or None) and the id column (or None); None until there is a
    table (what to do is said)."""
    st.subheader("Samples")
    loaded = state.dataset()
    choices = [UPLOADED, TRAINING] if loaded is not None else [UPLOADED]
    source = st.radio(
        "Search in",
        choices,
        format_func={
            UPLOADED: "An uploaded samples table",
            TRAINING: "The loaded data's samples (Data & training)",
        }.get,
        key="duplicates_source",
        horizontal=True,
    )
    if loaded is None:
        st.caption("Load data on **Data & training** to search its samples; or upload a table here.")
    if source == TRAINING:
        table = _training_table(loaded)
        what = "distinct samples of both sides of the pairs" if isinstance(loaded, PairSet) else "samples"
        st.caption(f"{len(table.frame):,} {what} of {plain(table.name)}.")
        id_column = table.frame.columns[0]
    else:
        table = _uploaded_table(
            "Samples table (CSV or Parquet): one sample per row, a column per feature of the model",
            "duplicates_file",
        )
        if table is None:
            st.info("Upload a samples table to search for duplicates.")
            return None
        columns = [str(column) for column in table.frame.columns]
        chosen = st.selectbox(
            ID_LABEL,
            [NO_ID, *columns],
            key="duplicates_id_column",
            help="Each row's id, shown with the candidates and in the download; without one, rows are numbered "
            "from 1 (the first data row).",
        )
        id_column = None if chosen == NO_ID else chosen
        st.caption(f"{len(table.frame):,} rows of {plain(table.name)}.")
    other = None
    if st.checkbox("Against a second table (pairs of a row of each)", key="duplicates_against"):
        other = _uploaded_table(
            "Second samples table, with the same features (and the same id column)", "duplicates_other_file"
        )
        if other is None:
            st.info("Upload the second table, or untick the box to search within one table.")
            return None
        if source == TRAINING and id_column not in set(other.frame.columns):
            st.caption(
                f"{plain(other.name)} has no column '{plain(id_column)}', so both tables' rows are numbered "
                "(ids are read from one column of both tables)."
            )
            id_column = None
    return table, other, id_column


def render_settings() -> tuple[float | None, int | None, int]:
    """(threshold, top, k) as `find_duplicates` takes them: one of threshold and top is None."""
    st.subheader("Search")
    model_key = (id(state.bundle()), state.threshold())
    new_model = st.session_state.get("duplicates_threshold_model") != model_key
    if new_model or "duplicates_threshold" not in st.session_state:  # start at the model's threshold
        st.session_state["duplicates_threshold_model"] = model_key
        st.session_state["duplicates_threshold"] = state.threshold()
    left, middle, right = st.columns(3)
    with left:
        mode = st.radio(
            "Keep",
            [AT_MOST, CLOSEST],
            format_func={AT_MOST: "Pairs at or below a distance", CLOSEST: "The N closest pairs"}.get,
            key="duplicates_mode",
        )
    with middle:
        if mode == AT_MOST:
            threshold = st.number_input(
                "Distance at most",
                min_value=0.0,
                format="%.4f",
                key="duplicates_threshold",
                help="The model's threshold to start with (set on Evaluate).",
            )
            top = None
        else:
            top = int(st.number_input("N", min_value=1, value=DEFAULT_TOP, step=10, key="duplicates_top"))
            threshold = None
    with right:
        k = int(
            st.number_input(
                "Nearest rows per row (k)",
                min_value=1,
                max_value=1000,
                value=DEFAULT_K,
                key="duplicates_k",
                help="Rows with more than k rows within the distance are searched again, so k changes the "
                "speed, not the pairs found.",
            )
        )
    return threshold, top, k


def _found(table: SamplesTable, other: SamplesTable | None, id_column, threshold, top, k):
    """`find_duplicates`' result, kept in the session while the model and the settings stay the same."""
    from siamese_core.duplicates import find_duplicates

    current = state.bundle()
    key = (id(current), table.key, other and other.key, id_column, threshold, top, k)
    kept = st.session_state.get("duplicates_found")
    if kept is None or kept[0] != key:
        with st.spinner("Embedding the rows and searching for the closest pairs..."):
            found = find_duplicates(
                current,
                table.source,
                against=None if other is None else other.source,
                threshold=threshold,
                top=top,
                k=k,
                id_column=id_column,
                name=table.name,
                against_name=None if other is None else other.name,
            )
        kept = (key, found)
        st.session_state["duplicates_found"] = kept
    return kept[1]


def _marks(table: SamplesTable, other: SamplesTable | None, id_column) -> dict:
    """The user's marks for these tables, {(row_a, row_b): True or False}, kept in the session whatever
    the search settings."""
    every = st.session_state.setdefault("duplicates_marks", {})
    return every.setdefault((table.key, other and other.key, id_column), {})


def _pair_keys(candidates: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(candidates["row_a"].tolist(), candidates["row_b"].tolist(), strict=True))


def marked(candidates: pd.DataFrame, marks: dict) -> pd.DataFrame:
    """The candidates with the user's marks in a `duplicate` column (False where not marked)."""
    shown = candidates.copy()
    shown[MARK] = [bool(marks.get(pair, False)) for pair in _pair_keys(candidates)]
    return shown


def download_bytes(candidates: pd.DataFrame, marks: dict) -> bytes:
    """The candidates and the marks as CSV, ids that a spreadsheet would run as formulas quoted, as
    `siamese_core.duplicates.write_duplicates` writes them."""
    from siamese_core.scoring import csv_bytes, neutralise_formulas

    return csv_bytes(neutralise_formulas(marked(candidates, marks)))


def render_candidates(found, marks: dict) -> pd.DataFrame:
    """The candidates with a tick box each; the ticks go into `marks`. Returns the candidates shown."""
    candidates = found.candidates
    st.subheader("Candidates")
    st.caption(f"{plain(found.describe())}.")
    if candidates.empty:
        st.info("No pair found: raise the distance, or keep the N closest pairs instead.")
        return candidates
    # The editor is drawn with the marks as they were when it was first drawn: its own state holds the ticks
    # since, which a table drawn with newer marks would apply again. Its state is dropped on other pages:
    # then it starts afresh from the marks.
    editor_key = f"duplicates_editor_{_found_digest()}"
    bases = st.session_state.setdefault("duplicates_editor_bases", {})
    if editor_key not in bases or editor_key not in st.session_state:
        bases.clear()
        bases[editor_key] = marked(candidates, marks)
    edited = st.data_editor(
        bases[editor_key],
        key=editor_key,
        hide_index=True,
        disabled=list(candidates.columns),
        column_config={
            MARK: st.column_config.CheckboxColumn("duplicate", help="Tick the pairs that are duplicates."),
            "distance": st.column_config.NumberColumn("distance", format="%.6g"),
            "p_similar": st.column_config.NumberColumn("p_similar", format="%.4f"),
        },
        width="stretch",
    )
    for pair, mark in zip(_pair_keys(candidates), edited[MARK].tolist(), strict=True):
        marks[pair] = bool(mark)
    count = sum(bool(marks.get(pair)) for pair in _pair_keys(candidates))
    st.download_button(
        "Download the candidates and marks (CSV)",
        download_bytes(candidates, marks),
        file_name="duplicate_candidates.csv",
        mime="text/csv",
        key="duplicates_download",
        icon=":material/download:",
    )
    st.caption(
        f"{count:,} of {len(candidates):,} pairs marked as duplicates; the download has a `{MARK}` column."
    )
    return candidates


def _found_digest() -> str:
    """A short name of the search last made: widgets that show its candidates are keyed by it, so that a new
    search draws them afresh (a row number of the old candidates means another pair in the new ones)."""
    return hashlib.blake2b(repr(st.session_state["duplicates_found"][0]).encode(), digest_size=8).hexdigest()


def _label(candidates: pd.DataFrame, index: int) -> str:
    def side(letter: str) -> str:
        column = f"id_{letter}"
        return (
            str(candidates[column].iat[index])
            if column in candidates
            else f"row {candidates[f'row_{letter}'].iat[index]}"
        )

    return f"{index + 1}. {side('a')} and {side('b')}: distance {candidates['distance'].iat[index]:.6g}"


def render_pair(candidates: pd.DataFrame, table: SamplesTable, other: SamplesTable | None) -> None:
    """A chosen candidate's two samples, feature by feature."""
    from siamese_core.embedding import feature_columns, sample_features

    if candidates.empty:
        return
    st.subheader("Side by side")
    index = st.selectbox(
        "Candidate",
        range(len(candidates)),
        format_func=lambda i: _label(candidates, i),
        key=f"duplicates_pick_{_found_digest()}",
    )
    index = min(int(index or 0), len(candidates) - 1)
    pair = candidates.iloc[index]
    current = state.bundle()
    sides = []
    for side, source in (("a", table), ("b", other or table)):
        row = source.frame.iloc[[int(pair[f"row_{side}"]) - 1]]
        sides.append(
            sample_features(
                row, current, name=source.name, decimal=source.decimal, delimiter=source.delimiter
            )[0]
        )
    value_a, value_b = (values.astype(np.float64) for values in sides)
    st.dataframe(
        pd.DataFrame(
            {
                "feature": feature_columns(list(table.frame.columns), current, name=table.name),
                "value A": value_a,
                "value B": value_b,
                "difference A − B": value_a - value_b,
            }
        ),
        hide_index=True,
    )
    probability = f", p_similar {pair['p_similar']:.4f}" if "p_similar" in candidates else ""
    st.caption(
        f"Distance {pair['distance']:.6g}{probability}; the model's threshold is {state.threshold():.4f}."
    )


def main() -> None:
    st.title("Find duplicates")
    st.caption(
        "Which rows are the same thing? Every row is embedded by the model and each row's nearest rows are "
        "looked up: the closest pairs are the duplicate candidates, to look at, mark and download."
    )
    if not state.require_model():
        return
    chosen = render_tables()
    threshold, top, k = render_settings()
    if chosen is None:
        return
    table, other, id_column = chosen
    try:
        found = _found(table, other, id_column, threshold, top, k)
        candidates = render_candidates(found, _marks(table, other, id_column))
        render_pair(candidates, table, other)
    except SiameseError as error:  # a table without the model's features, text in a feature, no id column
        st.error(error_text(error, {"id_column": f'choose it in "{ID_LABEL}"'}), icon=":material/error:")


main()
