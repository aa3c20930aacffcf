"""Pair files read a chunk at a time: a CSV file, a Parquet file, or a folder of either.

`open_files` finds and checks the files (one kind per folder, the same columns in every file); each file
is then read in pieces, the parts that can be parsed on their own:

- a CSV file is cut at line breaks into byte ranges of about `chunk_rows` rows each (`range_plan`), each
  parsed by `siamese_core.data.ranges.PairRanges`, the reader of `load_pair_csv`'s ranges; a file whose
  first lines are unusual, or with a range that only a read in order gets right (a quote character: a line
  break may then sit inside a value), is one piece, read in order as `load_pair_csv`'s careful read reads;
- a Parquet file is read one row group at a time, in batches (`pyarrow.parquet.ParquetFile.iter_batches`
  without pre-buffering), so that memory holds one batch, not the row group.

A piece yields `Block`s of at most `chunk_rows` rows, each from one unit of the piece: the whole byte range,
the n-th chunk of a file read in order, or the n-th `chunk_rows` rows of a row group. Units are what
`siamese_core.streaming.PairStream` shares out between workers.

Every problem a user can cause is a `DataError` naming the file (inside a folder: the folder and the
file), the column, the 1-based data row and the value, worded as `siamese_core.data` words it.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from siamese_core.data.ranges import PairRanges
from siamese_core.data.reader import (
    PANDAS_MISSING_WORDS,
    PANDAS_READ_ERRORS,
    non_number_error,
    pandas_errors,
    pandas_read,
    raw_value,
    read_options,
    renamed_frame,
)
from siamese_core.data.sniffing import (
    MAX_COLUMNS,
    SNIFF_BYTES,
    CsvInput,
    CsvLayout,
    Source,
    check_file,
    check_unique_columns,
    open_source,
    sniff,
)
from siamese_core.errors import DataError, listed, shown

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_PARQUET_MAGIC = b"PAR1"
# Parquet is read through a buffer per column, not whole column chunks (pyarrow's default pre-buffers the
# row group): memory stays near one batch plus a page per column, whatever the row groups' size; smaller
# buffers keep pyarrow's peak memory lower.
_PARQUET_BUFFER_BYTES = 64 * 2**20  # shared by all columns
_PARQUET_COLUMN_BUFFER = (64 * 2**10, 2**20)  # each column's buffer, within these bounds


@dataclass(frozen=True)
class PairColumns:
    """The columns a pair file is read for: the label and the two sides, paired by position."""

    label: str
    left: list[str]
    right: list[str]


@dataclass(frozen=True)
class Piece:
    """A part of a file parsed in one go.

    Attributes:
        file: The file's position in the list of files.
        kind: "range" (CSV bytes [start, stop)), "file" (a whole CSV file, read in order) or "group" (the
            Parquet row group `start`).
        start: The first byte of a range, or the row group.
        stop: The byte after a range.
        first_row: The 0-based data row, in its file, of the piece's first row.
        n_rows: Its rows (known after the scan, for CSV).
        n_units: Its units: 1 for a range, a unit per chunk of a whole file or per `chunk_rows` rows of a
            row group.
    """

    file: int
    kind: str
    start: int = 0
    stop: int = 0
    first_row: int = 0
    n_rows: int = 0
    n_units: int = 0


@dataclass
class Block:
    """At most `chunk_rows` rows of one unit, as parsed: nothing is checked yet.

    Attributes:
        unit: The unit of its piece.
        rows: (n,) int64, the 0-based data row of each row in its file.
        left: (n, d) float32 features of the first sample; NaN where a cell is empty.
        right: (n, d) float32 features of the second sample.
        labels: (n,) the label column: as pandas infers it in a CSV byte range, as text in a CSV read in
            order; NaN where empty.
        value_text: The text of the cell at (position in the block, column), for messages.
    """

    unit: int
    rows: np.ndarray
    left: np.ndarray
    right: np.ndarray
    labels: pd.Series
    value_text: Callable[[int, str], str]


class RangeTrouble(Exception):
    """A byte range held something that only a read in order gets right (a quote, a bad line, a non-number)."""


# --------------------------------------------------------------------------------------------------
# Finding the files
# --------------------------------------------------------------------------------------------------


@dataclass
class Files:
    """The files of a source, opened and checked.

    Attributes:
        name: What messages call the source: the file's or the folder's name.
        files: The files, sorted by name.
        format: "csv" or "parquet".
        warnings: Files of a folder that were skipped.
        is_folder: Whether the source is a folder.
    """

    name: str
    files: list
    format: str
    warnings: list[str] = field(default_factory=list)
    is_folder: bool = False

    def table_chunks(self, chunk_rows: int) -> Iterator[tuple[CsvFile | ParquetFile, pd.DataFrame]]:
        """Every column of every file, a chunk of at most `chunk_rows` rows at a time.

        Yields:
            (the file, the chunk): the chunk has the columns (stripped of spaces) of the first file, in its
            order, pandas' dtypes for that chunk, and the 0-based data rows of its file as index.
        """
        order = self.files[0].columns
        for file in self.files:
            for frame in file.table_frames(chunk_rows):
                yield file, frame if list(frame.columns) == order else frame[order]


def open_files(source: str | os.PathLike, kind: str = "pairs") -> Files:
    """Open a CSV or Parquet file, or every CSV or Parquet file of a folder, and check their headers.

    A folder's files are taken in the order of their names; names starting with "." or "_" (such as
    `_SUCCESS`) are skipped, and so are subfolders and other files (with a warning).

    Args:
        source: A file or a folder.
        kind: What the files hold, for messages about their header ("pairs", or "generic").

    Returns:
        The opened files (`CsvFile` or `ParquetFile`).

    Raises:
        DataError: The source is missing, a folder has no CSV or Parquet file or mixes the two, a header
            is unusable, or the files' columns differ.
    """
    path = Path(source)
    display_name = path.name or str(path)
    if not path.exists():
        raise DataError(f"file or folder not found: {path}", source=display_name)
    if not path.is_dir():
        check_file(path, display_name)  # before `_is_parquet` reads it: a pipe could keep it waiting forever
        opener = ParquetFile if _is_parquet(path) else CsvFile
        return Files(display_name, [opener(path, display_name, kind)], opener.format)
    paths, notes = _folder_files(path, display_name)
    csv_paths = [p for p in paths if p.suffix.lower() in CSV_SUFFIXES]
    parquet_paths = [p for p in paths if p.suffix.lower() in PARQUET_SUFFIXES]
    if csv_paths and parquet_paths:
        csv_names, parquet_names = [p.name for p in csv_paths], [p.name for p in parquet_paths]
        raise DataError(
            f"mixes CSV files ({listed(csv_names, 3)}) and Parquet files ({listed(parquet_names, 3)}); "
            "keep one kind of file in the folder",
            source=display_name,
        )
    opener = ParquetFile if parquet_paths else CsvFile
    files = [opener(p, f"{display_name}/{p.name}", kind) for p in csv_paths or parquet_paths]
    _check_same_columns(files)
    return Files(display_name, files, opener.format, notes, is_folder=True)


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    try:
        with open(path, "rb") as stream:
            return stream.read(4) == _PARQUET_MAGIC
    except OSError:
        return False  # reported by the CSV reader, which says why


def _folder_files(folder: Path, folder_name: str) -> tuple[list[Path], list[str]]:
    """The folder's CSV and Parquet files by name, and notes about what was skipped."""
    entries = sorted((p for p in folder.iterdir() if not p.name.startswith((".", "_"))), key=lambda p: p.name)
    data = [p for p in entries if not p.is_dir() and p.suffix.lower() in CSV_SUFFIXES + PARQUET_SUFFIXES]
    for path in data:
        check_file(path, f"{folder_name}/{path.name}")  # a pipe named like data is refused, not read forever
    if not data:
        raise DataError(
            f"has no CSV or Parquet files (looked for {', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)}); "
            "put the pair files in it or pass one file",
            source=folder_name,
        )
    notes = []
    folders = [p.name for p in entries if p.is_dir()]
    others = [p.name for p in entries if not p.is_dir() and p not in data]
    if folders:
        notes.append(f"{folder_name}: skipped subfolders (they are not read): {listed(folders, 3)}")
    if others:
        notes.append(f"{folder_name}: skipped files that are neither CSV nor Parquet: {listed(others, 3)}")
    return data, notes


def _check_same_columns(files: list) -> None:
    first = files[0]
    wanted = set(first.columns)
    for other in files[1:]:
        if set(other.columns) == wanted:
            continue
        missing = [c for c in first.columns if c not in set(other.columns)]
        extra = [c for c in other.columns if c not in wanted]
        parts = ([f"missing {listed(missing, 6)}"] if missing else []) + (
            [f"extra {listed(extra, 6)}"] if extra else []
        )
        raise DataError(
            f"has other columns than {first.name} ({'; '.join(parts)}); every file of a folder needs the "
            "same columns (in any order)",
            source=other.name,
        )


def _signature(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def check_unchanged(file) -> None:
    """Raise when `file` is not as it was when opened (its size or modification time differ)."""
    if file.path is None:
        return
    try:
        now = _signature(file.path)
    except OSError:
        now = None
    if now != file.signature:
        raise DataError(
            "has changed (or gone) since it was scanned; make a new PairStream to scan it again",
            source=file.name,
        )


def _next_frame(reader) -> pd.DataFrame | None:
    """The next chunk of a pandas reader, or None; float32 overflow becomes inf quietly (reported later).

    `np.errstate` is per thread, so this is safe on tf.data's reading thread, where `warnings` is not.
    """
    with np.errstate(over="ignore"):
        return next(reader, None)


# --------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------


class CsvFile:
    """One CSV file, sniffed (encoding, delimiter, header) as `siamese_core.data` sniffs it."""

    format = "csv"

    def __init__(self, source: Source, name: str | None, kind: str = "pairs"):
        self.inp: CsvInput = open_source(source, name)
        self.path: Path | None = self.inp.path  # None for bytes: read in order, never in ranges
        self.name = self.inp.name
        self.signature = _signature(self.path) if self.path is not None else None
        self.layout: CsvLayout = sniff(self.inp, kind)
        self.columns: list[str] = self.layout.columns
        self.positions: dict[str, int] = self.layout.positions
        self.decimal = self.layout.decimal
        self.delimiter: str | None = self.layout.delimiter
        self.warnings: list[str] = list(self.layout.warnings)
        self._ranges: PairRanges | None = None  # how its byte ranges are parsed (`range_plan`)

    # Pair reading -------------------------------------------------------------------------------

    def range_plan(self, file: int, chunk_rows: int) -> list[Piece] | None:
        """Byte ranges of about `chunk_rows` rows each, cut at line breaks; None when the file is read in order.

        The file is read in order when its header or first data row is unusual (`PairRanges.open`), or
        when it is bytes rather than a file.
        """
        if self.path is None:
            return None
        self._ranges = PairRanges.open(self.inp, self.layout)
        if self._ranges is None:
            return None
        data_start = self._ranges.data_start
        with open(self.path, "rb") as stream:
            stream.seek(data_start)
            sample = stream.read(len(self._ranges.first_row) + SNIFF_BYTES)
        line_bytes = len(sample) / max(sample.count(b"\n"), 1)
        n_ranges = max(round((self.inp.size - data_start) / (chunk_rows * line_bytes)), 1)
        return [Piece(file, "range", start, stop) for start, stop in self._ranges.cut(n_ranges)]

    def blocks(self, piece: Piece, columns: PairColumns, chunk_rows: int) -> Iterator[Block]:
        """The blocks of a "range" or "file" piece.

        Raises:
            RangeTrouble: A range holds a quote, bytes that are not UTF-8, an empty label, a value that is
                not a number, or anything pandas rejects (empty feature cells read as NaN).
            DataError: In a file read in order: a line cannot be parsed, a value is not a number, the
                bytes are not UTF-8 (worded as `load_pair_csv` words it).
        """
        if piece.kind == "range":
            yield from self._range_blocks(piece, columns, chunk_rows)
        else:
            yield from self._file_blocks(columns, chunk_rows)

    def _range_blocks(self, piece: Piece, columns: PairColumns, chunk_rows: int) -> Iterator[Block]:
        """The rows of a byte range, read as `load_pair_csv` reads the ranges of a large file, in blocks of
        `chunk_rows` rows (one unit)."""
        read = self._ranges.read(
            piece.start, piece.stop, columns.label, columns.left + columns.right, empty_features=True
        )
        if read is None:
            raise RangeTrouble(
                "a quote, bytes that are not UTF-8, an empty label or a value that is not a number"
            )
        values, labels = read
        width = len(columns.left)
        for start in range(0, len(labels), chunk_rows):
            part = slice(start, start + chunk_rows)
            rows = np.arange(
                piece.first_row + start, piece.first_row + start + len(labels[part]), dtype=np.int64
            )
            yield Block(
                unit=0,
                rows=rows,
                left=np.ascontiguousarray(values[part, :width]),
                right=np.ascontiguousarray(values[part, width:]),
                labels=labels.iloc[part],
                value_text=self._value_text(rows),
            )

    def _file_blocks(self, columns: PairColumns, chunk_rows: int) -> Iterator[Block]:
        options = read_options(self.layout, columns.left + columns.right, [columns.label])
        reader = pandas_read(self.inp, self.layout, chunksize=chunk_rows, **options)
        with reader:
            for unit in itertools.count():
                frame = self._checked_next(reader, columns.left + columns.right)
                if frame is None:
                    return
                yield self._block(frame, unit, frame.index.to_numpy(dtype=np.int64), columns)

    def _checked_next(self, reader, numeric: list[str]) -> pd.DataFrame | None:
        """The next chunk of a read in order; pandas' complaints become the careful read's messages."""
        with pandas_errors(self.name):
            try:
                return _next_frame(reader)
            except PANDAS_READ_ERRORS:
                raise
            except ValueError as error:  # a value that is not a number: find it as the careful read does
                raise non_number_error(self.inp, self.layout, numeric, error) from None

    def _block(self, frame: pd.DataFrame, unit: int, rows: np.ndarray, columns: PairColumns) -> Block:
        frame = renamed_frame(frame, self.layout, self.name)
        return Block(
            unit=unit,
            rows=rows,
            left=frame[columns.left].to_numpy(dtype=np.float32),
            right=frame[columns.right].to_numpy(dtype=np.float32),
            labels=frame[columns.label],
            value_text=self._value_text(rows),
        )

    def _value_text(self, rows: np.ndarray) -> Callable[[int, str], str]:
        """The text of the cell at (position among `rows`, column), as written in the file."""
        return lambda position, column: raw_value(self.inp, self.layout, column, int(rows[position]))

    # Table reading (every column, pandas' dtypes) ---------------------------------------------------

    def table_frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The whole table a chunk at a time, as `siamese_core.data.read_csv` reads it in one piece.

        Each chunk's dtypes are the ones pandas infers for that chunk; its index is the 0-based data row.
        """
        reader = pandas_read(self.inp, self.layout, chunksize=chunk_rows)
        with reader:
            while (frame := self._checked_next(reader, [])) is not None:
                yield renamed_frame(frame, self.layout, self.name)


# --------------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------------


class ParquetFile:
    """One Parquet file: its column names and row groups, from the footer alone."""

    format = "parquet"
    decimal = "."
    delimiter = None

    def __init__(self, path: Path, name: str, kind: str = "pairs"):
        self.path = path
        self.name = name
        self.warnings: list[str] = []
        if not os.access(path, os.R_OK):
            raise DataError(f"cannot be read (permission denied): {path}", source=name)
        self.signature = _signature(path)
        if self.signature[0] == 0:
            raise DataError("is empty; it needs columns and data rows", source=name)
        with self._open() as handle:
            raw_columns = list(handle.schema_arrow.names)
            metadata = handle.metadata
            self.group_rows = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        self._raw = {column.strip(): column for column in raw_columns}
        self.columns = [column.strip() for column in raw_columns]
        self.positions = {column: position for position, column in enumerate(self.columns)}
        _check_names(self.columns, name)
        if not sum(self.group_rows):
            raise DataError("has no data rows", source=name)

    def _open(self, n_columns: int | None = None) -> pq.ParquetFile:
        low, high = _PARQUET_COLUMN_BUFFER
        buffer = min(max(_PARQUET_BUFFER_BYTES // max(n_columns or 1, 1), low), high)
        try:
            return pq.ParquetFile(self.path, pre_buffer=False, buffer_size=buffer)
        except (pa.ArrowException, OSError) as error:
            raise DataError(
                f"cannot be read as Parquet ({error}); pass a Parquet file written by pandas, pyarrow, "
                "Spark or DuckDB, or a CSV file",
                source=self.name,
            ) from None

    def _batches(self, chunk_rows: int, columns: list[str], row_groups: list[int] | None) -> Iterator:
        raw = [self._raw[column] for column in columns]
        with self._open(len(raw)) as handle:
            batches = handle.iter_batches(batch_size=chunk_rows, row_groups=row_groups, columns=raw)
            while True:
                try:
                    batch = next(batches, None)
                except (pa.ArrowException, OSError) as error:
                    raise DataError(f"cannot be read as Parquet ({error})", source=self.name) from None
                if batch is None:
                    return
                yield batch

    # Pair reading -------------------------------------------------------------------------------

    def pieces(self, file: int, chunk_rows: int) -> list[Piece]:
        """One piece per row group that has rows, with a unit per `chunk_rows` rows."""
        starts = np.cumsum([0, *self.group_rows])
        return [
            Piece(file, "group", group, 0, int(starts[group]), rows, math.ceil(rows / chunk_rows))
            for group, rows in enumerate(self.group_rows)
            if rows
        ]

    def blocks(self, piece: Piece, columns: PairColumns, chunk_rows: int) -> Iterator[Block]:
        """The blocks of a row group, cut at every `chunk_rows` rows of the group (the units).

        Raises:
            DataError: The file is damaged, a feature column holds text that is not a number, or values of
                a type that is not a number (dates, lists, ...).
        """
        needed = list(dict.fromkeys([columns.label, *columns.left, *columns.right]))
        offset = 0  # rows of the group before the batch
        for batch in self._batches(chunk_rows, needed, [piece.start]):
            n = batch.num_rows
            cuts = range((offset // chunk_rows + 1) * chunk_rows, offset + n, chunk_rows)
            bounds = [offset, *cuts, offset + n]
            for start, stop in itertools.pairwise(bounds):
                part = batch.slice(start - offset, stop - start)
                rows = np.arange(piece.first_row + start, piece.first_row + stop, dtype=np.int64)
                yield self._block(part, start // chunk_rows, rows, columns)
            offset += n

    def _block(self, batch: pa.RecordBatch, unit: int, rows: np.ndarray, columns: PairColumns) -> Block:
        position_of = {raw: position for position, raw in enumerate(batch.schema.names)}
        arrays = {
            column: batch.column(position_of[self._raw[column]]) for column in columns.left + columns.right
        }
        numbers = {column: self._numbers(array, column) for column, array in arrays.items()}
        bad = [(hit, column) for column, (_, hit) in numbers.items() if hit is not None]
        if bad:
            (position, value), column = min(bad, key=lambda item: (item[0][0], self.positions[item[1]]))
            raise DataError(
                f"value '{shown(value)}' is not a number; feature values must be numbers; fix or remove that value",
                source=self.name,
                column=column,
                row=int(rows[position]) + 1,
                value=value,
            )
        left = np.empty((len(rows), len(columns.left)), dtype=np.float32)
        right = np.empty_like(left)
        with np.errstate(over="ignore"):  # beyond float32: inf, reported with the value as written
            for side, side_columns in ((left, columns.left), (right, columns.right)):
                for index, column in enumerate(side_columns):
                    side[:, index] = numbers[column][0]
        label = _decoded(batch.column(position_of[self._raw[columns.label]]))
        return Block(
            unit=unit,
            rows=rows,
            left=left,
            right=right,
            labels=label.to_pandas(),
            value_text=lambda position, column: _as_written(arrays[column][position].as_py()),
        )

    def _numbers(self, array: pa.Array, column: str) -> tuple[np.ndarray, tuple | None]:
        """float64 values of a feature column (NaN where empty) and the first (position, text) not a number."""
        array = _decoded(array)
        kind = array.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            return pc.cast(array, pa.float64(), safe=False).to_numpy(zero_copy_only=False), None
        if pa.types.is_boolean(kind) or pa.types.is_null(kind):
            return pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False), None
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            return _parsed_text(array.to_numpy(zero_copy_only=False))
        raise DataError(
            f"holds values of type {kind}, not numbers; feature columns must be numbers",
            source=self.name,
            column=column,
        )

    # Table reading (every column) -------------------------------------------------------------------

    def table_frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The whole table a chunk at a time, with pandas' dtypes; the index is the 0-based data row.

        Dictionary-encoded columns are decoded (values, not pandas categories, as pair reading decodes
        them); a column of lists, structs or maps is refused, as no CSV cell holds one.
        """
        offset = 0
        for batch in self._batches(chunk_rows, self.columns, None):
            arrays = [_decoded(array) for array in batch.columns]
            for column, array in zip(self.columns, arrays, strict=True):
                if pa.types.is_nested(array.type):
                    raise DataError(
                        f"holds values of type {array.type}, which a CSV cell cannot hold (scores are written "
                        "as CSV); drop that column or flatten it into columns of plain values",
                        source=self.name,
                        column=column,
                    )
            frame = pa.RecordBatch.from_arrays(arrays, names=batch.schema.names).to_pandas()
            frame.columns = self.columns
            frame.index = pd.RangeIndex(offset, offset + len(frame))
            offset += len(frame)
            yield frame


def _check_names(columns: list[str], name: str) -> None:
    if len(columns) > MAX_COLUMNS:
        raise DataError(
            f"has {len(columns):,} columns, more than the limit of {MAX_COLUMNS:,}; keep only the columns you "
            "need",
            source=name,
        )
    unnamed = [str(i + 1) for i, column in enumerate(columns) if not column]
    if unnamed:
        raise DataError(f"column {', '.join(unnamed[:10])} has no name; name it or drop it", source=name)
    check_unique_columns(columns, name)


def _decoded(array: pa.Array) -> pa.Array:
    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array


def _parsed_text(values: np.ndarray) -> tuple[np.ndarray, tuple[int, str] | None]:
    """Numbers written as text: float64 (NaN where empty, as pandas' CSV reader reads empty cells and 'NA')."""
    text = pd.Series(values, dtype=object)
    empty = text.isna().to_numpy() | text.isin(PANDAS_MISSING_WORDS).to_numpy()
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(numbers) & ~empty
    if bad.any():
        position = int(np.argmax(bad))
        return numbers, (position, str(values[position]))
    return numbers, None


def _as_written(value: object) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------------------------------
# Whole tables, for scoring
# --------------------------------------------------------------------------------------------------


def open_table(source: Source, *, name: str | None = None) -> Files:
    """Open a pair table to read every column of it: a CSV (path, bytes or stream), a Parquet file, or a
    folder of either (see `open_files`).

    Args:
        source: The table.
        name: What messages call a CSV given as bytes or a stream.

    Returns:
        The opened files; read them with `Files.table_chunks`.

    Raises:
        DataError: As `open_files` and `siamese_core.data.read_csv` say.
    """
    if isinstance(source, (str, os.PathLike)):
        return open_files(source, kind="generic")
    file = CsvFile(source, name, kind="generic")
    return Files(file.name, [file], "csv")
