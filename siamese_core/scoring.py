"""Scoring pair files with a trained model: the input rows plus `distance` and `similar` columns."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from siamese_core.bundle import SiameseBundle
from siamese_core.data import detect_sides, read_csv
from siamese_core.errors import DataError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def pair_features(frame: pd.DataFrame, bundle: SiameseBundle, *, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The two sides' features of a pair table, in the model's feature order, as float64 with NaN for gaps.

    Args:
        frame: The pair table (labels optional).
        bundle: The model, whose feature names the sides must match.
        name: The file's name, for messages.

    Returns:
        `(left, right)`, each (n, d).

    Raises:
        DataError: If the sides cannot be found, do not match the model, or hold text.
    """
    sides = detect_sides(list(frame.columns), name=name)
    if sides is None:
        raise DataError(
            "no two sides of feature columns found (such as a_x / b_x); the model expects "
            f"{bundle.n_features} features per side: {', '.join(bundle.feature_names[:4])}, ...",
            source=name,
        )
    left_columns, right_columns, names = sides
    position = {feature.lower(): index for index, feature in enumerate(names)}
    missing = [feature for feature in bundle.feature_names if feature.lower() not in position]
    if missing:
        raise DataError(
            f"the file's features do not match the model's: missing {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''} (the model expects {bundle.n_features} features per side)",
            source=name,
        )
    order = [position[feature.lower()] for feature in bundle.feature_names]
    return (
        _numeric(frame, [left_columns[i] for i in order], name),
        _numeric(frame, [right_columns[i] for i in order], name),
    )


def _numeric(frame: pd.DataFrame, columns: list[str], name: str) -> np.ndarray:
    values = frame[columns]
    numeric = values.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & values.notna()
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise DataError(
            f"'{values.iat[row, col]}' is not a number; fix or remove that value",
            source=name,
            column=columns[col],
            row=int(row) + 1,
            value=values.iat[row, col],
        )
    array = numeric.to_numpy(dtype=np.float64)
    with np.errstate(over="ignore"):
        too_large = np.isinf(array) | (np.isfinite(array) & np.isinf(array.astype(np.float32)))
    if too_large.any():
        row, col = np.argwhere(too_large)[0]
        raise DataError(
            f"{array[row, col]!r} is infinite or too large for float32; use finite values",
            source=name,
            column=columns[col],
            row=int(row) + 1,
        )
    return array


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells that a spreadsheet would run as formulas start with a quote.

    Only text is changed: a number such as -3 stays a number.
    """
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            text = frame[column]
            risky = text.map(lambda cell: isinstance(cell, str) and cell.startswith(FORMULA_STARTS))
            frame[column] = text.where(~risky, "'" + text.astype(str))
    return frame


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write a CSV atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    if not path.parent.is_dir():
        raise DataError(f"cannot write {path}: the folder {path.parent} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            frame.to_csv(stream, index=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def score_frame(
    bundle: SiameseBundle, frame: pd.DataFrame, *, threshold: float, drop_missing: bool = False, name: str
) -> pd.DataFrame:
    """The pair table with `distance` and `similar` columns added.

    Args:
        bundle: The model.
        frame: A pair table; a label column is not needed.
        threshold: Pairs with distance <= threshold are called similar.
        drop_missing: Leave rows with missing features unscored (empty cells) instead of failing.
        name: The file's name, for messages.

    Returns:
        A new table: the input's columns, then `distance` and `similar`.

    Raises:
        DataError: If features are missing, text or infinite (missing ones only without `drop_missing`).
    """
    left, right = pair_features(frame, bundle, name=name)
    complete = ~(np.isnan(left).any(axis=1) | np.isnan(right).any(axis=1))
    if not complete.all() and not drop_missing:
        first = int(np.flatnonzero(~complete)[0]) + 1
        raise DataError(
            f"{int((~complete).sum()):,} rows have missing feature values (the first is row {first}); "
            "fill them in, or pass --drop-missing to leave those rows unscored",
            source=name,
        )
    distances = np.full(len(frame), np.nan)
    if complete.any():
        distances[complete] = bundle.distances(left[complete], right[complete])
    scored = frame.copy()
    scored["distance"] = distances
    scored["similar"] = pd.array(np.where(complete, distances <= threshold, None), dtype="boolean")
    return scored


def score_file(bundle: SiameseBundle, source, output, *, threshold: float, drop_missing: bool = False) -> int:
    """Score a pair CSV and write the input rows plus `distance` and `similar` to `output`, atomically.

    Returns:
        How many pairs were scored.
    """
    name = Path(source).name if isinstance(source, (str, os.PathLike)) else None
    frame = read_csv(source, name=name)
    scored = score_frame(
        bundle, frame, threshold=threshold, drop_missing=drop_missing, name=name or "the file"
    )
    write_csv(neutralise_formulas(scored), output)
    return int(scored["distance"].notna().sum())
