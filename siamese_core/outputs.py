"""Writing output files (model files, scores, reports): checked before the work, replaced atomically.

A file is written under a private temporary folder beside it, then renamed over its path once complete, so
a reader never sees half a file and a failure leaves the old file as it was. The file is made as any new
file is (mode 0666 less the umask); a file it replaces keeps its mode.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from siamese_core.errors import ConfigError


def check_output(path, *, flag: str | None = None) -> None:
    """Raise unless a file can be written at `path`: not a folder, in a folder that exists and can be written.

    Args:
        path: The output file.
        flag: The command-line option that named it (such as "--out"), for the message.

    Raises:
        ConfigError: `path` is a folder, its folder is missing or not a folder, or cannot be written into.
    """
    path = Path(path)
    subject = f"{flag} {path}" if flag else f"cannot write {path}"
    folder = path.parent
    if path.is_dir():
        raise ConfigError(f"{subject}: it is a folder; give the path of a file")
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
        ConfigError: As `check_output` says.
    """
    path = Path(path)
    check_output(path)
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    temporary = folder / path.name
    try:
        yield temporary
        if path.exists():
            shutil.copymode(path, temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())  # on disk before the rename, so a crash leaves the old or the new file
        os.replace(temporary, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
