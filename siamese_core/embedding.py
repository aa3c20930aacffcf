"""A table of samples embedded by a model, a block at a time: `siamese embed` and the duplicate search.

A samples table has one sample per row: a column per feature of the model (found by name, in any order,
ignoring case; other columns are ignored) and, optionally, an id column. `table_embeddings` reads it a
block at a time (a CSV, a Parquet file, a folder of either, or a DataFrame) and yields each block's row
numbers, ids and embeddings, so that memory holds one block whatever the size of the table;
`write_embeddings` writes them to Parquet for a vector database of one's own.

Rows are numbered from 1 over the whole table: in a single file, a row's number is its data row (the
header is row 0, as messages number rows); a folder's files count on one after the other, in name order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from siamese_core.data import as_numbers, detect_sides, first_non_number, row_number
from siamese_core.errors import ConfigError, DataError, listed
from siamese_core.outputs import atomic_write, check_outputs
from siamese_core.pairs import match_features
from siamese_core.sources import PARQUET_SUFFIXES, open_table

if TYPE_CHECKING:  # the model is passed in: this module loads no TensorFlow (the CLI checks names first)
    from siamese_core.bundle import SiameseBundle

# Rows read and embedded at a time: one embedding batch (`inference.EVAL_BATCH`), so that every block but the
# last runs in one full batch, and under the size from which embedding compiles with XLA
# (`inference.XLA_MIN_PAIRS`), whose compiler holds much more memory at its peak; at this size embedding is
# no slower than in larger blocks.
EMBED_CHUNK_ROWS = 16_384
ROW_COLUMN = "row"
EMBEDDING_PREFIX = "embedding_"
ID_COLUMN = ("id_column", "...")  # the `Setting` (errors.py) that names the id column


@dataclass
class EmbeddedBlock:
    """Consecutive rows of a table and their embeddings.

    Attributes:
        start: How many rows of the table come before the block.
        ids: The id column's values as text (null where empty), or None without an id column.
        embeddings: (n, k) float32, one embedding per row.
    """

    start: int
    ids: pa.Array | None
    embeddings: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        """The 1-based row numbers of the block's rows in the table."""
        return np.arange(self.start + 1, self.start + len(self.embeddings) + 1, dtype=np.int64)


@dataclass
class EmbeddedFile:
    """What `write_embeddings` wrote.

    Attributes:
        n_rows: How many rows were embedded.
        columns: The columns written: `row`, the id column when there is one, then the embedding's.
    """

    n_rows: int
    columns: list[str]


def sample_features(
    frame: pd.DataFrame,
    bundle: SiameseBundle,
    *,
    name: str | None,
    decimal: str = ".",
    delimiter: str | None = None,
) -> np.ndarray:
    """The model's features of a samples table, one sample per row, as float32 in the model's order.

    Each of the model's features is the column of that name, as `pairs.match_features` says (exactly, else
    ignoring case); other columns are ignored.

    Args:
        frame: The table (or a block of it); its index numbers its rows as `row_number` says.
        bundle: The model, whose `feature_names` are looked up.
        name: The file's name, for messages.
        decimal: The decimal mark of numbers written as text, "." or "," (a CSV file's, as sniffed).
        delimiter: A CSV file's delimiter, for messages; None for other tables.

    Returns:
        (n, d) float32, finite.

    Raises:
        DataError: A feature column is missing, or a value is not a number, missing or infinite; the
            message names the file, the column and the row.
    """
    columns = feature_columns(list(frame.columns), bundle, name=name)
    values = feature_values(frame, columns, name=name, decimal=decimal, delimiter=delimiter)
    missing = np.isnan(values).any(axis=1)
    if missing.any():
        at = int(np.flatnonzero(missing)[0])
        column = columns[int(np.flatnonzero(np.isnan(values[at]))[0])]
        raise DataError(
            f"{_rows(int(missing.sum()))} missing feature values (the first is row {row_number(frame, at)}, "
            f"column '{column}'); every feature of a sample must be a number: fill them in or remove those rows",
            source=name,
        )
    return values.astype(np.float32)


def complete_samples(
    frame: pd.DataFrame, bundle: SiameseBundle, *, name: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a samples table that have every feature of the model, to pick samples from.

    Args:
        frame: The table, as `data.read_csv` reads it.
        bundle: The model, whose `feature_names` are looked up as `sample_features` does.
        name: The file's name, for messages.

    Returns:
        `(features, rows)`: (n, d) float32 in the model's order, and each one's 1-based data row.

    Raises:
        DataError: A feature has no column, a value is not a number, or no row has every feature.
    """
    values = feature_values(frame, feature_columns(list(frame.columns), bundle, name=name), name=name)
    complete = np.flatnonzero(~np.isnan(values).any(axis=1))
    if complete.size == 0:
        raise DataError("has no row with all the model's features as numbers", source=name)
    return values[complete].astype(np.float32), np.array([row_number(frame, i) for i in complete])


def parse_vector(text: str, n_features: int, what: str) -> np.ndarray:
    """A sample typed as text: numbers separated by commas, semicolons, tabs or spaces.

    Args:
        text: The text typed or pasted.
        n_features: How many numbers the model expects.
        what: What messages call the sample ("Sample A").

    Returns:
        (n_features,) float32.

    Raises:
        DataError: The text is empty, holds something that is not a number, has another count of numbers,
            or a value that is infinite or too large for float32.
    """
    parts = [part for part in re.split(r"[,\s;]+", text.strip()) if part]
    if not parts:
        raise DataError(f"{what} is empty; type or paste {n_features} numbers")
    values = []
    for position, part in enumerate(parts, start=1):
        try:
            values.append(float(part))
        except ValueError:
            raise DataError(f"{what}: value {position} ('{part[:30]}') is not a number") from None
    if len(values) != n_features:
        raise DataError(f"{what} has {len(values)} numbers; the model expects {n_features}")
    vector = np.asarray(values, dtype=np.float64)
    if not np.isfinite(vector.astype(np.float32)).all():
        raise DataError(f"{what} has an infinite value or one too large for float32")
    return vector.astype(np.float32)


def _rows(count: int) -> str:
    return "1 row has" if count == 1 else f"{count:,} rows have"


def feature_columns(columns: Sequence[str], bundle: SiameseBundle, *, name: str | None) -> list[str]:
    """The table's column for each of the model's features, in the model's order.

    Raises:
        DataError: Some features have no column; the message lists them, and says so when the table looks
            like a pair table (two sides of features), which holds two samples per row.
    """
    positions = match_features(bundle.feature_names, columns, source=name)
    found = [None if position is None else columns[position] for position in positions]
    missing = [feature for feature, column in zip(bundle.feature_names, found, strict=True) if column is None]
    if not missing:
        return found
    hint = ""
    if detect_sides(list(columns), name=name) is not None:
        hint = (
            "; it looks like a pair table (two samples per row), where one sample per row is read: write each "
            "sample on its own row"
        )
    raise DataError(
        f"has no column for {len(missing):,} of the model's {bundle.n_features:,} features: missing "
        f"{listed(missing, 5)}; a samples table has a column per feature, named as in training{hint}",
        source=name,
    )


def feature_values(
    frame: pd.DataFrame,
    columns: list[str],
    *,
    name: str | None,
    decimal: str = ".",
    delimiter: str | None = None,
) -> np.ndarray:
    """Feature columns as float64 numbers, NaN where a cell is empty.

    Args:
        frame: The table; its index numbers its rows as `row_number` says.
        columns: The feature columns, in the order wanted.
        name: The file's name, for messages.
        decimal: The decimal mark of numbers written as text.
        delimiter: A CSV file's delimiter, for messages; None for other tables.

    Returns:
        (n, len(columns)) float64.

    Raises:
        DataError: A column holds values of a type that is not a number (dates, ...), text that is not a
            number, or a value that is infinite or too large for float32.
    """
    values = frame[columns]
    for column, dtype in zip(columns, values.dtypes, strict=True):
        # Booleans, numbers, or text to parse (kind "O"); a date would be embedded as its nanoseconds.
        if dtype.kind not in "biufO" and not pd.api.types.is_string_dtype(dtype):
            raise DataError(
                f"holds values of type {dtype}, not numbers; feature columns must be numbers",
                source=name,
                column=column,
            )
    error = first_non_number(values, decimal=decimal, delimiter=delimiter, name=name)
    if error is not None:
        raise error
    array = values.apply(as_numbers, decimal=decimal).to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(over="ignore"):
        too_large = np.isinf(array) | (np.isfinite(array) & np.isinf(array.astype(np.float32)))
    if too_large.any():
        row, col = np.argwhere(too_large)[0]
        raise DataError(
            f"{float(array[row, col])!r} is infinite or too large for float32; use finite values",
            source=name,
            column=columns[col],
            row=row_number(frame, row),
        )
    return array


def table_embeddings(
    bundle: SiameseBundle,
    table,
    *,
    id_column: str | None = None,
    chunk_rows: int = EMBED_CHUNK_ROWS,
    name: str | None = None,
) -> Iterator[EmbeddedBlock]:
    """Embed a samples table a block of `chunk_rows` rows at a time.

    Args:
        bundle: The model.
        table: A DataFrame, or a CSV (path, bytes or binary stream), a Parquet file, or a folder of CSV or
            of Parquet files with the same columns (read in the order of their names).
        id_column: The column holding each row's id (found as features are found: exactly, else ignoring
            case); without one, rows are told apart by their number.
        chunk_rows: Rows per block; memory holds about one block.
        name: What messages call the table when it is a DataFrame, bytes or a stream.

    Yields:
        `EmbeddedBlock`s, in the order of the rows.

    Raises:
        DataError: The table cannot be read, has no data rows, lacks a feature or the id column, or a
            feature value is not a number, missing or infinite.
        ConfigError: `chunk_rows` is not a positive whole number.
    """
    if not isinstance(chunk_rows, int) or isinstance(chunk_rows, bool) or chunk_rows < 1:
        raise ConfigError(f"chunk_rows must be a whole number >= 1. Received: chunk_rows={chunk_rows!r}")
    if isinstance(table, (str, os.PathLike)):
        name = name or Path(table).name
    start = 0
    for frame, file_name, decimal, delimiter in _frames(table, chunk_rows, name):
        if start == 0:  # the first block (a folder's files have the same columns)
            ident = _id_column(list(frame.columns), id_column, file_name)
        features = sample_features(frame, bundle, name=file_name, decimal=decimal, delimiter=delimiter)
        if not len(features):
            continue
        ids = None if ident is None else pa.array(frame[ident].astype("string"), type=pa.string())
        yield EmbeddedBlock(start, ids, bundle.embed(features))
        start += len(features)
    if start == 0:
        raise DataError(
            "has no data rows; a samples table needs a header and one sample per row", source=name
        )


def _frames(
    table, chunk_rows: int, name: str | None
) -> Iterator[tuple[pd.DataFrame, str | None, str, str | None]]:
    """The table's blocks, each with the name of its file, its decimal mark and its delimiter."""
    if isinstance(table, pd.DataFrame):
        for start in range(0, len(table), chunk_rows):
            yield table.iloc[start : start + chunk_rows], name, ".", None
        return
    files = open_table(table, name=name)
    for file, frame in files.table_chunks(chunk_rows):
        yield frame, file.name, file.decimal, file.delimiter


def _id_column(columns: list[str], id_column: str | None, name: str | None) -> str | None:
    if id_column is None:
        return None
    if id_column in columns:
        return id_column
    key = id_column.strip().lower()
    found = next((column for column in columns if str(column).strip().lower() == key), None)
    if found is None:
        raise DataError(
            f"has no column named '{id_column}' to read ids from; its columns are {listed(columns, 12)}: name "
            "the id column",
            source=name,
            settings=[ID_COLUMN],
        )
    return found


def embeddings_frame(block: EmbeddedBlock, id_name: str | None = None) -> pd.DataFrame:
    """A block as a table: `row`, the ids (under `id_name`) when there are ids, then `embedding_0`, ...

    Args:
        block: Embedded rows.
        id_name: The name of the id column written (the input's).

    Returns:
        The table, the embeddings as float32 columns.
    """
    columns: dict[str, object] = {ROW_COLUMN: block.rows}
    if block.ids is not None:
        columns[_output_id_name(id_name)] = block.ids.to_pandas()
    width = block.embeddings.shape[1]
    frame = pd.DataFrame(columns)
    embedding = pd.DataFrame(block.embeddings, columns=[f"{EMBEDDING_PREFIX}{i}" for i in range(width)])
    return pd.concat([frame, embedding], axis=1)


def _output_id_name(id_name: str | None) -> str:
    """The id column's name in the output: the input's, unless it is one of ours."""
    name = id_name or "id"
    return f"{name}_id" if name == ROW_COLUMN or name.startswith(EMBEDDING_PREFIX) else name


def check_parquet_output(path, *, flag: str | None = None) -> None:
    """Refuse an output name that does not say Parquet (.parquet or .pq): embeddings are written as Parquet.

    Args:
        path: The output file.
        flag: The command-line option that named it (such as "-o"), for the message.

    Raises:
        ConfigError: Naming the path.
    """
    if Path(path).suffix.lower() not in PARQUET_SUFFIXES:
        subject = f"{flag} {path}" if flag else f"the output {path}"
        raise ConfigError(f"{subject}: embeddings are written as Parquet; give a name ending in .parquet")


def write_embeddings(
    bundle: SiameseBundle,
    source,
    output,
    *,
    id_column: str | None = None,
    chunk_rows: int = EMBED_CHUNK_ROWS,
) -> EmbeddedFile:
    """Embed a samples table and write `row`, the ids and the embedding's columns to Parquet, atomically.

    The table is read, embedded and written a block at a time (one Parquet row group per block), so memory
    holds one block whatever the size of the table. `output` is replaced only once every row is written.

    Args:
        bundle: The model.
        source: The table, as `table_embeddings` takes it.
        output: The Parquet file to write; must end in .parquet or .pq.
        id_column: The id column, written under its own name after `row`.
        chunk_rows: Rows per block.

    Returns:
        How many rows were written, and the columns.

    Raises:
        DataError: As `table_embeddings` says.
        ConfigError: `output` does not end in .parquet, is `source` (or a file in it), or cannot be written
            (see `siamese_core.outputs.check_outputs`).
    """
    check_parquet_output(output)
    if isinstance(source, (str, os.PathLike)):
        check_outputs({"output": output}, {"source": source})  # the embeddings must not replace the table
    name = Path(source).name if isinstance(source, (str, os.PathLike)) else None
    written = EmbeddedFile(0, [])
    with atomic_write(output) as temporary:
        writer = None
        try:
            for block in table_embeddings(
                bundle, source, id_column=id_column, chunk_rows=chunk_rows, name=name
            ):
                frame = embeddings_frame(block, id_column)
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(temporary, table.schema)
                    written.columns = list(frame.columns)
                writer.write_table(table)
                written.n_rows += len(frame)
        finally:
            if writer is not None:
                writer.close()
    return written
