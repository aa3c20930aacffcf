"""Errors a user can cause, in one small hierarchy.

Every error carries a message that says what is wrong, where (file, column, row) and what to do, so that
the CLI can print it on one line and the dashboard can show it in an error box. Bugs stay ordinary
exceptions.
"""

from __future__ import annotations


class SiameseError(Exception):
    """Base class of every error a user can cause (bad data, bad settings, bad model files)."""


class DataError(SiameseError, ValueError):
    """A data file cannot be used as it is: unreadable, malformed, or with values that cannot be trained on.

    Args:
        message: What is wrong and what to do about it.
        source: The file's name, when known.
        column: The column at fault, when there is one.
        row: The 1-based data row (the header is row 0), when there is one.
        value: The offending value, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: object = None,
    ):
        self.source = source
        self.column = column
        self.row = row
        self.value = value
        self.detail = message
        where = []
        if source:
            where.append(f"{source}")
        if column is not None:
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"row {row} (line {row + 1})")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class LabelError(DataError):
    """Pair labels cannot be mapped to similar (Y = 0) and dissimilar (Y = 1)."""


class ConfigError(SiameseError, ValueError):
    """A setting is out of range or inconsistent with the data."""


class TrainingError(SiameseError):
    """Training cannot go on: the loss stopped being a finite number (diverged)."""


class ModelFileError(SiameseError):
    """A model file is missing, corrupt, unsafe, or not a siamese_core model."""
