"""Memory stays bounded when the data grows: streamed training and scoring of pair files of N, 10N and
100N pairs (N = 20,000: 20k, 200k, 2M rows), against the in-memory path (`load_pair_csv` + `fit`) on the
same files, each run in a fresh interpreter: seconds, seconds per million pairs, and peak resident memory
above the interpreter's baseline once TensorFlow and siamese_core are imported.

The files are wide pair CSVs (`label`, `a_f0..a_f15`, `b_f0..b_f15`): points of a few Gaussian clusters,
similar (label 0, the loss convention) when both come from the same cluster, so the model has something
to learn. The 100N file is also written as a folder of 8 Parquet files. Everything is written a chunk at
a time to a temporary folder under /tmp, deleted at the end (about 1 GB of disk at the peak).

- streamed train: `fit_stream(PairStream(path, validation_fraction=0.1, test_fraction=0.1,
  chunk_rows=65536), TrainConfig(epochs=1, batch_size=512))`, the whole run (scan, held-out pairs, one
  epoch, threshold, test metrics).
- streamed score: `score_file` with a model trained beforehand (default architecture, one epoch on the N
  file), written to a CSV and deleted.
- in-memory train: `load_pair_csv(path)` then `pipeline.fit(pairs, TrainConfig(epochs=1))`.

What to expect besides the chunk: the N file (20,000 rows) is smaller than one chunk of 65,536 rows, so
at 1x the reader never holds a full chunk; `fit_stream` keeps up to `MAX_HELD_OUT_PAIRS` (200,000)
validation and as many test pairs in memory by design (at 2M pairs about 86,000 of each, 2 x 10 MiB);
and training steps from about 500,000 training pairs, distances from 65,536 pairs, are compiled with XLA,
whose compiler needs memory of its own, at 100N only. One more streamed run at 100N with XLA switched off
(a diagnostic that patches `siamese_core.training.xla_pays` and `siamese_core.inference.XLA_MIN_PAIRS`)
separates that fixed cost from the data.

How long it runs: bench/README.md.

    python bench/bench_stream.py [--base 20000] [--skip-parquet]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from common import measure_in_subprocess, report, timer

N_FEATURES = 16
N_CLUSTERS = 8
CHUNK_ROWS = 65_536
WRITE_ROWS = 100_000  # rows generated and written at a time: the generator's memory stays small

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from siamese_core.cli import import_tensorflow_quietly
import_tensorflow_quietly()
import json
import siamese_core.distributed
import siamese_core.inference
import siamese_core.training
from siamese_core.bundle import load_model
from siamese_core.config import TrainConfig
from siamese_core.data import load_pair_csv
from siamese_core.pipeline import fit, fit_stream
from siamese_core.scoring import score_file
from siamese_core.streaming import PairStream
path, facts, output, model = {path!r}, {facts!r}, {output!r}, {model!r}
bundle = load_model(model) if {load_model!r} else None
"""

STREAMED_TRAIN = """
outcome = fit_stream(PairStream(path, validation_fraction=0.1, test_fraction=0.1, chunk_rows=65536),
                     TrainConfig(epochs=1, batch_size=512))
json.dump({"auc": outcome.test.auc if outcome.test else None, "splits": outcome.scan.split_counts}, open(facts, "w"))
"""

# Diagnostic only: the same run with XLA off for training steps and for distances (module constants).
NO_XLA = """
assert hasattr(siamese_core.training, "xla_pays") and hasattr(siamese_core.training, "XLA_MIN_PAIRS")
siamese_core.training.xla_pays = lambda *args: False
siamese_core.inference.XLA_MIN_PAIRS = 2**62
"""

STREAMED_SCORE = """
scored = score_file(bundle, path, output, threshold=bundle.threshold)
json.dump({"scored": scored.n_scored}, open(facts, "w"))
"""

IN_MEMORY_TRAIN = """
pairs = load_pair_csv(path)
outcome = fit(pairs, TrainConfig(epochs=1))
json.dump({"auc": outcome.test.auc if outcome.test else None}, open(facts, "w"))
"""

SAVE_MODEL = """
fit_stream(PairStream(path, validation_fraction=0.1, test_fraction=0.1), TrainConfig(epochs=1)).bundle.save(model)
"""

TASKS = {
    "streamed train": STREAMED_TRAIN,
    "streamed score": STREAMED_SCORE,
    "in-memory train": IN_MEMORY_TRAIN,
    "streamed train, no XLA": NO_XLA + STREAMED_TRAIN,
}


def pair_chunks(n_pairs: int, seed: int, n_features: int = N_FEATURES):
    """(labels, left, right) of `n_pairs` pairs, `WRITE_ROWS` at a time: points of `N_CLUSTERS` Gaussian
    clusters (the same centres for every file), label 0 (similar) when both come from the same cluster."""
    centres = np.random.default_rng(12345).normal(scale=1.5, size=(N_CLUSTERS, n_features))
    rng = np.random.default_rng(seed)
    for start in range(0, n_pairs, WRITE_ROWS):
        n = min(WRITE_ROWS, n_pairs - start)
        first = rng.integers(0, N_CLUSTERS, n)
        similar = rng.random(n) < 0.5
        second = np.where(similar, first, (first + rng.integers(1, N_CLUSTERS, n)) % N_CLUSTERS)
        left = centres[first] + rng.normal(size=(n, n_features))
        right = centres[second] + rng.normal(size=(n, n_features))
        # Four decimals: a realistic file (about 240 bytes a row) whose values float32 holds as written.
        yield (
            (~similar).astype(np.int8),
            np.round(left, 4).astype(np.float32),
            np.round(right, 4).astype(np.float32),
        )


def feature_names(n_features: int = N_FEATURES) -> list[str]:
    return [f"a_f{i}" for i in range(n_features)] + [f"b_f{i}" for i in range(n_features)]


def _table(labels, left, right):
    import pyarrow as pa

    names = feature_names(left.shape[1])
    columns = {"label": labels} | dict(zip(names, [*left.T, *right.T], strict=True))
    return pa.table(columns)


def write_csv(path: Path, n_pairs: int, seed: int, n_features: int = N_FEATURES) -> None:
    """A wide pair CSV, written a chunk at a time (pyarrow's writer; a header without quotes, which
    would send the reader to its slower read in order)."""
    import pyarrow.csv

    options = pyarrow.csv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as sink:
        sink.write((",".join(["label", *feature_names(n_features)]) + "\n").encode())
        for labels, left, right in pair_chunks(n_pairs, seed, n_features):
            pyarrow.csv.write_csv(_table(labels, left, right), sink, options)


def write_parquet_folder(folder: Path, n_pairs: int, seed: int, n_files: int = 8) -> None:
    """The same kind of pairs as a folder of `n_files` Parquet files (row groups of `CHUNK_ROWS` rows)."""
    import pyarrow.parquet as pq

    folder.mkdir()
    per_file = -(-n_pairs // n_files)
    writer, written, index = None, 0, 0
    for labels, left, right in pair_chunks(n_pairs, seed):
        table = _table(labels, left, right)
        while len(table):
            if writer is None:
                writer = pq.ParquetWriter(folder / f"part-{index:03d}.parquet", table.schema)
            take = min(len(table), per_file - written)
            writer.write_table(table.slice(0, take), row_group_size=CHUNK_ROWS)
            table, written = table.slice(take), written + take
            if written == per_file:
                writer.close()
                writer, written, index = None, 0, index + 1
    if writer is not None:
        writer.close()


def size_mib(path: Path) -> float:
    files = path.iterdir() if path.is_dir() else [path]
    return sum(file.stat().st_size for file in files) / 2**20


def run(task: str, path: Path, folder: Path) -> tuple[dict, dict]:
    """Seconds and peak memory above the baseline of one task in a fresh interpreter, and its facts."""
    facts, output, model = folder / "facts.json", folder / "scored.csv", folder / "model.keras"
    setup = SETUP.format(
        path=str(path),
        facts=str(facts),
        output=str(output),
        model=str(model),
        load_model=task == "streamed score",
    )
    result = measure_in_subprocess(setup, TASKS[task] if task in TASKS else task)
    found = json.loads(facts.read_text()) if facts.exists() else {}
    facts.unlink(missing_ok=True)
    output.unlink(missing_ok=True)
    return result, found


def describe(found: dict) -> str:
    if "scored" in found:
        return f"{found['scored']:,} scored"
    text = f"test AUC {found['auc']:.4f}" if found.get("auc") is not None else "no test metrics"
    if "splits" in found:
        counts = found["splits"]
        text += "; train/val/test/dropped " + "/".join(
            f"{counts[name]:,}" for name in ("train", "validation", "test", "dropped")
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", type=int, default=20_000, help="N: pairs of the smallest file")
    parser.add_argument("--skip-parquet", action="store_true", help="leave out the Parquet folder at 100N")
    args = parser.parse_args()
    sizes = [args.base * factor for factor in (1, 10, 100)]
    folder = Path(tempfile.mkdtemp(prefix="bench_stream_", dir="/tmp"))
    chunk_mib = CHUNK_ROWS * 2 * N_FEATURES * 4 / 2**20
    rows = [
        (f"one chunk of {CHUNK_ROWS:,} pairs as float32", f"{chunk_mib:.1f} MiB"),
        ("task, format, rows (file size)", "seconds, s per M pairs, peak above baseline; facts"),
    ]
    peaks, timings = {}, {}
    try:
        runs = []
        with timer() as writing:
            for n in sizes:
                write_csv(folder / f"pairs_{n}.csv", n, seed=n)
                runs += [(task, "CSV", n, folder / f"pairs_{n}.csv") for task in list(TASKS)[:3]]
            runs.append(("streamed train, no XLA", "CSV", sizes[-1], folder / f"pairs_{sizes[-1]}.csv"))
            if not args.skip_parquet:
                write_parquet_folder(folder / "parquet", sizes[-1], seed=sizes[-1])
                runs += [(task, "Parquet x8", sizes[-1], folder / "parquet") for task in list(TASKS)[:2]]
        timings["writing the files"] = writing()
        with timer() as reference:
            run(SAVE_MODEL, folder / f"pairs_{sizes[0]}.csv", folder)
        timings["training the scoring model (N file)"] = reference()

        for task, form, n, path in runs:
            result, found = run(task, path, folder)
            peak = peaks[task, form, n] = result["peak_above_baseline_bytes"] / 2**20
            rows.append(
                (
                    f"{task:<22} {form:<10} {n:>9,} ({size_mib(path):,.0f} MiB)",
                    f"{result['seconds']:6.1f} s {result['seconds'] / n * 1e6:6.1f} s/M  "
                    f"peak +{peak:5,.0f} MiB; {describe(found)}",
                )
            )
            print(f"  ... {rows[-1][0]}: {rows[-1][1]}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def growth(task: str, at: int, over: int) -> float:
        return peaks[task, "CSV", at] / peaks[task, "CSV", over]

    small, middle, large = sizes
    rows += [
        ("peak memory, streamed train at 10x / at 1x", f"{growth('streamed train', middle, small):.2f}"),
        ("peak memory, streamed train at 100x / at 10x", f"{growth('streamed train', large, middle):.2f}"),
        (
            "peak memory, streamed train no XLA at 100x / at 10x",
            f"{peaks['streamed train, no XLA', 'CSV', large] / peaks['streamed train', 'CSV', middle]:.2f}",
        ),
        ("peak memory, streamed score at 100x / at 1x", f"{growth('streamed score', large, small):.2f}"),
        ("peak memory, streamed score at 100x / at 10x", f"{growth('streamed score', large, middle):.2f}"),
        ("peak memory, in-memory train at 100x / at 1x", f"{growth('in-memory train', large, small):.2f}"),
        (
            "peak memory at 100x, in-memory / streamed train",
            f"{peaks['in-memory train', 'CSV', large] / peaks['streamed train', 'CSV', large]:.2f}",
        ),
    ]
    rows += [(label, f"{seconds:.1f} s") for label, seconds in timings.items()]
    report(
        f"memory as the data grows, streamed vs in memory, {small:,} to {large:,} pairs x 2 x {N_FEATURES}",
        rows,
        "peak memory of streamed training at 100x / at 1x",
        growth("streamed train", large, small),
    )


if __name__ == "__main__":
    main()
