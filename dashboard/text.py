"""Showing text in the browser: text from a user's files (column names, values, file names) shown safely,
and errors in the dashboard's words.

Streamlit renders Markdown (and `:color[...]` directives and `$...$` math) in titles, captions and
message boxes; a column named `**x**` or `[click](http://...)` must show as those characters, not as
formatting or a link. `plain()` escapes what Markdown would act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from siamese_core.errors import SiameseError

_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")
_BULLET = re.compile(r"(?m)^(\s*)([-+])(?=\s)")
_NUMBERED = re.compile(r"(?m)^(\s*\d+)([.)])(?=\s)")


def plain(text: object) -> str:
    """`text` with Markdown's special characters escaped, so it displays exactly as written."""
    escaped = _MARKDOWN.sub(r"\\\1", str(text))
    escaped = _BULLET.sub(r"\1\\\2", escaped)
    return _NUMBERED.sub(r"\1\\\2", escaped)


def error_text(error: Exception, controls: Mapping[str, str]) -> str:
    """An error as the page shows it: escaped, and naming the page's controls for the settings that fix it.

    Args:
        error: The error; a `SiameseError` may name settings (`SiameseError.settings`).
        controls: What to do on this page for each setting it has a control for, by the setting's name
            in the Python API, such as {"drop_missing": 'tick "Drop rows with missing values" above'}.

    Returns:
        Markdown-safe text; a setting the page has no control for is left unsaid (the message says what
        to change in the file).
    """
    if not isinstance(error, SiameseError):
        return plain(error)
    return plain(error.worded(lambda name, value: controls.get(name, "")))
