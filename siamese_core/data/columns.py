"""Which columns a loader uses: the label, class and id columns by name, and the two samples' feature
columns of a wide pair file, paired by name (`a_height` with `b_height`) or as given."""

from __future__ import annotations

from dataclasses import dataclass

from siamese_core.errors import DataError, listed
from siamese_core.pairs import LoadInfo

LABEL_COLUMN_NAMES = (
    "label", "labels", "y", "target", "same", "is_same", "similar", "is_similar", "match", "is_match",
    "matched", "is_duplicate", "duplicate", "is_dissimilar", "dissimilar", "different", "pair_label",
)  # fmt: skip
# A label column with one of these names says "1 / true = similar" (Quora's is_duplicate = 1: duplicates).
SIMILARITY_COLUMN_NAMES = frozenset(
    {"same", "is_same", "similar", "is_similar", "match", "is_match", "matched", "is_duplicate", "duplicate"}
)
# A label column with one of these names says "yes = dissimilar".
DISSIMILARITY_COLUMN_NAMES = frozenset({"is_dissimilar", "dissimilar", "different", "is_different"})

CLASS_COLUMN_NAMES = (
    "class", "label", "labels", "y", "target", "category", "digit", "species", "identity", "person",
    "speaker", "group", "cluster",
)  # fmt: skip
ID_COLUMN_NAMES = ("id", "sample_id", "sample", "key", "uid")
ID_PAIR_NAMES = (
    ("id_a", "id_b"), ("a_id", "b_id"), ("id1", "id2"), ("id_1", "id_2"), ("left", "right"),
    ("left_id", "right_id"), ("first", "second"), ("sample_a", "sample_b"), ("a", "b"),
)  # fmt: skip
# (where the side marker sits, marker of the first sample, marker of the second sample)
SIDE_PATTERNS = (
    ("prefix", "a_", "b_"), ("prefix", "left_", "right_"), ("prefix", "x1_", "x2_"),
    ("prefix", "first_", "second_"), ("suffix", "_a", "_b"), ("suffix", "_1", "_2"),
    ("suffix", "_left", "_right"),
)  # fmt: skip
# Side columns whose shared name says they describe the sample, not measure it (a_id, b_class, ...).
_NON_FEATURE_NAMES = frozenset(
    {"id", "sample_id", "uid", "key", "class", "label", "name", "path", "file", "filename"}
)


SIDE_COLUMNS = (("left_columns", "[...]"), ("right_columns", "[...]"))


def _find_column(columns: list[str], wanted: str) -> str | None:
    """`wanted` among `columns`: exactly, else ignoring case and surrounding spaces."""
    if wanted in columns:
        return wanted
    key = str(wanted).strip().lower()
    return next((column for column in columns if column.strip().lower() == key), None)


def require_columns(columns: list[str], wanted: list[str], what: str, name: str) -> list[str]:
    found = [_find_column(columns, column) for column in wanted]
    unknown = [column for column, match in zip(wanted, found, strict=True) if match is None]
    if unknown:
        raise DataError(
            f"has no column named {', '.join(repr(c) for c in unknown)} (given as {what}); "
            f"its columns are: {listed(columns, 12)}",
            source=name,
        )
    return found


def detect_named(columns: list[str], candidates: tuple[str, ...], exclude: tuple = ()) -> str | None:
    keys = {column.strip().lower(): column for column in reversed(columns) if column not in exclude}
    return next((keys[candidate] for candidate in candidates if candidate in keys), None)


def detect_class_column(columns: list[str]) -> str | None:
    """The class column of a labeled-samples table among `columns`, by name (case-insensitive), or None."""
    return detect_named(list(columns), CLASS_COLUMN_NAMES)


def detect_label_column(columns: list[str]) -> str | None:
    """The pair label column among `columns`, by name (case-insensitive), or None.

    Args:
        columns: The column names.

    Returns:
        The first column (as written) whose name is one of `LABEL_COLUMN_NAMES`, in that priority.
    """
    return detect_named(list(columns), LABEL_COLUMN_NAMES)


@dataclass
class _SideMatch:
    left: list[str]
    right: list[str]
    names: list[str]
    unmatched_left: list[str]
    unmatched_right: list[str]
    n_left: int
    n_right: int
    skipped: list[str]


def _split_side(column: str, where: str, marker: str) -> str | None:
    """The shared part of `column` when it carries the side `marker`, else None."""
    lowered = column.strip().lower()
    stripped = column.strip()
    if where == "prefix" and lowered.startswith(marker) and len(lowered) > len(marker):
        return stripped[len(marker) :]
    if where == "suffix" and lowered.endswith(marker) and len(lowered) > len(marker):
        return stripped[: -len(marker)]
    return None


def _side_columns(columns: list[str], where: str, marker: str) -> dict[str, tuple[str, str]]:
    """Shared name (lowercase) -> (column, shared name as written) for the columns of one side."""
    found = {}
    for column in columns:
        rest = _split_side(column, where, marker)
        if rest is not None and rest.lower() not in found:
            found[rest.lower()] = (column, rest)
    return found


def _match_pattern(columns: list[str], where: str, left_marker: str, right_marker: str) -> _SideMatch:
    left = _side_columns(columns, where, left_marker)
    right = _side_columns(columns, where, right_marker)
    skipped = [left.pop(k)[0] for k in list(left) if k in _NON_FEATURE_NAMES]
    skipped += [right.pop(k)[0] for k in list(right) if k in _NON_FEATURE_NAMES]
    shared = [key for key in left if key in right]  # left columns' order in the file
    return _SideMatch(
        left=[left[key][0] for key in shared],
        right=[right[key][0] for key in shared],
        names=[left[key][1] for key in shared],
        unmatched_left=[left[key][0] for key in left if key not in right],
        unmatched_right=[right[key][0] for key in right if key not in left],
        n_left=len(left),
        n_right=len(right),
        skipped=skipped,
    )


def _best_sides(columns: list[str]) -> _SideMatch | None:
    """The side pattern pairing the most features (fewest leftovers on ties), or None when none applies."""
    matches = [_match_pattern(columns, *pattern) for pattern in SIDE_PATTERNS]
    usable = [m for m in matches if m.n_left and m.n_right]
    if not usable:
        return None
    return max(usable, key=lambda m: (len(m.left), -(len(m.unmatched_left) + len(m.unmatched_right))))


def _unequal_sides_message(match: _SideMatch) -> str:
    unmatched = match.unmatched_left + match.unmatched_right
    return (
        f"sides of unequal width: left has {match.n_left} columns, right has {match.n_right}; "
        f"unmatched: {listed(unmatched, 6)}; give each feature a column on both sides"
    )


def detect_sides(
    columns: list[str], *, name: str | None = None
) -> tuple[list[str], list[str], list[str]] | None:
    """Pair the two samples' feature columns by name: `a_height` with `b_height`, in any column order.

    Every pattern of `SIDE_PATTERNS` is tried (case-insensitive); the one pairing the most features wins.
    Side columns naming the sample rather than measuring it (`a_id`, `b_class`, ...) are left out.

    Args:
        columns: The column names (the label column may be among them).
        name: What messages call the file the columns come from.

    Returns:
        (left columns, right columns, feature names), the features in the order of the left columns in
        `columns`; or None when no pattern has columns on both sides.

    Raises:
        DataError: The best pattern leaves columns without a partner on the other side.
    """
    match = _best_sides(list(columns))
    if match is None:
        return None
    if match.unmatched_left or match.unmatched_right:
        raise DataError(_unequal_sides_message(match), source=name)
    return match.left, match.right, match.names


def resolve_column(
    columns: list[str],
    given: str | None,
    candidates: tuple[str, ...],
    setting: str,
    name: str,
    *,
    what: str,
    ask: str,
    exclude: tuple = (),
) -> str:
    """The column given as the setting `setting`, else the first of `candidates` among `columns` (by name,
    case-insensitive, but those in `exclude`).

    Raises:
        DataError: The given column is not there, or none is given and none is found (the message says
            which names were looked for, `what` the column is, and ends with `ask`).
    """
    if given is not None:
        return require_columns(columns, [given], setting, name)[0]
    found = detect_named(columns, candidates, exclude)
    if found is None:
        raise DataError(
            f"has no {what} column (looked for {', '.join(candidates[:6])}, ...); its columns are: "
            f"{listed(columns, 12)}; {ask}",
            source=name,
            settings=[(setting, "...")],
        )
    return found


def resolve_label_column(columns: list[str], label_column: str | None, name: str) -> str:
    """The pair label column: `label_column`, else the one `detect_label_column` finds."""
    return resolve_column(
        columns,
        label_column,
        LABEL_COLUMN_NAMES,
        "label_column",
        name,
        what="label",
        ask="name the label column",
    )


def _strip_common_marker(columns: list[str], side: int) -> list[str] | None:
    """The shared names of `columns` when one side marker (side 1 = left, 2 = right) fits them all."""
    for pattern in SIDE_PATTERNS:
        rests = [_split_side(column, pattern[0], pattern[side]) for column in columns]
        if all(rest is not None for rest in rests) and len({r.lower() for r in rests}) == len(rests):
            return rests
    return None


def given_sides(
    columns: list[str], left_columns: list[str] | None, right_columns: list[str] | None, label: str, name: str
) -> tuple[list[str], list[str], list[str]]:
    if left_columns is None or right_columns is None:
        raise DataError(
            "give the feature columns of both samples, or of neither",
            source=name,
            settings=SIDE_COLUMNS,
        )
    left = require_columns(columns, list(left_columns), "left_columns", name)
    right = require_columns(columns, list(right_columns), "right_columns", name)
    if len(left) != len(right) or not left:
        raise DataError(
            f"left_columns has {len(left)} columns but right_columns has {len(right)}; they pair up by "
            "position, so give the same number (at least one) of each",
            source=name,
        )
    overlap = [column for column in left + right if column == label]
    repeated = [column for column in dict.fromkeys(left + right) if (left + right).count(column) > 1]
    if overlap or repeated:
        raise DataError(
            "a column is used twice among the label and the sides: "
            f"{', '.join(dict.fromkeys(overlap + repeated))}",
            source=name,
        )
    names = _strip_common_marker(left, 1) or [f"f{i}" for i in range(len(left))]
    return left, right, names


def detected_sides(
    columns: list[str], label: str, name: str, info: LoadInfo
) -> tuple[list[str], list[str], list[str]]:
    match = _best_sides([column for column in columns if column != label])
    if match is None:
        raise DataError(
            f"has no columns for the two samples of a pair (such as a_height and b_height); its columns are: "
            f"{listed(columns, 12)}; name them with a_/b_, left_/right_, x1_/x2_, first_/second_ "
            "prefixes or _a/_b, _1/_2, _left/_right suffixes, or name the columns of each sample",
            source=name,
            settings=SIDE_COLUMNS,
        )
    if match.unmatched_left or match.unmatched_right:
        raise DataError(
            f"{_unequal_sides_message(match)}, or name the columns of each sample",
            source=name,
            settings=SIDE_COLUMNS,
        )
    if match.skipped:
        info.warnings.append(
            f"ignored {', '.join(match.skipped)}: they name the samples, they are not features"
        )
    return match.left, match.right, match.names


def label_column_as_trained(columns: list[str], trained_mapping: dict | None) -> str | None:
    """The label column of a new file for a model: the column its training labels came from when the file
    has it (names compared ignoring case), else the detected one (`detect_label_column`).

    Args:
        columns: The new file's column names.
        trained_mapping: The model's `label_mapping` (`SiameseBundle.label_mapping`), or None.

    Returns:
        The column's name as the file writes it, or None when the file has no label column.
    """
    trained = (trained_mapping or {}).get("column")
    if isinstance(trained, str):  # a model file from elsewhere may hold anything here
        same = [column for column in columns if column.lower() == trained.lower()]
        if same:
            return same[0]
    return detect_label_column(columns)
