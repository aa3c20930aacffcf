"""Mutation testing of the core modules with mutmut 3, one module at a time, with its own tests only.

For each module this copies the package, the tests and `pyproject.toml` into `mutants/<module>/` (ignored
by git), adds a `[tool.mutmut]` section there that mutates that one file and selects its test files, runs
`mutmut run` in that folder, then reads mutmut's verdicts (`mutants/<module>/mutants/siamese_core/<module>.py.meta`)
and prints one row per module:

    mutants  killed  timeout  survived  no tests  equivalent  score

A mutant counts as caught when its tests fail (killed) or run past mutmut's time limit (timeout: a mutant
that makes a loop endless is found too). Survivors named in `tools/equivalent_mutants.txt` (one a line:
the mutant's name, then why no test can tell it from the original) are taken out of the total:

    score = caught / (mutants - equivalent)

The exit status is 1 when a module scores under the target (85% by default).

Usage, from the repository root with the project's virtual environment:

    python tools/mutation.py                      # every module below, smallest first
    python tools/mutation.py losses evaluation    # some of them
    python tools/mutation.py --report losses      # print the last run's figures again, run nothing
    cd mutants/losses && mutmut show siamese_core.losses.x_contrastive_loss__mutmut_3   # one diff

mutmut runs the module's tests once to learn which test touches which function, then each mutant against
those tests only (`-x`), in `--jobs` child processes (default 2: this is meant to share a small machine).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "tools" / "equivalent_mutants.txt"
TARGET = 0.85

# module -> the test files that hold its tests (the mirror of the package, plus the files that test the
# same code by another road); smallest module first.
MODULES: dict[str, list[str]] = {
    "losses": ["tests/test_losses.py"],
    # error_budget was split out of evaluation: each is tested through the other too (a budget's threshold
    # is among evaluation's cuts; evaluate_distances reports the true acceptance rates).
    "evaluation": [
        "tests/test_evaluation.py",
        "tests/test_error_budget.py",
        "tests/test_intervals.py",  # evaluate_distances(intervals=True)
        "tests/test_calibration.py",  # evaluate_distances(calibration=...)
    ],
    "error_budget": ["tests/test_error_budget.py", "tests/test_evaluation.py"],
    "splits": ["tests/test_splits.py"],
    "scoring": ["tests/test_scoring.py", "tests/test_scoring_streaming.py"],
    "bundle": ["tests/test_bundle.py"],
    "sources": ["tests/test_sources.py", "tests/test_streaming.py"],
    # siamese_core/data/ is a package: each of its modules is mutated alone, against all the data tests,
    # and those of the streamed reads, which go through the same sniffing, range reader and block checks.
    **{
        f"data/{name}": [
            "tests/test_data.py",
            "tests/test_data_columns.py",
            "tests/test_data_labels.py",
            "tests/test_data_values.py",
            "tests/test_data_checks.py",
            "tests/test_data_ranges.py",
            "tests/test_data_reader.py",
            "tests/test_data_reader_values.py",
            "tests/test_data_labels_mapping.py",
            "tests/test_data_lines.py",
            "tests/test_data_sniffing.py",
            "tests/test_sources.py",
            "tests/test_streaming.py",
        ]
        for name in (
            "checks",
            "lines",
            "columns",
            "ranges",
            "labels",
            "reader",
            "sniffing",
            "loaders",
            "statistics",
        )
    },
}
# Tests that read the package's source text (a lint, not behaviour): mutmut's copy of a module holds every
# mutant's code side by side, so they fail before any mutant runs.
SOURCE_SCANS = ["tests/test_bundle.py::test_nothing_in_the_project_loads_unsafely"]
# Modules whose tests train or run a model. mutmut forks each mutant's process from one that has run the
# tests, and TensorFlow's thread pools do not survive a fork: the child hangs until mutmut's time limit
# and every mutant reads as a timeout. These start each mutant from a fork server that has only imported
# TensorFlow (slower: each mutant trains the shared tiny model again).
NEEDS_FORK_SERVER = {"scoring", "bundle"}

# mutmut's exit codes per verdict (mutmut.stats.status_by_exit_code, copied so that --report needs no import)
CAUGHT = {
    1: "killed",
    3: "killed",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class ModuleScore:
    """mutmut's verdicts on one module's mutants."""

    module: str
    verdicts: dict[str, int | None]
    equivalent: dict[str, str]
    seconds: float | None = None
    names: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = {
            "killed": [], "timeout": [], "survived": [], "no tests": [], "equivalent": [], "not checked": [],
            "other": [],
        }  # fmt: skip
        for name, code in self.verdicts.items():
            if name in self.equivalent and code not in CAUGHT:
                self.names["equivalent"].append(name)
            elif code in CAUGHT:
                self.names[CAUGHT[code]].append(name)
            elif code in SURVIVED:
                self.names["survived"].append(name)
            elif code in NO_TESTS:
                self.names["no tests"].append(name)
            elif code is None:  # the run stopped before this mutant
                self.names["not checked"].append(name)
            else:  # interrupted, suspicious, segfault
                self.names["other"].append(name)

    def count(self, verdict: str) -> int:
        return len(self.names[verdict])

    @property
    def score(self) -> float:
        """Caught mutants over the mutants a test could catch (all but the equivalent ones); after a run
        that stopped early, over the mutants checked."""
        total = len(self.verdicts) - self.count("equivalent") - self.count("not checked")
        return (self.count("killed") + self.count("timeout")) / total if total else 1.0

    @property
    def stale_equivalents(self) -> list[str]:
        """Names listed as equivalent that the tests now catch: the list should drop them."""
        prefix = f"siamese_core.{self.module.replace('/', '.')}."
        return sorted(
            name for name in self.equivalent if name.startswith(prefix) and self.verdicts.get(name) in CAUGHT
        )


def read_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """`name  reason` per line; `#` starts a comment line."""
    equivalent = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                equivalent[name] = reason.strip()
    return equivalent


def workdir(module: str) -> Path:
    return ROOT / "mutants" / module


def prepare(module: str, tests: list[str]) -> Path:
    """A fresh copy of the package, the tests and pyproject.toml, configured for this module alone."""
    folder = workdir(module)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "e2e")
    shutil.copytree(ROOT / "siamese_core", folder / "siamese_core", ignore=ignore)
    shutil.copytree(ROOT / "tests", folder / "tests", ignore=ignore)
    present = [test for test in tests if (ROOT / test).exists()]
    deselected = [
        arg for scan in SOURCE_SCANS if scan.split("::")[0] in present for arg in ("--deselect", scan)
    ]
    config = "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["siamese_core"]',
            f'only_mutate = ["siamese_core/{module}.py"]',
            f"pytest_add_cli_args_test_selection = {json.dumps(present)}",
            "pytest_add_cli_args = "
            + json.dumps(["-p", "no:cacheprovider", "-m", "not slow and not browser", *deselected]),
            f'process_isolation = "{"forkserver" if module in NEEDS_FORK_SERVER else "fork"}"',
            'forkserver_warmup = "import"',
            'preload_modules_file = "preload.txt"',
            "",
        ]
    )
    # What the fork server imports once, so that no mutant pays for importing TensorFlow again.
    (folder / "preload.txt").write_text("tensorflow\nkeras\nsiamese_core.model\nsiamese_core.pipeline\n")
    (folder / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + config)
    return folder


def run_module(module: str, jobs: int) -> float:
    """Run mutmut on one module; returns the seconds it took."""
    folder = prepare(module, MODULES[module])
    mutmut = Path(sys.executable).with_name("mutmut")
    started = time.monotonic()
    log = folder / "mutmut.log"
    with log.open("w") as out:
        completed = subprocess.run(
            [str(mutmut), "run", "--max-children", str(jobs)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            check=False,
        )
    seconds = time.monotonic() - started
    (folder / "seconds").write_text(f"{seconds:.1f}\n")
    if completed.returncode != 0:
        print(f"{module}: mutmut exited with {completed.returncode}; its output is in {log}", file=sys.stderr)
    return seconds


def read_score(module: str, equivalent: dict[str, str]) -> ModuleScore | None:
    meta = workdir(module) / "mutants" / "siamese_core" / f"{module}.py.meta"
    if not meta.exists():
        return None
    verdicts = json.loads(meta.read_text())["exit_code_by_key"]
    seconds_file = workdir(module) / "seconds"
    seconds = float(seconds_file.read_text()) if seconds_file.exists() else None
    return ModuleScore(module, verdicts, equivalent, seconds)


def table(scores: list[ModuleScore]) -> str:
    header = (
        "module", "mutants", "killed", "timeout", "survived", "no tests", "equivalent", "not checked", "score",
        "time",
    )  # fmt: skip
    rows = [header]
    for s in scores:
        rows.append(
            (
                s.module,
                str(len(s.verdicts)),
                str(s.count("killed")),
                str(s.count("timeout")),
                str(s.count("survived")),
                str(s.count("no tests")),
                str(s.count("equivalent")),
                str(s.count("not checked")),
                f"{s.score:.1%}",
                "" if s.seconds is None else f"{s.seconds:.0f} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES), help=f"any of {', '.join(MODULES)}")
    parser.add_argument("--jobs", type=int, default=2, help="mutmut child processes (default 2)")
    parser.add_argument("--report", action="store_true", help="print the last run's figures, run nothing")
    parser.add_argument("--target", type=float, default=TARGET, help="lowest passing score (default 0.85)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")

    equivalent = read_equivalents()
    scores = []
    for module in args.modules:
        if not args.report:
            print(f"{module}: running mutmut ...", flush=True)
            run_module(module, args.jobs)
        score = read_score(module, equivalent)
        if score is None:
            print(f"{module}: no results (run it without --report first)", file=sys.stderr)
            continue
        scores.append(score)
        for verdict in ("survived", "no tests", "other"):
            for name in sorted(score.names[verdict]):
                print(f"    {verdict}: {name}")
        for name in score.stale_equivalents:
            print(f"    listed as equivalent but now caught (drop it from the list): {name}")
    print(table(scores))
    below = [s.module for s in scores if s.score < args.target or s.count("not checked")]
    if below:
        print(f"under {args.target:.0%} or not all checked: {', '.join(below)}")
    return 1 if below or len(scores) < len(args.modules) else 0


if __name__ == "__main__":
    sys.exit(main())
