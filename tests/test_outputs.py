"""Tests of siamese_core.outputs: every writer (model, scores, report) makes files as any program does."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from siamese_core.report import write_report
from siamese_core.scoring import write_csv

WRITERS = {
    "model.keras": lambda outcome, path: outcome.bundle.save(path),
    "scores.csv": lambda outcome, path: write_csv(pd.DataFrame({"a": [1], "b": [2.5]}), path),
    "report.html": lambda outcome, path: write_report(path, "<html>new</html>"),
}


@pytest.fixture
def umask():
    """A umask other than the usual 022, so that a hard-coded mode shows."""
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("name", WRITERS)
def test_a_new_file_has_the_umasks_mode_and_a_replaced_one_keeps_its_own(name, tiny_outcome, tmp_path, umask):
    path = tmp_path / name
    WRITERS[name](tiny_outcome, path)
    assert mode(path) == 0o666 & ~umask == 0o640  # as `open(path, "w")` makes it, not mkstemp's 0600

    path.write_bytes(b"old")
    path.chmod(0o604)
    WRITERS[name](tiny_outcome, path)
    assert mode(path) == 0o604
    assert path.read_bytes() != b"old"
    assert os.listdir(tmp_path) == [name]  # no temporary file or folder left
