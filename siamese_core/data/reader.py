"""Reading a sniffed CSV with pandas: every row checked for its number of fields first, then the needed
columns read (numbers straight into float32), and pandas' failures worded as `DataError`s that name the
line, the column, the row and the value."""

from __future__ import annotations

import csv
import io
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from siamese_core.data.lines import RangeStream
from siamese_core.data.sniffing import (
    DECIMAL_COMMA_NUMBER,
    DECIMAL_POINT_NUMBER,
    DELIMITER_NAMES,
    DELIMITERS,
    SNIFF_BYTES,
    SWAP_DECIMAL_MARKS,
    CsvInput,
    CsvLayout,
    counted,
    mixed_delimiters_error,
)
from siamese_core.errors import DataError, listed, shown

CHUNK_ROWS = 50_000

# What `pandas.read_csv` reads as missing by default (its `na_values` documentation; a test checks them).
PANDAS_MISSING_WORDS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
     "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip


def pandas_read(inp: CsvInput, layout: CsvLayout, **options) -> pd.DataFrame:
    """`pandas.read_csv` with the sniffed layout; parser and encoding failures become DataError.

    The first read of a source checks first that every row has the header's number of fields
    (`check_row_shapes`). A ValueError from converting a value to a requested dtype is left to the caller.
    """
    if not inp.rows_checked:
        check_row_shapes(inp, layout)
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


def check_row_shapes(inp: CsvInput, layout: CsvLayout) -> None:
    """Raise on the first row whose number of fields is not the header's.

    pandas pads a row of too few fields with empty cells and, given `usecols`, drops the fields a row has
    too many: values would shift into other columns, or a row split by another delimiter would read as
    empty cells. The file is read as the range reader reads it (`RangeStream`); from the first read that is
    not plain on, where a quoted value may hold delimiters and line breaks, the csv module splits the rows.

    Raises:
        DataError: A row has more or fewer fields than the header, or a quote runs to the end of the file.
    """
    size = inp.size
    offset = lines = 0
    with RangeStream(inp, layout, b"", 0, size) as stream:
        while data := stream.read():
            if not stream.plain:
                break
            offset += len(data)
            lines += data.count(b"\n")
        else:
            return
    n_columns = len(layout.columns)
    with inp.open_binary() as raw, _CSV_FIELD_LIMIT.lifted(size):
        raw.seek(offset)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        line = [""]  # the last line handed to the csv module

        def text_lines() -> Iterator[str]:
            for text_line in text:
                line[0] = text_line
                yield text_line

        reader = csv.reader(text_lines(), delimiter=layout.delimiter)
        end = 0
        try:
            for fields in reader:
                start, end = end + 1, reader.line_num
                # A blank line, which pandas skips: nothing but spaces. A quoted blank value ("") is a row
                # of one field to pandas, padded with empty cells.
                blank = not fields or (
                    len(fields) == 1 and not fields[0].strip(" \t\r") and '"' not in line[0]
                )
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


def _row_shape_error(line: int, fields: list[str], last: bool, layout: CsvLayout, name: str) -> DataError:
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
            return mixed_delimiters_error(
                layout.delimiter, n_columns, line, other, splits[other], name, row=line - 1
            )
    return _field_count_error(line, len(fields), n_columns, layout.delimiter, name)


def _field_count_error(
    line: int, n_fields: int, n_columns: int, delimiter: str | None, name: str
) -> DataError:
    """The error for `line`, of `n_fields` fields where the header has `n_columns` (`delimiter`: None when
    not known)."""
    separator = "delimiter" if delimiter is None else DELIMITER_NAMES[delimiter]
    if n_fields > n_columns:
        advice = f"look for an unquoted {separator} inside a value or an extra one at the end of the line"
    else:
        advice = (
            f"a value or a {separator} is missing: write {n_columns} fields separated by {separator} on "
            "every line (an empty cell is a field too), or remove the line"
        )
    return DataError(
        f"line {line} has {counted(n_fields, 'field')} but the header has {n_columns}; {advice}",
        source=name,
        row=line - 1,
    )


def _late_unicode_error(error: UnicodeDecodeError, name: str) -> DataError:
    byte = error.object[error.start]  # a UTF-8 decoding error always points at a byte of the text
    return DataError(
        f"is not UTF-8 text (invalid byte 0x{byte:02x} after the first {SNIFF_BYTES // 1024} KB); "
        "save it as UTF-8 (CSV UTF-8 in Excel)",
        source=name,
    )


def read_table(inp: CsvInput, layout: CsvLayout, numeric: list[str], text: list[str]) -> pd.DataFrame:
    """Read the needed columns: `numeric` ones straight into float32, `text` ones as strings.

    Columns come back under their stripped names. Only when some columns are not needed does pandas get
    `usecols`: with it, pandas no longer reports rows with too many fields.
    """
    try:
        frame = pandas_read(inp, layout, **read_options(layout, numeric, text))
    except DataError:
        raise
    except ValueError as error:
        raise non_number_error(inp, layout, numeric, error) from None
    return named_frame(frame, layout, inp.name)


def read_options(layout: CsvLayout, numeric: list[str], text: list[str]) -> dict:
    """`usecols` and `dtype` for `pandas_read` to read `numeric` columns into float32 and `text` ones as
    strings: the careful read's, in one piece (`read_table`) or a chunk at a time."""
    dtypes = {layout.raw(column): np.float32 for column in numeric} | {
        layout.raw(column): str for column in text
    }
    return {"usecols": layout.usecols(set(numeric) | set(text)), "dtype": dtypes}


def renamed_frame(frame: pd.DataFrame, layout: CsvLayout, name: str) -> pd.DataFrame:
    """`frame` with its columns under their stripped names.

    Raises:
        DataError: pandas saw other column names than sniffing did (a quote in the header).
    """
    to_name = dict(layout.column_pairs())
    unknown = [column for column in frame.columns if column not in to_name]
    if unknown:
        raise DataError(
            f"its header could not be read consistently (pandas saw {listed(unknown, 5)}); check the "
            "quotes in the first line",
            source=name,
        )
    frame.columns = [to_name[column] for column in frame.columns]
    return frame


def named_frame(frame: pd.DataFrame, layout: CsvLayout, name: str) -> pd.DataFrame:
    """`renamed_frame`, refused when it has no rows."""
    frame = renamed_frame(frame, layout, name)
    if frame.empty:
        raise DataError("has a header but no data rows", source=name)
    return frame


def non_number_error(inp: CsvInput, layout: CsvLayout, numeric: list[str], error: Exception) -> DataError:
    """Find the first value that pandas could not read as a number, reading the columns as text in chunks."""
    raw = [layout.raw(column) for column in numeric]
    to_name = dict(layout.column_pairs())
    chunks = pandas_read(inp, layout, usecols=raw, dtype=str, chunksize=CHUNK_ROWS)
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
    written = text.translate(SWAP_DECIMAL_MARKS)
    hint = ""
    if delimiter == "," and DECIMAL_COMMA_NUMBER.match(text):
        hint = f" (write {written}: in a comma-separated file the decimal mark is '.')"
    elif decimal == "," and DECIMAL_POINT_NUMBER.match(text):
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
        values = values.map(lambda v: v.translate(SWAP_DECIMAL_MARKS) if isinstance(v, str) else v)
    return pd.to_numeric(values, errors="coerce")


def row_number(frame: pd.DataFrame | pd.Series, position: int) -> int:
    """The 1-based data row of the row at `position`: the index + 1 for an index of integers (a file's
    rows, or a chunk of them, numbered from 0, as read_csv gives them), else the position + 1."""
    if pd.api.types.is_integer_dtype(frame.index.dtype):
        return int(frame.index[position]) + 1
    return int(position) + 1


def raw_value(inp: CsvInput, layout: CsvLayout, column: str, index: int) -> str:
    """The text of one cell as written in the file (for messages about values changed by parsing).

    Read a chunk at a time, so that a cell far down a file larger than memory costs no more than a chunk.
    """
    chunks = pandas_read(
        inp, layout, usecols=[layout.raw(column)], dtype=str, nrows=index + 1, chunksize=CHUNK_ROWS
    )
    with chunks:
        for chunk in chunks:
            if index < chunk.index[0] + len(chunk):
                return str(chunk.iloc[index - chunk.index[0], 0]).strip()
    raise AssertionError(f"row {index + 1} of {inp.name} was read before but is not there now")
