"""Showing text that comes from a user's files (column names, values, file names) safely.

Streamlit renders Markdown (and `:color[...]` directives and `$...$` math) in titles, captions and
message boxes; a column named `**x**` or `[click](http://...)` must show as those characters, not as
formatting or a link. `plain()` escapes what Markdown would act on.
"""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")
_BULLET = re.compile(r"(?m)^(\s*)([-+])(?=\s)")
_NUMBERED = re.compile(r"(?m)^(\s*\d+)([.)])(?=\s)")


def plain(text: object) -> str:
    """`text` with Markdown's special characters escaped, so it displays exactly as written."""
    escaped = _MARKDOWN.sub(r"\\\1", str(text))
    escaped = _BULLET.sub(r"\1\\\2", escaped)
    return _NUMBERED.sub(r"\1\\\2", escaped)
