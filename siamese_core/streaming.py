"""Pairs from files larger than memory: a wide pair CSV, a Parquet file, or a folder of either, a chunk at a time.

`PairStream.scan` reads everything once, with the validation, label mapping and messages of
`siamese_core.data.load_pair_csv`, and gathers what training needs before it starts: the label mapping
(decided once on every distinct raw label value), the pairs per split, and float64 statistics of the
training samples for the model's feature scaling. `PairStream.chunks` then reads the pairs of one split
again, a chunk at a time, for any number of epochs and workers.

Splits follow `siamese_core.splits.pair_splits`, the rule in-memory pairs use too: a sample's split is a
hash of its feature vector, so it does not depend on how the rows are cut into chunks, nor on the process
that computes it, and a file gets the same held-out pairs streamed or loaded whole.

Memory holds one chunk (`chunk_rows` rows) whatever the size of the files; what grows with them is a few
numbers per `chunk_rows` rows (the units, see `PairStream.chunks`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from siamese_core.data.checks import Findings, RowCheck, check_rows
from siamese_core.data.columns import detected_sides, given_sides, resolve_label_column
from siamese_core.data.labels import (
    LabelValue,
    check_mapped_pairs,
    classify_label,
    display_label,
    map_distinct_labels,
)
from siamese_core.data.statistics import ColumnStatistics
from siamese_core.errors import ConfigError, DataError, LabelError, shown
from siamese_core.pairs import LabelMapping, LoadInfo, PairSet
from siamese_core.sources import Block, Files, PairColumns, Piece, RangeTrouble, check_unchanged, open_files
from siamese_core.splits import SPLIT_CODES, SPLIT_NAMES, check_fractions, pair_splits

DEFAULT_CHUNK_ROWS = 65_536
# More distinct label values than this is not a label column (an id or a measurement picked by mistake).
MAX_LABEL_VALUES = 10_000


# --------------------------------------------------------------------------------------------------
# The scan's result
# --------------------------------------------------------------------------------------------------


@dataclass
class StreamScan:
    """What one validating pass over the files found.

    Attributes:
        files: The files, in the order they are read (by name).
        feature_names: The d feature names.
        left_columns: The first sample's feature columns.
        right_columns: The second sample's feature columns, paired with `left_columns` by position.
        label_column: The label column.
        label_mapping: How the raw labels map to similar and dissimilar, with the counts of all pairs.
        n_pairs: Pairs kept (rows read less rows dropped for missing values).
        split_counts: Pairs per split: "train", "validation", "test", and "dropped" (samples in two splits).
        info: What `load_pair_csv` would say (kind "pairs"; source: the file's or the folder's name).
        statistics: float64 statistics of the training pairs' samples, both sides.
        format: "csv" or "parquet".
        n_units: How many units the pairs are cut into (see `PairStream.chunks`).
    """

    files: list[Path]
    feature_names: list[str]
    left_columns: list[str]
    right_columns: list[str]
    label_column: str
    label_mapping: LabelMapping
    n_pairs: int
    split_counts: dict[str, int]
    info: LoadInfo
    statistics: ColumnStatistics
    format: str = "csv"
    n_units: int = 0


@dataclass
class _Tally:
    """What the scan gathered in one file, merged into the whole once the file has passed every check."""

    statistics: ColumnStatistics
    findings: Findings = field(default_factory=Findings)  # empty cells and infinite values, as loaders check
    labels: dict = field(default_factory=dict)  # raw value -> [count, first 0-based row]
    splits: np.ndarray = field(default_factory=lambda: np.zeros(len(SPLIT_CODES), dtype=np.int64))
    pieces: list[Piece] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# The stream
# --------------------------------------------------------------------------------------------------


class PairStream:
    """Pairs from a wide pair CSV, a Parquet file, or a folder of either, read a chunk at a time.

    Args:
        source: A pair file (CSV, or Parquet by its suffix .parquet / .pq or its content), or a folder of
            CSV files or of Parquet files (.csv, .tsv, .txt / .parquet, .pq), read in the order of their
            names; every file needs the same columns.
        label_column: The label column; detected by name when None (see `load_pair_csv`).
        left_columns: The first sample's feature columns; with `right_columns`, overrides side detection.
        right_columns: The second sample's feature columns, paired with `left_columns` by position.
        similar_label: The raw label value that means "similar" (see `map_labels`).
        drop_missing: Drop rows with empty cells instead of raising.
        chunk_rows: Rows per chunk, at most; memory holds about one chunk.
        validation_fraction: Share of pairs for validation, in [0, 1).
        test_fraction: Share of pairs for the test, in [0, 1).
        seed: Seed of the split.
        leakage_aware: Keep every sample in one split, dropping pairs whose samples fall in two (the
            default); False splits pairs by a hash of the pair, dropping none (see `pair_splits`).

    Raises:
        ConfigError: A setting is out of range.
    """

    def __init__(
        self,
        source: str | Path,
        *,
        label_column: str | None = None,
        left_columns: list[str] | None = None,
        right_columns: list[str] | None = None,
        similar_label: object = None,
        drop_missing: bool = False,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        validation_fraction: float = 0.0,
        test_fraction: float = 0.0,
        seed: int = 0,
        leakage_aware: bool = True,
    ):
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
            raise ConfigError(f"chunk_rows must be a positive integer. Received: chunk_rows={chunk_rows!r}")
        check_fractions(validation_fraction, test_fraction)
        self.source = Path(source)
        self.label_column = label_column
        self.left_columns = None if left_columns is None else list(left_columns)
        self.right_columns = None if right_columns is None else list(right_columns)
        self.similar_label = similar_label
        self.drop_missing = bool(drop_missing)
        self.chunk_rows = int(chunk_rows)
        self.validation_fraction = float(validation_fraction)
        self.test_fraction = float(test_fraction)
        self.seed = int(seed)
        self.leakage_aware = bool(leakage_aware)
        self._scan: StreamScan | None = None
        self._files: Files | None = None
        self._columns: PairColumns | None = None
        self._pieces: list[Piece] = []
        self._label_of: dict = {}  # raw label value -> 0.0 (similar) or 1.0 (dissimilar)

    # Scan ---------------------------------------------------------------------------------------

    def scan(self) -> StreamScan:
        """Read every file once: validate each chunk, map the labels, count the splits, gather statistics.

        Cached: later calls return the first result.

        Returns:
            The `StreamScan`.

        Raises:
            DataError: A file cannot be read, its columns cannot be found or paired, a value is missing, not
                a number or infinite, a folder's files differ, or there are too few pairs of each kind; the
                message names the file, the column, the 1-based data row and the value, as `load_pair_csv`.
            LabelError: The labels cannot be mapped to similar and dissimilar.
        """
        if self._scan is None:
            self._scan = self._run_scan()
        return self._scan

    def _run_scan(self) -> StreamScan:
        files = open_files(self.source)
        info, names = self._resolve_columns(files)
        statistics, labels, splits = self._scan_files(files, info)
        per_value, mapping = self._map_labels(labels, files.name)
        self._label_of = dict(zip(labels, per_value, strict=True))
        info.label_mapping = mapping
        check_mapped_pairs(mapping, files.name)
        return StreamScan(
            files=[file.path for file in files.files],
            feature_names=list(names),
            left_columns=list(self._columns.left),
            right_columns=list(self._columns.right),
            label_column=self._columns.label,
            label_mapping=mapping,
            n_pairs=int(splits.sum()),
            split_counts={name: int(count) for name, count in zip(SPLIT_CODES, splits, strict=True)},
            info=info,
            statistics=statistics,
            format=files.format,
            n_units=sum(piece.n_units for piece in self._pieces),
        )

    def _resolve_columns(self, files: Files) -> tuple[LoadInfo, list[str]]:
        """The label and side columns (from the first file: all have the same), as `load_pair_csv` finds
        them, and the LoadInfo so far; returns it with the feature names."""
        first = files.files[0]
        label = resolve_label_column(first.columns, self.label_column, first.name)
        info = LoadInfo(source=files.name, kind="pairs", label_column=label, warnings=list(files.warnings))
        for file in files.files:
            info.warnings += [f"{file.name}: {w}" if files.is_folder else w for w in file.warnings]
        if self.left_columns is None and self.right_columns is None:
            left, right, names = detected_sides(first.columns, label, first.name, info)
        else:
            left, right, names = given_sides(
                first.columns, self.left_columns, self.right_columns, label, first.name
            )
        info.left_columns, info.right_columns = left, right
        used = {label, *left, *right}
        info.ignored_columns = [column for column in first.columns if column not in used]
        self._files, self._columns = files, PairColumns(label, left, right)
        return info, names

    def _scan_files(self, files: Files, info: LoadInfo) -> tuple[ColumnStatistics, dict, np.ndarray]:
        """Tally every file in turn; returns the statistics, the distinct raw labels (value -> [count, first
        0-based row, file]) in order of appearance, and the pairs per split."""
        statistics = ColumnStatistics.empty(len(self._columns.left))
        labels: dict = {}
        splits = np.zeros(len(SPLIT_CODES), dtype=np.int64)
        self._pieces = []
        for index, file in enumerate(files.files):
            tally = self._scan_file(index, file)
            self._finish_file(file, tally, info)
            statistics.merge(tally.statistics)
            splits += tally.splits
            self._pieces += tally.pieces
            for value, (count, row) in tally.labels.items():
                if value in labels:
                    labels[value][0] += count
                else:
                    labels[value] = [count, row, file.name]
            if self.similar_label is None:
                self._map_labels(labels, files.name)  # a label that fits no rule fails before later files
        return statistics, labels, splits

    def _scan_file(self, index: int, file) -> _Tally:
        """Tally one file: in byte ranges when it allows (`CsvFile.range_plan`), else in order."""
        if file.format == "parquet":
            return self._tally(file, file.pieces(index, self.chunk_rows))
        ranges = file.range_plan(index, self.chunk_rows)
        if ranges is not None:
            try:
                return self._tally(file, ranges)
            except RangeTrouble:
                pass  # a quote, or something the read in order reports as `load_pair_csv` does
        return self._tally(file, [Piece(index, "file")])

    def _tally(self, file, pieces: list[Piece]) -> _Tally:
        tally = _Tally(ColumnStatistics.empty(len(self._columns.left)))
        for piece in pieces:
            piece = replace(piece, first_row=tally.findings.n_rows)
            n_rows, last_unit = 0, -1
            for block in file.blocks(piece, self._columns, self.chunk_rows):
                self._tally_block(file, block, tally)
                n_rows += len(block.rows)
                last_unit = max(last_unit, block.unit)
            tally.pieces.append(replace(piece, n_rows=n_rows, n_units=last_unit + 1))
        return tally

    def _tally_block(self, file, block: Block, tally: _Tally) -> None:
        checked = _check_block(block, self._columns, file.positions)
        if not tally.findings.add(block.rows, checked, block.value_text, self.drop_missing):
            return  # the file fails at its end; reading on only finds what `load_pair_csv` reports first
        left, right = block.left[checked.keep], block.right[checked.keep]
        rows = block.rows[checked.keep]
        codes = self._split_codes(left, right)
        tally.splits += np.bincount(codes, minlength=len(SPLIT_CODES))
        train = codes == 0
        tally.statistics.add(left[train])
        tally.statistics.add(right[train])
        _count_labels(block.labels[checked.keep], rows, tally.labels, file.name, self._columns.label)

    def _finish_file(self, file, tally: _Tally, info: LoadInfo) -> None:
        """Raise what `load_pair_csv` raises for this file, in its order; else count its rows."""
        tally.findings.report(file.name, file.decimal, self.drop_missing, info)
        info.n_rows += tally.findings.n_rows

    def _map_labels(self, labels: dict, name: str) -> tuple[list[float], LabelMapping]:
        """Map the distinct raw labels (in order of first appearance) once, as `map_labels` would."""
        distinct = []
        for value, (count, row, source) in labels.items():
            classified = classify_label(value, count, row + 1)
            classified.source = source
            distinct.append(classified)
        options = {"column": self._columns.label, "similar_label": self.similar_label, "source": name}
        try:
            return map_distinct_labels(distinct, **options)
        except LabelError as error:
            raise self._with_earlier_mapping(error, distinct, options) from None

    def _with_earlier_mapping(
        self, error: LabelError, distinct: list[LabelValue], options: dict
    ) -> LabelError:
        """The error, saying how the values before the offending one map, when it first shows up after the
        first chunk (a mapping that a chunked reader might have settled on by then)."""
        at = next(
            (
                i
                for i, v in enumerate(distinct)
                if (v.display, v.first_row, v.source) == (error.value, error.row, error.source)
            ),
            None,
        )
        if not at or (
            distinct[at].first_row <= self.chunk_rows and distinct[at].source == distinct[0].source
        ):
            return error
        try:
            _, before = map_distinct_labels(distinct[:at], **options)
        except LabelError:
            return error
        return LabelError(
            f"{error.detail}; the label values before it map as: {', '.join(before.similar_values)} = "
            f"similar, {', '.join(before.dissimilar_values) or 'none'} = dissimilar ({before.reason})",
            source=error.source,
            column=error.column,
            row=error.row,
            value=error.value,
            settings=error.settings,
        )

    def _split_codes(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return pair_splits(
            left,
            right,
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            seed=self.seed,
            leakage_aware=self.leakage_aware,
        )

    # Statistics ---------------------------------------------------------------------------------

    def scaling_statistics(self, mode: str = "auto") -> tuple[np.ndarray, np.ndarray, str]:
        """The model's feature scaling from the training pairs' samples (both sides), gathered by the scan.

        Args:
            mode: "per_feature", "global", "none" or "auto" (see `TrainConfig.scaling`).

        Returns:
            `(mean, variance, mode used)`: what `siamese_core.model.scaling_statistics` returns on the same
            samples held in memory (equal within rounding).

        Raises:
            DataError: No pair is in the training split.
        """
        scan = self.scan()
        statistics = scan.statistics
        if statistics.count == 0:
            raise DataError(
                "has no training pairs: every pair fell into validation or test, or was dropped because its "
                "two samples fell into different splits; lower validation_fraction and test_fraction",
                source=scan.info.source,
            )
        from siamese_core.model import scaling_from_statistics  # imports Keras: only when asked for

        return scaling_from_statistics(statistics, mode, scan.feature_names)

    # Reading the pairs --------------------------------------------------------------------------

    def chunks(
        self,
        split: str = "train",
        *,
        shard_index: int = 0,
        shard_count: int = 1,
        shuffle_seed: int | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The pairs of one split, a chunk at a time (scanning first if not done yet).

        The pairs are cut into units: a CSV byte range of about `chunk_rows` rows, the `chunk_rows`-row
        chunks of a CSV read in order (one with a quote character), the `chunk_rows`-row batches of a
        Parquet row group. Unit i belongs to shard i % shard_count: shards are disjoint and together hold
        every pair. A worker parses only the byte ranges and row groups that hold its units; a CSV read in
        order is parsed whole by every worker, and a row group by every worker with a unit in it.

        Args:
            split: "train", "validation", "test", or "all" (every pair kept, the dropped ones included).
            shard_index: This worker's shard, in [0, shard_count).
            shard_count: How many workers share the pairs.
            shuffle_seed: When given, the byte ranges and row groups are read in an order drawn from it, and
                the rows of each chunk are permuted: a new seed per epoch gives a new order. A CSV read in
                order and the units of one row group keep their order.

        Returns:
            An iterator of `(left, right, labels)`: (n, d) float32, (n, d) float32, and (n,) float32 labels
            (0 similar, 1 dissimilar), 1 <= n <= chunk_rows, only pairs of `split`.

        Raises:
            ConfigError: A split, shard or seed is out of range.
            DataError: A file changed since the scan.
        """
        code = _split_code(split)
        if isinstance(shard_count, bool) or not isinstance(shard_count, (int, np.integer)) or shard_count < 1:
            raise ConfigError(
                f"shard_count must be a positive integer. Received: shard_count={shard_count!r}"
            )
        if not isinstance(shard_index, (int, np.integer)) or not 0 <= shard_index < shard_count:
            raise ConfigError(
                f"shard_index must be in [0, shard_count). Received: shard_index={shard_index!r}, "
                f"shard_count={shard_count}"
            )
        if shuffle_seed is not None and (not isinstance(shuffle_seed, (int, np.integer)) or shuffle_seed < 0):
            raise ConfigError(f"shuffle_seed must be a non-negative integer. Received: {shuffle_seed!r}")
        self.scan()
        rng = None if shuffle_seed is None else np.random.default_rng(int(shuffle_seed))
        return self._shuffled_chunks(code, int(shard_index), int(shard_count), rng)

    def _shuffled_chunks(self, code: int | None, shard_index: int, shard_count: int, rng) -> Iterator:
        for _, left, right, labels in self._pairs(code, shard_index, shard_count, rng):
            if rng is not None:
                order = rng.permutation(len(labels))
                left, right, labels = left[order], right[order], labels[order]
            yield left, right, labels

    def _shard(self, shard_index: int, shard_count: int) -> list[tuple[Piece, set[int]]]:
        """The pieces holding units of this shard, with those units (numbered within each piece)."""
        shard, first_unit = [], 0
        for piece in self._pieces:
            units = {u for u in range(piece.n_units) if (first_unit + u) % shard_count == shard_index}
            if units:
                shard.append((piece, units))
            first_unit += piece.n_units
        return shard

    def _pairs(self, code: int | None, shard_index: int, shard_count: int, rng=None) -> Iterator:
        """(0-based rows, left, right, labels) of the pairs of split `code` (None: all kept), by block."""
        for (pairs,) in self._blocks_of((code,), shard_index, shard_count, rng):
            if len(pairs[0]):
                yield pairs

    def _blocks_of(self, codes: tuple, shard_index: int, shard_count: int, rng=None) -> Iterator[list[tuple]]:
        """For each block of the shard, its pairs of each split in `codes` (see `_kept`), one read for all."""
        shard = self._shard(shard_index, shard_count)
        order = range(len(shard)) if rng is None else rng.permutation(len(shard))
        checked = set()
        for position in order:
            piece, units = shard[position]
            file = self._files.files[piece.file]
            if piece.file not in checked:
                check_unchanged(file)
                checked.add(piece.file)
            for block in self._read(file, piece):
                if block.unit in units:
                    yield self._kept(file, block, codes)

    def _read(self, file, piece: Piece) -> Iterator[Block]:
        try:
            yield from file.blocks(piece, self._columns, self.chunk_rows)
        except RangeTrouble as trouble:
            raise _changed(file.name, f"a byte range no longer reads as it did ({trouble})") from None

    def _kept(self, file, block: Block, codes: tuple) -> list[tuple]:
        """The block's (0-based rows, left, right, labels) of each split in `codes` (None: all kept),
        checked again (a file may have changed since the scan)."""
        checked = _check_block(block, self._columns, file.positions)
        if checked.n_missing and not self.drop_missing:
            position, column = checked.first_missing
            raise _changed(file.name, f"row {block.rows[position] + 1} has an empty cell in '{column}'")
        if checked.first_infinite is not None:
            position, column = checked.first_infinite
            raise _changed(file.name, f"row {block.rows[position] + 1} has an infinite value in '{column}'")
        keep = checked.keep
        left, right, rows, raw_labels = (
            block.left[keep],
            block.right[keep],
            block.rows[keep],
            block.labels[keep],
        )
        splits = None if all(code is None for code in codes) else self._split_codes(left, right)
        kept = []
        for code in codes:
            chosen = slice(None) if code is None else splits == code
            labels = self._mapped(raw_labels[chosen], rows[chosen], file.name)
            kept.append((rows[chosen], left[chosen], right[chosen], labels))
        return kept

    def _mapped(self, raw: pd.Series, rows: np.ndarray, name: str) -> np.ndarray:
        """float32 labels of raw values, with the scan's mapping."""
        codes, uniques = pd.factorize(raw)
        per_unique = np.empty(len(uniques), dtype=np.float32)
        for index, value in enumerate(uniques):
            label = self._label_of.get(value)
            if label is None:
                mapping = self._scan.label_mapping
                raise LabelError(
                    f"label value '{shown(display_label(value))}' was not in the files when they were scanned (the "
                    f"mapping then: {mapping.describe()}); the file has changed: make a new PairStream to "
                    "scan it again",
                    source=name,
                    column=self._columns.label,
                    row=int(rows[int(np.argmax(codes == index))]) + 1,
                    value=display_label(value),
                )
            per_unique[index] = label
        return per_unique[codes]

    def load_split(self, split: str, max_pairs: int | None = None) -> PairSet:
        """The pairs of one split gathered in memory (validation and test pairs are few), in file order.

        Args:
            split: "train", "validation", "test" or "all".
            max_pairs: Keep at most this many (the first ones); None keeps all.

        Returns:
            A PairSet whose `rows` are the 1-based data rows in each pair's file (in a folder, rows of
            different files may repeat), and whose `info` is the scan's (a warning says when pairs were cut).

        Raises:
            ConfigError: The split or max_pairs is out of range.
            DataError: A file changed since the scan.
        """
        return self.load_splits([split], max_pairs)[split]

    def load_splits(self, splits: list[str], max_pairs: int | None = None) -> dict[str, PairSet]:
        """Several splits gathered in memory in ONE read of the files: {split: `load_split(split)`}."""
        codes = tuple(_split_code(split) for split in splits)
        if max_pairs is not None and (not isinstance(max_pairs, (int, np.integer)) or max_pairs < 0):
            raise ConfigError(f"max_pairs must be a non-negative integer or None. Received: {max_pairs!r}")
        scan = self.scan()
        gathered = []
        for split, code in zip(splits, codes, strict=True):
            total = scan.n_pairs if code is None else scan.split_counts[split]
            gathered.append(_Gathered(total, max_pairs, len(scan.feature_names)))
        if any(not one.full for one in gathered):
            for kept in self._blocks_of(codes, 0, 1):
                for one, pairs in zip(gathered, kept, strict=True):
                    one.add(*pairs)
                if all(one.full for one in gathered):
                    break
        return {
            split: one.pair_set(split, max_pairs, scan) for split, one in zip(splits, gathered, strict=True)
        }

    def __repr__(self) -> str:
        scanned = f"{self._scan.n_pairs:,} pairs" if self._scan else "not scanned"
        return f"PairStream({str(self.source)!r}, chunk_rows={self.chunk_rows}, {scanned})"


# --------------------------------------------------------------------------------------------------
# Checks on one block
# --------------------------------------------------------------------------------------------------


class _Gathered:
    """The first pairs of one split, up to a size, filled block by block (for `load_splits`)."""

    def __init__(self, total: int, max_pairs: int | None, width: int) -> None:
        self.total = total
        self.size = total if max_pairs is None else min(total, int(max_pairs))
        self.left = np.empty((self.size, width), dtype=np.float32)
        self.right = np.empty((self.size, width), dtype=np.float32)
        self.labels = np.empty(self.size, dtype=np.float32)
        self.rows = np.empty(self.size, dtype=np.int64)
        self.filled = 0

    @property
    def full(self) -> bool:
        return self.filled == self.size

    def add(self, rows: np.ndarray, left: np.ndarray, right: np.ndarray, labels: np.ndarray) -> None:
        take = min(len(rows), self.size - self.filled)
        target = slice(self.filled, self.filled + take)
        self.left[target], self.right[target] = left[:take], right[:take]
        self.labels[target], self.rows[target] = labels[:take], rows[:take] + 1
        self.filled += take

    def pair_set(self, split: str, max_pairs: int | None, scan: StreamScan) -> PairSet:
        info = copy.deepcopy(scan.info)
        if self.size < self.total:
            info.warnings.append(
                f"kept the first {self.size:,} of {self.total:,} {split} pairs (max_pairs={max_pairs})"
            )
        filled = self.filled
        return PairSet(
            self.left[:filled],
            self.right[:filled],
            self.labels[:filled],
            list(scan.feature_names),
            self.rows[:filled],
            info,
        )


def _check_block(block: Block, columns: PairColumns, positions: dict[str, int]) -> RowCheck:
    """Empty cells (the first one leftmost in the file on its row) and the first infinite value kept."""
    return check_rows(
        [(columns.label, block.labels.isna().to_numpy())],
        [(columns.left, block.left), (columns.right, block.right)],
        positions,
    )


def _count_labels(raw: pd.Series, rows: np.ndarray, counts: dict, name: str, column: str) -> None:
    """Add a block's distinct raw labels to `counts` (value -> [count, first 0-based row]), in order."""
    codes, uniques = pd.factorize(raw)
    if not len(uniques):
        return
    per_unique = np.bincount(codes, minlength=len(uniques))
    _, first_at = np.unique(codes, return_index=True)
    for value, count, position in zip(uniques, per_unique, first_at, strict=True):
        if value in counts:
            counts[value][0] += int(count)
        else:
            counts[value] = [int(count), int(rows[position])]
    if len(counts) > MAX_LABEL_VALUES:
        listed = ", ".join(f"'{shown(display_label(v))}'" for v in list(counts)[:5])
        raise LabelError(
            f"has more than {MAX_LABEL_VALUES:,} distinct label values ({listed}, ...); a label column holds a "
            "few values such as 0/1 or same/different: name the label column",
            source=name,
            settings=[("label_column", "...")],
            column=column,
        )


def _split_code(split: str) -> int | None:
    if split == "all":
        return None
    if split not in SPLIT_NAMES:
        raise ConfigError(f"split must be one of {', '.join(SPLIT_NAMES)} or all. Received: split={split!r}")
    return SPLIT_NAMES.index(split)


def _changed(name: str, what: str) -> DataError:
    return DataError(
        f"has changed since it was scanned ({what}); make a new PairStream to scan it again", source=name
    )
