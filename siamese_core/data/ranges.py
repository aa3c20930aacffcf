"""A large, plain pair file parsed in byte ranges on every core, giving exactly what the careful read
(`siamese_core.data.reader.read_table`) gives, or None when only the careful read gets it right."""

from __future__ import annotations

import codecs
import itertools
import math
import os
import re
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siamese_core.data.lines import RangeStream, line_starts, plain_first_lines
from siamese_core.data.reader import PANDAS_MISSING_WORDS
from siamese_core.data.sniffing import CsvInput, CsvLayout

# Pair files from this size on are parsed in byte ranges on every core (`read_pairs_in_ranges`). pandas
# pays a fixed cost per column on each range whatever its size, so a range holds 128 KiB a column (that
# cost stays small next to the parsing), within 1 to 64 MiB (a range's float64 values are in memory).
PARALLEL_MIN_BYTES = 4 * 2**20
RANGE_BYTES_PER_COLUMN = 128 * 2**10
MIN_RANGE_BYTES = 2**20
MAX_RANGE_BYTES = 64 * 2**20

# A range with text in a number column makes pandas warn of mixed types (`DtypeWarning`), where the careful
# read names that value: silenced for the reads of this module alone, once here, since ranges are read on
# several threads and a `warnings.catch_warnings` block is not thread-safe.
warnings.filterwarnings("ignore", category=pd.errors.DtypeWarning, module=re.escape(__name__))

# More parsing threads than this gain little (they share the memory bus and the GIL) and each holds a range.
MAX_WORKERS = 8


@dataclass
class PairRanges:
    """How the byte ranges of a plain pair file are parsed: the one range reader of the in-memory
    (`read_pairs_in_ranges`) and the streamed (`siamese_core.sources.CsvFile`) reads.

    pandas parses numbers about twice as fast with the dtypes it infers (float64) as with float32 asked
    for, and its C parser releases the GIL while it works. So the data rows are cut at line breaks into
    byte ranges, and each range's features are cast to float32 (through float64, as pandas' float32 read
    does) as soon as it is parsed: only the ranges being parsed have float64 values.

    Each range is parsed as a small file of its own: the file's header line, then (for all but the first
    range) the file's first data row, dropped afterwards, then the range's lines. pandas then reads each
    row as in the whole file: with no quote character in the file every line break ends a row, and the
    first data row, which alone decides whether pandas takes the first column as the index, is the same.

    Attributes:
        inp: The file.
        layout: Its sniffed layout.
        header: The header line, without a byte order mark.
        first_row: The first data row.
        data_start: The offset of the first data row.
    """

    inp: CsvInput
    layout: CsvLayout
    header: bytes
    first_row: bytes
    data_start: int

    @classmethod
    def open(cls, inp: CsvInput, layout: CsvLayout) -> PairRanges | None:
        """The range reader of a file, or None when its first two lines are unusual (`plain_first_lines`):
        the file is then read in order."""
        with inp.open_binary() as stream:
            header = stream.readline()
            first_row = stream.readline()
        if not plain_first_lines(header, first_row, layout):
            return None
        return cls(inp, layout, header.removeprefix(codecs.BOM_UTF8), first_row, len(header))

    def cut(self, n_ranges: int) -> list[tuple[int, int]]:
        """About `n_ranges` byte ranges [start, stop) of the data rows, cut evenly at line starts."""
        with self.inp.open_binary() as stream:
            return list(itertools.pairwise(line_starts(stream, self.data_start, self.inp.size, n_ranges)))

    def read(
        self, start: int, stop: int, label: str, features: list[str], *, empty_features: bool = False
    ) -> tuple[np.ndarray, pd.Series] | None:
        """The rows of the bytes [start, stop): (n, k) float32 `features` and the `label` column as pandas
        infers it; or None when only the careful read gets them right (a quote, bytes that are not UTF-8, a
        line of other fields, a value that is not a number, an empty cell, a line pandas cannot parse, labels
        that do not read as their text).

        With `empty_features`, an empty feature cell (or a word pandas reads as missing) is NaN in the
        features instead of a reason for the careful read: for a caller that checks its blocks
        (`siamese_core.data.checks`), which drops or refuses those rows as the careful read does.

        A range with text in a number column may make pandas warn of mixed types; the careful read reports
        that value, so the warning is silenced for this module's reads (below the imports).
        """
        layout = self.layout
        usecols = layout.usecols({label, *features})
        skip = 0 if start == self.data_start else 1
        prefix = self.header + self.first_row if skip else self.header
        # Reading every column, pandas refuses a row of too many fields itself, and a row of too few has an
        # empty cell, which makes this reader give up: only with usecols, or when empty feature cells are
        # kept as NaN (a row of too few fields must not pass for one with empty cells), are rows counted.
        check_fields = usecols is not None or empty_features
        with RangeStream(self.inp, layout, prefix, start, stop, check_fields=check_fields) as stream:
            try:
                # The labels as pandas infers them (0/1 as integers), not as text: a converter or a dtype
                # dict runs Python for every row, holding the GIL. They map and read as the careful read's
                # text does (`display_label`), except where `_as_text_reads` says.
                frame = pd.read_csv(
                    stream,
                    sep=layout.delimiter,
                    decimal=layout.decimal,
                    encoding="utf-8",
                    engine="c",
                    usecols=usecols,
                )
            except (ValueError, OverflowError):  # ParserError, UnicodeDecodeError and EmptyDataError too
                return None
            if not stream.plain:
                return None
        raw = [layout.raw(column) for column in features]
        values = _float32_rows(
            frame, raw, skip, lambda: _writes_negative_zero(self.inp, start, stop, layout), empty_features
        )
        labels = frame[layout.raw(label)].iloc[skip:]
        if values is None or labels.isna().any() or not _as_text_reads(labels, layout.decimal):
            return None
        return values, labels


def read_pairs_in_ranges(
    inp: CsvInput, layout: CsvLayout, label: str, left: list[str], right: list[str]
) -> tuple[np.ndarray, np.ndarray, pd.Series] | None:
    """The float32 left and right features and the raw labels of a large, plain pair file, or None.

    The file's byte ranges (`PairRanges`) are parsed on every core: the file is never in memory as a whole.

    Args:
        inp: The file.
        layout: Its sniffed layout.
        label: The label column.
        left: The first sample's feature columns.
        right: The second sample's feature columns, paired with `left` by position.

    Returns:
        (left, right, labels as pandas infers them, indexed by 0-based data row), without empty cells (the
        caller checks them for infinite values, as the careful read's rows); or None when the careful read
        (`read_table`) is needed: the file is small, or its first two lines or a range need it (see
        `PairRanges`).
    """
    size = inp.size
    if size < PARALLEL_MIN_BYTES:
        return None
    reader = PairRanges.open(inp, layout)
    if reader is None:
        return None
    workers = worker_count()
    ranges = reader.cut(range_count(size - reader.data_start, len(layout.columns), workers))
    abandon = threading.Event()

    def read_range(index: int) -> tuple[np.ndarray, pd.Series] | None:
        return None if abandon.is_set() else reader.read(*ranges[index], label, left + right)

    with ThreadPoolExecutor(max_workers=min(workers, len(ranges))) as pool:
        pieces: list = []
        for piece in pool.map(read_range, range(len(ranges))):
            if piece is None:
                abandon.set()
                return None
            pieces.append(piece)
        labels = pd.concat([piece_labels for _, piece_labels in pieces], ignore_index=True)
        # Checked once joined too: int64 and float64 ranges join as float64, text and numbers as objects.
        if labels.empty or not _as_text_reads(labels, layout.decimal):
            return None
        left_values = np.empty((len(labels), len(left)), dtype=np.float32)
        right_values = np.empty((len(labels), len(right)), dtype=np.float32)
        rows = np.cumsum([0, *(len(piece_labels) for _, piece_labels in pieces)])

        def place(index: int) -> None:
            """Copy one range's rows into the result (in parallel: numpy works without the GIL)."""
            values = pieces[index][0]
            pieces[index] = None  # freed once copied
            left_values[rows[index] : rows[index + 1]] = values[:, : len(left)]
            right_values[rows[index] : rows[index + 1]] = values[:, len(left) :]

        list(pool.map(place, range(len(pieces))))
    return left_values, right_values, labels


def _as_text_reads(labels: pd.Series, decimal: str) -> bool:
    """Whether labels that pandas parsed with the dtype it inferred map and read as their text does (the
    careful read's), which is so for integers, true/false and text, but not for
    - float64 numbers beyond 2**53 (a long integer among them has lost digits), or any float64 in a file
      with a decimal comma (the text "1,0" is not a number to the careful read);
    - Python objects: pandas' fallback for integers too large for uint64, made with `int()`, which also
      takes "1_0" as 10;
    - text holding one of pandas' missing-value words, which it may leave as written (pandas issue
      14983) while the careful read finds them missing.
    """
    kind = labels.dtype.kind
    if kind == "f":
        return decimal == "." and not (np.abs(labels.to_numpy()) >= 2.0**53).any()
    if kind in "iub":
        return True
    return labels.dtype != object and not labels.isin(PANDAS_MISSING_WORDS).any()


def worker_count() -> int:
    """Parsing threads: the cores this process may use, at most `MAX_WORKERS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, MAX_WORKERS)


def range_count(data_bytes: int, n_columns: int, workers: int) -> int:
    """How many ranges to cut `data_bytes` into: ranges sized as the constants above say, at least one per
    worker while each keeps 1 MiB, and a whole number per worker, so that no worker parses the last alone.
    """
    range_bytes = min(max(n_columns * RANGE_BYTES_PER_COLUMN, MIN_RANGE_BYTES), MAX_RANGE_BYTES)
    n_ranges = max(round(data_bytes / range_bytes), min(workers, data_bytes // MIN_RANGE_BYTES), 1)
    return workers * math.ceil(n_ranges / workers) if n_ranges > workers else n_ranges


def _float32_rows(
    frame: pd.DataFrame,
    columns: list[str],
    skip: int,
    writes_negative_zero: Callable[[], bool],
    empty: bool = False,
) -> np.ndarray | None:
    """`columns` of `frame` from row `skip` on as float32, or None unless every value is a number (or, with
    `empty`, a missing value, kept as NaN).

    pandas reads a column of integers as int64, where "-0" is 0, while the float32 read keeps -0.0. So a
    zero in an integer column is taken only when `writes_negative_zero()` says that the text has no -0.
    """
    dtypes = frame.dtypes.to_dict()
    kinds = [dtypes[column].kind if isinstance(dtypes[column], np.dtype) else "O" for column in columns]
    if any(kind not in "iuf" for kind in kinds):
        return None
    with np.errstate(over="ignore"):  # 1e308 becomes inf, reported by the finite-value check
        if all(kind == "f" for kind in kinds):
            values = frame[columns].to_numpy(dtype=np.float32)[skip:]
        else:
            # Integers become float64 first, as in pandas' float32 read: beyond 2**24 they round the same.
            numbers = frame[columns].to_numpy(dtype=np.float64)[skip:]
            integers = [position for position, kind in enumerate(kinds) if kind != "f"]
            if not numbers[:, integers].all() and writes_negative_zero():
                return None
            values = numbers.astype(np.float32)
    return None if not empty and np.isnan(values).any() else values


def _writes_negative_zero(inp: CsvInput, start: int, stop: int, layout: CsvLayout) -> bool:
    """Whether the bytes [start, stop) of the file hold a -0 that pandas may read as the integer 0."""
    with inp.open_binary() as stream:
        stream.seek(start)
        text = stream.read(stop - start)
    return re.search(rb"-0+(?![0-9eE" + re.escape(layout.decimal.encode()) + rb"])", text) is not None
