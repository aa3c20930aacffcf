"""Scoring pair files with a trained model: the input rows plus `distance`, `similar` and, when the model
has a calibration, `p_similar` columns.

`score_file` reads, scores and writes a chunk at a time, so files larger than memory score in constant
memory: a pair CSV, a Parquet file, or a folder of either (one output with a `source_file` column).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from siamese_core.bundle import SiameseBundle
from siamese_core.data import DROP_MISSING, detect_sides, row_number
from siamese_core.embedding import feature_values
from siamese_core.errors import DataError, listed
from siamese_core.evaluation import check_threshold
from siamese_core.outputs import atomic_write, check_outputs
from siamese_core.pairs import match_features
from siamese_core.sources import Files, open_table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows read, scored and written at a time by `score_file`: a multiple of the distance batch, so that every
# chunk but the last runs in full batches.
SCORE_CHUNK_ROWS = 65_536
SOURCE_FILE_COLUMN = "source_file"
DISTANCE_COLUMN = "distance"
SIMILAR_COLUMN = "similar"
P_SIMILAR_COLUMN = "p_similar"


@dataclass(frozen=True)
class ScoreColumns:
    """The names of the columns scoring adds to a table; each is the usual name, or the first free one of
    name_2, name_3, ... when the table has a column of that name already (the user's columns are kept).

    Attributes:
        distance: The distance column.
        similar: The verdict column.
        source_file: The column naming each row's file (a folder's scores only).
        p_similar: The calibrated probability that the pair is similar (a model with a calibration only).
    """

    distance: str = DISTANCE_COLUMN
    similar: str = SIMILAR_COLUMN
    source_file: str | None = None
    p_similar: str | None = None

    @classmethod
    def for_table(
        cls, columns: Sequence[str], *, folder: bool = False, calibrated: bool = False
    ) -> ScoreColumns:
        """The names added to a table with `columns` (with a `source_file` column for a folder, and a
        `p_similar` column for a model with a calibration)."""
        return cls(
            _free_name(DISTANCE_COLUMN, columns),
            _free_name(SIMILAR_COLUMN, columns),
            _free_name(SOURCE_FILE_COLUMN, columns) if folder else None,
            _free_name(P_SIMILAR_COLUMN, columns) if calibrated else None,
        )

    def renamed(self) -> str:
        """The renamed columns in words, for messages; "" when every column has its usual name."""
        usual = {DISTANCE_COLUMN: self.distance, SIMILAR_COLUMN: self.similar}
        if self.p_similar is not None:
            usual[P_SIMILAR_COLUMN] = self.p_similar
        if self.source_file is not None:
            usual[SOURCE_FILE_COLUMN] = self.source_file
        renamed = {wanted: name for wanted, name in usual.items() if name != wanted}
        if not renamed:
            return ""
        return (
            f"the input has columns named {', '.join(renamed)} already, kept as they are: the added columns "
            f"are {', '.join(renamed.values())}"
        )


@dataclass
class ScoredFile:
    """What `score_file` wrote.

    Attributes:
        n_scored: How many pairs were scored.
        columns: The names of the columns added (`columns.p_similar` is None when the model has no
            calibration, so no probability was written).
    """

    n_scored: int
    columns: ScoreColumns


def pair_features(
    frame: pd.DataFrame,
    bundle: SiameseBundle,
    *,
    name: str,
    decimal: str = ".",
    delimiter: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The two sides' features of a pair table, in the model's feature order, as float64 with NaN for gaps.

    Args:
        frame: The pair table (labels optional).
        bundle: The model, whose feature names the sides must match.
        name: The file's name, for messages.
        decimal: The decimal mark of numbers written as text, "." or "," (a CSV file's, as sniffed).
        delimiter: A CSV file's delimiter, for messages; None for other tables.

    Returns:
        `(left, right)`, each (n, d).

    Raises:
        DataError: If the sides cannot be found, do not match the model, or hold text.
    """
    sides = detect_sides(list(frame.columns), name=name)
    if sides is None:
        raise DataError(
            "no two sides of feature columns found (such as a_x / b_x); the model expects "
            f"{bundle.n_features} features per side: {listed(bundle.feature_names, 4)}",
            source=name,
        )
    left_columns, right_columns, names = sides
    order = match_features(bundle.feature_names, names, source=name)
    missing = [feature for feature, index in zip(bundle.feature_names, order, strict=True) if index is None]
    if missing:
        raise DataError(
            f"the file's features do not match the model's: missing {listed(missing, 5)} (the model expects "
            f"{bundle.n_features} features per side)",
            source=name,
        )
    return (
        feature_values(
            frame, [left_columns[i] for i in order], name=name, decimal=decimal, delimiter=delimiter
        ),
        feature_values(
            frame, [right_columns[i] for i in order], name=name, decimal=decimal, delimiter=delimiter
        ),
    )


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy that a spreadsheet shows as written: every column name and text cell that it would run as a
    formula (starting with =, +, -, @, a tab or a carriage return) starts with a quote.

    Every column but numbers, booleans, dates and durations is checked, of any dtype: text (object, pandas'
    and Arrow's string dtypes), categories, and bytes (Parquet binary columns), which become text (UTF-8;
    other bytes as \\x.. escapes). Numbers stay numbers: -3 is not a formula.
    """
    safe = frame.set_axis([_neutralised(name) for name in frame.columns], axis=1)
    for position, dtype in enumerate(safe.dtypes):
        holds_text = not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype) or dtype.kind in "mM"
        )
        if holds_text:
            safe.isetitem(position, safe.iloc[:, position].map(_neutralised))
    return safe


def _neutralised(cell):
    if isinstance(cell, bytes):
        cell = cell.decode("utf-8", errors="backslashreplace")
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write a CSV atomically (see `siamese_core.outputs.atomic_write`)."""
    write_csv_chunks([frame], path)


def write_csv_chunks(frames: Iterable[pd.DataFrame], path) -> None:
    """Write tables with the same columns as one CSV, atomically: appended one after the other to a
    temporary file that replaces `path` at the end (`siamese_core.outputs.atomic_write`). A failure or an
    interruption while `frames` are made or written leaves `path` as it was.

    Args:
        frames: The tables, in order; the first one's column names make the header.
        path: Where to write.

    Raises:
        ConfigError: `path` is a folder, or its folder does not exist or cannot be written.
    """
    with atomic_write(path) as temporary, open(temporary, "wb") as stream:
        for index, frame in enumerate(frames):
            stream.write(csv_bytes(frame, header=index == 0))


def csv_bytes(frame: pd.DataFrame, *, header: bool = True) -> bytes:
    """A table as UTF-8 CSV, written by Arrow's CSV writer: several times faster than `DataFrame.to_csv`,
    which spends most of the time of scoring a large file formatting numbers (bench/bench_write.py).

    Every number is written in its shortest form that reads back to the same value (`0.1`, `1e-05` as
    `0.00001`, `2.0` as `2`), booleans are `true` / `false`, missing values are empty, and the header
    quotes only the names that need it, as pandas does. Text is quoted only in a table where some text
    needs it (a delimiter, a quote or a line break), then all of that table's text is. A table with
    anything else (dates, durations, a column mixing numbers and text, a single column, repeated names)
    is written by pandas, as before.
    """
    body = _arrow_rows(frame) if _arrow_writes_as_pandas(frame) else None
    if body is None:
        return frame.to_csv(index=False, header=header, lineterminator="\n").encode("utf-8")
    names = io.StringIO()
    if header:
        csv.writer(names, lineterminator="\n").writerow(str(name) for name in frame.columns)
    return names.getvalue().encode("utf-8") + body


def _arrow_writes_as_pandas(frame: pd.DataFrame) -> bool:
    """Whether Arrow writes every column of `frame` as pandas would read it back: numbers (but float16,
    which Arrow expands), booleans, text and categories, under unique names, in two or more columns (a
    missing value alone on a line would be a blank line, which readers skip). Durations, for one, would
    lose their unit."""
    if frame.shape[1] < 2 or not frame.columns.is_unique:
        return False
    return all(
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or (dtype.kind in "biuf" and dtype != np.float16)  # booleans, integers, floats (nullable too)
        for dtype in frame.dtypes
    )


def _arrow_rows(frame: pd.DataFrame) -> bytes | None:
    """The rows of `frame` as CSV by Arrow, text unquoted unless some of it needs quotes; None when Arrow
    cannot convert the table (an object column mixing numbers and text)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None

    def rows(quoting: str) -> bytes:
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style=quoting))
        return sink.getvalue().to_pybytes()

    try:
        return rows("none")
    except pa.ArrowInvalid:  # Arrow refuses unquoted text that needs quotes
        return rows("needed")


def score_frame(
    bundle: SiameseBundle, frame: pd.DataFrame, *, threshold: float, drop_missing: bool = False, name: str
) -> pd.DataFrame:
    """The pair table with `distance`, `similar` and, when the model has a calibration, `p_similar` columns
    added (named as `ScoreColumns.for_table` says).

    Args:
        bundle: The model.
        frame: A pair table; a label column is not needed.
        threshold: Pairs with distance <= threshold are called similar.
        drop_missing: Leave rows with missing features unscored (empty cells) instead of failing.
        name: The file's name, for messages.

    Returns:
        A new table: the input's columns, then the distance, the verdict and the probability of "similar"
        (`SiameseBundle.p_similar`; empty where a row is unscored).

    Raises:
        DataError: If features are missing, text or infinite (missing ones only without `drop_missing`).
        ConfigError: A threshold that is not a finite number.
    """
    threshold = check_threshold(threshold)
    left, right = pair_features(frame, bundle, name=name)
    complete = _complete(left, right)
    if not complete.all() and not drop_missing:
        first = row_number(frame, int(np.flatnonzero(~complete)[0]))
        raise _missing_features(int((~complete).sum()), first, name)
    return _scored(bundle, frame, left, right, complete, threshold)


def _complete(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return ~(np.isnan(left).any(axis=1) | np.isnan(right).any(axis=1))


def _missing_features(n_missing: int, first_row: int, name: str) -> DataError:
    return DataError(
        f"{n_missing:,} rows have missing feature values (the first is row {first_row}); "
        "fill them in, or leave those rows unscored",
        source=name,
        settings=[DROP_MISSING],
    )


def _scored(
    bundle: SiameseBundle,
    frame: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    complete: np.ndarray,
    threshold: float,
) -> pd.DataFrame:
    distances = np.full(len(frame), np.nan)
    if complete.any():
        distances[complete] = bundle.distances(left[complete], right[complete])
    columns = ScoreColumns.for_table(frame.columns, calibrated=bundle.calibration is not None)
    scored = frame.copy()
    scored[columns.distance] = distances
    scored[columns.similar] = pd.array(np.where(complete, distances <= threshold, None), dtype="boolean")
    if columns.p_similar is not None:
        scored[columns.p_similar] = bundle.p_similar(distances)  # NaN (an empty cell) where unscored
    return scored


def score_file(
    bundle: SiameseBundle, source, output, *, threshold: float, drop_missing: bool = False
) -> ScoredFile:
    """Score a pair table and write the input rows plus `distance`, `similar` and (for a model with a
    calibration) `p_similar` to `output`, atomically.

    The table is read, scored and written `SCORE_CHUNK_ROWS` rows at a time, so memory holds one chunk
    whatever the size of the input. A folder's files are written one after the other into one CSV, after
    a first column `source_file` naming each row's file. Where the input has columns of these names already,
    they are kept and the added ones are named otherwise (see `ScoreColumns`). Every cell and column name
    that a spreadsheet would run as a formula is neutralised (see `neutralise_formulas`).

    Args:
        bundle: The model.
        source: A pair CSV (path, bytes or binary stream), a Parquet file, or a folder of CSV or of Parquet
            files with the same columns (read in the order of their names); labels are not needed.
        output: The CSV to write; replaced only once every row is scored.
        threshold: Pairs with distance <= threshold are called similar.
        drop_missing: Leave rows with missing features unscored (empty cells) instead of failing.

    Returns:
        How many pairs were scored, and the names of the columns added.

    Raises:
        DataError: The input cannot be read, its features do not match the model's, or values are text,
            infinite, or missing (without `drop_missing`); the message names the file and the row.
        ConfigError: A threshold that is not a finite number, or `output` is `source` (or a file in it) or
            cannot be written (see `siamese_core.outputs.check_outputs`).
    """
    threshold = check_threshold(threshold)
    if isinstance(source, (str, os.PathLike)):
        check_outputs({"output": output}, {"source": source})  # the scores must not replace what they read
    table = open_table(source)  # header problems are reported before anything is written
    columns = ScoreColumns.for_table(
        table.files[0].columns, folder=table.is_folder, calibrated=bundle.calibration is not None
    )
    written = ScoredFile(0, columns)
    write_csv_chunks(_scored_chunks(bundle, table, threshold, drop_missing, written), output)
    return written


def _scored_chunks(
    bundle: SiameseBundle, table: Files, threshold: float, drop_missing: bool, written: ScoredFile
) -> Iterator[pd.DataFrame]:
    """The table's chunks scored and made safe for spreadsheets, counting scored pairs in `written`.

    Rows with missing features (without `drop_missing`) stop the writing; the rest of the input is still
    read, to count them, as `score_frame` counts them in one table.
    """
    missing = None  # [rows with missing features, the first one's row, its file]
    for file, frame in table.table_chunks(SCORE_CHUNK_ROWS):
        left, right = pair_features(
            frame, bundle, name=file.name, decimal=file.decimal, delimiter=file.delimiter
        )
        complete = _complete(left, right)
        if missing is not None or (not complete.all() and not drop_missing):
            if missing is None:
                missing = [0, row_number(frame, int(np.flatnonzero(~complete)[0])), file.name]
            missing[0] += int((~complete).sum())
            continue
        scored = _scored(bundle, frame, left, right, complete, threshold)
        written.n_scored += int(complete.sum())
        if written.columns.source_file is not None:
            scored.insert(0, written.columns.source_file, Path(file.path).name)
        yield neutralise_formulas(scored)
    if missing is not None:
        raise _missing_features(missing[0], missing[1], missing[2])


def _free_name(wanted: str, taken: Sequence[str]) -> str:
    """`wanted`, or `wanted_2`, `wanted_3`, ... when a column already has that name."""
    name, number = wanted, 1
    while name in taken:
        number += 1
        name = f"{wanted}_{number}"
    return name
