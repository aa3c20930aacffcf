"""A CSV source (a path, bytes or a binary file-like object) and what sniffing its first bytes finds:
encoding, delimiter, decimal mark and header, checked before pandas reads the whole file."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Union

from siamese_core.errors import DataError, listed, shown

Source = Union[str, "os.PathLike[str]", bytes, bytearray, IO[bytes]]

SNIFF_BYTES = 64 * 1024
_MAX_HEADER_BYTES = 16 * 1024 * 1024
_SNIFF_RECORDS = 200

DELIMITERS = (",", ";", "\t")
# Wider files are refused: every column costs pandas and the dashboard's column pickers time and memory.
MAX_COLUMNS = 10_000

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

DECIMAL_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
DECIMAL_POINT_NUMBER = re.compile(r"^[+-]?\d*\.\d+$")
SWAP_DECIMAL_MARKS = str.maketrans(",.", ".,")

DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab"}


# --------------------------------------------------------------------------------------------------
# Sources: a path, bytes, or a binary file-like object
# --------------------------------------------------------------------------------------------------


@dataclass
class CsvInput:
    """One CSV source that can be read more than once."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    rows_checked: bool = False  # every row has the header's number of fields (`check_row_shapes`)

    def handle(self) -> str | io.BytesIO:
        """What pandas reads: the path, or a fresh stream over the bytes."""
        return str(self.path) if self.path is not None else io.BytesIO(self.data)

    def open_binary(self) -> IO[bytes]:
        """A fresh binary stream over the file's bytes, from the start."""
        return open(self.path, "rb") if self.path is not None else io.BytesIO(self.data)

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self.path.stat().st_size if self.path is not None else len(self.data)

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


def open_source(source: Source, name: str | None) -> CsvInput:
    """Wrap `source` so that it can be sniffed and read, checking that a path names a readable file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return CsvInput(name or "the uploaded file", data=bytes(source))
    if isinstance(source, (str, os.PathLike)):
        return _open_path(Path(source), name)
    if hasattr(source, "read"):
        return CsvInput(name or _stream_name(source), data=_read_stream(source))
    raise TypeError(f"source must be a path, bytes or a binary file-like object. Received: {type(source)!r}")


def _open_path(path: Path, name: str | None) -> CsvInput:
    display_name = name or path.name or str(path)
    if "\n" in str(path):
        raise DataError("is not a file path (it contains a line break); pass CSV text as bytes instead")
    check_file(path, display_name)
    return CsvInput(display_name, path=path)


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
class CsvLayout:
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

    def column_pairs(self) -> list[tuple[str, str]]:
        """(name as written in the header, stripped name) of every column, in the file's order."""
        return list(zip(self.raw_columns, self.columns, strict=True))

    def usecols(self, needed: set[str]) -> list[str] | None:
        """What pandas' `usecols` gets to read the `needed` columns: their names as written, or None when
        every column is needed (pandas then refuses rows of too many fields itself)."""
        return (
            None
            if needed == set(self.columns)
            else [raw for raw, column in self.column_pairs() if column in needed]
        )

    def in_file_order(self, columns: list[str]) -> list[str]:
        """`columns` without repeats, in the file's order."""
        return sorted(dict.fromkeys(columns), key=self.positions.__getitem__)


def sniff(inp: CsvInput, kind: str) -> CsvLayout:
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
    layout = CsvLayout(delimiter, header, [column.strip() for column in header])
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
        raise mixed_delimiters_error(
            by_header, counts[by_header][0], line, by_data, len(fields), name, line - 1
        )
    if not header_splits:
        raise _one_column(records[by_header][0][1], name, kind)
    return by_header


def mixed_delimiters_error(
    delimiter: str, n_columns: int, line: int, other: str, n_fields: int, name: str, row: int | None = None
) -> DataError:
    """The error for a header of `n_columns` split by `delimiter` and a `line` split by `other`."""
    if n_columns > 1:
        header = f"the header is separated by {DELIMITER_NAMES[delimiter]} ({n_columns} columns)"
    else:
        header = "the header has no comma, semicolon or tab (1 column)"
    return DataError(
        f"mixed delimiters: {header} but line {line} is separated by {DELIMITER_NAMES[other]} "
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
    if all(NUMBER.match(value) or DECIMAL_COMMA_NUMBER.match(value) for value in names if value) and any(
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
        hints.append(f"an extra {DELIMITER_NAMES[delimiter]} at the end of the lines adds an unnamed column")
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


def _detect_decimal_comma(layout: CsvLayout, data: list[tuple[int, list[str]]]) -> None:
    """Semicolon or tab files from European Excel write 1,5 for 1.5: read them that way."""
    if layout.delimiter == ",":
        return
    values = [value.strip() for _, fields in data for value in fields]
    if any(DECIMAL_COMMA_NUMBER.match(v) for v in values) and not any(
        DECIMAL_POINT_NUMBER.match(v) for v in values
    ):
        layout.decimal = ","
        layout.warnings.append("read ',' as the decimal mark (numbers such as '1,5')")


def counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
