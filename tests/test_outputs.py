"""Tests of siamese_core.outputs: every writer (model, scores, report) makes files as any program does."""

from __future__ import annotations

import errno
import os
import stat

import pandas as pd
import pytest

from siamese_core.errors import ConfigError
from siamese_core.outputs import atomic_folder, atomic_write, check_outputs
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


@pytest.mark.parametrize("name", WRITERS)
def test_a_pipe_or_a_device_is_not_replaced_by_a_file(name, tiny_outcome, tmp_path):
    """Replacing a pipe, or a device such as /dev/null (root may), would put a plain file in its place."""
    pipe = tmp_path / name
    os.mkfifo(pipe)
    with pytest.raises(ConfigError) as caught:
        WRITERS[name](tiny_outcome, pipe)
    assert str(caught.value) == (
        f"cannot write {pipe}: it is not a regular file (a device, a pipe or a socket); give the path of a file"
    )
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert os.listdir(tmp_path) == [name]
    with pytest.raises(ConfigError, match=r"^cannot write /dev/null: it is not a regular file"):
        WRITERS["scores.csv"](tiny_outcome, os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.parametrize("name", WRITERS)
def test_a_symbolic_link_stays_a_link_and_its_target_is_replaced(name, tiny_outcome, tmp_path):
    """As `-o /dev/stdout` with stdout sent to a file: the link must not become a file of its own."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / name
    target.write_bytes(b"old")
    link = tmp_path / f"link-{name}"
    link.symlink_to(target)
    WRITERS[name](tiny_outcome, link)
    assert link.is_symlink() and link.resolve() == target
    assert target.read_bytes() != b"old"
    assert sorted(os.listdir(tmp_path)) == sorted(["real", link.name])
    assert os.listdir(tmp_path / "real") == [name]


def test_an_output_hard_linked_to_an_input_or_to_another_output_is_refused(tmp_path):
    """Resolving paths does not see a hard link; comparing the files does."""
    data = tmp_path / "data.csv"
    data.write_text("label,a_x,b_x\n0,1,2\n")
    (tmp_path / "scores.csv").hardlink_to(data)
    with pytest.raises(ConfigError) as caught:
        check_outputs({"-o": tmp_path / "scores.csv"}, {"data": data})
    assert str(caught.value) == (
        f"-o {tmp_path / 'scores.csv'} would overwrite the data file {data}; choose another path for -o"
    )
    (tmp_path / "model.keras").write_bytes(b"old")
    (tmp_path / "report.html").hardlink_to(tmp_path / "model.keras")
    with pytest.raises(ConfigError) as caught:
        check_outputs(
            {"--out": tmp_path / "model.keras", "--report": tmp_path / "report.html"}, {"data": data}
        )
    assert str(caught.value) == (
        f"--report {tmp_path / 'report.html'} is also the path of --out; give each output its own file"
    )
    check_outputs({"--out": tmp_path / "new.keras", "--report": tmp_path / "new.html"}, {"data": data})


@pytest.mark.parametrize("name", WRITERS)
def test_a_failed_write_is_a_user_error_naming_the_file_and_leaves_it_as_it_was(
    name, tiny_outcome, tmp_path, monkeypatch
):
    path = tmp_path / name
    path.write_bytes(b"old")

    def full_disk(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(source), None, os.fspath(target))

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ConfigError) as caught:
        WRITERS[name](tiny_outcome, path)
    assert str(caught.value) == (
        f"cannot write {path}: No space left on device; {name} is left as it was. Free some space or choose "
        "another path"
    )
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == [name]


def test_an_error_reading_another_file_while_writing_stays_that_error(tmp_path):
    """An input that vanishes while the output is written is not a failure to write the output."""
    gone = FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fspath(tmp_path / "input.csv"))
    with pytest.raises(FileNotFoundError) as caught, atomic_write(tmp_path / "scores.csv"):
        raise gone
    assert caught.value is gone
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", WRITERS)
def test_a_name_at_the_file_systems_limit_is_written(name, tiny_outcome, tmp_path):
    """A 255-byte name leaves no room for the temporary folder's prefix and suffix around it whole."""
    path = tmp_path / ("x" * (os.pathconf(tmp_path, "PC_NAME_MAX") - len(name)) + name)
    WRITERS[name](tiny_outcome, path)
    assert os.listdir(tmp_path) == [path.name] and path.stat().st_size > 0


def test_a_folder_is_made_whole_with_the_umasks_mode_or_not_at_all(tmp_path, umask):
    """An empty folder is replaced by the filled one, made as `mkdir` makes a folder (0777 less the umask:
    0750 here); a failure inside the block leaves no folder and no temporary beside it."""
    folder = tmp_path / "export"
    folder.mkdir()
    with atomic_folder(folder) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".export.")
        (temporary / "inner").mkdir()
        (temporary / "inner" / "file.txt").write_text("written")
        assert not (folder / "inner").exists()  # nothing shows before the block ends
    assert (folder / "inner" / "file.txt").read_text() == "written"
    assert mode(folder) == 0o777 & ~umask == 0o750
    failed = tmp_path / "failed"
    with pytest.raises(OSError, match="disk full"), atomic_folder(failed) as temporary:
        (temporary / "file.txt").write_text("half")
        raise OSError(errno.ENOSPC, "disk full")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export"]
