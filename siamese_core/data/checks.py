"""Checks on values once read, shared by the loaders and the streamed reader: empty cells and infinite
values, and the messages that report them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from siamese_core.data.reader import raw_value
from siamese_core.data.sniffing import NUMBER, SWAP_DECIMAL_MARKS, CsvInput, CsvLayout
from siamese_core.errors import DataError
from siamese_core.pairs import LoadInfo

DROP_MISSING = ("drop_missing", "True")  # the `Setting`s (errors.py) that messages point to

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def handle_missing(
    frame: pd.DataFrame, columns: list[str], inp: CsvInput, info: LoadInfo, drop_missing: bool
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
        raise missing_error(n_missing, len(frame), inp.name, column, row, drop_missing=drop_missing)
    info.dropped_rows += n_missing
    info.warnings.append(dropped_warning(n_missing, len(frame), inp.name, column, row))
    return frame[~rows_missing]


def missing_error(
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


def dropped_warning(n_missing: int, n_rows: int, name: str, column: str, row: int) -> str:
    return (
        f"{name}: dropped {n_missing:,} of {n_rows:,} rows with missing values "
        f"(the first: row {row}, column '{column}')"
    )


def first_infinite(values: np.ndarray, columns: list[str]) -> tuple[int, str] | None:
    """(position, column) of the first infinite value in a float32 array, or None."""
    if values.size == 0 or (values.min() > -np.inf and values.max() < np.inf):  # faster than isinf
        return None
    infinite = np.isinf(values)
    rows_infinite = infinite.any(axis=1)
    if not rows_infinite.any():
        return None
    position = int(np.argmax(rows_infinite))
    return position, columns[int(np.argmax(infinite[position]))]


def check_finite(
    blocks: list[tuple[np.ndarray, list[str]]], index: pd.Index, inp: CsvInput, layout: CsvLayout
) -> None:
    """Raise on the first infinite value, including values too large for float32 (1e308 becomes inf).

    Args:
        blocks: (float32 values, their columns) pairs, such as the left and the right features.
        index: The frame's index (0-based data rows) of the values' rows.
        inp: The file, to quote the value as written.
        layout: Its layout.
    """
    found = [hit for values, columns in blocks if (hit := first_infinite(values, columns))]
    if not found:
        return
    position, column = min(found, key=lambda hit: (hit[0], layout.columns.index(hit[1])))
    row_index = int(index[position])
    value = raw_value(inp, layout, column, row_index)
    raise infinite_error(value, layout.decimal, inp.name, column, row_index + 1)


def infinite_error(value: str, decimal: str, name: str, column: str, row: int) -> DataError:
    """The error for a value that is infinite as float32, `value` as written in the file."""
    as_number = value.translate(SWAP_DECIMAL_MARKS) if decimal == "," else value
    number = float(as_number) if NUMBER.match(as_number) else None
    if number is not None and np.isfinite(number) and abs(number) > _FLOAT32_MAX:
        problem = f"value {value} is too large for 32-bit floats (largest about 3.4e38); rescale this column"
    else:
        problem = f"value {value} is infinite; replace it with a finite number or remove the row"
    return DataError(problem, source=name, column=column, row=row, value=value)
