"""Command-line interface: `siamese train | evaluate | score | report | compare-models |
embed | duplicates | export` (also `python -m siamese_core`).

Exit status: 0 on success, 2 on bad input or settings (one line on stderr, no traceback), 1 on an
internal error. The arguments are in `parser`, training in `train`, the other commands in `commands`, what
they share (reading labelled data, printing metrics) in `common`.
"""

from __future__ import annotations

import os
import sys

from siamese_core.cli.commands import (
    run_compare_models,
    run_duplicates,
    run_embed,
    run_evaluate,
    run_export,
    run_report,
    run_score,
)
from siamese_core.cli.common import import_tensorflow_quietly
from siamese_core.cli.parser import EXIT_USAGE, build_parser
from siamese_core.cli.train import run_train
from siamese_core.errors import SiameseError

__all__ = ["build_parser", "flag_words", "import_tensorflow_quietly", "main"]


def flag_words(name: str, value: str) -> str:
    """How the command line names a setting that fixes an error (`SiameseError.worded`): its flag."""
    flag = "--" + name.replace("_", "-")
    return f"pass {flag}" if value == "True" else f"pass {flag} ..."


COMMANDS = {
    "train": run_train,
    "evaluate": run_evaluate,
    "score": run_score,
    "embed": run_embed,
    "duplicates": run_duplicates,
    "report": run_report,
    "compare-models": run_compare_models,
    "export": run_export,
}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SiameseError as error:
        print(f"siamese: error: {error.worded(flag_words)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("siamese: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so on one line; SIAMESE_DEBUG=1 shows the traceback
        if os.environ.get("SIAMESE_DEBUG"):
            raise
        print(
            f"siamese: internal error: {type(error).__name__}: {error} (set SIAMESE_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1
