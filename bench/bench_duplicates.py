"""Duplicate candidates at scale (issue 19): `find_duplicates` on 1,000,000 samples of 64 features with
planted near-duplicates, against brute force in NumPy on the same embeddings, in the same run.

Data (seeded): 500 clusters of random sizes in 64 dimensions, each a random centre plus an 8-dimensional
random subspace and a little noise of its own in every dimension (samples of one kind of thing vary along a
few directions); then 10,000 rows are overwritten by near-copies of 10,000 others (noise 0.1% of a feature's
spread): the planted pairs. Written to Parquet (row groups of 65,536 rows), which ours reads a block at a
time.

Model: untrained, of the default architecture (`TrainConfig()`: MLP 256-256, a 128-d embedding), with its
feature scaling fitted on the samples and Keras' seeded initial weights. Training changes which rows end up
near, not what the search costs; an untrained network still maps near-copies to near embeddings. The
threshold is 1.01 x the largest embedding distance of a planted pair (computed by the model beforehand),
so the planted recall measures the search alone.

Ours, in a fresh interpreter (`common.measure_in_subprocess`: the baseline is the resident memory after
TensorFlow's import and the model's load, and the peak is reset there):
`find_duplicates(bundle, "samples.parquet", threshold=T, nearest_of=queries)` reads, embeds, indexes (FAISS
IVF-Flat at this size), sets nprobe by measurement, searches every row, and gives the 10 nearest rows of the
10,000 query rows. Its seconds, and its peak memory against the embeddings' size (1M x 128 x 4 bytes).

Brute force, in this process: the embeddings of every row (`bundle.embed`, timed: the cost ours pays too),
then the exact 10 nearest rows of the 10,000 query rows among all rows by NumPy (float32 matrix products in
blocks, the 11 best re-ranked by distances in float64), timed and extrapolated to every row (x rows /
queries). As a lower bound of any brute force, the matrix products alone (no ranking, no selection) of
1,000 of the query rows are timed and extrapolated too. Recall: of the planted pairs, among ours' candidates; of the exact 10 nearest of the queries,
among the 10 nearest that ours' index gives (a found row as close as the exact 10th counts, for ties).

    python bench/bench_duplicates.py [--rows 1000000] [--queries 10000] [--planted 10000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from common import measure_in_subprocess, quiet_tensorflow, report, timer

FEATURES = 64
CLUSTERS = 500
LATENT = 8
K = 10
FOLDER = Path("/tmp/siamese_bench")


def make_samples(n: int, n_planted: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(samples float32 (n, 64), planted pairs (n_planted, 2) of 0-based rows, the first the smaller)."""
    rng = np.random.default_rng(seed)
    sizes = rng.multinomial(n, rng.dirichlet(np.full(CLUSTERS, 2.0)))
    samples = np.empty((n, FEATURES), dtype=np.float32)
    start = 0
    for size in sizes:
        centre = rng.normal(0, 3, FEATURES)
        basis = rng.normal(0, 1 / np.sqrt(LATENT), (LATENT, FEATURES)) * rng.uniform(0.5, 2)
        latent = rng.standard_normal((size, LATENT), dtype=np.float32)
        noise = rng.standard_normal((size, FEATURES), dtype=np.float32) * np.float32(0.1)
        samples[start : start + size] = centre + latent @ basis + noise
        start += size
    samples = samples[rng.permutation(n)]
    chosen = rng.choice(n, 2 * n_planted, replace=False)
    originals, copies = chosen[:n_planted], chosen[n_planted:]
    spread = samples.std(axis=0)
    samples[copies] = samples[originals] + rng.normal(0, 1e-3, (n_planted, FEATURES)) * spread
    planted = np.sort(np.stack([originals, copies], axis=1), axis=1)
    return samples, planted


def write_parquet(samples: np.ndarray, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({f"f{i}": samples[:, i] for i in range(FEATURES)})
    pq.write_table(table, path, row_group_size=65_536)


def untrained_default_model(samples: np.ndarray, threshold: float = 0.5):
    import keras

    from siamese_core.bundle import SiameseBundle
    from siamese_core.config import TrainConfig
    from siamese_core.model import build_encoder, build_siamese_model

    keras.utils.set_random_seed(0)
    config = TrainConfig()
    encoder = build_encoder(
        FEATURES,
        hidden=config.hidden,
        embedding_dim=config.embedding_dim,
        feature_mean=samples.mean(axis=0, dtype=np.float64),
        feature_variance=samples.var(axis=0, dtype=np.float64),
    )
    model = build_siamese_model(encoder, FEATURES)
    return SiameseBundle(model, [f"f{i}" for i in range(FEATURES)], threshold=threshold)


def brute_force_nearest(embeddings: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact k nearest other rows of the rows `queries` (0-based): (rows, float64 distances), nearest
    first. float32 matrix products rank the rows; the k + 1 best are re-ranked by float64 distances."""
    norms = np.einsum("ij,ij->i", embeddings, embeddings)
    rows = np.empty((len(queries), k), dtype=np.int64)
    distances = np.empty((len(queries), k))
    for start in range(0, len(queries), 1_000):
        block = queries[start : start + 1_000]
        vectors = embeddings[block]
        best = np.empty((len(block), 0), dtype=np.int64)
        for base in range(0, len(embeddings), 131_072):
            part = embeddings[base : base + 131_072]
            scores = vectors @ part.T  # ranking by |b|^2 - 2 q.b: |q|^2 is the same for the whole row
            scores *= -2
            scores += norms[base : base + 131_072]
            top = np.argpartition(scores, k + 1, axis=1)[:, : k + 1] + base
            best = np.concatenate([best, top], axis=1)
        exact = np.sqrt(((embeddings[best] - vectors[:, None, :].astype(np.float64)) ** 2).sum(axis=2))
        exact[best == block[:, None]] = np.inf  # not the row itself
        order = np.argsort(exact, axis=1, kind="stable")[:, :k]
        rows[start : start + len(block)] = np.take_along_axis(best, order, axis=1)
        distances[start : start + len(block)] = np.take_along_axis(exact, order, axis=1)
    return rows, distances


def products_only_seconds(embeddings: np.ndarray, queries: np.ndarray) -> float:
    """Seconds of brute force's matrix products alone for `queries` (no ranking, no selection): a lower
    bound of any brute force on this machine, BLAS at its best."""
    with timer() as elapsed:
        for start in range(0, len(queries), 1_000):
            vectors = embeddings[queries[start : start + 1_000]]
            for base in range(0, len(embeddings), 131_072):
                vectors @ embeddings[base : base + 131_072].T
    return elapsed()


OURS_SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from siamese_core.cli import import_tensorflow_quietly
import_tensorflow_quietly()
import dataclasses, json
import numpy as np
from siamese_core.bundle import load_model
from siamese_core.duplicates import find_duplicates
bundle = load_model({model!r})
queries = np.load({queries!r})
"""
OURS_WORK = """
found = find_duplicates(bundle, {samples!r}, threshold={threshold!r}, k={k}, nearest_of=queries)
np.savez({out!r}, row_a=found.candidates["row_a"].to_numpy(), row_b=found.candidates["row_b"].to_numpy(),
         neighbours=found.nearest.neighbours, distances=found.nearest.distances)
with open({info!r}, "w") as stream:
    json.dump(dataclasses.asdict(found.search), stream)
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--planted", type=int, default=10_000)
    args = parser.parse_args()
    FOLDER.mkdir(exist_ok=True)
    quiet_tensorflow()

    samples, planted = make_samples(args.rows, args.planted)
    samples_path = FOLDER / f"duplicates_{args.rows}.parquet"
    write_parquet(samples, samples_path)
    bundle = untrained_default_model(samples)
    planted_distances = bundle.distances(samples[planted[:, 0]], samples[planted[:, 1]])
    bundle.threshold = float(1.01 * planted_distances.max())
    model_path = bundle.save(FOLDER / "duplicates_untrained_default.keras")
    rng = np.random.default_rng(1)
    queries = np.sort(rng.choice(args.rows, args.queries, replace=False))
    queries_path = FOLDER / "duplicates_queries.npy"
    np.save(queries_path, queries + 1)  # 1-based, as `nearest_of` takes rows
    out, info_path = FOLDER / "duplicates_ours.npz", FOLDER / "duplicates_search.json"

    ours = measure_in_subprocess(
        OURS_SETUP.format(model=str(model_path), queries=str(queries_path)),
        OURS_WORK.format(
            samples=str(samples_path), threshold=bundle.threshold, k=K, out=str(out), info=str(info_path)
        ),
        timeout=7200,
    )
    found = np.load(out)
    search = json.loads(info_path.read_text())

    with timer() as embed_time:
        embeddings = bundle.embed(samples)
    with timer() as brute_time:
        exact_rows, exact_distances = brute_force_nearest(embeddings, queries, K)
    brute_seconds = embed_time() + brute_time() * args.rows / args.queries
    sampled = queries[: min(1_000, len(queries))]
    products_seconds = embed_time() + products_only_seconds(embeddings, sampled) * args.rows / len(sampled)

    n = args.rows
    found_keys = (found["row_a"] - 1) * n + (found["row_b"] - 1)
    planted_recall = float(np.isin(planted[:, 0] * n + planted[:, 1], found_keys).mean())
    neighbours, near = found["neighbours"] - 1, found["distances"]
    overlap = np.mean([len(set(a) & set(b)) / K for a, b in zip(neighbours, exact_rows, strict=True)])
    kth = exact_distances[:, -1:]
    tie_aware = float(np.minimum((near <= kth * (1 + 1e-5) + 1e-9).sum(axis=1), K).mean() / K)
    embedding_bytes = n * embeddings.shape[1] * 4
    ratio = brute_seconds / ours["seconds"]
    index = (
        "exact"
        if search["method"] == "exact"
        else f"IVF-Flat, {search['n_lists']:,} cells, nprobe {search['n_probe']} (its own recall check: "
        f"{search['recall']:.4f} on {search['recall_rows']} rows)"
    )
    report(
        f"duplicates: {n:,} samples x {FEATURES}, {args.planted:,} planted pairs, 128-d embedding",
        [
            ("ours: find_duplicates (read, embed, index, search)", f"{ours['seconds']:.1f} s"),
            ("ours: index", index),
            ("ours: rows searched again by radius", f"{search['n_searched_by_radius']:,}"),
            (
                "ours: candidate pairs at the threshold",
                f"{len(found_keys):,} (threshold {bundle.threshold:.4g})",
            ),
            ("ours: recall of the planted pairs", f"{planted_recall:.4f}"),
            (
                f"ours: recall of the exact {K} nearest, {args.queries:,} queries",
                f"{tie_aware:.4f} (same rows: {overlap:.4f})",
            ),
            (
                "ours: peak memory above the baseline",
                f"{ours['peak_above_baseline_bytes'] / 2**20:,.0f} MiB = "
                f"{ours['peak_above_baseline_bytes'] / embedding_bytes:.2f}x the embeddings "
                f"({embedding_bytes / 2**20:,.0f} MiB){'' if ours['peak_reset'] else ' (upper bound)'}",
            ),
            ("brute force: embed every row (bundle.embed)", f"{embed_time():.1f} s"),
            (
                f"brute force: exact {K} nearest of {args.queries:,} rows (NumPy)",
                f"{brute_time():.1f} s, x{args.rows / args.queries:g} = {brute_time() * args.rows / args.queries:,.0f} s",
            ),
            ("brute force: embed + every row, extrapolated", f"{brute_seconds:,.0f} s"),
            (
                "lower bound: embed + matrix products, extrapolated",
                f"{products_seconds:,.0f} s: {products_seconds / ours['seconds']:.1f}x ours",
            ),
        ],
        f"brute force / ours, embed + search of {n:,} rows (higher is better)",
        ratio,
    )


if __name__ == "__main__":
    main()
