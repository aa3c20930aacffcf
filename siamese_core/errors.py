"""Errors a user can cause, in one small hierarchy.

Every error carries a message that says what is wrong, where (file, column, row) and what to do, so that
the CLI can print it on one line and the dashboard can show it in an error box. What to do is said in
each interface's own words: the message names the settings that fix it (`SiameseError.settings`), and
`str(error)` words them as Python keywords, the CLI as its flags (`cli.flag_words`), the dashboard as its
controls (`dashboard.text.error_text`). Bugs stay ordinary exceptions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

SHOWN_LENGTH = 60  # characters of a user's value that a message shows


def shown(value: object, limit: int = SHOWN_LENGTH) -> str:
    """A value from a user's file as a message can show it: safe on a terminal and on one line.

    Control and format characters (escape sequences, line breaks, bidirectional overrides) and the line
    and paragraph separators U+2028 and U+2029 are written as escapes such as \\x1b, so they show what
    the file holds without acting on the terminal or breaking the line; a value longer than `limit`
    characters is cut, saying how long it is.

    Args:
        value: The value, shown as `str(value)`.
        limit: The most characters shown of it.

    Returns:
        The text to put in a message.
    """
    text = str(value)
    if len(text) <= limit:
        return "".join(map(_escaped, text))
    return "".join(map(_escaped, text[:limit])) + f"... ({len(text):,} characters)"


def listed(values: Sequence[object], limit: int, *, each: Callable[[object], str] = shown) -> str:
    """The first `limit` values, each as `each` shows it (`shown`: escaped and cut), separated by commas,
    then ", ... (K in all)" when there are more.

    Args:
        values: The values, such as column names from a user's file.
        limit: The most values shown.
        each: How one value is shown.

    Returns:
        The text to put in a message, such as "a_x, a_y, a_z, ... (12 in all)".
    """
    text = ", ".join(each(value) for value in values[:limit])
    return text + (f", ... ({len(values):,} in all)" if len(values) > limit else "")


def _escaped(char: str) -> str:
    if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp"):
        return char
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


Setting = tuple[str, str]  # a setting that fixes an error: (its keyword in the Python API, the value to give)


def python_words(name: str, value: str) -> str:
    """How the Python API names a setting: the keyword argument, such as "pass drop_missing=True"."""
    return f"pass {name}={value}"


class SiameseError(Exception):
    """Base class of every error a user can cause (bad data, bad settings, bad model files).

    Args:
        message: What is wrong and what to do, in words that hold in every interface.
        settings: The settings that get the user past it, as `Setting`s ("drop_missing", "True"). Each
            interface names them in its own words (`worded`): a keyword argument in Python (`str(error)`),
            a flag on the command line, a control in the dashboard.
    """

    def __init__(self, message: str = "", *, settings: Sequence[Setting] = ()):
        self.message = message
        self.settings = tuple(settings)
        super().__init__(self.worded(python_words))

    def worded(self, words: Callable[[str, str], str]) -> str:
        """The message, then the settings that fix it as `words(name, value)` says them, in brackets: a
        phrase said for two settings (one control for both) once, an empty one (an interface without the
        setting) not at all."""
        if not self.settings:
            return self.message
        said = [
            phrase for phrase in dict.fromkeys(words(name, value) for name, value in self.settings) if phrase
        ]
        return f"{self.message} ({' and '.join(said)})" if said else self.message


class DataError(SiameseError, ValueError):
    """A data file cannot be used as it is: unreadable, malformed, or with values that cannot be trained on.

    Args:
        message: What is wrong and what to do about it.
        source: The file's name, when known.
        column: The column at fault, when there is one.
        row: The 1-based data row (the header is row 0), when there is one.
        value: The offending value, when there is one.
        settings: The settings that fix it (see `SiameseError`).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: object = None,
        settings: Sequence[Setting] = (),
    ):
        self.source = source
        self.column = column
        self.row = row
        self.value = value
        self.detail = message
        where = []
        if source:
            where.append(f"{source}")
        if column is not None:
            where.append(f"column '{shown(column)}'")
        if row is not None:
            where.append(f"row {row} (line {row + 1})")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message, settings=settings)


class LabelError(DataError):
    """Pair labels cannot be mapped to similar (Y = 0) and dissimilar (Y = 1)."""


class ConfigError(SiameseError, ValueError):
    """A setting is out of range or inconsistent with the data."""


class TrainingError(SiameseError):
    """Training cannot go on: the loss stopped being a finite number (diverged)."""


class ModelFileError(SiameseError):
    """A model file is missing, corrupt, unsafe, or not a siamese_core model."""
