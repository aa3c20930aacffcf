"""Writing output files (model files, scores, reports) and folders (exports): checked before the work,
put in place atomically. Every writer of the package writes through `atomic_write` or `atomic_folder`.

A file is written under a private temporary folder beside it, then renamed over its path once complete, so
a reader never sees half a file and a failure leaves the old file as it was. The file is made as any new
file is (mode 0666 less the umask); a file it replaces keeps its mode. A folder is filled as a hidden
temporary folder beside it, made as any new folder is (mode 0777 less the umask), then renamed into place.
Either way every file written is on disk (`fsync`) before the rename, so a crash leaves the old or the new
output, never half of one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from siamese_core.errors import ConfigError


def check_output(path, *, flag: str | None = None) -> None:
    """Raise unless a file can be written at `path`: not a folder, in a folder that exists and can be written.

    Args:
        path: The output file.
        flag: The command-line option that named it (such as "--out"), for the message.

    Raises:
        ConfigError: `path` is a folder or another file that is not a regular one (a device such as
            /dev/null, a pipe, a socket), its folder is missing or not a folder, or cannot be written into.
    """
    path = Path(path)
    subject = f"{flag} {path}" if flag else f"cannot write {path}"
    folder = path.parent
    if path.is_dir():
        raise ConfigError(f"{subject}: it is a folder; give the path of a file")
    if path.exists() and not path.is_file():  # replacing it would put a plain file where a device was
        raise ConfigError(
            f"{subject}: it is not a regular file (a device, a pipe or a socket); give the path of a file"
        )
    if not folder.exists():
        raise ConfigError(f"{subject}: the folder {folder} does not exist; create it or write elsewhere")
    if not folder.is_dir():
        raise ConfigError(f"{subject}: {folder} is a file, not a folder; write elsewhere")
    try:
        with tempfile.TemporaryFile(dir=folder):  # trying is the only sure test (read-only disks, ACLs)
            pass
    except OSError as error:
        raise ConfigError(
            f"{subject}: cannot write into the folder {folder} ({error.strerror}); choose a folder you can "
            "write to"
        ) from None


def check_outputs(
    outputs: Mapping[str, str | os.PathLike | None], inputs: Mapping[str, str | os.PathLike | None]
) -> None:
    """Refuse, before any work, an output that would destroy an input or another output, or that cannot be
    written (see `check_output`).

    Paths are compared resolved, so `./data.csv` and a symbolic link to data.csv are data.csv, and, where
    both exist, as files (`os.path.samefile`), so a hard link or another spelling on a file system that
    ignores case is the same file too.

    Args:
        outputs: Each output's option or role (such as "--out") and path, None when not given.
        inputs: Each input's role (such as "data") and path, None when not given.

    Raises:
        ConfigError: Naming the option, the path and what to do.
    """
    sources = [(role, source, Path(source).resolve()) for role, source in inputs.items() if source]
    written: list[tuple[str, Path]] = []
    for flag, output in outputs.items():
        if not output:
            continue
        target = Path(output).resolve()
        for role, source, origin in sources:
            if same_file(target, origin):
                kind = "folder" if origin.is_dir() else "file"
                raise ConfigError(
                    f"{flag} {output} would overwrite the {role} {kind} {source}; choose another path for {flag}"
                )
            if origin.is_dir() and any(same_file(folder, origin) for folder in target.parents):
                raise ConfigError(
                    f"{flag} {output} is inside the {role} folder {source}, whose files are read; choose a path "
                    f"outside it for {flag}"
                )
        for other, path in written:
            if same_file(target, path):
                raise ConfigError(
                    f"{flag} {output} is also the path of {other}; give each output its own file"
                )
        written.append((flag, target))
        check_output(output, flag=flag)


def same_file(one, other) -> bool:
    """Whether two paths name one file: the same path once resolved, or the same file found by both (a hard
    link, another spelling on a file system that ignores case)."""
    try:
        return Path(one).resolve() == Path(other).resolve() or os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet)
        return False


@contextmanager
def atomic_write(path) -> Iterator[Path]:
    """Write a file atomically: the block writes the path it is given, which replaces `path` when the block ends.

        with atomic_write("scores.csv") as temporary:
            temporary.write_text(text)

    The path given has `path`'s name, in a temporary folder beside `path` (hidden: its name starts with
    "."); it and its folder are removed whatever happens, and `path` is untouched unless the block succeeds.

    Args:
        path: The file to write.

    Yields:
        The path to write.

    Raises:
        ConfigError: As `check_output` says, or the file could not be written (a full disk or quota, say),
            naming `path` and the reason; `path` is then as it was.
    """
    path = Path(path)
    check_output(path)
    # A symbolic link stays a link: the file it points to is the one replaced (replacing the link itself
    # would turn `-o /dev/stdout` into a new file in /dev).
    target = Path(os.path.realpath(path))
    prefix = _hidden_prefix(target)
    folder = None
    try:
        folder = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=target.parent))
        temporary = folder / target.name
        yield temporary
        if target.exists():
            shutil.copymode(target, temporary)
        _synced(temporary)
        os.replace(temporary, target)
    except OSError as error:
        if not _about_writing(error, target, prefix):
            raise
        raise ConfigError(
            f"cannot write {path}: {error.strerror or error}; {path.name} is left as it was. Free some space "
            "or choose another path"
        ) from error
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _about_writing(error: OSError, path: Path, prefix: str) -> bool:
    """Whether `error` is about writing `path` (a write to the open file names none; the rest name the file,
    its temporary folder or its temporary copy), not about another file the writing block read."""
    if error.filename is None:
        return True
    named = Path(os.fsdecode(error.filename))
    return named.name == path.name or named.name.startswith(prefix) or named.parent.name.startswith(prefix)


@contextmanager
def atomic_folder(folder) -> Iterator[Path]:
    """Make a folder atomically: the block fills the new folder it is given, which becomes `folder` when the
    block ends.

        with atomic_folder("export") as temporary:
            (temporary / "model.json").write_text(text)

    The folder given is hidden beside `folder` and made as any new folder is (mode 0777 less the umask), so
    that once renamed another user (a server) can read it. `folder` must not exist or be an empty folder,
    which is removed just before the rename (a file put there since makes that fail, and nothing is lost).
    The temporary folder is removed whatever happens.

    Args:
        folder: The folder to make.

    Yields:
        The folder to fill.

    Raises:
        OSError: As writing, syncing or renaming raised it (the caller says what failed); `folder` is then
            as it was.
    """
    folder = Path(folder)
    parent = folder.resolve().parent
    while True:
        temporary = parent / f"{_hidden_prefix(folder)}{secrets.token_hex(4)}.tmp"
        try:
            temporary.mkdir()
        except FileExistsError:
            continue
        break
    try:
        yield temporary
        for path in temporary.rglob("*"):
            if path.is_file():
                _synced(path)
        if folder.is_dir():
            folder.rmdir()
        os.replace(temporary, folder)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _hidden_prefix(target: Path) -> str:
    """The start of the name of a temporary beside `target`: hidden, and holding only the start of its name,
    so that a name near the file system's limit (255 bytes) leaves room for the prefix and suffix."""
    return f".{target.name[:64]}."


def _synced(path: Path) -> None:
    """A written file on disk before the rename, so that a crash leaves the old or the new output."""
    with open(path, "rb") as written:
        os.fsync(written.fileno())
