"""Duplicate candidates: the pairs of rows, in one table or across two, whose embeddings are closest.

Every row is embedded (`siamese_core.embedding`, a block at a time), the embeddings go into a FAISS index,
and each row's nearest rows are looked up. What is kept is every pair at or below a distance (the model's
threshold by default), or the N closest pairs; within one table each unordered pair once and never a row
with itself, across two tables (`against`) only pairs of a row of each.

Nothing within the distance is lost to k. A first pass asks the index for each row's k nearest rows
(k + 1 within one table: a row finds itself). A row whose k-th nearest is still within the distance may
have more than k rows within it: those rows alone are searched again by radius (`range_search`), which
returns every row within it. Each pair within the distance is so found from its first row's side, whatever
k is (by the exact index; by the approximate one, up to its recall): k sets the speed, not the result. Within one table a pair is also found from its second row; it is
kept once. For the N closest pairs, the first pass's N closest give a distance that the table's N closest
pairs lie within (the N-th one's); rows whose k-th nearest is within it are searched again by radius, and
the N closest of all the pairs found are kept.

Distances are those the model computes: sqrt(max(sum of squared differences, epsilon)) between the two
embeddings, computed again in float64 for every pair found. FAISS's own squared distances come from
|x|^2 + |y|^2 - 2 x.y for many queries at once (BLAS), which rounds away the distance of near-duplicates,
so the search looks slightly beyond the distance asked for, by the rounding's bound, and the exact
distances decide. The embeddings are centred on their mean first (no distance changes), which keeps the
rounding small.

Exact or approximate, by size. Up to `EXACT_MAX_DISTANCES` distances (queries x indexed rows) the index
is flat: every distance is computed, the result is exact. Above, an inverted-file index (`IndexIVFFlat`):
k-means splits the indexed embeddings into about 2 sqrt(n) cells, and a query looks into the `nprobe`
cells nearest to it. nprobe is set by measurement, not assumed: for rows sampled from the queries the
exact k nearest are found by brute force, and nprobe doubles until the index finds at least
`TARGET_RECALL` of them on half of the sample; the recall reached is then measured on the other half and
reported (`SearchInfo.recall`).

Memory: the index holds the embeddings once (float32), plus 16 bytes a row (its id and the map that gives
a row's vector back); each IVF cell is allocated once at its final size. A table read from a file is
embedded a block at a time into a temporary file (in the system's temporary folder, `TMPDIR`: 488 MiB a
million rows of a 128-d embedding), which then feeds the index and the queries a block at a time; a
DataFrame's embeddings are kept in memory, beside the index.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import pandas as pd
import pyarrow as pa
from faiss.contrib.ivf_tools import add_preassigned

from siamese_core.bundle import SiameseBundle
from siamese_core.embedding import EMBED_CHUNK_ROWS, table_embeddings
from siamese_core.errors import ConfigError
from siamese_core.evaluation import check_threshold
from siamese_core.model import DISTANCE_NAME
from siamese_core.outputs import check_outputs
from siamese_core.scoring import neutralise_formulas, write_csv

DEFAULT_K = 10
METHODS = ("auto", "exact", "ivf")
# Up to this many distances (queries x indexed rows: 20,000 rows against themselves) the search computes
# them all: a few seconds on two cores for a 128-d embedding.
EXACT_MAX_DISTANCES = 400_000_000
SEARCH_BLOCK_ROWS = 4_096  # queries per call to the index: 45,056 pairs at k = 10
PAIR_CHUNK_ROWS = 16_384  # pairs whose exact distance is computed at a time (16 MiB at 128-d)
RANGE_BLOCK_ROWS = 1_024  # queries per radius search: bounds the pairs one call returns
TARGET_RECALL = 0.98  # of the exact k nearest, on sampled rows, that nprobe is raised to reach
RECALL_SAMPLE_ROWS = 512  # half set nprobe, half measure the recall reached
LISTS_PER_SQRT_ROWS = 2  # IVF cells: 2 sqrt(n), 2,000 for a million rows
TRAIN_ROWS_PER_LIST = 40  # k-means training rows per cell (FAISS asks for 39 at least)
KMEANS_ITERATIONS = 10
# Bounds of the float32 rounding of FAISS's squared distances: relative to the distance, and, for the flat
# index's |x|^2 + |y|^2 - 2 x.y, relative to the largest squared norm (about d * float32's epsilon).
RELATIVE_SLACK = 1e-5
NORM_SLACK = 2e-5

ROW_A, ID_A, ROW_B, ID_B = "row_a", "id_a", "row_b", "id_b"
DISTANCE = "distance"
P_SIMILAR = "p_similar"


@dataclass(frozen=True)
class SearchInfo:
    """How the candidates were found.

    Attributes:
        method: "exact" (every distance computed) or "ivf" (FAISS IVF-Flat: approximate).
        n_rows: Rows of the table.
        n_other: Rows of the other table (`against`); None within one table.
        dim: Width of the embeddings.
        k: Nearest rows asked for per row in the first pass.
        radius: The distance pairs were kept at or below: the threshold, or the N-th closest pair's.
        n_searched_by_radius: Rows searched again by radius (more than k rows within it).
        n_lists: IVF cells; None when exact.
        n_probe: Cells looked into per query; None when exact.
        recall: Share of the exact k nearest rows that the index found, measured on `recall_rows` sampled
            rows; 1.0 when exact.
        recall_rows: How many rows the recall was measured on; 0 when exact.
    """

    method: str
    n_rows: int
    n_other: int | None
    dim: int
    k: int
    radius: float
    n_searched_by_radius: int
    n_lists: int | None = None
    n_probe: int | None = None
    recall: float = 1.0
    recall_rows: int = 0

    def describe(self) -> str:
        """The search in words, for the command line and the dashboard."""
        if self.method == "exact":
            how = "exact search (every distance computed)"
        else:
            how = (
                f"FAISS IVF-Flat index, {self.n_lists:,} cells, {self.n_probe:,} looked into per row: found "
                f"{self.recall:.1%} of the {self.k} nearest rows of {self.recall_rows:,} sampled rows that exact "
                "search finds"
            )
        again = (
            f"; {self.n_searched_by_radius:,} rows with more than {self.k} rows within it searched by radius"
        )
        return how + (again if self.n_searched_by_radius else "")


@dataclass
class NearestRows:
    """The k nearest rows of chosen rows, by the index that found the candidates.

    Attributes:
        rows: (m,) the chosen rows (1-based, as `row_a` numbers them).
        neighbours: (m, k) each one's nearest rows, nearest first: of the same table (never the row itself)
            or, with `against`, of the other one; 0 where the index found fewer than k.
        distances: (m, k) their distances (as the model computes them); inf where there is no row.
    """

    rows: np.ndarray
    neighbours: np.ndarray
    distances: np.ndarray


@dataclass
class Duplicates:
    """Duplicate candidates and how they were found.

    Attributes:
        candidates: One row per pair, closest first: `row_a`, `id_a` (with an id column), `row_b`, `id_b`,
            `distance`, and `p_similar` when the model has a calibration. Rows are numbered from 1 (see
            `siamese_core.embedding`); "a" is the table, "b" the table again or the other one.
        search: How they were found.
        threshold: The distance pairs were kept at or below; None when the N closest were kept.
        top: N, when the N closest pairs were kept.
        nearest: The k nearest rows of the rows asked for (`find_duplicates(nearest_of=...)`), else None.
    """

    candidates: pd.DataFrame
    search: SearchInfo
    threshold: float | None
    top: int | None
    nearest: NearestRows | None = None

    def describe(self) -> str:
        """What was found, in words."""
        rows = f"{self.search.n_rows:,} rows"
        if self.search.n_other is not None:
            rows += f" against {self.search.n_other:,} other rows"
        count = len(self.candidates)
        if self.top is not None:
            found = f"the {count:,} closest pair{'s' if count != 1 else ''} (distance up to {self.search.radius:.6g})"
        else:
            found = f"{count:,} candidate pair{'s' if count != 1 else ''} at distance <= {self.threshold:.6g}"
        return f"{found} among {rows}; {self.search.describe()}"


def find_duplicates(
    bundle: SiameseBundle,
    table,
    *,
    against=None,
    threshold: float | None = None,
    top: int | None = None,
    k: int = DEFAULT_K,
    id_column: str | None = None,
    chunk_rows: int = EMBED_CHUNK_ROWS,
    method: str = "auto",
    target_recall: float = TARGET_RECALL,
    name: str | None = None,
    against_name: str | None = None,
    seed: int = 0,
    nearest_of=None,
) -> Duplicates:
    """The pairs of rows whose embeddings are closest: every pair at or below a distance, or the N closest.

    Args:
        bundle: The model.
        table: The samples table: a DataFrame, or a CSV, a Parquet file or a folder of either (read a block
            at a time; see `siamese_core.embedding.table_embeddings`).
        against: Another samples table: then only pairs of a row of `table` and a row of `against`.
        threshold: Keep pairs at or below this distance; the model's threshold by default.
        top: Keep the `top` closest pairs instead (not with `threshold`).
        k: Nearest rows asked for per row in the first pass; rows with more than k within the distance are
            searched again by radius, so k changes the speed, not the result.
        id_column: The column of ids in both tables; without it, rows are told apart by number.
        chunk_rows: Rows read and embedded at a time.
        method: "exact", "ivf" (approximate, FAISS IVF-Flat), or "auto" (exact up to
            `EXACT_MAX_DISTANCES` distances).
        target_recall: The share of the exact k nearest rows that the approximate index must find on
            sampled rows (it sets how many cells each query looks into).
        name: What messages call `table` when it is a DataFrame, bytes or a stream.
        against_name: The same for `against`.
        seed: Seeds the rows sampled to train the index and to measure its recall.
        nearest_of: Rows of `table` (1-based) whose k nearest rows to give as well (`Duplicates.nearest`),
            found by the same index with the same settings: to look at a row's neighbours, or to measure
            the search against brute force.

    Returns:
        The candidates, closest first (see `Duplicates`), and how they were found.

    Raises:
        DataError: A table cannot be read or used (as `table_embeddings` says).
        ConfigError: A setting is out of range, or `threshold` and `top` are both given.
    """
    if threshold is not None and top is not None:
        raise ConfigError("give a threshold or a number of closest pairs (top), not both")
    _check_whole("k", k)
    if top is not None:
        _check_whole("top", top)
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}. Received: method={method!r}")
    if not 0 < target_recall <= 1:
        raise ConfigError(f"target_recall must be in (0, 1]. Received: target_recall={target_recall!r}")
    radius = (
        None if top is not None else check_threshold(bundle.threshold if threshold is None else threshold)
    )
    with tempfile.TemporaryDirectory(prefix="siamese-duplicates-") as folder:
        queries = _Embeddings.of(bundle, table, id_column, chunk_rows, name, Path(folder) / "table.f32")
        base = queries
        if against is not None:
            base = _Embeddings.of(
                bundle, against, id_column, chunk_rows, against_name, Path(folder) / "other.f32"
            )
        search = _Search(queries, base, same=against is None, k=k, method=method, seed=seed)
        search.tune(target_recall)
        keys, distances, info = search.pairs(radius, top, _epsilon(bundle))
        nearest = (
            None if nearest_of is None else search.nearest(_rows(nearest_of, queries.n), _epsilon(bundle))
        )
    candidates = _candidates(bundle, keys, distances, queries, base)
    return Duplicates(candidates, info, None if top is not None else radius, top, nearest)


def write_duplicates(bundle: SiameseBundle, source, output, *, against=None, **options) -> Duplicates:
    """Find duplicate candidates (`find_duplicates`) and write them to a CSV, atomically.

    Ids that a spreadsheet would run as formulas are written with a quote first
    (`siamese_core.scoring.neutralise_formulas`).

    Args:
        bundle: The model.
        source: The samples table (see `find_duplicates`).
        output: The CSV to write; replaced only once every pair is found.
        against: Another samples table, as `find_duplicates` takes it.
        **options: `find_duplicates`'s other options.

    Returns:
        What `find_duplicates` returns.

    Raises:
        DataError: As `find_duplicates` says.
        ConfigError: As `find_duplicates` says, or `output` is one of the tables (or in one of their
            folders), or cannot be written (see `siamese_core.outputs.check_outputs`).
    """
    inputs = {role: path for role, path in (("table", source), ("other table", against)) if _is_path(path)}
    check_outputs({"output": output}, inputs)  # the candidates must not replace what they were found in
    for role, key in (("name", source), ("against_name", against)):
        if _is_path(key):
            options.setdefault(role, Path(key).name)
    duplicates = find_duplicates(bundle, source, against=against, **options)
    write_csv(neutralise_formulas(duplicates.candidates), output)
    return duplicates


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def _rows(rows, n: int) -> np.ndarray:
    """1-based row numbers of a table of `n` rows, checked."""
    rows = np.asarray(rows)
    if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer) or ((rows < 1) | (rows > n)).any():
        raise ConfigError(f"nearest_of must be row numbers from 1 to {n:,} (the table's rows)")
    return rows.astype(np.int64)


def _check_whole(name: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a whole number >= 1. Received: {name}={value!r}")


def _epsilon(bundle: SiameseBundle) -> float:
    """The floor under squared distances of the model's distance layer (`EuclideanDistance.epsilon`)."""
    return float(bundle.model.get_layer(DISTANCE_NAME).epsilon)


class _Embeddings:
    """A table's embeddings and ids: in memory (a DataFrame's), or in a temporary file read a block at a time.

    Attributes:
        n: Rows.
        dim: Width of an embedding.
        ids: The ids of every row, or None without an id column.
        mean: The mean embedding (float64).
        max_norm: The largest Euclidean norm of an embedding.
    """

    def __init__(self, n: int, dim: int, ids, total: np.ndarray, max_norm: float, array=None, path=None):
        self.n, self.dim, self.ids = n, dim, ids
        self.mean = total / max(n, 1)
        self.max_norm = max_norm
        self._array, self._path = array, path

    @classmethod
    def of(cls, bundle, table, id_column, chunk_rows, name, path: Path) -> _Embeddings:
        """Embed `table` a block at a time: into memory for a DataFrame, into the file `path` otherwise."""
        if _is_path(table):
            name = name or Path(table).name
        in_memory = isinstance(table, pd.DataFrame)
        blocks, ids, total, max_norm, n, dim = [], [], 0.0, 0.0, 0, 0
        with contextlib.nullcontext() if in_memory else open(path, "wb") as stream:
            for block in table_embeddings(
                bundle, table, id_column=id_column, chunk_rows=chunk_rows, name=name
            ):
                embeddings = block.embeddings
                if in_memory:
                    blocks.append(embeddings)
                else:
                    stream.write(np.ascontiguousarray(embeddings, dtype=np.float32).tobytes())
                if block.ids is not None:
                    ids.append(block.ids)
                total = total + embeddings.sum(axis=0, dtype=np.float64)
                max_norm = max(max_norm, float(np.sqrt(np.einsum("ij,ij->i", embeddings, embeddings).max())))
                n, dim = n + len(embeddings), embeddings.shape[1]
        # Arrow's allocator keeps the pages that reading freed (about 80 MiB for a Parquet file read in
        # blocks); handed back now, before the index takes its memory.
        pa.default_memory_pool().release_unused()
        chunked = pa.chunked_array(ids, type=pa.string()) if ids else None
        array = np.concatenate(blocks) if in_memory else None
        return cls(
            n, dim, chunked, np.asarray(total), max_norm, array=array, path=None if in_memory else path
        )

    def blocks(self, rows: int, mean: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """(the first row, the embeddings less `mean` as float32), `rows` rows at a time."""
        if self._array is not None:
            for start in range(0, self.n, rows):
                yield start, _centred(self._array[start : start + rows], mean)
            return
        with open(self._path, "rb") as stream:
            for start in range(0, self.n, rows):
                count = min(rows, self.n - start)
                block = np.fromfile(stream, dtype=np.float32, count=count * self.dim).reshape(count, self.dim)
                yield start, _centred(block, mean)

    def gather(self, positions: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """The embeddings (less `mean`) of the rows at sorted `positions`, read a block at a time."""
        parts = []
        for start, block in self.blocks(EMBED_CHUNK_ROWS, mean):
            inside = positions[(positions >= start) & (positions < start + len(block))]
            parts.append(block[inside - start])
        return np.concatenate(parts) if parts else np.empty((0, self.dim), dtype=np.float32)


def _centred(block: np.ndarray, mean: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(block - mean, dtype=np.float32)


class _Search:
    """An index over `base`'s embeddings, queried with `queries`' (the same object within one table)."""

    def __init__(
        self, queries: _Embeddings, base: _Embeddings, *, same: bool, k: int, method: str, seed: int
    ):
        self.queries, self.base, self.same = queries, base, same
        self.mean = base.mean
        self.rng = np.random.default_rng(seed)
        self.exact = (
            method == "exact"
            or (method == "auto" and queries.n * base.n <= EXACT_MAX_DISTANCES)
            or base.n - same < 1  # nothing to search
        )
        self.k = k
        self.params = None
        self.n_lists = self.n_probe = None
        self.recall, self.recall_rows = 1.0, 0
        # The largest norm of a centred embedding, bounded without a second pass: |x - m| <= |x| + |m|.
        largest = max(queries.max_norm, base.max_norm) + float(np.linalg.norm(self.mean))
        self.blas_slack = NORM_SLACK * 2 * largest**2  # of squared distances computed by BLAS
        self.norm_slack = self.blas_slack if self.exact else 0.0  # IVF-Flat computes each one directly
        self.index = self._flat() if self.exact else self._ivf()

    def _flat(self):
        index = faiss.IndexFlatL2(self.base.dim)
        for _, block in self.base.blocks(EMBED_CHUNK_ROWS, self.mean):
            index.add(block)
        return index

    def _ivf(self):
        n = self.base.n
        n_lists = max(1, min(round(LISTS_PER_SQRT_ROWS * math.sqrt(n)), n // TRAIN_ROWS_PER_LIST))
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(self.base.dim), self.base.dim, n_lists, faiss.METRIC_L2)
        index.cp.niter = KMEANS_ITERATIONS
        # FAISS warns on stderr below 39 training rows per cell; only a tiny index (method="ivf") has fewer.
        index.cp.min_points_per_centroid = 1
        index.cp.seed = int(self.rng.integers(2**31))
        training = np.sort(self.rng.choice(n, min(n, TRAIN_ROWS_PER_LIST * n_lists), replace=False))
        index.train(self.base.gather(training, self.mean))
        # Each cell's storage is allocated once, at its final size: filled a block at a time, a cell's
        # vectors would grow by doubling and hold up to twice their size (measured on a million 128-d
        # embeddings: 748 MiB instead of 502). So the cells are found first, then filled.
        cells, counts = [], np.zeros(n_lists, dtype=np.int64)
        for _, block in self.base.blocks(EMBED_CHUNK_ROWS, self.mean):
            _, nearest = index.quantizer.search(block, 1)
            cells.append(nearest.ravel())
            counts += np.bincount(cells[-1], minlength=n_lists)
        for cell in np.flatnonzero(counts):
            index.invlists.resize(int(cell), int(counts[cell]))  # allocated at its final size,
            index.invlists.resize(int(cell), 0)  # then emptied: a C++ vector keeps its capacity
        for (_, block), block_cells in zip(self.base.blocks(EMBED_CHUNK_ROWS, self.mean), cells, strict=True):
            add_preassigned(index, block, block_cells)
        index.make_direct_map()  # `reconstruct_batch`: a found row's vector, for its exact distance
        self.n_lists = n_lists
        return index

    @property
    def k_asked(self) -> int:
        """Nearest rows asked for per query: k, and the row itself within one table; at most every row."""
        return min(self.k + self.same, self.base.n)

    def tune(self, target_recall: float) -> None:
        """Set nprobe (IVF) to the fewest cells that find `target_recall` of the exact k nearest rows of half
        of the sampled rows, then measure the recall on the other half."""
        if self.exact:
            return
        sample = np.sort(
            self.rng.choice(self.queries.n, min(RECALL_SAMPLE_ROWS, self.queries.n), replace=False)
        )
        vectors = self.queries.gather(sample, self.mean)
        exact = self._brute_force(vectors, sample)
        halves = (
            np.array_split(self.rng.permutation(len(sample)), 2) if len(sample) > 1 else [np.arange(1)] * 2
        )
        n_probe = 1
        while True:
            params = faiss.SearchParametersIVF(nprobe=n_probe)
            if (
                n_probe >= self.n_lists
                or self._recall(vectors, sample, exact, halves[0], params) >= target_recall
            ):
                break
            n_probe = min(2 * n_probe, self.n_lists)
        self.params, self.n_probe = params, n_probe
        self.recall = self._recall(vectors, sample, exact, halves[1], params)
        self.recall_rows = len(halves[1])

    def _brute_force(self, vectors: np.ndarray, sample: np.ndarray) -> np.ndarray:
        """The squared distance of each sampled row's k-th nearest other row, by computing every distance."""
        best = np.full((len(vectors), 0), np.inf, dtype=np.float32)
        for start, block in self.base.blocks(EMBED_CHUNK_ROWS, self.mean):
            distances, labels = faiss.knn(vectors, block, min(self.k_asked, len(block)))
            if self.same:  # a row is not its own neighbour
                distances[labels + start == sample[:, None]] = np.inf
            best = np.sort(np.concatenate([best, distances], axis=1), axis=1)[:, : self.k_asked]
        return best[:, min(self.k, self.base.n - self.same) - 1]

    def _recall(self, vectors, sample, kth_exact, rows, params) -> float:
        """The share of the exact k nearest rows that the index finds for the sampled rows `rows`: found rows
        as close as the exact k-th count (so that ties are not held against it)."""
        if not len(rows):
            return 1.0
        distances, labels = self.index.search(vectors[rows], self.k_asked, params=params)
        if self.same:
            distances = np.where(labels == sample[rows, None], np.inf, distances)
        wanted = min(self.k, self.base.n - self.same)
        tolerance = kth_exact[rows] * (1 + RELATIVE_SLACK) + self.blas_slack
        found = np.minimum((distances <= tolerance[:, None]).sum(axis=1), wanted)
        return float(found.sum() / (len(rows) * wanted))

    def pairs(
        self, radius: float | None, top: int | None, epsilon: float
    ) -> tuple[np.ndarray, np.ndarray, SearchInfo]:
        """Every pair within `radius`, or the `top` closest: (keys, exact distances, info), closest first.

        A key is `row_a * base.n + row_b` (0-based rows; within one table row_a < row_b).
        """
        found = _Found(self.base.n, self.same, top)
        while True:
            kth = np.empty(self.queries.n, dtype=np.float32)
            for start, block in self.queries.blocks(SEARCH_BLOCK_ROWS, self.mean):
                distances, labels = self.index.search(block, self.k_asked, params=self.params)
                kth[start : start + len(block)] = distances[:, -1]
                rows = np.repeat(np.arange(start, start + len(block)), self.k_asked)
                self._add(found, block, start, rows, labels.ravel(), distances.ravel(), radius, epsilon)
            if top is None or found.size() >= top or self.k_asked >= self.base.n:
                break
            self.k *= 2  # too few pairs for the N closest: ask for more neighbours
            found = _Found(self.base.n, self.same, top)
        if top is not None:
            radius = found.largest() if found.size() >= top else math.inf
        searched = 0
        if self.k_asked < self.base.n and math.isfinite(radius):
            crowded = kth <= self._search_radius(radius)
            searched = int(crowded.sum())
            if searched:
                for start, block in self.queries.blocks(SEARCH_BLOCK_ROWS, self.mean):
                    local = np.flatnonzero(crowded[start : start + len(block)])
                    for part in np.array_split(local, max(1, math.ceil(len(local) / RANGE_BLOCK_ROWS))):
                        if len(part):
                            self._range(found, block, start, part, radius, epsilon)
        keys, distances = found.result(radius)
        if top is not None and len(distances):
            radius = distances[-1]  # the N-th closest pair's, which the search's bound may exceed
        info = SearchInfo(
            method="exact" if self.exact else "ivf",
            n_rows=self.queries.n,
            n_other=None if self.same else self.base.n,
            dim=self.base.dim,
            k=self.k,
            radius=float(radius),
            n_searched_by_radius=searched,
            n_lists=self.n_lists,
            n_probe=self.n_probe,
            recall=self.recall,
            recall_rows=self.recall_rows,
        )
        return keys, distances, info

    def nearest(self, rows: np.ndarray, epsilon: float) -> NearestRows:
        """The k nearest rows of the rows `rows` (1-based), nearest first, by the index."""
        order = np.argsort(rows, kind="stable")
        vectors = np.empty((len(rows), self.base.dim), dtype=np.float32)
        vectors[order] = self.queries.gather(rows[order] - 1, self.mean)
        squared, labels = self.index.search(vectors, self.k_asked, params=self.params)
        if self.same:  # the row itself is not one of its neighbours
            squared = np.where(labels == rows[:, None] - 1, np.inf, squared)
        squared = np.where(labels < 0, np.inf, squared)
        distances = np.full(labels.shape, np.inf)
        found = np.isfinite(squared)
        local = np.repeat(np.arange(len(rows)), labels.shape[1])[found.ravel()]
        distances[found] = self._exact_distances(vectors, local, labels[found], epsilon)
        best = np.argsort(distances, axis=1, kind="stable")[:, : self.k]
        distances = np.take_along_axis(distances, best, axis=1)
        neighbours = np.where(np.isfinite(distances), np.take_along_axis(labels, best, axis=1) + 1, 0)
        return NearestRows(rows, neighbours, distances)

    def _exact_distances(self, vectors, local, labels, epsilon) -> np.ndarray:
        """The distances of the pairs (vectors[local[i]], the indexed row labels[i]) as the model computes
        them, in float64, `PAIR_CHUNK_ROWS` pairs at a time (memory: a chunk's vectors, not every pair's)."""
        distances = np.empty(len(labels))
        for start in range(0, len(labels), PAIR_CHUNK_ROWS):
            part = slice(start, start + PAIR_CHUNK_ROWS)
            difference = vectors[local[part]].astype(np.float64) - self.index.reconstruct_batch(labels[part])
            distances[part] = np.sqrt(np.maximum(np.einsum("ij,ij->i", difference, difference), epsilon))
        return distances

    def _search_radius(self, radius: float) -> float:
        """The squared radius to search: `radius` widened by the bounds of FAISS's rounding."""
        return (radius * (1 + RELATIVE_SLACK)) ** 2 + self.norm_slack

    def _range(self, found, block, start, local, radius, epsilon) -> None:
        limits, distances, labels = self.index.range_search(
            block[local], self._search_radius(radius), params=self.params
        )
        rows = np.repeat(start + local, np.diff(limits.astype(np.int64)))  # limits are size_t
        self._add(found, block, start, rows, labels, distances, radius, epsilon)

    def _add(self, found, block, start, rows, labels, squared, radius, epsilon) -> None:
        """Add the pairs (rows, labels) that FAISS found, with their exact distances, to `found`: not a row
        with itself, and, with a radius, only those within it."""
        keep = labels >= 0
        if self.same:
            keep &= labels != rows
        if radius is not None:
            keep &= squared <= self._search_radius(radius)
        rows, labels = rows[keep], labels[keep]
        if not len(rows):
            return
        distances = self._exact_distances(block, rows - start, labels, epsilon)
        if radius is not None:
            within = distances <= radius
            rows, labels, distances = rows[within], labels[within], distances[within]
        found.add(rows, labels, distances)


class _Found:
    """Pairs found, kept once each; with a limit, only about the `limit` closest are kept as they come."""

    def __init__(self, n_base: int, same: bool, limit: int | None):
        self.n_base, self.same, self.limit = n_base, same, limit
        self.keys: list[np.ndarray] = []
        self.distances: list[np.ndarray] = []
        self.pending = 0

    def add(self, rows: np.ndarray, labels: np.ndarray, distances: np.ndarray) -> None:
        first, second = (np.minimum(rows, labels), np.maximum(rows, labels)) if self.same else (rows, labels)
        self.keys.append(first.astype(np.int64) * self.n_base + second)
        self.distances.append(distances)
        self.pending += len(distances)
        if self.limit is not None and self.pending > 4 * self.limit + SEARCH_BLOCK_ROWS:
            self._compact()

    def _compact(self) -> None:
        """One entry per pair, closest first; with a limit, the `limit` closest."""
        keys = np.concatenate(self.keys) if self.keys else np.empty(0, dtype=np.int64)
        distances = np.concatenate(self.distances) if self.distances else np.empty(0)
        keys, first = np.unique(keys, return_index=True)
        distances = distances[first]
        order = np.lexsort((keys, distances))
        if self.limit is not None:
            order = order[: self.limit]
        self.keys, self.distances = [keys[order]], [distances[order]]
        self.pending = len(order)

    def size(self) -> int:
        self._compact()
        return len(self.keys[0])

    def largest(self) -> float:
        self._compact()
        return float(self.distances[0][-1])

    def result(self, radius: float) -> tuple[np.ndarray, np.ndarray]:
        self._compact()
        keys, distances = self.keys[0], self.distances[0]
        within = distances <= radius
        return keys[within], distances[within]


def _candidates(
    bundle: SiameseBundle, keys: np.ndarray, distances: np.ndarray, queries: _Embeddings, base: _Embeddings
) -> pd.DataFrame:
    """The candidates table: both rows (1-based), their ids, the distance and, with a calibration, p_similar."""
    first, second = np.divmod(keys, base.n)
    columns: dict[str, object] = {ROW_A: first + 1}
    if queries.ids is not None:
        columns[ID_A] = queries.ids.take(pa.array(first)).to_pandas()
    columns[ROW_B] = second + 1
    if base.ids is not None:
        columns[ID_B] = base.ids.take(pa.array(second)).to_pandas()
    columns[DISTANCE] = distances
    probability = bundle.p_similar(distances)  # None when the model has no calibration
    if probability is not None:
        columns[P_SIMILAR] = probability
    return pd.DataFrame(columns)
