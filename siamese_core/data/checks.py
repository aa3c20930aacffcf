"""Checks on the values of the rows read, one home for every loader and for the streamed reader: empty
cells (an error, or rows dropped when asked) and infinite values (an error naming the value as written).

`check_rows` checks a block of rows, `Findings` adds blocks up and reports what the first rows at fault say,
in the loaders' order: a file is checked the same whether it is read in one piece or block by block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siamese_core.data.reader import raw_value
from siamese_core.data.sniffing import NUMBER, SWAP_DECIMAL_MARKS, CsvInput, CsvLayout
from siamese_core.errors import DataError
from siamese_core.pairs import LoadInfo

DROP_MISSING = ("drop_missing", "True")  # the `Setting`s (errors.py) that messages point to

_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class RowCheck:
    """One block of rows, checked: the rows kept, and the first problems found in it.

    Attributes:
        keep: (n,) bool, the rows without an empty cell.
        n_missing: Rows with an empty cell.
        first_missing: (position in the block, column) of the first empty cell, the leftmost in the file on
            its row; None when there is none.
        first_infinite: (position in the block, column) of the first infinite value among the rows kept.
    """

    keep: np.ndarray
    n_missing: int
    first_missing: tuple[int, str] | None
    first_infinite: tuple[int, str] | None


def check_rows(
    text: list[tuple[str, np.ndarray]], numbers: list[tuple[list[str], np.ndarray]], positions: dict[str, int]
) -> RowCheck:
    """Find the empty cells and the first infinite value of a block of rows.

    Args:
        text: (column, (n,) bool: where its cells are empty) for each column read as text.
        numbers: (columns, (n, k) float32 values, NaN where empty) for each group of number columns.
        positions: Column name -> position in the file, to tell which cell of a row is the first.

    Returns:
        The `RowCheck`.
    """
    n_rows = len(text[0][1]) if text else len(numbers[0][1])
    rows_missing = np.zeros(n_rows, dtype=bool)
    for _, empty in text:
        rows_missing |= empty
    for _, values in numbers:
        if values.size and np.isnan(values.min()):  # one pass without a mask: NaN is the min of NaNs
            rows_missing |= np.isnan(values).any(axis=1)
    n_missing = int(rows_missing.sum())
    first_missing = None
    if n_missing:
        position = int(np.argmax(rows_missing))
        empty_cells = [column for column, empty in text if empty[position]]
        for columns, values in numbers:
            empty_cells += [
                column for column, value in zip(columns, values[position], strict=True) if np.isnan(value)
            ]
        first_missing = (position, min(empty_cells, key=positions.__getitem__))
    keep = ~rows_missing
    found = [
        hit
        for columns, values in numbers
        if (hit := _first_infinite(values[keep] if n_missing else values, columns))
    ]
    infinite_at = None
    if found:
        position, column = min(found, key=lambda hit: (hit[0], positions[hit[1]]))
        infinite_at = (int(np.flatnonzero(keep)[position]), column)
    return RowCheck(keep, n_missing, first_missing, infinite_at)


@dataclass
class Findings:
    """What `check_rows` found in a file's blocks, added up, until the file is read (`report`).

    Attributes:
        n_rows: Rows checked.
        n_missing: Rows with an empty cell.
        first_missing: (0-based data row, column) of the first empty cell.
        infinite: (0-based data row, column, value as written) of the first infinite value among the rows
            kept, while no error came before it.
    """

    n_rows: int = 0
    n_missing: int = 0
    first_missing: tuple[int, str] | None = None
    infinite: tuple[int, str, str] | None = None

    def add(
        self, rows: np.ndarray, check: RowCheck, value_text: Callable[[int, str], str], drop_missing: bool
    ) -> bool:
        """Add a checked block; returns whether its kept rows may be used (the file has not failed so far).

        Args:
            rows: (n,) the 0-based data row of each row of the block.
            check: What `check_rows` found in it.
            value_text: The text of the cell at (position in the block, column), as written in the file.
            drop_missing: Whether rows with an empty cell are dropped rather than refused.
        """
        self.n_rows += len(rows)
        if check.n_missing:
            self.n_missing += check.n_missing
            if self.first_missing is None:
                position, column = check.first_missing
                self.first_missing = (int(rows[position]), column)
        if self.infinite is not None or (self.n_missing and not drop_missing):
            return False  # the file fails at its end; reading on only finds what is reported first
        if check.first_infinite is not None:
            position, column = check.first_infinite
            self.infinite = (int(rows[position]), column, value_text(position, column))
            return False
        return True

    def report(self, name: str, decimal: str, drop_missing: bool, info: LoadInfo) -> None:
        """Raise on the file's first problem, as the loaders do; else count the rows dropped in `info`.

        Raises:
            DataError: The file has no data rows, rows with empty cells (unless dropped, and not all of them),
                or an infinite value (or one too large for float32, 1e308 becoming inf).
        """
        if self.n_rows == 0:
            raise DataError("has a header but no data rows", source=name)
        if self.n_missing:
            row, column = self.first_missing
            if not drop_missing or self.n_missing == self.n_rows:
                raise _missing_error(
                    self.n_missing, self.n_rows, name, column, row + 1, drop_missing=drop_missing
                )
            info.dropped_rows += self.n_missing
            info.warnings.append(_dropped_warning(self.n_missing, self.n_rows, name, column, row + 1))
        if self.infinite is not None:
            row, column, value = self.infinite
            raise _infinite_error(value, decimal, name, column, row + 1)


def checked_rows(
    inp: CsvInput,
    layout: CsvLayout,
    rows: pd.Index,
    text: list[tuple[str, pd.Series]],
    numbers: list[tuple[list[str], np.ndarray]],
    info: LoadInfo,
    drop_missing: bool,
) -> np.ndarray | slice:
    """Check the rows of a file read in one piece: raise on an empty cell (or drop its row, when asked) or
    an infinite value, as `Findings.report` says.

    Args:
        inp: The file, to quote a value as written.
        layout: Its layout.
        rows: The rows' index (0-based data rows).
        text: (column, values) of the columns read as text.
        numbers: (columns, (n, k) float32 values) of the number columns.
        info: Where dropped rows are counted and warned of.
        drop_missing: Drop rows with an empty cell instead of raising.

    Returns:
        Which rows to keep: a mask, or every row (`slice(None)`) when none has an empty cell.
    """
    check = check_rows(
        [(column, values.isna().to_numpy()) for column, values in text], numbers, layout.positions
    )
    findings = Findings()
    findings.add(
        rows.to_numpy(),
        check,
        lambda position, column: raw_value(inp, layout, column, int(rows[position])),
        drop_missing,
    )
    findings.report(inp.name, layout.decimal, drop_missing, info)
    return check.keep if check.n_missing else slice(None)


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


def _infinite_error(value: str, decimal: str, name: str, column: str, row: int) -> DataError:
    """The error for a value that is infinite as float32, `value` as written in the file (without the
    spaces around it, as the CSV readers quote it)."""
    value = value.strip()
    as_number = value.translate(SWAP_DECIMAL_MARKS) if decimal == "," else value
    number = float(as_number) if NUMBER.match(as_number) else None
    if number is not None and np.isfinite(number) and abs(number) > _FLOAT32_MAX:
        problem = f"value {value} is too large for 32-bit floats (largest about 3.4e38); rescale this column"
    else:
        problem = f"value {value} is infinite; replace it with a finite number or remove the row"
    return DataError(problem, source=name, column=column, row=row, value=value)
