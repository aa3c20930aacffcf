"""The public loaders: a wide pair CSV, labeled samples, pairs by reference, and any CSV read whole."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from siamese_core.data import ranges
from siamese_core.data.checks import checked_rows
from siamese_core.data.columns import (
    CLASS_COLUMN_NAMES,
    ID_COLUMN_NAMES,
    ID_PAIR_NAMES,
    detect_named,
    detected_sides,
    given_sides,
    require_columns,
    resolve_column,
    resolve_label_column,
)
from siamese_core.data.labels import check_mapped_pairs, map_labels
from siamese_core.data.reader import named_frame, pandas_read, read_table
from siamese_core.data.sniffing import CsvInput, CsvLayout, Source, counted, open_source, sniff
from siamese_core.errors import DataError, listed, shown
from siamese_core.pairs import LoadInfo, PairSet, SampleSet

_HEAD_ROWS = 1000

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
    inp = open_source(source, name)
    layout = sniff(inp, "generic")
    return named_frame(pandas_read(inp, layout), layout, inp.name)


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
    return sniff(open_source(source, name), "generic").columns


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
    inp = open_source(source, name)
    layout = sniff(inp, "pairs")
    columns = layout.columns
    label = resolve_label_column(columns, label_column, inp.name)
    info = LoadInfo(source=inp.name, kind="pairs", label_column=label, warnings=list(layout.warnings))
    if left_columns is None and right_columns is None:
        left, right, names = detected_sides(columns, label, inp.name, info)
    else:
        left, right, names = given_sides(columns, left_columns, right_columns, label, inp.name)
    info.left_columns, info.right_columns = left, right
    used = {label, *left, *right}
    info.ignored_columns = [column for column in columns if column not in used]
    read = ranges.read_pairs_in_ranges(inp, layout, label, left, right)
    if read is None:
        frame = read_table(inp, layout, numeric=left + right, text=[label])
        read = frame[left].to_numpy(dtype=np.float32), frame[right].to_numpy(dtype=np.float32), frame[label]
    left_values, right_values, raw_labels = read
    info.n_rows = len(raw_labels)
    keep = checked_rows(
        inp,
        layout,
        raw_labels.index,
        [(label, raw_labels)],
        [(left, left_values), (right, right_values)],
        info,
        drop_missing,
    )
    left_values, right_values, raw_labels = left_values[keep], right_values[keep], raw_labels[keep]
    labels, mapping = map_labels(raw_labels, column=label, similar_label=similar_label, source=inp.name)
    info.label_mapping = mapping
    check_mapped_pairs(mapping, inp.name)
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


def _numeric_columns(inp: CsvInput, layout: CsvLayout, candidates: list[str]) -> list[str]:
    """Columns among `candidates` that hold numbers, judged on the first rows.

    A column counts as numeric when most of its filled values are numbers, so that a stray word in a
    feature column is reported (by the full read) rather than silently dropping the feature.
    """
    head = named_frame(pandas_read(inp, layout, nrows=_HEAD_ROWS, dtype=str), layout, inp.name)
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
    inp: CsvInput, layout: CsvLayout, feature_columns: list[str] | None, exclude: list[str], what: str
) -> list[str]:
    columns = layout.columns
    if feature_columns is not None:
        features = require_columns(columns, list(feature_columns), "feature_columns", inp.name)
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
        return require_columns(columns, [id_column], "id_column", name)[0]
    return detect_named(columns, ID_COLUMN_NAMES, exclude)


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
    inp = open_source(source, name)
    layout = sniff(inp, "samples")
    columns = layout.columns
    ident = _resolve_id_column(columns, id_column, inp.name)
    klass = resolve_column(
        columns,
        class_column,
        CLASS_COLUMN_NAMES,
        "class_column",
        inp.name,
        what="class",
        ask="name it",
        exclude=(ident,),
    )
    features = _resolve_features(inp, layout, feature_columns, [klass, ident], "class and id columns")
    text = [klass] + ([ident] if ident else [])
    info = LoadInfo(
        source=inp.name, kind="samples", class_column=klass, id_column=ident, warnings=list(layout.warnings)
    )
    used = {*text, *features}
    info.ignored_columns = [column for column in columns if column not in used]
    frame = read_table(inp, layout, numeric=features, text=text)
    info.n_rows = len(frame)
    features = _drop_empty_columns(frame, features, info, inp.name)
    values = frame[features].to_numpy(dtype=np.float32)
    keep = checked_rows(
        inp,
        layout,
        frame.index,
        [(column, frame[column]) for column in text],
        [(features, values)],
        info,
        drop_missing,
    )
    frame, values = frame[keep], values[keep]
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


# --------------------------------------------------------------------------------------------------
# Public: pairs by reference
# --------------------------------------------------------------------------------------------------


def _resolve_id_pair(columns: list[str], id_columns: tuple[str, str] | None, name: str) -> tuple[str, str]:
    if id_columns is not None:
        if len(id_columns) != 2:
            raise DataError(f"id_columns must name two columns; got {list(id_columns)}", source=name)
        first, second = require_columns(columns, list(id_columns), "id_columns", name)
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
    inp = open_source(source, name)
    layout = sniff(inp, "ids")
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
    frame = read_table(inp, layout, numeric=features, text=[ident])
    features = _drop_empty_columns(frame, features, info, inp.name)
    before = info.dropped_rows
    values = frame[features].to_numpy(dtype=np.float32)
    keep = checked_rows(
        inp, layout, frame.index, [(ident, frame[ident])], [(features, values)], info, drop_missing
    )
    info.dropped_rows = before  # dropped_rows counts pairs; the warning tells about the samples
    frame, values = frame[keep], values[keep]
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
            f"{counted(n_unknown, 'row')} of {names[0]} {verb} to unknown ids; "
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
    pairs_inp = open_source(pairs_source, pairs_name)
    layout = sniff(pairs_inp, "reference")
    first, second = _resolve_id_pair(layout.columns, id_columns, pairs_inp.name)
    label = resolve_label_column(
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
    pairs = read_table(pairs_inp, layout, numeric=[], text=[first, second, label])
    info.n_rows = len(pairs)
    text = [(column, pairs[column]) for column in (first, second, label)]
    pairs = pairs[checked_rows(pairs_inp, layout, pairs.index, text, [], info, drop_missing)]
    if drop_missing:
        pairs = _drop_pairs_of_dropped_samples(pairs, (first, second), samples, info)
    left_at, right_at = _lookup(pairs, (first, second), samples, (pairs_inp.name, samples_shown))
    labels, mapping = map_labels(
        pairs[label], column=label, similar_label=similar_label, source=pairs_inp.name
    )
    info.label_mapping = mapping
    check_mapped_pairs(mapping, pairs_inp.name)
    return PairSet(
        left=samples.features[left_at],
        right=samples.features[right_at],
        labels=labels,
        feature_names=list(samples.feature_names),
        rows=pairs.index.to_numpy(dtype=np.int64) + 1,
        info=info,
        sample_ids=np.stack([samples.ids[left_at], samples.ids[right_at]], axis=1).astype(object),
    )
