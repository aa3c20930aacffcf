"""Turn the CSV files users upload into validated pairs (`PairSet`) and labeled samples (`SampleSet`).

Three layouts are understood:

- a wide pair CSV: one row per pair, a label column and the two samples' features side by side
  (`a_height`, `b_height`, ...), read by `load_pair_csv`;
- labeled samples: one row per sample with a class column, read by `load_samples_csv`;
- pairs by reference: a pairs CSV of two sample ids and a label, plus a samples CSV holding the features
  of each id, read by `load_pairs_by_reference`.

Labels follow the loss's convention: Y = 0 for similar pairs, Y = 1 for dissimilar ones (`map_labels`
says how raw values are mapped and why). Every problem a user can cause becomes a `DataError` (or a
`LabelError`) whose message names the file, the column, the row and the value, and says what to do.

Reading is vectorised: files of a few hundred megabytes are parsed by pandas' C parser, feature columns
straight into float32 (large pair files in byte ranges on every core); Python loops run only over column
names, byte ranges and distinct label values.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import IO, Union

import numpy as np
import pandas as pd

from siamese_core.errors import DataError, LabelError, listed, shown
from siamese_core.pairs import (
    DISSIMILAR,
    SIMILAR,
    LabelMapping,
    LoadInfo,
    PairSet,
    SampleSet,
    check_enough_pairs,
)

Source = Union[str, "os.PathLike[str]", bytes, bytearray, IO[bytes]]

SNIFF_BYTES = 64 * 1024
_MAX_HEADER_BYTES = 16 * 1024 * 1024
_SNIFF_RECORDS = 200
_HEAD_ROWS = 1000
_CHUNK_ROWS = 50_000
# Pair files from this size on are parsed in byte ranges on every core (`_read_pairs_in_ranges`). pandas
# spends 50 to 80 us a column on each range whatever its size, so a range holds 128 KiB a column (that
# cost stays near a tenth of the parsing), within 1 to 64 MiB (a range's float64 values are in memory).
_PARALLEL_MIN_BYTES = 4 * 2**20
_RANGE_BYTES_PER_COLUMN = 128 * 2**10
_MIN_RANGE_BYTES = 2**20
_MAX_RANGE_BYTES = 64 * 2**20
# Bytes handed to pandas per read of a range: fewer reads, fewer waits for the GIL; larger ones cost memory.
_READ_BYTES = 2 * 2**20
# More parsing threads than this gain little (they share the memory bus and the GIL) and each holds a range.
_MAX_WORKERS = 8
DELIMITERS = (",", ";", "\t")
# Wider files are refused: every column costs pandas and the dashboard's column pickers time and memory.
MAX_COLUMNS = 10_000

LABEL_COLUMN_NAMES = (
    "label", "labels", "y", "target", "same", "is_same", "similar", "is_similar", "match", "is_match",
    "matched", "is_duplicate", "duplicate", "is_dissimilar", "dissimilar", "different", "pair_label",
)  # fmt: skip
# A label column with one of these names says "1 / true = similar" (Quora's is_duplicate = 1: duplicates).
SIMILARITY_COLUMN_NAMES = frozenset(
    {"same", "is_same", "similar", "is_similar", "match", "is_match", "matched", "is_duplicate", "duplicate"}
)
# A label column with one of these names says "yes = dissimilar".
DISSIMILARITY_COLUMN_NAMES = frozenset({"is_dissimilar", "dissimilar", "different", "is_different"})

CLASS_COLUMN_NAMES = (
    "class", "label", "labels", "y", "target", "category", "digit", "species", "identity", "person",
    "speaker", "group", "cluster",
)  # fmt: skip
ID_COLUMN_NAMES = ("id", "sample_id", "sample", "key", "uid")
ID_PAIR_NAMES = (
    ("id_a", "id_b"), ("a_id", "b_id"), ("id1", "id2"), ("id_1", "id_2"), ("left", "right"),
    ("left_id", "right_id"), ("first", "second"), ("sample_a", "sample_b"), ("a", "b"),
)  # fmt: skip
# (where the side marker sits, marker of the first sample, marker of the second sample)
SIDE_PATTERNS = (
    ("prefix", "a_", "b_"), ("prefix", "left_", "right_"), ("prefix", "x1_", "x2_"),
    ("prefix", "first_", "second_"), ("suffix", "_a", "_b"), ("suffix", "_1", "_2"),
    ("suffix", "_left", "_right"),
)  # fmt: skip
# Side columns whose shared name says they describe the sample, not measure it (a_id, b_class, ...).
_NON_FEATURE_NAMES = frozenset(
    {"id", "sample_id", "uid", "key", "class", "label", "name", "path", "file", "filename"}
)

SIMILAR_WORDS = frozenset(
    {"similar", "same", "match", "matched", "positive", "pos", "genuine", "duplicate", "similar pair",
     "same pair", "matching"}
)  # fmt: skip
DISSIMILAR_WORDS = frozenset(
    {"dissimilar", "different", "diff", "mismatch", "mismatched", "non match", "nonmatch", "no match",
     "negative", "neg", "impostor", "imposter", "dissimilar pair", "different pair", "not similar",
     "not same", "not duplicate", "non duplicate", "not match"}
)  # fmt: skip
YES_WORDS = frozenset({"yes", "y"})
NO_WORDS = frozenset({"no", "n"})

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
# What `pandas.read_csv` reads as missing by default (its `na_values` documentation; a test checks them).
PANDAS_MISSING_WORDS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
     "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip
_DECIMAL_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
_DECIMAL_POINT_NUMBER = re.compile(r"^[+-]?\d*\.\d+$")
_SWAP_DECIMAL_MARKS = str.maketrans(",.", ".,")
_WORD_SEPARATORS = re.compile(r"[\s_\-]+")
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab"}
DROP_MISSING = ("drop_missing", "True")  # the `Setting`s (errors.py) that messages point to
SIMILAR_LABEL = ("similar_label", "...")
SIDE_COLUMNS = (("left_columns", "[...]"), ("right_columns", "[...]"))
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_LINE_FEED, _CARRIAGE_RETURN = np.uint8(ord("\n")), np.uint8(ord("\r"))


# --------------------------------------------------------------------------------------------------
# Sources: a path, bytes, or a binary file-like object
# --------------------------------------------------------------------------------------------------


@dataclass
class _Input:
    """One CSV source that can be read more than once."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    rows_checked: bool = False  # every row has the header's number of fields (`_check_row_shapes`)

    def handle(self) -> str | io.BytesIO:
        """What pandas reads: the path, or a fresh stream over the bytes."""
        return str(self.path) if self.path is not None else io.BytesIO(self.data)

    def head(self) -> tuple[bytes, bool]:
        """The first bytes (two lines at least, for long headers) and whether they are the whole file."""
        if self.data is not None:
            head = self.data[:SNIFF_BYTES]
            while len(head) < len(self.data) and head.count(b"\n") < 2 and len(head) < _MAX_HEADER_BYTES:
                head = self.data[: 2 * len(head)]
            return head, len(head) == len(self.data)
        with open(self.path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
            more = stream.read(1)
            while more and head.count(b"\n") < 2 and len(head) < _MAX_HEADER_BYTES:
                head += more + stream.read(len(head))
                more = stream.read(1)
            return head, not more


def _open_source(source: Source, name: str | None) -> _Input:
    """Wrap `source` so that it can be sniffed and read, checking that a path names a readable file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _Input(name or "the uploaded file", data=bytes(source))
    if isinstance(source, (str, os.PathLike)):
        return _open_path(Path(source), name)
    if hasattr(source, "read"):
        return _Input(name or _stream_name(source), data=_read_stream(source))
    raise TypeError(f"source must be a path, bytes or a binary file-like object. Received: {type(source)!r}")


def _open_path(path: Path, name: str | None) -> _Input:
    display_name = name or path.name or str(path)
    if "\n" in str(path):
        raise DataError("is not a file path (it contains a line break); pass CSV text as bytes instead")
    check_file(path, display_name)
    return _Input(display_name, path=path)


def check_file(path: Path, name: str) -> None:
    """Raise a `DataError` unless `path` is a regular file that can be read.

    A pipe, a device or a socket is refused before it is opened: reading one could wait forever.

    Args:
        path: The path.
        name: What messages call the file.
    """
    if not path.exists():
        raise DataError(f"file not found: {path}", source=name)
    if path.is_dir():
        raise DataError(f"is a folder, not a file: {path}", source=name)
    if not path.is_file():
        raise DataError(
            f"is not a regular file (a pipe, a device or a socket, which could keep the reader waiting "
            f"forever): {path}; pass a file",
            source=name,
        )
    if not os.access(path, os.R_OK):
        raise DataError(f"cannot be read (permission denied): {path}", source=name)


def _stream_name(stream: object) -> str:
    raw = getattr(stream, "name", None)
    return Path(raw).name if isinstance(raw, str) and raw else "the uploaded file"


def _read_stream(stream) -> bytes:
    """All bytes of a file-like object, from its start (an uploaded file may have been read before)."""
    if hasattr(stream, "getvalue"):
        data = stream.getvalue()
    else:
        if getattr(stream, "seekable", lambda: False)():
            stream.seek(0)
        data = stream.read()
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


# --------------------------------------------------------------------------------------------------
# Sniffing: encoding, delimiter, header
# --------------------------------------------------------------------------------------------------


@dataclass
class _Layout:
    """What sniffing found: how to split the file and what its columns are called."""

    delimiter: str
    raw_columns: list[str]
    columns: list[str]
    decimal: str = "."
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Column name -> position in the file (dict look-ups keep wide files linear)."""
        return {column: position for position, column in enumerate(self.columns)}

    def raw(self, column: str) -> str:
        return self.raw_columns[self.positions[column]]


def _sniff(inp: _Input, kind: str) -> _Layout:
    """Check encoding, delimiter and header on the first bytes, before pandas reads the whole file."""
    head, whole = inp.head()
    _check_not_binary(head, inp.name)
    text = _decode_head(head, whole, inp.name)
    if not text.strip():
        raise DataError("is empty; it needs a header row and data rows", source=inp.name)
    records = {delimiter: _records(text, delimiter, whole, inp.name) for delimiter in DELIMITERS}
    if not all(records.values()):
        raise DataError("is empty; it needs a header row and data rows", source=inp.name)
    delimiter = _choose_delimiter(records, inp.name, kind)
    header = records[delimiter][0][1]
    data = records[delimiter][1:]
    if len(header) > MAX_COLUMNS:
        raise DataError(
            f"has {len(header):,} columns, more than the limit of {MAX_COLUMNS:,}; keep only the columns "
            "you need (fewer features, e.g. after PCA) and save it again",
            source=inp.name,
        )
    _check_header(header, delimiter, inp.name, kind)
    if not data and whole:
        raise DataError("has a header but no data rows", source=inp.name)
    layout = _Layout(delimiter, header, [column.strip() for column in header])
    _detect_decimal_comma(layout, data)
    return layout


def _check_not_binary(head: bytes, name: str) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError("is UTF-16 text; save it as UTF-8 (CSV UTF-8 in Excel)", source=name)
    if head.startswith(b"PK\x03\x04"):
        raise DataError(
            "looks like an Excel workbook (.xlsx) or a zip archive, not a CSV; "
            "in Excel use File > Save As > CSV UTF-8",
            source=name,
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(
            "looks like an old Excel workbook (.xls), not a CSV; in Excel use File > Save As > CSV UTF-8",
            source=name,
        )
    if head.startswith(b"\x1f\x8b"):
        raise DataError("is gzip-compressed; decompress it and pass the CSV inside", source=name)
    sample = head[:512]
    if len(sample) >= 4 and (_only_nul(sample[0::2], sample[1::2]) or _only_nul(sample[1::2], sample[0::2])):
        raise DataError(
            "looks like UTF-16 text without a byte order mark (every other byte is NUL); "
            "save it as UTF-8 (CSV UTF-8 in Excel)",
            source=name,
        )
    if b"\x00" in head:
        raise DataError(
            "looks like a binary file, not a CSV (it contains NUL bytes); pass a comma, semicolon or "
            "tab separated text file saved as UTF-8",
            source=name,
        )


def _only_nul(nul_half: bytes, text_half: bytes) -> bool:
    """True when one half of the bytes is all NUL and the other has none: ASCII written as UTF-16."""
    return not nul_half.strip(b"\x00") and b"\x00" not in text_half


def _decode_head(head: bytes, whole: bool, name: str) -> str:
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # Not final unless whole: the first bytes may end inside a multi-byte character.
        return decoder.decode(head[bom:], final=whole)
    except UnicodeDecodeError as error:
        position = error.start + bom
        line = head[:position].count(b"\n") + 1
        raise DataError(
            f"is not UTF-8 text (invalid byte 0x{head[position]:02x} at byte {position}, line {line}); "
            "save it as UTF-8 (CSV UTF-8 in Excel)",
            source=name,
        ) from None


def _records(text: str, delimiter: str, whole: bool, name: str) -> list[tuple[int, list[str]]]:
    """The first non-blank records of `text` split by `delimiter`, each with its (last) line number."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for fields in reader:
            if (fields and any(value.strip() for value in fields)) or len(fields) > 1:
                records.append((reader.line_num, fields))
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error as error:
        if "field larger than field limit" not in str(error):
            raise DataError(
                f"cannot be split into fields near line {reader.line_num}: {error}", source=name
            ) from None
        # A field over the csv module's limit (128 KB): a wide line split by another delimiter, or an open
        # quote. Count that line as one field and sniff no further; pandas has no such limit.
        return [*records, (reader.line_num, [text.split("\n", 1)[0] if not records else ""])]
    if not whole and len(records) > 1 and len(records) <= _SNIFF_RECORDS:
        records.pop()  # the last record may be cut off by the end of the sniffed bytes
    return records


def _choose_delimiter(records: dict[str, list], name: str, kind: str) -> str:
    """The delimiter that splits every sniffed line into the same number (> 1) of fields; most fields wins."""
    counts = {d: [len(fields) for _, fields in records[d]] for d in DELIMITERS}
    consistent = [d for d in DELIMITERS if counts[d][0] > 1 and len(set(counts[d])) == 1]
    if consistent:
        return max(consistent, key=lambda d: counts[d][0])
    by_header = max(DELIMITERS, key=lambda d: counts[d][0])
    with_data = [d for d in DELIMITERS if len(counts[d]) > 1]
    by_data = max(with_data, key=lambda d: counts[d][1]) if with_data else by_header
    header_splits = counts[by_header][0] > 1
    data_splits_otherwise = by_data != by_header and counts[by_data][1] > 1 and counts[by_data][0] == 1
    if data_splits_otherwise and (not header_splits or counts[by_header][1] == 1):
        line, fields = records[by_data][1]
        raise _mixed_delimiters(by_header, counts[by_header][0], line, by_data, len(fields), name, line - 1)
    if not header_splits:
        raise _one_column(records[by_header][0][1], name, kind)
    return by_header


def _mixed_delimiters(
    delimiter: str, n_columns: int, line: int, other: str, n_fields: int, name: str, row: int | None = None
) -> DataError:
    """The error for a header of `n_columns` split by `delimiter` and a `line` split by `other`."""
    if n_columns > 1:
        header = f"the header is separated by {_DELIMITER_NAMES[delimiter]} ({n_columns} columns)"
    else:
        header = "the header has no comma, semicolon or tab (1 column)"
    return DataError(
        f"mixed delimiters: {header} but line {line} is separated by {_DELIMITER_NAMES[other]} "
        f"({n_fields} fields); use the same delimiter on every line",
        source=name,
        row=row,
    )


def _one_column(header: list[str], name: str, kind: str) -> DataError:
    needs = {
        "samples": "a class column and feature columns",
        "ids": "an id column and feature columns",
        "reference": "two id columns and a label column",
    }.get(kind, "a label column and feature columns")
    seen = _other_delimiter(header[0])
    found = (
        f"it seems to be separated by {seen!r}; save it with commas, semicolons or tabs"
        if seen
        else "no comma, semicolon or tab was found in the header"
    )
    return DataError(
        f"has only one column ('{shown(header[0])}'); it needs at least {needs}; {found}", source=name
    )


def _other_delimiter(line: str) -> str | None:
    for candidate in ("|", ":", " "):
        if line.strip().count(candidate) >= 1:
            return candidate
    return None


def _check_header(header: list[str], delimiter: str, name: str, kind: str) -> None:
    names = [value.strip() for value in header]
    if all(_NUMBER.match(value) or _DECIMAL_COMMA_NUMBER.match(value) for value in names if value) and any(
        names
    ):
        raise DataError(
            f"the first line looks like data, not column names ({shown(delimiter.join(names))}); "
            f"add a header row such as {_example_header(len(names), delimiter, kind)}",
            source=name,
        )
    unnamed = [i + 1 for i, value in enumerate(names) if not value]
    if unnamed:
        raise _unnamed_columns(unnamed, len(names), delimiter, name)
    check_unique_columns(names, name)


def _unnamed_columns(unnamed: list[int], n_columns: int, delimiter: str, name: str) -> DataError:
    hints = []
    if unnamed[0] == 1:
        hints.append("files written by pandas' to_csv without index=False start with an unnamed index column")
    if unnamed[-1] == n_columns:
        hints.append(f"an extra {_DELIMITER_NAMES[delimiter]} at the end of the lines adds an unnamed column")
    hint = f" ({'; '.join(hints)})" if hints else ""
    which = ", ".join(map(str, unnamed[:10]))
    return DataError(
        f"column {which} of the header has no name{hint}; name it or delete that column",
        source=name,
    )


def check_unique_columns(columns: list[str], name: str) -> None:
    """Raise a `DataError` naming every column name that `columns` holds more than once, with its positions.

    Args:
        columns: The column names, in the file's order.
        name: What messages call the file.
    """
    where: dict[str, list[int]] = {}
    for position, column in enumerate(columns, start=1):
        where.setdefault(column, []).append(position)
    duplicated = [(column, positions) for column, positions in where.items() if len(positions) > 1]
    if duplicated:
        names = "; ".join(f"'{shown(column)}' (columns {listed(at, 10)})" for column, at in duplicated)
        raise DataError(f"has duplicate column names: {names}; give every column a unique name", source=name)


def _example_header(n_fields: int, delimiter: str, kind: str) -> str:
    if kind == "samples":
        names = ["class"] + [f"f{i}" for i in range(max(n_fields - 1, 1))]
    else:
        width = max((n_fields - 1) // 2, 1)
        names = ["label"] + [f"a_f{i}" for i in range(width)] + [f"b_f{i}" for i in range(width)]
    if len(names) > 7:
        names = [*names[:3], "...", *names[-2:]]
    return delimiter.join(names)


def _detect_decimal_comma(layout: _Layout, data: list[tuple[int, list[str]]]) -> None:
    """Semicolon or tab files from European Excel write 1,5 for 1.5: read them that way."""
    if layout.delimiter == ",":
        return
    values = [value.strip() for _, fields in data for value in fields]
    if any(_DECIMAL_COMMA_NUMBER.match(v) for v in values) and not any(
        _DECIMAL_POINT_NUMBER.match(v) for v in values
    ):
        layout.decimal = ","
        layout.warnings.append("read ',' as the decimal mark (numbers such as '1,5')")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


# --------------------------------------------------------------------------------------------------
# Reading with pandas
# --------------------------------------------------------------------------------------------------


def _pandas_read(inp: _Input, layout: _Layout, **options) -> pd.DataFrame:
    """`pandas.read_csv` with the sniffed layout; parser and encoding failures become DataError.

    The first read of a source checks first that every row has the header's number of fields
    (`_check_row_shapes`). A ValueError from converting a value to a requested dtype is left to the caller.
    """
    if not inp.rows_checked:
        _check_row_shapes(inp, layout)
        inp.rows_checked = True
    with warnings.catch_warnings():
        # float32 overflow (1e308) becomes inf here; it is reported by the finite-value check.
        warnings.simplefilter("ignore", RuntimeWarning)
        with pandas_errors(inp.name):
            return pd.read_csv(
                inp.handle(),
                sep=layout.delimiter,
                decimal=layout.decimal,
                encoding="utf-8-sig",
                engine="c",
                **options,
            )


PANDAS_READ_ERRORS = (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)


@contextmanager
def pandas_errors(name: str) -> Iterator[None]:
    """pandas' parser, empty-file and encoding failures while reading `name`, as DataError."""
    try:
        yield
    except pd.errors.ParserError as error:
        raise _parser_error(error, name) from None
    except pd.errors.EmptyDataError:
        raise DataError("is empty; it needs a header row and data rows", source=name) from None
    except UnicodeDecodeError as error:
        raise _late_unicode_error(error, name) from None


def _parser_error(error: Exception, name: str) -> DataError:
    text = str(error)
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields:
        expected, line, saw = (int(value) for value in fields.groups())
        return _field_count_error(line, saw, expected, None, name)
    quote = re.search(r"EOF inside string starting at row (\d+)", text)
    if quote:
        return DataError(
            f'a quote (") opened near data row {int(quote.group(1))} is never closed; close or remove it',
            source=name,
        )
    detail = text.replace("Error tokenizing data. C error: ", "").strip()
    return DataError(f"cannot be parsed as CSV: {detail}", source=name)


def _check_row_shapes(inp: _Input, layout: _Layout) -> None:
    """Raise on the first row whose number of fields is not the header's.

    pandas pads a row of too few fields with empty cells and, given `usecols`, drops the fields a row has
    too many: values would shift into other columns, or a row split by another delimiter would read as
    empty cells. The file is read as the range reader reads it (`_RangeStream`); from the first read that is
    not plain on, where a quoted value may hold delimiters and line breaks, the csv module splits the rows.

    Raises:
        DataError: A row has more or fewer fields than the header, or a quote runs to the end of the file.
    """
    size = inp.path.stat().st_size if inp.path is not None else len(inp.data)
    offset = lines = 0
    with _RangeStream(inp, layout, b"", 0, size) as stream:
        while data := stream.read():
            if not stream.plain:
                break
            offset += len(data)
            lines += data.count(b"\n")
        else:
            return
    n_columns = len(layout.columns)
    with _open_binary(inp) as raw, _CSV_FIELD_LIMIT.lifted(size):
        raw.seek(offset)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text, delimiter=layout.delimiter)
        end = 0
        try:
            for fields in reader:
                start, end = end + 1, reader.line_num
                blank = not fields or (len(fields) == 1 and not fields[0].strip(" \t\r"))
                if len(fields) != n_columns and not blank:
                    break
            else:
                return
        except csv.Error as error:  # a value of more than 2 GB
            raise DataError(
                f"the row starting on line {lines + end + 1} cannot be split into fields ({error}); check "
                "the quotes on that line",
                source=inp.name,
                row=lines + end,
            ) from None
        last = not text.read(1)
    raise _row_shape_error(lines + start, fields, last, layout, inp.name)


class _CsvFieldLimit:
    """The csv module's limit on the length of a value (128 KB), lifted while row shapes are checked.

    pandas has no such limit: a longer quoted value is valid, and the rows after it must be checked too.
    The limit is the process's, so it is raised to the largest file being checked and put back when the
    last check under way (in any thread) ends.
    """

    # The largest limit that a C long holds on every platform.
    MOST = 2**31 - 1

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checks = 0
        self._before = 0

    @contextmanager
    def lifted(self, size: int) -> Iterator[None]:
        with self._lock:
            if self._checks == 0:
                self._before = csv.field_size_limit()
            self._checks += 1
            csv.field_size_limit(max(csv.field_size_limit(), min(size + 1, self.MOST)))
        try:
            yield
        finally:
            with self._lock:
                self._checks -= 1
                if self._checks == 0:
                    csv.field_size_limit(self._before)


_CSV_FIELD_LIMIT = _CsvFieldLimit()


def _row_shape_error(line: int, fields: list[str], last: bool, layout: _Layout, name: str) -> DataError:
    """The error for the row starting on `line` that splits into `fields`, not the header's number.

    A row that is the file's last and holds a line break in its last value is a quote never closed (the
    rest of the file became that value). A row of one field that another delimiter splits is a line of
    mixed delimiters.
    """
    if last and ("\n" in fields[-1] or "\r" in fields[-1]):
        return DataError(
            f'a quote (") opened on line {line} is never closed; close or remove it',
            source=name,
            row=line - 1,
        )
    n_columns = len(layout.columns)
    if len(fields) == 1:
        splits = {other: fields[0].count(other) + 1 for other in DELIMITERS if other != layout.delimiter}
        other = max(splits, key=splits.__getitem__)
        if splits[other] > 1:
            return _mixed_delimiters(
                layout.delimiter, n_columns, line, other, splits[other], name, row=line - 1
            )
    return _field_count_error(line, len(fields), n_columns, layout.delimiter, name)


def _field_count_error(
    line: int, n_fields: int, n_columns: int, delimiter: str | None, name: str
) -> DataError:
    """The error for `line`, of `n_fields` fields where the header has `n_columns` (`delimiter`: None when
    not known)."""
    separator = "delimiter" if delimiter is None else _DELIMITER_NAMES[delimiter]
    if n_fields > n_columns:
        advice = f"look for an unquoted {separator} inside a value or an extra one at the end of the line"
    else:
        advice = (
            f"a value or a {separator} is missing: write {n_columns} fields separated by {separator} on "
            "every line (an empty cell is a field too), or remove the line"
        )
    return DataError(
        f"line {line} has {_count(n_fields, 'field')} but the header has {n_columns}; {advice}",
        source=name,
        row=line - 1,
    )


def _late_unicode_error(error: UnicodeDecodeError, name: str) -> DataError:
    byte = error.object[error.start] if error.start < len(error.object) else 0
    return DataError(
        f"is not UTF-8 text (invalid byte 0x{byte:02x} after the first {SNIFF_BYTES // 1024} KB); "
        "save it as UTF-8 (CSV UTF-8 in Excel)",
        source=name,
    )


def _read_table(inp: _Input, layout: _Layout, numeric: list[str], text: list[str]) -> pd.DataFrame:
    """Read the needed columns: `numeric` ones straight into float32, `text` ones as strings.

    Columns come back under their stripped names. Only when some columns are not needed does pandas get
    `usecols`: with it, pandas no longer reports rows with too many fields.
    """
    needed = set(numeric) | set(text)
    dtypes = {layout.raw(column): np.float32 for column in numeric} | {
        layout.raw(column): str for column in text
    }
    usecols = (
        None if needed == set(layout.columns) else [raw for raw, column in _pairs(layout) if column in needed]
    )
    try:
        frame = _pandas_read(inp, layout, usecols=usecols, dtype=dtypes)
    except DataError:
        raise
    except ValueError as error:
        raise _first_non_number(inp, layout, numeric, error) from None
    return _named(frame, layout, inp.name)


def _pairs(layout: _Layout) -> list[tuple[str, str]]:
    return list(zip(layout.raw_columns, layout.columns, strict=True))


def _named(frame: pd.DataFrame, layout: _Layout, name: str) -> pd.DataFrame:
    to_name = dict(_pairs(layout))
    unknown = [column for column in frame.columns if column not in to_name]
    if unknown:
        raise DataError(
            f"its header could not be read consistently (pandas saw {listed(unknown, 5)}); check the "
            "quotes in the first line",
            source=name,
        )
    frame.columns = [to_name[column] for column in frame.columns]
    if frame.empty:
        raise DataError("has a header but no data rows", source=name)
    return frame


def _first_non_number(inp: _Input, layout: _Layout, numeric: list[str], error: Exception) -> DataError:
    """Find the first value that pandas could not read as a number, reading the columns as text in chunks."""
    raw = [layout.raw(column) for column in numeric]
    to_name = dict(_pairs(layout))
    chunks = _pandas_read(inp, layout, usecols=raw, dtype=str, chunksize=_CHUNK_ROWS)
    try:
        for chunk in chunks:
            found = first_non_number(
                chunk.rename(columns=to_name),
                decimal=layout.decimal,
                delimiter=layout.delimiter,
                name=inp.name,
            )
            if found is not None:
                return found
    except pd.errors.ParserError as parse_error:
        return _parser_error(parse_error, inp.name)
    except UnicodeDecodeError as decode_error:
        return _late_unicode_error(decode_error, inp.name)
    finally:
        chunks.close()
    return DataError(f"has a feature value that cannot be read as a number ({error})", source=inp.name)


def first_non_number(
    frame: pd.DataFrame, *, decimal: str = ".", delimiter: str | None = None, name: str | None = None
) -> DataError | None:
    """The error for the first value of `frame` that is not a number, or None when there is none.

    The rows are searched in order, the leftmost column first on a row. A value is a number as pandas' CSV
    reader reads it with `decimal` as the mark (`as_numbers`); a missing value is not at fault here. The
    message hints at a number written with the other decimal mark.

    Args:
        frame: Feature columns, as text or numbers; rows are numbered as `row_number` numbers them.
        decimal: The file's decimal mark, "." or ",".
        delimiter: A CSV file's delimiter; None for other tables.
        name: The file's name, for the message.

    Returns:
        The error, naming the value, its column and its row, or None.
    """
    best = None
    for column_at, column in enumerate(frame.columns):
        values = frame.iloc[:, column_at]
        bad = as_numbers(values, decimal).isna().to_numpy() & values.notna().to_numpy()
        if bad.any():
            at = int(np.argmax(bad))
            if best is None or at < best[0]:
                best = (at, column, values.iat[at])
    if best is None:
        return None
    at, column, value = best
    # "1,5" quoted in a comma-separated file: decimal commas are read in ';' and tab files only.
    # "2.5" in a file whose first rows write "1,5": pandas then takes ',' alone as the mark.
    text = str(value).strip()
    written = text.translate(_SWAP_DECIMAL_MARKS)
    hint = ""
    if delimiter == "," and _DECIMAL_COMMA_NUMBER.match(text):
        hint = f" (write {written}: in a comma-separated file the decimal mark is '.')"
    elif decimal == "," and _DECIMAL_POINT_NUMBER.match(text):
        hint = f" (write {written}: this file's decimal mark is ',', as in its first rows)"
    return DataError(
        f"value '{shown(value)}' is not a number{hint}; feature values must be numbers; fix or remove that "
        "value",
        source=name,
        column=column,
        row=row_number(frame, at),
        value=value,
    )


def as_numbers(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Values as pandas' CSV reader reads numbers with `decimal` as the mark; NaN for any other value.

    Args:
        values: Numbers, or numbers written as text.
        decimal: The decimal mark, "." or ",".

    Returns:
        The numbers.
    """
    if decimal == "," and not pd.api.types.is_numeric_dtype(values.dtype):
        # With decimal commas pandas takes no '.' ("2.5" is no number to it): the two marks swap.
        values = values.map(lambda v: v.translate(_SWAP_DECIMAL_MARKS) if isinstance(v, str) else v)
    return pd.to_numeric(values, errors="coerce")


def row_number(frame: pd.DataFrame | pd.Series, position: int) -> int:
    """The 1-based data row of the row at `position`: the index + 1 for an index of integers (a file's
    rows, or a chunk of them, numbered from 0, as read_csv gives them), else the position + 1."""
    if pd.api.types.is_integer_dtype(frame.index.dtype):
        return int(frame.index[position]) + 1
    return int(position) + 1


def _raw_value(inp: _Input, layout: _Layout, column: str, index: int) -> str:
    """The text of one cell as written in the file (for messages about values changed by parsing).

    Read a chunk at a time, so that a cell far down a file larger than memory costs no more than a chunk.
    """
    chunks = _pandas_read(
        inp, layout, usecols=[layout.raw(column)], dtype=str, nrows=index + 1, chunksize=_CHUNK_ROWS
    )
    with chunks:
        for chunk in chunks:
            if index < chunk.index[0] + len(chunk):
                return str(chunk.iloc[index - chunk.index[0], 0]).strip()
    raise AssertionError(f"row {index + 1} of {inp.name} was read before but is not there now")


# --------------------------------------------------------------------------------------------------
# Reading a large pair file in byte ranges, in parallel
# --------------------------------------------------------------------------------------------------


def _read_pairs_in_ranges(
    inp: _Input, layout: _Layout, label: str, left: list[str], right: list[str]
) -> tuple[np.ndarray, np.ndarray, pd.Series] | None:
    """The float32 left and right features and the raw labels of a large, plain pair file, or None.

    pandas parses numbers about twice as fast with the dtypes it infers (float64) as with float32 asked
    for, and its C parser releases the GIL while it works. So the data rows are cut at line breaks into
    byte ranges, parsed on every core, and each range's features are cast to float32 (through float64, as
    pandas' float32 read does) as soon as it is parsed: the file is never in memory as a whole, and only
    the ranges being parsed have float64 values.

    Each range is parsed as a small file of its own: the file's header line, then (for all but the first
    range) the file's first data row, dropped afterwards, then the range's lines. pandas then reads each
    row as in the whole file: with no quote character in the file every line break ends a row, and the
    first data row, which alone decides whether pandas takes the first column as the index, is the same.

    Args:
        inp: The file.
        layout: Its sniffed layout.
        label: The label column.
        left: The first sample's feature columns.
        right: The second sample's feature columns, paired with `left` by position.

    Returns:
        (left, right, labels as pandas infers them, indexed by 0-based data row), all finite; or None when the careful
        read (`_read_table`) is needed: the file is small, is not plain (`_RangeStream`), has unusual first
        two lines, or a range holds something that the careful read reports or handles (a value that is
        not a number, an empty cell, a line pandas cannot parse).

    Raises:
        DataError: A value is infinite, or too large for float32 (what `_check_finite` says).
    """
    size = inp.path.stat().st_size if inp.path is not None else len(inp.data)
    if size < _PARALLEL_MIN_BYTES:
        return None
    workers = _worker_count()
    with _open_binary(inp) as stream:
        header = stream.readline()
        first_row = stream.readline()
        if not _plain_first_lines(header, first_row, layout):
            return None
        n_ranges = _range_count(size - len(header), len(layout.columns), workers)
        ranges = list(itertools.pairwise(_line_starts(stream, len(header), size, n_ranges)))
    header = header.removeprefix(codecs.BOM_UTF8)
    needed = {label, *left, *right}
    options = {
        "sep": layout.delimiter,
        "decimal": layout.decimal,
        "encoding": "utf-8",
        "engine": "c",
        "usecols": None
        if needed == set(layout.columns)
        else [raw for raw, column in _pairs(layout) if column in needed],
        # The labels as pandas infers them (0/1 as integers), not as text: a converter or a dtype dict
        # runs Python for every row, holding the GIL (a tenth of the whole read). They map and read as the
        # careful read's text does (`_display`), except where `_as_text_reads` says.
    }
    features = [layout.raw(column) for column in left + right]
    # Reading every column, pandas refuses a row of too many fields itself, and a row of too few has an
    # empty cell, which makes this reader give up: only with usecols do the ranges' rows need counting.
    check_fields = options["usecols"] is not None
    abandon = threading.Event()

    def read_range(index: int) -> tuple[np.ndarray, pd.Series] | None:
        if abandon.is_set():
            return None
        start, stop = ranges[index]
        skip = 0 if index == 0 else 1
        prefix = header + first_row if skip else header
        with _RangeStream(inp, layout, prefix, start, stop, check_fields=check_fields) as stream:
            try:
                frame = pd.read_csv(stream, **options)
            except (ValueError, OverflowError):  # ParserError, UnicodeDecodeError and EmptyDataError too
                return None
            if not stream.plain:
                return None
        values = _float32_rows(frame, features, skip, lambda: _writes_negative_zero(inp, start, stop, layout))
        labels = frame[layout.raw(label)].iloc[skip:]
        return None if values is None or labels.isna().any() else (values, labels)

    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=min(workers, len(ranges))) as pool:
        # A range with text in a number column may warn of mixed types; the careful read reports it.
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        pieces: list = []
        for piece in pool.map(read_range, range(len(ranges))):
            if piece is None:
                abandon.set()
                return None
            pieces.append(piece)
        labels = pd.concat([piece_labels for _, piece_labels in pieces], ignore_index=True)
        # Checked once joined: int64 and float64 ranges join as float64, text and numbers as objects.
        if labels.empty or not _as_text_reads(labels, layout.decimal):
            return None
        left_values = np.empty((len(labels), len(left)), dtype=np.float32)
        right_values = np.empty((len(labels), len(right)), dtype=np.float32)
        rows = np.cumsum([0, *(len(piece_labels) for _, piece_labels in pieces)])

        def place(index: int) -> bool:
            """Copy one range's rows into the result, and say whether they are finite (in parallel: numpy
            works without the GIL)."""
            values = pieces[index][0]
            pieces[index] = None  # freed once copied
            left_values[rows[index] : rows[index + 1]] = values[:, : len(left)]
            right_values[rows[index] : rows[index + 1]] = values[:, len(left) :]
            return bool(np.isfinite(values).all())

        finite = all(list(pool.map(place, range(len(pieces)))))
    if not finite:  # the check after the careful read, which reports the first infinite value
        _check_finite([(left_values, left), (right_values, right)], labels.index, inp, layout)
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


def _worker_count() -> int:
    """Parsing threads: the cores this process may use, at most `_MAX_WORKERS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, _MAX_WORKERS)


def _open_binary(inp: _Input) -> IO[bytes]:
    return open(inp.path, "rb") if inp.path is not None else io.BytesIO(inp.data)


def _plain_first_lines(header: bytes, first_row: bytes, layout: _Layout) -> bool:
    """True when the header is the first line, exactly as sniffed, and the first data row is a full line.

    Neither has a quote character (with one, a line break may sit inside a value), both are UTF-8, and the
    first data row has the header's number of fields: one more, and pandas takes the first column for the
    index (in every range, which is parsed after it); none, and pandas skips it as blank.
    """
    if b'"' in header + first_row or not header.endswith(b"\n") or not first_row.endswith(b"\n"):
        return False
    names = header.removeprefix(codecs.BOM_UTF8).removesuffix(b"\n").removesuffix(b"\r")
    row = first_row.removesuffix(b"\n").removesuffix(b"\r")
    if b"\r" in names or b"\r" in row or row.count(layout.delimiter.encode()) != len(layout.columns) - 1:
        return False
    try:
        row.decode("utf-8")
        return names.decode("utf-8").split(layout.delimiter) == layout.raw_columns
    except UnicodeDecodeError:
        return False


def _range_count(data_bytes: int, n_columns: int, workers: int) -> int:
    """How many ranges to cut `data_bytes` into: ranges sized as the constants above say, at least one per
    worker while each keeps 1 MiB, and a whole number per worker, so that no worker parses the last alone.
    """
    range_bytes = min(max(n_columns * _RANGE_BYTES_PER_COLUMN, _MIN_RANGE_BYTES), _MAX_RANGE_BYTES)
    n_ranges = max(round(data_bytes / range_bytes), min(workers, data_bytes // _MIN_RANGE_BYTES), 1)
    return workers * math.ceil(n_ranges / workers) if n_ranges > workers else n_ranges


def _line_starts(stream: IO[bytes], start: int, stop: int, n_ranges: int) -> list[int]:
    """About `n_ranges` + 1 offsets from `start` to `stop` that begin lines, cutting the bytes evenly."""
    offsets = [start]
    for cut in range(1, n_ranges):
        stream.seek(start + (stop - start) * cut // n_ranges)
        stream.readline()
        if offsets[-1] < stream.tell() < stop:
            offsets.append(stream.tell())
    return [*offsets, stop]


class _RangeStream(io.BufferedIOBase):
    """`prefix`, then the bytes [start, stop) of a file, as a binary stream that checks what it passes.

    A read hands over about `_READ_BYTES` of whole lines, whatever size is asked for: pandas' C parser takes
    the GIL for each read of its source (256 KiB by default), and it parses whatever a read returns.

    `plain` stays True while the bytes are UTF-8 without a quote character, and, with `check_fields`, every
    line has the header's number of fields (`_misshapen_line`; the prefix is not checked). pandas reads
    them as UTF-8 without decoding them first (the careful read decodes the whole file), so invalid bytes in
    a column that it skips would otherwise go unnoticed; ASCII, the usual case, takes one fast scan. Nor
    does it say when a row has too few fields (it adds empty cells), or, given `usecols`, too many.
    """

    def __init__(
        self, inp: _Input, layout: _Layout, prefix: bytes, start: int, stop: int, check_fields: bool = True
    ) -> None:
        super().__init__()
        self._file = _open_binary(inp)
        self._file.seek(start)
        self._prefix = prefix
        self._left = stop - start
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._delimiter = layout.delimiter
        self._n_fields = len(layout.columns) if check_fields else None
        self.plain = True

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        data = self._file.read(min(_READ_BYTES, self._left))
        if data and not data.endswith(b"\n") and len(data) < self._left:
            # Whole lines: pandas loses the spaces that begin a line when a read ends among them.
            data += self._file.readline(self._left - len(data))
        self._left = self._left - len(data) if data else 0
        if b'"' in data or (self._n_fields and _misshapen_line(data, self._delimiter, self._n_fields)):
            self.plain = False
        if not data.isascii() or self._decoder.getstate()[0]:
            try:
                self._decoder.decode(data, final=not self._left)
            except UnicodeDecodeError:
                self.plain = False
        return data

    read1 = read

    def close(self) -> None:
        self._file.close()
        super().close()


def _misshapen_line(data: bytes, delimiter: str, n_fields: int) -> bool:
    """Whether a line of `data` (whole lines, no quote character) has other than `n_fields` fields.

    Lines of nothing but spaces, tabs and a carriage return, which pandas skips, do not count. A carriage
    return alone, which ends a line for pandas, counts: the lines here end at line feeds.
    """
    if not data:
        return False
    text = np.frombuffer(data, dtype=np.uint8)
    if b"\r" in data:
        after = np.flatnonzero(text == _CARRIAGE_RETURN) + 1
        if after[-1] == len(text) or (text[after] != _LINE_FEED).any():
            return True
    starts = np.concatenate([[0], np.flatnonzero(text[:-1] == _LINE_FEED) + 1])  # of each line
    # One pass over the bytes as uint8 (20 ms for 50 MB): a tenth of what pandas takes to parse them.
    separators = np.add.reduceat((text == ord(delimiter)).view(np.uint8), starts, dtype=np.int32)
    odd = separators != n_fields - 1
    if not odd.any():
        return False
    visible = ~np.isin(text, np.frombuffer(b" \t\r\n", dtype=np.uint8))
    return bool((odd & ((separators > 0) | (np.add.reduceat(visible, starts, dtype=np.int32) > 0))).any())


def _float32_rows(
    frame: pd.DataFrame, columns: list[str], skip: int, writes_negative_zero: Callable[[], bool]
) -> np.ndarray | None:
    """`columns` of `frame` from row `skip` on as float32, or None unless every value is a number.

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
    return None if np.isnan(values).any() else values


def _writes_negative_zero(inp: _Input, start: int, stop: int, layout: _Layout) -> bool:
    """Whether the bytes [start, stop) of the file hold a -0 that pandas may read as the integer 0."""
    with _open_binary(inp) as stream:
        stream.seek(start)
        text = stream.read(stop - start)
    return re.search(rb"-0+(?![0-9eE" + re.escape(layout.decimal.encode()) + rb"])", text) is not None


# --------------------------------------------------------------------------------------------------
# Validation shared by the loaders
# --------------------------------------------------------------------------------------------------


def _handle_missing(
    frame: pd.DataFrame, columns: list[str], inp: _Input, info: LoadInfo, drop_missing: bool
) -> pd.DataFrame:
    """Raise on (or, when asked, drop) rows with an empty cell in one of `columns`."""
    missing = frame[columns].isna().to_numpy()
    rows_missing = missing.any(axis=1)
    n_missing = int(rows_missing.sum())
    if n_missing == 0:
        return frame
    position = int(np.argmax(rows_missing))
    column = columns[int(np.argmax(missing[position]))]
    row = int(frame.index[position]) + 1
    if not drop_missing or n_missing == len(frame):
        raise _missing_error(n_missing, len(frame), inp.name, column, row, drop_missing=drop_missing)
    info.dropped_rows += n_missing
    info.warnings.append(_dropped_warning(n_missing, len(frame), inp.name, column, row))
    return frame[~rows_missing]


def _missing_error(
    n_missing: int, n_rows: int, name: str, column: str, row: int, *, drop_missing: bool
) -> DataError:
    """The error for `n_missing` of `n_rows` rows with an empty cell, the first at (`column`, `row`)."""
    if drop_missing:  # every row would be dropped
        return DataError(
            f"every row has a missing value (the first: row {row}, column '{column}')", source=name
        )
    return DataError(
        f"{n_missing:,} of {n_rows:,} rows {'has' if n_missing == 1 else 'have'} missing values "
        "(empty cells), the first here; fill them in, or drop those rows",
        source=name,
        settings=[DROP_MISSING],
        column=column,
        row=row,
    )


def _dropped_warning(n_missing: int, n_rows: int, name: str, column: str, row: int) -> str:
    return (
        f"{name}: dropped {n_missing:,} of {n_rows:,} rows with missing values "
        f"(the first: row {row}, column '{column}')"
    )


def _first_infinite(values: np.ndarray, columns: list[str]) -> tuple[int, str] | None:
    """(position, column) of the first infinite value in a float32 array, or None."""
    if values.size == 0 or (values.min() > -np.inf and values.max() < np.inf):  # faster than isinf
        return None
    infinite = np.isinf(values)
    rows_infinite = infinite.any(axis=1)
    if not rows_infinite.any():
        return None
    position = int(np.argmax(rows_infinite))
    return position, columns[int(np.argmax(infinite[position]))]


def _check_finite(
    blocks: list[tuple[np.ndarray, list[str]]], index: pd.Index, inp: _Input, layout: _Layout
) -> None:
    """Raise on the first infinite value, including values too large for float32 (1e308 becomes inf).

    Args:
        blocks: (float32 values, their columns) pairs, such as the left and the right features.
        index: The frame's index (0-based data rows) of the values' rows.
        inp: The file, to quote the value as written.
        layout: Its layout.
    """
    found = [hit for values, columns in blocks if (hit := _first_infinite(values, columns))]
    if not found:
        return
    position, column = min(found, key=lambda hit: (hit[0], layout.columns.index(hit[1])))
    row_index = int(index[position])
    value = _raw_value(inp, layout, column, row_index)
    raise _infinite_error(value, layout.decimal, inp.name, column, row_index + 1)


def _infinite_error(value: str, decimal: str, name: str, column: str, row: int) -> DataError:
    """The error for a value that is infinite as float32, `value` as written in the file."""
    as_number = value.translate(_SWAP_DECIMAL_MARKS) if decimal == "," else value
    number = float(as_number) if _NUMBER.match(as_number) else None
    if number is not None and np.isfinite(number) and abs(number) > _FLOAT32_MAX:
        problem = f"value {value} is too large for 32-bit floats (largest about 3.4e38); rescale this column"
    else:
        problem = f"value {value} is infinite; replace it with a finite number or remove the row"
    return DataError(problem, source=name, column=column, row=row, value=value)


def _check_enough_pairs(mapping: LabelMapping, name: str) -> None:
    n_similar, n_dissimilar = mapping.n_similar, mapping.n_dissimilar
    n = n_similar + n_dissimilar
    if n_similar == 0 or n_dissimilar == 0:
        kind, values = (
            ("similar", mapping.similar_values)
            if n_dissimilar == 0
            else ("dissimilar", mapping.dissimilar_values)
        )
        raise DataError(
            f"all {n:,} pairs are labelled {kind} "
            f"({shown(mapping.column)} = {shown(', '.join(values), 200)}; "
            f"{mapping.reason}); training and evaluation need both similar and dissimilar pairs: if that mapping is "
            "wrong, say which value means similar",
            source=name,
            column=mapping.column,
            settings=[SIMILAR_LABEL],
        )
    check_enough_pairs(n_similar, n_dissimilar, name)


def _find_column(columns: list[str], wanted: str) -> str | None:
    """`wanted` among `columns`: exactly, else ignoring case and surrounding spaces."""
    if wanted in columns:
        return wanted
    key = str(wanted).strip().lower()
    return next((column for column in columns if column.strip().lower() == key), None)


def _require_columns(columns: list[str], wanted: list[str], what: str, name: str) -> list[str]:
    found = [_find_column(columns, column) for column in wanted]
    unknown = [column for column, match in zip(wanted, found, strict=True) if match is None]
    if unknown:
        raise DataError(
            f"has no column named {', '.join(repr(c) for c in unknown)} (given as {what}); "
            f"its columns are: {listed(columns, 12)}",
            source=name,
        )
    return found


def _detect_named(columns: list[str], candidates: tuple[str, ...], exclude: tuple = ()) -> str | None:
    keys = {column.strip().lower(): column for column in reversed(columns) if column not in exclude}
    return next((keys[candidate] for candidate in candidates if candidate in keys), None)


def _in_file_order(columns: list[str], layout: _Layout) -> list[str]:
    return sorted(dict.fromkeys(columns), key=layout.positions.__getitem__)


# --------------------------------------------------------------------------------------------------
# Public: generic reading and detection
# --------------------------------------------------------------------------------------------------


def read_csv(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Read a user CSV with every column, after checking its encoding, delimiter and header.

    Args:
        source: A path, the file's bytes, or a binary file-like object (such as a Streamlit upload).
        name: What messages call the file; defaults to the file's name.

    Returns:
        The data with pandas' default dtypes and column names stripped of surrounding spaces.

    Raises:
        DataError: The file is missing, empty, not UTF-8, binary, has one column, mixed delimiters, an
            unusable header (duplicate or empty names, or data instead of names), or no data rows.
    """
    inp = _open_source(source, name)
    layout = _sniff(inp, "generic")
    return _named(_pandas_read(inp, layout), layout, inp.name)


def read_header(source: Source, *, name: str | None = None) -> list[str]:
    """The column names of a CSV, from its first bytes only, after the same checks as `read_csv`.

    Args:
        source: A path, the file's bytes, or a binary file-like object.
        name: What messages call the file.

    Returns:
        The column names, stripped of surrounding spaces.

    Raises:
        DataError: The file is missing, empty, not UTF-8, binary, or has an unusable header.
    """
    return _sniff(_open_source(source, name), "generic").columns


def detect_class_column(columns: list[str]) -> str | None:
    """The class column of a labeled-samples table among `columns`, by name (case-insensitive), or None."""
    return _detect_named(list(columns), CLASS_COLUMN_NAMES)


def detect_label_column(columns: list[str]) -> str | None:
    """The pair label column among `columns`, by name (case-insensitive), or None.

    Args:
        columns: The column names.

    Returns:
        The first column (as written) whose name is one of `LABEL_COLUMN_NAMES`, in that priority.
    """
    return _detect_named(list(columns), LABEL_COLUMN_NAMES)


@dataclass
class _SideMatch:
    left: list[str]
    right: list[str]
    names: list[str]
    unmatched_left: list[str]
    unmatched_right: list[str]
    n_left: int
    n_right: int
    skipped: list[str]


def _split_side(column: str, where: str, marker: str) -> str | None:
    """The shared part of `column` when it carries the side `marker`, else None."""
    lowered = column.strip().lower()
    stripped = column.strip()
    if where == "prefix" and lowered.startswith(marker) and len(lowered) > len(marker):
        return stripped[len(marker) :]
    if where == "suffix" and lowered.endswith(marker) and len(lowered) > len(marker):
        return stripped[: -len(marker)]
    return None


def _side_columns(columns: list[str], where: str, marker: str) -> dict[str, tuple[str, str]]:
    """Shared name (lowercase) -> (column, shared name as written) for the columns of one side."""
    found = {}
    for column in columns:
        rest = _split_side(column, where, marker)
        if rest is not None and rest.lower() not in found:
            found[rest.lower()] = (column, rest)
    return found


def _match_pattern(columns: list[str], where: str, left_marker: str, right_marker: str) -> _SideMatch:
    left = _side_columns(columns, where, left_marker)
    right = _side_columns(columns, where, right_marker)
    skipped = [left.pop(k)[0] for k in list(left) if k in _NON_FEATURE_NAMES]
    skipped += [right.pop(k)[0] for k in list(right) if k in _NON_FEATURE_NAMES]
    shared = [key for key in left if key in right]  # left columns' order in the file
    return _SideMatch(
        left=[left[key][0] for key in shared],
        right=[right[key][0] for key in shared],
        names=[left[key][1] for key in shared],
        unmatched_left=[left[key][0] for key in left if key not in right],
        unmatched_right=[right[key][0] for key in right if key not in left],
        n_left=len(left),
        n_right=len(right),
        skipped=skipped,
    )


def _best_sides(columns: list[str]) -> _SideMatch | None:
    """The side pattern pairing the most features (fewest leftovers on ties), or None when none applies."""
    matches = [_match_pattern(columns, *pattern) for pattern in SIDE_PATTERNS]
    usable = [m for m in matches if m.n_left and m.n_right]
    if not usable:
        return None
    return max(usable, key=lambda m: (len(m.left), -(len(m.unmatched_left) + len(m.unmatched_right))))


def _unequal_sides_message(match: _SideMatch) -> str:
    unmatched = match.unmatched_left + match.unmatched_right
    return (
        f"sides of unequal width: left has {match.n_left} columns, right has {match.n_right}; "
        f"unmatched: {listed(unmatched, 6)}; give each feature a column on both sides"
    )


def detect_sides(
    columns: list[str], *, name: str | None = None
) -> tuple[list[str], list[str], list[str]] | None:
    """Pair the two samples' feature columns by name: `a_height` with `b_height`, in any column order.

    Every pattern of `SIDE_PATTERNS` is tried (case-insensitive); the one pairing the most features wins.
    Side columns naming the sample rather than measuring it (`a_id`, `b_class`, ...) are left out.

    Args:
        columns: The column names (the label column may be among them).
        name: What messages call the file the columns come from.

    Returns:
        (left columns, right columns, feature names), the features in the order of the left columns in
        `columns`; or None when no pattern has columns on both sides.

    Raises:
        DataError: The best pattern leaves columns without a partner on the other side.
    """
    match = _best_sides(list(columns))
    if match is None:
        return None
    if match.unmatched_left or match.unmatched_right:
        raise DataError(_unequal_sides_message(match), source=name)
    return match.left, match.right, match.names


# --------------------------------------------------------------------------------------------------
# Public: label mapping
# --------------------------------------------------------------------------------------------------


@dataclass
class _Value:
    """One distinct raw label value, classified."""

    display: str
    kind: str  # "binary" (0/1, true/false), "word", "yesno", or "other"
    number: float | None
    meaning: float | None  # SIMILAR or DISSIMILAR for words; 1.0 = yes, 0.0 = no for yes/no
    count: int
    first_row: int
    source: str | None = None  # the file of `first_row`, when values come from several files


def _display(value: object) -> str:
    """How a label value is shown and told apart: a number or true/false in one form however it was
    written or read ("01", "1.0", 1 and 1.0 are all "1"; "TRUE" and True are "true"), so a label column
    reads the same as text or as the numbers pandas makes of it; other text as written, stripped."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower()
    if _INTEGER.match(text):
        try:
            return str(int(text))  # exact at any size, as pandas' int64 and uint64 are
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            return text
    return _display(float(text)) if _NUMBER.match(text) else text


def _as_number(value: object) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return 1.0 if text == "true" else 0.0
    return float(text) if _NUMBER.match(text) else None


def _classify(value: object, count: int, first_row: int) -> _Value:
    display = _display(value)
    number = _as_number(value)
    if number is not None:
        kind = "binary" if number in (0.0, 1.0) else "other"
        return _Value(display, kind, number, None, count, first_row)
    word = _WORD_SEPARATORS.sub(" ", display.lower()).strip()
    if word in SIMILAR_WORDS or word in DISSIMILAR_WORDS:
        return _Value(
            display, "word", None, SIMILAR if word in SIMILAR_WORDS else DISSIMILAR, count, first_row
        )
    if word in YES_WORDS or word in NO_WORDS:
        return _Value(display, "yesno", None, 1.0 if word in YES_WORDS else 0.0, count, first_row)
    return _Value(display, "other", None, None, count, first_row)


def _distinct_values(values: pd.Series, column: str, source: str | None) -> tuple[np.ndarray, list[_Value]]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        position = int(np.argmax(codes < 0))
        n = int((codes < 0).sum())
        raise LabelError(
            f"{_count(n, 'label')} empty, the first here; fill them in, or drop those rows",
            source=source,
            settings=[DROP_MISSING],
            column=column,
            row=row_number(values, position),
        )
    counts = np.bincount(codes, minlength=len(uniques))
    _, first_positions = np.unique(codes, return_index=True)
    rows = [row_number(values, position) for position in first_positions]
    return codes, [_classify(u, int(c), r) for u, c, r in zip(uniques, counts, rows, strict=True)]


def _value_summary(distinct: list[_Value], limit: int = 8) -> str:
    return listed(distinct, limit, each=lambda v: f"'{shown(v.display)}' ({_count(v.count, 'row')})")


def _column_key(column: str) -> str:
    return _WORD_SEPARATORS.sub("_", str(column).strip().lower())


def _unmappable(value: _Value, column: str, source: str | None) -> LabelError:
    return LabelError(
        f"label value '{shown(value.display)}' ({_count(value.count, 'row')}, the first here) means neither "
        "similar nor dissimilar (expected 0 = similar / 1 = dissimilar, true/false, or words such as "
        "same/different); say which value means similar",
        source=value.source or source,
        settings=[SIMILAR_LABEL],
        column=column,
        row=value.first_row,
        value=value.display,
    )


def _map_by_rules(distinct: list[_Value], column: str, source: str | None) -> tuple[list[float], str]:
    """Y for each distinct value without similar_label, and the reason in words."""
    unknown = [v for v in distinct if v.kind == "other"]
    if unknown:
        raise _unmappable(min(unknown, key=lambda v: v.first_row), column, source)
    binary = [v for v in distinct if v.kind == "binary"]
    words = [v for v in distinct if v.kind != "binary"]
    if binary and words:
        later = max(
            min(binary, key=lambda v: v.first_row),
            min(words, key=lambda v: v.first_row),
            key=lambda v: v.first_row,
        )
        raise LabelError(
            f"labels mix numbers or true/false ({', '.join(shown(v.display) for v in binary[:4])}) with words "
            f"({', '.join(shown(v.display) for v in words[:4])}); use one kind of label throughout, or say "
            "which value means similar",
            source=later.source or source,
            settings=[SIMILAR_LABEL],
            column=column,
            row=later.first_row,
            value=later.display,
        )
    if binary:
        return _map_binary(distinct, column)
    return _map_words(distinct, column)


def _map_binary(distinct: list[_Value], column: str) -> tuple[list[float], str]:
    if _column_key(column) in SIMILARITY_COLUMN_NAMES:
        reason = f"column name '{column}' says 1/true = similar, so 0/false = dissimilar"
        return [1.0 - v.number for v in distinct], reason
    numbers = [bool(_NUMBER.match(v.display)) for v in distinct]
    if all(numbers):
        reason = "numbers follow the loss convention: 0 = similar, 1 = dissimilar"
    elif not any(numbers):
        reason = "true/false follow the loss convention: false = similar, true = dissimilar"
    else:
        reason = "0/1 and true/false follow the loss convention: 0/false = similar, 1/true = dissimilar"
    return [v.number for v in distinct], reason


def _map_words(distinct: list[_Value], column: str) -> tuple[list[float], str]:
    yes_means = DISSIMILAR if _column_key(column) in DISSIMILARITY_COLUMN_NAMES else SIMILAR
    labels = []
    for v in distinct:
        if v.kind == "yesno":
            labels.append(yes_means if v.meaning == 1.0 else 1.0 - yes_means)
        else:
            labels.append(v.meaning)
    similar = [v.display for v, y in zip(distinct, labels, strict=True) if y == SIMILAR]
    dissimilar = [v.display for v, y in zip(distinct, labels, strict=True) if y == DISSIMILAR]
    reason = (
        f"words mapped by meaning: {', '.join(similar) or 'none'} = similar, "
        f"{', '.join(dissimilar) or 'none'} = dissimilar"
    )
    if any(v.kind == "yesno" for v in distinct):
        reason += (
            f" (column name '{column}' says yes = {'dissimilar' if yes_means == DISSIMILAR else 'similar'})"
        )
    return labels, reason


def _matches(value: _Value, wanted: object) -> bool:
    wanted_number = _as_number(wanted)
    if value.number is not None and wanted_number is not None and value.number == wanted_number:
        return True
    return value.display.lower() == _display(wanted).lower()


def _map_by_similar_label(
    distinct: list[_Value], similar_label: object, column: str, source: str | None
) -> tuple[list[float], str]:
    labels = [SIMILAR if _matches(v, similar_label) else DISSIMILAR for v in distinct]
    if SIMILAR not in labels:
        raise LabelError(
            f"similar_label={shown(repr(similar_label))} does not occur in the label column; its values are: "
            f"{_value_summary(distinct)}",
            source=source,
            column=column,
            value=similar_label,
        )
    others = [v.display for v, y in zip(distinct, labels, strict=True) if y == DISSIMILAR]
    reason = f"similar_label={shown(repr(similar_label))} marks similar pairs"
    if len(others) == 1:
        reason += f"; the other value ('{shown(others[0])}') marks dissimilar pairs"
    elif others:
        reason += (
            f"; every other value ({', '.join(shown(repr(o)) for o in others[:8])}) counts as dissimilar"
        )
    else:
        reason += "; the column has no other value"
    return labels, reason


def map_labels(
    values: pd.Series, *, column: str, similar_label: object = None, source: str | None = None
) -> tuple[np.ndarray, LabelMapping]:
    """Map raw pair labels to Y = 0 (similar) and Y = 1 (dissimilar).

    Rules, in order:

    - `similar_label` given: values equal to it (as text ignoring case, or as numbers, so "1" matches 1.0)
      are similar and every other value dissimilar.
    - 0/1 (also 0.0/1.0, "0"/"1") and true/false follow the loss convention, 0/false = similar, unless the
      column's name asserts similarity (`SIMILARITY_COLUMN_NAMES`, e.g. is_duplicate): then 1/true = similar.
    - Words map by meaning (same/match/genuine/... vs different/mismatch/impostor/...); yes means similar
      unless the column's name asserts dissimilarity (is_dissimilar, different, ...).

    Args:
        values: The raw label column; an integer index is taken as 0-based data rows (as read_csv gives).
        column: The column's name, for messages and the naming rule.
        similar_label: The raw value that means "similar", when the rules do not fit.
        source: The file's name, for messages.

    Returns:
        (float32 labels of 0.0 and 1.0, the LabelMapping with counts and the rule applied).

    Raises:
        LabelError: A value fits no rule, numbers and words are mixed, a label is empty, or `similar_label`
            does not occur.
    """
    codes, distinct = _distinct_values(values, column, source)
    per_value, mapping = _map_distinct(distinct, column=column, similar_label=similar_label, source=source)
    labels = np.asarray(per_value, dtype=np.float32)[codes] if len(codes) else np.zeros(0, dtype=np.float32)
    return labels, mapping


def _map_distinct(
    distinct: list[_Value], *, column: str, similar_label: object, source: str | None
) -> tuple[list[float], LabelMapping]:
    """Y for each distinct value (in `distinct`'s order, that of first appearance) and the LabelMapping.

    The counts come from each value's `count`, so values counted a chunk at a time map as in one piece.
    Values shown alike ("1" and "01", see `_display`) are one value, counted together.
    """
    distinct, owners = _merged(distinct)
    if similar_label is not None:
        per_value, reason = _map_by_similar_label(distinct, similar_label, column, source)
    else:
        per_value, reason = _map_by_rules(distinct, column, source)
    order = sorted(
        range(len(distinct)),
        key=lambda i: (distinct[i].number is None, distinct[i].number or 0, distinct[i].display),
    )
    mapping = LabelMapping(
        column=column,
        similar_values=list(dict.fromkeys(distinct[i].display for i in order if per_value[i] == SIMILAR)),
        dissimilar_values=list(
            dict.fromkeys(distinct[i].display for i in order if per_value[i] == DISSIMILAR)
        ),
        n_similar=sum(v.count for v, y in zip(distinct, per_value, strict=True) if y == SIMILAR),
        n_dissimilar=sum(v.count for v, y in zip(distinct, per_value, strict=True) if y == DISSIMILAR),
        reason=reason,
    )
    return [per_value[owner] for owner in owners], mapping


def _merged(distinct: list[_Value]) -> tuple[list[_Value], list[int]]:
    """One value per display, in order of first appearance (so with the first row and file of the first),
    and for each value of `distinct` the position of its merged value."""
    at: dict[str, int] = {}
    merged: list[_Value] = []
    owners = []
    for value in distinct:
        owner = at.setdefault(value.display, len(merged))
        if owner == len(merged):
            merged.append(replace(value))
        else:
            merged[owner].count += value.count
        owners.append(owner)
    return merged, owners


# --------------------------------------------------------------------------------------------------
# Public: wide pair CSV
# --------------------------------------------------------------------------------------------------


def _resolve_label_column(columns: list[str], label_column: str | None, name: str) -> str:
    if label_column is not None:
        return _require_columns(columns, [label_column], "label_column", name)[0]
    found = detect_label_column(columns)
    if found is None:
        raise DataError(
            f"has no label column (looked for {', '.join(LABEL_COLUMN_NAMES[:6])}, ...); its columns are: "
            f"{listed(columns, 12)}; name the label column",
            source=name,
            settings=[("label_column", "...")],
        )
    return found


def _strip_common_marker(columns: list[str], side: int) -> list[str] | None:
    """The shared names of `columns` when one side marker (side 1 = left, 2 = right) fits them all."""
    for pattern in SIDE_PATTERNS:
        rests = [_split_side(column, pattern[0], pattern[side]) for column in columns]
        if all(rest is not None for rest in rests) and len({r.lower() for r in rests}) == len(rests):
            return rests
    return None


def _given_sides(
    columns: list[str], left_columns: list[str] | None, right_columns: list[str] | None, label: str, name: str
) -> tuple[list[str], list[str], list[str]]:
    if left_columns is None or right_columns is None:
        raise DataError(
            "give the feature columns of both samples, or of neither",
            source=name,
            settings=SIDE_COLUMNS,
        )
    left = _require_columns(columns, list(left_columns), "left_columns", name)
    right = _require_columns(columns, list(right_columns), "right_columns", name)
    if len(left) != len(right) or not left:
        raise DataError(
            f"left_columns has {len(left)} columns but right_columns has {len(right)}; they pair up by "
            "position, so give the same number (at least one) of each",
            source=name,
        )
    overlap = [column for column in left + right if column == label]
    repeated = [column for column in dict.fromkeys(left + right) if (left + right).count(column) > 1]
    if overlap or repeated:
        raise DataError(
            "a column is used twice among the label and the sides: "
            f"{', '.join(dict.fromkeys(overlap + repeated))}",
            source=name,
        )
    names = _strip_common_marker(left, 1) or [f"f{i}" for i in range(len(left))]
    return left, right, names


def _detected_sides(
    columns: list[str], label: str, name: str, info: LoadInfo
) -> tuple[list[str], list[str], list[str]]:
    match = _best_sides([column for column in columns if column != label])
    if match is None:
        raise DataError(
            f"has no columns for the two samples of a pair (such as a_height and b_height); its columns are: "
            f"{listed(columns, 12)}; name them with a_/b_, left_/right_, x1_/x2_, first_/second_ "
            "prefixes or _a/_b, _1/_2, _left/_right suffixes, or name the columns of each sample",
            source=name,
            settings=SIDE_COLUMNS,
        )
    if match.unmatched_left or match.unmatched_right:
        raise DataError(
            f"{_unequal_sides_message(match)}, or name the columns of each sample",
            source=name,
            settings=SIDE_COLUMNS,
        )
    if match.skipped:
        info.warnings.append(
            f"ignored {', '.join(match.skipped)}: they name the samples, they are not features"
        )
    return match.left, match.right, match.names


def load_pair_csv(
    source: Source,
    *,
    label_column: str | None = None,
    left_columns: list[str] | None = None,
    right_columns: list[str] | None = None,
    similar_label: object = None,
    drop_missing: bool = False,
    name: str | None = None,
) -> PairSet:
    """Load a wide pair CSV: one row per pair, a label column and both samples' features side by side.

    Args:
        source: A path, the file's bytes, or a binary file-like object (such as a Streamlit upload).
        label_column: The label column; detected by name (`LABEL_COLUMN_NAMES`) when None.
        left_columns: The first sample's feature columns; with `right_columns`, overrides side detection.
        right_columns: The second sample's feature columns, paired with `left_columns` by position.
        similar_label: The raw label value that means "similar" (see `map_labels`).
        drop_missing: Drop rows with empty cells instead of raising.
        name: What messages call the file; defaults to the file's name.

    Returns:
        The validated pairs: float32 finite features, labels 0 (similar) / 1 (dissimilar), and a LoadInfo
        of kind "pairs" recording the columns used and ignored, the label mapping and dropped rows.

    Raises:
        DataError: The file cannot be read, the columns cannot be found or paired, a value is missing,
            not a number or infinite, or there are too few pairs of each kind.
        LabelError: The labels cannot be mapped to similar and dissimilar.
    """
    inp = _open_source(source, name)
    layout = _sniff(inp, "pairs")
    columns = layout.columns
    label = _resolve_label_column(columns, label_column, inp.name)
    info = LoadInfo(source=inp.name, kind="pairs", label_column=label, warnings=list(layout.warnings))
    if left_columns is None and right_columns is None:
        left, right, names = _detected_sides(columns, label, inp.name, info)
    else:
        left, right, names = _given_sides(columns, left_columns, right_columns, label, inp.name)
    info.left_columns, info.right_columns = left, right
    used = {label, *left, *right}
    info.ignored_columns = [column for column in columns if column not in used]
    read = _read_pairs_in_ranges(inp, layout, label, left, right)
    if read is not None:
        left_values, right_values, raw_labels = read
        info.n_rows = len(raw_labels)
    else:
        frame = _read_table(inp, layout, numeric=left + right, text=[label])
        info.n_rows = len(frame)
        frame = _handle_missing(
            frame, _in_file_order([label, *left, *right], layout), inp, info, drop_missing
        )
        left_values = frame[left].to_numpy(dtype=np.float32)
        right_values = frame[right].to_numpy(dtype=np.float32)
        raw_labels = frame[label]
        _check_finite([(left_values, left), (right_values, right)], raw_labels.index, inp, layout)
    labels, mapping = map_labels(raw_labels, column=label, similar_label=similar_label, source=inp.name)
    info.label_mapping = mapping
    _check_enough_pairs(mapping, inp.name)
    return PairSet(
        left=left_values,
        right=right_values,
        labels=labels,
        feature_names=list(names),
        rows=raw_labels.index.to_numpy(dtype=np.int64) + 1,
        info=info,
    )


# --------------------------------------------------------------------------------------------------
# Public: labeled samples
# --------------------------------------------------------------------------------------------------


def _numeric_columns(inp: _Input, layout: _Layout, candidates: list[str]) -> list[str]:
    """Columns among `candidates` that hold numbers, judged on the first rows.

    A column counts as numeric when most of its filled values are numbers, so that a stray word in a
    feature column is reported (by the full read) rather than silently dropping the feature.
    """
    head = _named(_pandas_read(inp, layout, nrows=_HEAD_ROWS, dtype=str), layout, inp.name)
    numeric = []
    for column in candidates:
        values = head[column]
        # "1,5" or "1.5" in a file with decimal commas: a number either way here (the full read names the
        # value written the other way), so that the column is not dropped from the features unsaid.
        as_read = values.str.replace(",", ".", regex=False) if layout.decimal == "," else values
        filled = int(values.notna().sum())
        numbers = int(pd.to_numeric(as_read, errors="coerce").notna().sum())
        if filled == 0 or numbers * 2 >= filled:
            numeric.append(column)
    return numeric


def _drop_empty_columns(frame: pd.DataFrame, features: list[str], info: LoadInfo, name: str) -> list[str]:
    empty = [column for column in features if frame[column].isna().all()]
    if empty and len(empty) == len(features):
        raise DataError(
            f"has no feature values: {listed(empty, 12)} {'is' if len(empty) == 1 else 'are'} empty in "
            "every row and no other column is numeric; fill in the feature values",
            source=name,
        )
    if empty:
        info.ignored_columns += empty
        info.warnings.append(f"ignored {', '.join(empty)}: no values at all")
    return [column for column in features if column not in empty]


def _resolve_features(
    inp: _Input, layout: _Layout, feature_columns: list[str] | None, exclude: list[str], what: str
) -> list[str]:
    columns = layout.columns
    if feature_columns is not None:
        features = _require_columns(columns, list(feature_columns), "feature_columns", inp.name)
        clash = [column for column in features if column in exclude]
        if clash or not features:
            raise DataError(
                f"feature_columns must name at least one column other than the {what}; "
                f"got {list(feature_columns)}",
                source=inp.name,
            )
        return features
    candidates = [column for column in columns if column not in exclude]
    features = _numeric_columns(inp, layout, candidates)
    if not features:
        raise DataError(
            f"has no numeric feature columns besides the {what}; its columns are: {listed(columns, 12)}",
            source=inp.name,
        )
    return features


def _text_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].str.strip().to_numpy(dtype=str)


def _check_unique_ids(ids: np.ndarray, rows: np.ndarray, column: str, name: str) -> None:
    duplicated = pd.Series(ids).duplicated(keep=False).to_numpy()
    if not duplicated.any():
        return
    value = ids[int(np.argmax(duplicated))]
    where = rows[ids == value]
    raise DataError(
        f"id '{shown(value)}' appears {len(where)} times (rows {listed(where, 5)}); every sample needs a "
        "unique id",
        source=name,
        column=column,
        row=int(where[1]),
        value=value,
    )


def _check_classes(classes: np.ndarray, column: str, name: str) -> None:
    distinct, counts = np.unique(classes, return_counts=True)
    if len(distinct) < 2:
        raise DataError(
            f"has only one class ('{distinct[0]}', {counts[0]:,} samples); pairs need at least 2 classes",
            source=name,
            column=column,
        )
    if counts.max() < 2:
        raise DataError(
            f"every one of the {len(distinct):,} classes has a single sample; similar pairs need at least "
            "one class with 2 or more samples",
            source=name,
            column=column,
        )


def _resolve_id_column(
    columns: list[str], id_column: str | None, name: str, exclude: tuple = ()
) -> str | None:
    if id_column is not None:
        return _require_columns(columns, [id_column], "id_column", name)[0]
    return _detect_named(columns, ID_COLUMN_NAMES, exclude)


def load_samples_csv(
    source: Source,
    *,
    class_column: str | None = None,
    id_column: str | None = None,
    feature_columns: list[str] | None = None,
    drop_missing: bool = False,
    name: str | None = None,
) -> SampleSet:
    """Load labeled samples: one row per sample, a class column and numeric feature columns.

    Args:
        source: A path, the file's bytes, or a binary file-like object (such as a Streamlit upload).
        class_column: The class column; detected by name (`CLASS_COLUMN_NAMES`) when None.
        id_column: The sample id column; detected by name (`ID_COLUMN_NAMES`) when None; optional.
        feature_columns: The feature columns; by default every numeric column but the class and the id.
        drop_missing: Drop rows with empty cells instead of raising.
        name: What messages call the file; defaults to the file's name.

    Returns:
        The validated samples: float32 finite features, classes as text, ids as text (when there is an id
        column), and a LoadInfo of kind "samples".

    Raises:
        DataError: The file cannot be read, there is no class column or no numeric feature, a value is
            missing, not a number or infinite, ids repeat, or there are too few classes or samples.
    """
    inp = _open_source(source, name)
    layout = _sniff(inp, "samples")
    columns = layout.columns
    ident = _resolve_id_column(columns, id_column, inp.name)
    klass = _resolve_class_column(columns, class_column, ident, inp.name)
    features = _resolve_features(inp, layout, feature_columns, [klass, ident], "class and id columns")
    text = [klass] + ([ident] if ident else [])
    info = LoadInfo(
        source=inp.name, kind="samples", class_column=klass, id_column=ident, warnings=list(layout.warnings)
    )
    used = {*text, *features}
    info.ignored_columns = [column for column in columns if column not in used]
    frame = _read_table(inp, layout, numeric=features, text=text)
    info.n_rows = len(frame)
    features = _drop_empty_columns(frame, features, info, inp.name)
    frame = _handle_missing(frame, _in_file_order(text + features, layout), inp, info, drop_missing)
    values = frame[features].to_numpy(dtype=np.float32)
    _check_finite([(values, features)], frame.index, inp, layout)
    rows = frame.index.to_numpy(dtype=np.int64) + 1
    classes = _text_column(frame, klass)
    ids = _text_column(frame, ident) if ident else None
    if ids is not None:
        _check_unique_ids(ids, rows, ident, inp.name)
    _check_classes(classes, klass, inp.name)
    return SampleSet(
        features=values,
        classes=classes,
        feature_names=list(features),
        ids=ids,
        rows=rows,
        info=info,
    )


def _resolve_class_column(columns: list[str], class_column: str | None, ident: str | None, name: str) -> str:
    if class_column is not None:
        return _require_columns(columns, [class_column], "class_column", name)[0]
    found = _detect_named(columns, CLASS_COLUMN_NAMES, exclude=(ident,))
    if found is None:
        raise DataError(
            f"has no class column (looked for {', '.join(CLASS_COLUMN_NAMES[:6])}, ...); its columns are: "
            f"{listed(columns, 12)}; name it",
            source=name,
            settings=[("class_column", "...")],
        )
    return found


# --------------------------------------------------------------------------------------------------
# Public: pairs by reference
# --------------------------------------------------------------------------------------------------


def _resolve_id_pair(columns: list[str], id_columns: tuple[str, str] | None, name: str) -> tuple[str, str]:
    if id_columns is not None:
        if len(id_columns) != 2:
            raise DataError(f"id_columns must name two columns; got {list(id_columns)}", source=name)
        first, second = _require_columns(columns, list(id_columns), "id_columns", name)
        return first, second
    keys = {column.strip().lower(): column for column in reversed(columns)}
    for first, second in ID_PAIR_NAMES:
        if first in keys and second in keys:
            return keys[first], keys[second]
    raise DataError(
        f"has no pair of id columns (looked for id_a/id_b, a_id/b_id, id1/id2, left/right, ...); its columns "
        f"are: {listed(columns, 12)}; name them",
        source=name,
        settings=[("id_columns", "(..., ...)")],
    )


@dataclass
class _Samples:
    name: str
    ids: pd.Index
    features: np.ndarray
    feature_names: list[str]
    id_column: str
    ignored: list[str]


def _load_reference_samples(
    source: Source, id_column: str | None, drop_missing: bool, name: str | None, info: LoadInfo
) -> _Samples:
    inp = _open_source(source, name)
    layout = _sniff(inp, "ids")
    columns = layout.columns
    ident = _resolve_id_column(columns, id_column, inp.name)
    if ident is None:
        raise DataError(
            f"has no id column (looked for {', '.join(ID_COLUMN_NAMES)}); its columns are: "
            f"{listed(columns, 12)}; name it",
            source=inp.name,
            settings=[("id_column", "...")],
        )
    # A class or label column describes a sample; used as a feature it would leak the answer.
    not_features = [ident, *(c for c in columns if c.strip().lower() in CLASS_COLUMN_NAMES)]
    features = _resolve_features(inp, layout, None, not_features, "id column")
    frame = _read_table(inp, layout, numeric=features, text=[ident])
    features = _drop_empty_columns(frame, features, info, inp.name)
    before = info.dropped_rows
    frame = _handle_missing(frame, _in_file_order([ident, *features], layout), inp, info, drop_missing)
    info.dropped_rows = before  # dropped_rows counts pairs; the warning tells about the samples
    values = frame[features].to_numpy(dtype=np.float32)
    _check_finite([(values, features)], frame.index, inp, layout)
    ids = _text_column(frame, ident)
    _check_unique_ids(ids, frame.index.to_numpy(dtype=np.int64) + 1, ident, inp.name)
    used = {ident, *features}
    ignored = [column for column in columns if column not in used]
    return _Samples(inp.name, pd.Index(ids), values, features, ident, ignored)


def _lookup(pairs: pd.DataFrame, columns: tuple[str, str], samples: _Samples, names: tuple[str, str]) -> list:
    """Positions in `samples` of each pair's two ids; raises on the first unknown id."""
    positions = [samples.ids.get_indexer(_text_column(pairs, column)) for column in columns]
    unknown = (positions[0] < 0) | (positions[1] < 0)
    if unknown.any():
        at = int(np.argmax(unknown))
        column = columns[0] if positions[0][at] < 0 else columns[1]
        value = _text_column(pairs, column)[at]
        n_unknown = int(unknown.sum())
        verb = "refers" if n_unknown == 1 else "refer"
        raise DataError(
            f"id '{shown(value)}' is not in {names[1]} (column '{shown(samples.id_column)}'); "
            f"{_count(n_unknown, 'row')} of {names[0]} {verb} to unknown ids; "
            "add those samples or remove those pairs",
            source=names[0],
            column=column,
            row=int(pairs.index[at]) + 1,
            value=value,
        )
    return positions


def _drop_pairs_of_dropped_samples(
    pairs: pd.DataFrame, columns: tuple[str, str], samples: _Samples, info: LoadInfo
) -> pd.DataFrame:
    """With drop_missing, pairs whose samples were dropped for missing values are dropped too."""
    known = np.ones(len(pairs), dtype=bool)
    for column in columns:
        known &= samples.ids.get_indexer(_text_column(pairs, column)) >= 0
    n_unknown = int((~known).sum())
    if n_unknown and n_unknown < len(pairs):
        info.dropped_rows += n_unknown
        info.warnings.append(f"dropped {n_unknown:,} pairs whose samples were dropped for missing values")
        return pairs[known]
    return pairs


def load_pairs_by_reference(
    pairs_source: Source,
    samples_source: Source,
    *,
    id_column: str | None = None,
    id_columns: tuple[str, str] | None = None,
    label_column: str | None = None,
    similar_label: object = None,
    drop_missing: bool = False,
    pairs_name: str | None = None,
    samples_name: str | None = None,
) -> PairSet:
    """Load pairs given as two sample ids and a label, with the samples' features in a second CSV.

    Ids are compared as text without surrounding spaces, so 7 and "7" match.

    Args:
        pairs_source: The pairs CSV (path, bytes or binary file-like): two id columns and a label column.
        samples_source: The samples CSV: an id column and numeric feature columns.
        id_column: The samples' id column; detected by name (`ID_COLUMN_NAMES`) when None.
        id_columns: The pairs' two id columns; detected by name (`ID_PAIR_NAMES`) when None.
        label_column: The pairs' label column; detected by name when None.
        similar_label: The raw label value that means "similar" (see `map_labels`).
        drop_missing: Drop pairs and samples with empty cells instead of raising.
        pairs_name: What messages call the pairs file.
        samples_name: What messages call the samples file.

    Returns:
        The validated pairs, with a LoadInfo of kind "reference" whose left and right columns are both the
        samples' feature columns.

    Raises:
        DataError: A file cannot be read, columns are missing, an id is unknown or repeated, a value is
            missing, not a number or infinite, or there are too few pairs of each kind.
        LabelError: The labels cannot be mapped to similar and dissimilar.
    """
    pairs_inp = _open_source(pairs_source, pairs_name)
    layout = _sniff(pairs_inp, "reference")
    first, second = _resolve_id_pair(layout.columns, id_columns, pairs_inp.name)
    label = _resolve_label_column(
        [c for c in layout.columns if c not in (first, second)], label_column, pairs_inp.name
    )
    info = LoadInfo(
        source=pairs_inp.name, kind="reference", label_column=label, warnings=list(layout.warnings)
    )
    samples = _load_reference_samples(samples_source, id_column, drop_missing, samples_name, info)
    samples_shown = samples.name
    info.source = f"{pairs_inp.name} + {samples_shown}"
    info.id_column = samples.id_column
    info.left_columns, info.right_columns = list(samples.feature_names), list(samples.feature_names)
    info.ignored_columns = [c for c in layout.columns if c not in (first, second, label)] + samples.ignored
    pairs = _read_table(pairs_inp, layout, numeric=[], text=[first, second, label])
    info.n_rows = len(pairs)
    pairs = _handle_missing(
        pairs, _in_file_order([first, second, label], layout), pairs_inp, info, drop_missing
    )
    if drop_missing:
        pairs = _drop_pairs_of_dropped_samples(pairs, (first, second), samples, info)
    left_at, right_at = _lookup(pairs, (first, second), samples, (pairs_inp.name, samples_shown))
    labels, mapping = map_labels(
        pairs[label], column=label, similar_label=similar_label, source=pairs_inp.name
    )
    info.label_mapping = mapping
    _check_enough_pairs(mapping, pairs_inp.name)
    return PairSet(
        left=samples.features[left_at],
        right=samples.features[right_at],
        labels=labels,
        feature_names=list(samples.feature_names),
        rows=pairs.index.to_numpy(dtype=np.int64) + 1,
        info=info,
        sample_ids=np.stack([samples.ids[left_at], samples.ids[right_at]], axis=1).astype(object),
    )
