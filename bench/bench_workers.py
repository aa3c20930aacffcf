"""Training throughput from 1 to 2 workers: `tf.distribute.MultiWorkerMirroredStrategy` over 127.0.0.1.

One pair CSV (200,000 pairs x 2 x 32 features, clustered as in `bench_stream.py`) is trained on by a small
driver in its own interpreter per worker: it sets TensorFlow's thread pools when asked, makes the strategy
first (`make_strategy`), then runs `fit_stream(PairStream(path, chunk_rows=16384), TrainConfig(epochs=3,
batch_size=512), strategy=..., on_progress=...)`, recording when each epoch ends. The global batch is
512 pairs whatever the number of workers (2 workers do 256 each, on their own shard of the file), so the
steady-state rate is steps per epoch x 512 pairs x 2 epochs over the time from the end of epoch 1 to the
end of epoch 3 (epoch 1 holds the tracing and the start of the input pipeline).

Runs: the default strategy (one process, no cluster), one worker with a one-worker TF_CONFIG, two workers
(each with its own TF_CONFIG: two free ports on 127.0.0.1, task index 0 and 1); then the same three with
each process limited to one thread (intra-op and inter-op), closer to "two machines of one core each". On one 2-core machine two workers share the same cores and talk through gRPC on every
step, so about 1x or less is the honest figure here; the ratio says what the code costs, not what two
machines would give.

Each setting runs `--repeats` times (the settings taking turns) and the fastest run is kept: on a shared
machine the same setting moves a lot between runs (bench/README.md). Every worker runs with a time limit
and is killed (by its pid) when it or its peer fails.

    python bench/bench_workers.py [--pairs 200000] [--repeats 2] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_stream import write_csv
from common import ROOT, report, timer

N_FEATURES = 32
GLOBAL_BATCH = 512
EPOCHS = 3

# Run as `python -c DRIVER root path strategy threads epochs batch`; prints one JSON line.
DRIVER = """
import json, sys, time
begun = time.time()
root, path, strategy_name = sys.argv[1:4]
threads, epochs, batch = (int(value) for value in sys.argv[4:7])
sys.path.insert(0, root)
from siamese_core.cli import import_tensorflow_quietly
import_tensorflow_quietly()
import tensorflow as tf
if threads:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
from siamese_core.distributed import make_strategy
strategy = make_strategy(strategy_name)
strategy_made = time.time()
from siamese_core.config import TrainConfig
from siamese_core.pipeline import fit_stream
from siamese_core.streaming import PairStream
epoch_ends, steps = {}, []
def on_progress(progress):
    if progress.stage == "epoch":
        epoch_ends[progress.epoch] = time.time()
        steps.append(progress.batches)
start = time.time()
outcome = fit_stream(PairStream(path, chunk_rows=16384), TrainConfig(epochs=epochs, batch_size=batch),
                     strategy=strategy, on_progress=on_progress)
done = time.time()
ends = [start] + [epoch_ends[epoch] for epoch in range(1, epochs + 1)]
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "steps_per_epoch": steps[-1],
    "epoch_seconds": [after - before for before, after in zip(ends, ends[1:])],
    "steady_pairs_per_second": steps[-1] * batch * (epochs - 1) / (ends[-1] - ends[1]),
    "clock": {"begun": begun, "strategy made": strategy_made, "fit started": start,
              "trained": ends[-1], "fit done": done},
    "loss": outcome.result.history["loss"],
}))
"""


def free_ports(n: int) -> list[int]:
    """`n` ports free on 127.0.0.1 right now (bound together, so they differ, then released)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def train_workers(
    path: Path, strategy: str, workers: int, threads: int, folder: Path, timeout: float
) -> list[dict]:
    """Train with `workers` driver processes; each one's JSON result, the chief's first.

    Raises:
        RuntimeError: A worker failed or ran past `timeout` seconds (every worker is killed then).
    """
    environ = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
    processes, logs = [], []
    try:
        launched = time.time()
        for index in range(workers):
            env = dict(environ)
            if strategy == "multi-worker":
                cluster = {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}
                env["TF_CONFIG"] = json.dumps(cluster)
            out, err = folder / f"worker{index}.out", folder / f"worker{index}.err"
            logs.append((out, err))
            with open(out, "w") as stdout, open(err, "w") as stderr:
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-c",
                            DRIVER,
                            str(ROOT),
                            str(path),
                            strategy,
                            *map(str, (threads, EPOCHS, GLOBAL_BATCH)),
                        ],
                        stdout=stdout,
                        stderr=stderr,
                        env=env,
                        cwd=ROOT,
                    )
                )
        deadline = time.monotonic() + timeout
        exited = [None] * workers
        while any(process.poll() is None for process in processes):
            exited = [
                when or (time.time() if process.poll() is not None else None)
                for when, process in zip(exited, processes, strict=True)
            ]
            failed = [i for i, process in enumerate(processes) if process.poll() not in (None, 0)]
            if failed:
                raise RuntimeError(f"worker {failed[0]} failed:\n{logs[failed[0]][1].read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers ran past {timeout:.0f} s:\n{logs[0][1].read_text()[-3000:]}")
            time.sleep(0.2)
        failed = [i for i, process in enumerate(processes) if process.returncode != 0]
        if failed:
            raise RuntimeError(f"worker {failed[0]} failed:\n{logs[failed[0]][1].read_text()[-3000:]}")
        results = [json.loads(out.read_text().strip().splitlines()[-1]) for out, _ in logs]
        for result, when in zip(results, exited, strict=True):
            result["clock"] |= {"launched": launched, "exited": when or time.time()}
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def phases(clock: dict) -> str:
    """Where a worker's time went, from the wall-clock times it and its launcher recorded."""
    spans = [
        ("start (imports, strategy, cluster)", "launched", "strategy made"),
        ("scan + 3 epochs", "fit started", "trained"),
        ("after training (threshold, bundle)", "trained", "fit done"),
        ("exit", "fit done", "exited"),
    ]
    return ", ".join(f"{name} {clock[end] - clock[begin]:.1f} s" for name, begin, end in spans)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each setting, the best one kept")
    parser.add_argument("--timeout", type=float, default=300, help="seconds each run may take")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_workers_", dir="/tmp"))
    runs = {
        "default strategy, 1 process": ("default", 1, 0),
        "default strategy, 1 process, 1 thread": ("default", 1, 1),
        "multi-worker, 1 worker": ("multi-worker", 1, 0),
        "multi-worker, 2 workers": ("multi-worker", 2, 0),
        "multi-worker, 1 worker, 1 thread": ("multi-worker", 1, 1),
        "multi-worker, 2 workers, 1 thread each": ("multi-worker", 2, 1),
    }
    measured = {label: [] for label in runs}  # (rate, results, seconds in all) per repeat
    try:
        path = folder / "pairs.csv"
        with timer() as writing:
            write_csv(path, args.pairs, seed=1, n_features=N_FEATURES)
        rows = [
            (
                f"data: {args.pairs:,} pairs x 2 x {N_FEATURES} features",
                f"{path.stat().st_size / 2**20:.0f} MiB CSV, written in {writing():.1f} s",
            )
        ]
        # Settings take turns, so that a busy spell of the machine does not fall on one setting only.
        for repeat in range(args.repeats):
            for label, (strategy, workers, threads) in runs.items():
                with timer() as seconds:
                    results = train_workers(path, strategy, workers, threads, folder, args.timeout)
                measured[label].append((results[0]["steady_pairs_per_second"], results, seconds()))
                print(f"  ... run {repeat + 1}, {label}: {results[0]['steady_pairs_per_second']:,.0f} pairs/s; "
                      f"{phases(results[0]['clock'])}", flush=True)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rates = {}
    for label, repeats in measured.items():
        rate, results, seconds = max(repeats, key=lambda run: run[0])
        rates[label] = rate
        chief = results[0]
        epochs = ", ".join(f"{s:.1f}" for s in chief["epoch_seconds"])
        others = "".join(
            f"; worker {i}: {r['steady_pairs_per_second']:,.0f}" for i, r in enumerate(results[1:], 1)
        )
        all_rates = " / ".join(f"{run[0]:,.0f}" for run in repeats)
        rows.append(
            (
                label,
                f"{rate:,.0f} pairs/s, best of {all_rates} (epochs {epochs} s; {chief['steps_per_epoch']} "
                f"steps x {GLOBAL_BATCH} over {chief['replicas']} replica(s); final loss "
                f"{chief['loss'][-1]:.4f}{others})",
            )
        )
        rows.append(("  where the chief's time went", f"{phases(chief['clock'])}; {seconds:.0f} s in all"))
    ratio = rates["multi-worker, 2 workers"] / rates["multi-worker, 1 worker"]
    rows += [
        (
            "2 workers / default strategy",
            f"{rates['multi-worker, 2 workers'] / rates['default strategy, 1 process']:.2f}",
        ),
        (
            "1 worker / default strategy",
            f"{rates['multi-worker, 1 worker'] / rates['default strategy, 1 process']:.2f}",
        ),
        (
            "1 thread each: 2 workers / 1 worker",
            f"{rates['multi-worker, 2 workers, 1 thread each'] / rates['multi-worker, 1 worker, 1 thread']:.2f}",
        ),
    ]
    report(
        f"training throughput, 1 and 2 workers on 127.0.0.1, global batch {GLOBAL_BATCH}, {EPOCHS} epochs",
        rows,
        "pairs/s 2 workers / 1 worker",
        ratio,
    )


if __name__ == "__main__":
    main()
