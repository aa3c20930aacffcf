"""How raw pair labels become Y = 0 (similar) and Y = 1 (dissimilar): `map_labels` and its rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from siamese_core.data.checks import DROP_MISSING
from siamese_core.data.columns import DISSIMILARITY_COLUMN_NAMES, SIMILARITY_COLUMN_NAMES
from siamese_core.data.reader import row_number
from siamese_core.data.sniffing import NUMBER, counted
from siamese_core.errors import DataError, LabelError, listed, shown
from siamese_core.pairs import DISSIMILAR, SIMILAR, LabelMapping, check_enough_pairs

SIMILAR_WORDS = frozenset(
    {"similar", "same", "match", "matched", "positive", "pos", "genuine", "duplicate", "similar pair",
     "same pair", "matching"}
)  # fmt: skip
DISSIMILAR_WORDS = frozenset(
    {"dissimilar", "different", "diff", "mismatch", "mismatched", "non match", "nonmatch", "no match",
     "negative", "neg", "impostor", "imposter", "dissimilar pair", "different pair", "not similar",
     "not same", "not duplicate", "non duplicate", "not match"}
)  # fmt: skip
YES_WORDS = frozenset({"yes", "y"})
NO_WORDS = frozenset({"no", "n"})


_INTEGER = re.compile(r"^[+-]?\d+$")

_WORD_SEPARATORS = re.compile(r"[\s_\-]+")

SIMILAR_LABEL = ("similar_label", "...")


def check_mapped_pairs(mapping: LabelMapping, name: str) -> None:
    n_similar, n_dissimilar = mapping.n_similar, mapping.n_dissimilar
    n = n_similar + n_dissimilar
    if n_similar == 0 or n_dissimilar == 0:
        kind, values = (
            ("similar", mapping.similar_values)
            if n_dissimilar == 0
            else ("dissimilar", mapping.dissimilar_values)
        )
        raise DataError(
            f"all {n:,} pairs are labelled {kind} "
            f"({shown(mapping.column)} = {shown(', '.join(values), 200)}; "
            f"{mapping.reason}); training and evaluation need both similar and dissimilar pairs: if that mapping is "
            "wrong, say which value means similar",
            source=name,
            column=mapping.column,
            settings=[SIMILAR_LABEL],
        )
    check_enough_pairs(n_similar, n_dissimilar, name)


# --------------------------------------------------------------------------------------------------
# Public: label mapping
# --------------------------------------------------------------------------------------------------


@dataclass
class LabelValue:
    """One distinct raw label value, classified."""

    display: str
    kind: str  # "binary" (0/1, true/false), "word", "yesno", or "other"
    number: float | None
    meaning: float | None  # SIMILAR or DISSIMILAR for words; 1.0 = yes, 0.0 = no for yes/no
    count: int
    first_row: int
    source: str | None = None  # the file of `first_row`, when values come from several files


def display_label(value: object) -> str:
    """How a label value is shown and told apart: a number or true/false in one form however it was
    written or read ("01", "1.0", 1 and 1.0 are all "1"; "TRUE" and True are "true"), so a label column
    reads the same as text or as the numbers pandas makes of it; other text as written, stripped."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower()
    if _INTEGER.match(text):
        try:
            return str(int(text))  # exact at any size, as pandas' int64 and uint64 are
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            return text
    return display_label(float(text)) if NUMBER.match(text) else text


def _as_number(value: object) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return 1.0 if text == "true" else 0.0
    return float(text) if NUMBER.match(text) else None


def classify_label(value: object, count: int, first_row: int) -> LabelValue:
    display = display_label(value)
    number = _as_number(value)
    if number is not None:
        kind = "binary" if number in (0.0, 1.0) else "other"
        return LabelValue(display, kind, number, None, count, first_row)
    word = _WORD_SEPARATORS.sub(" ", display.lower()).strip()
    if word in SIMILAR_WORDS or word in DISSIMILAR_WORDS:
        return LabelValue(
            display, "word", None, SIMILAR if word in SIMILAR_WORDS else DISSIMILAR, count, first_row
        )
    if word in YES_WORDS or word in NO_WORDS:
        return LabelValue(display, "yesno", None, 1.0 if word in YES_WORDS else 0.0, count, first_row)
    return LabelValue(display, "other", None, None, count, first_row)


def _distinct_values(
    values: pd.Series, column: str, source: str | None
) -> tuple[np.ndarray, list[LabelValue]]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        position = int(np.argmax(codes < 0))
        n = int((codes < 0).sum())
        raise LabelError(
            f"{counted(n, 'label')} empty, the first here; fill them in, or drop those rows",
            source=source,
            settings=[DROP_MISSING],
            column=column,
            row=row_number(values, position),
        )
    counts = np.bincount(codes, minlength=len(uniques))
    _, first_positions = np.unique(codes, return_index=True)
    rows = [row_number(values, position) for position in first_positions]
    return codes, [classify_label(u, int(c), r) for u, c, r in zip(uniques, counts, rows, strict=True)]


def _value_summary(distinct: list[LabelValue], limit: int = 8) -> str:
    return listed(distinct, limit, each=lambda v: f"'{shown(v.display)}' ({counted(v.count, 'row')})")


def _column_key(column: str) -> str:
    return _WORD_SEPARATORS.sub("_", str(column).strip().lower())


def _value_error(message: str, value: LabelValue, column: str, source: str | None) -> LabelError:
    """A LabelError about `value`, at its first row, that points to the similar_label setting."""
    return LabelError(
        message,
        source=value.source or source,
        settings=[SIMILAR_LABEL],
        column=column,
        row=value.first_row,
        value=value.display,
    )


def _unmappable(value: LabelValue, column: str, source: str | None) -> LabelError:
    return _value_error(
        f"label value '{shown(value.display)}' ({counted(value.count, 'row')}, the first here) means neither "
        "similar nor dissimilar (expected 0 = similar / 1 = dissimilar, true/false, or words such as "
        "same/different); say which value means similar",
        value,
        column,
        source,
    )


def _map_by_rules(distinct: list[LabelValue], column: str, source: str | None) -> tuple[list[float], str]:
    """Y for each distinct value without similar_label, and the reason in words."""
    unknown = [v for v in distinct if v.kind == "other"]
    if unknown:
        raise _unmappable(min(unknown, key=lambda v: v.first_row), column, source)
    binary = [v for v in distinct if v.kind == "binary"]
    words = [v for v in distinct if v.kind != "binary"]
    if binary and words:
        later = max(
            min(binary, key=lambda v: v.first_row),
            min(words, key=lambda v: v.first_row),
            key=lambda v: v.first_row,
        )
        raise _value_error(
            f"labels mix numbers or true/false ({', '.join(shown(v.display) for v in binary[:4])}) with words "
            f"({', '.join(shown(v.display) for v in words[:4])}); use one kind of label throughout, or say "
            "which value means similar",
            later,
            column,
            source,
        )
    if binary:
        return _map_binary(distinct, column)
    return _map_words(distinct, column)


def _map_binary(distinct: list[LabelValue], column: str) -> tuple[list[float], str]:
    if _column_key(column) in SIMILARITY_COLUMN_NAMES:
        reason = f"column name '{column}' says 1/true = similar, so 0/false = dissimilar"
        return [1.0 - v.number for v in distinct], reason
    numbers = [bool(NUMBER.match(v.display)) for v in distinct]
    if all(numbers):
        reason = "numbers follow the loss convention: 0 = similar, 1 = dissimilar"
    elif not any(numbers):
        reason = "true/false follow the loss convention: false = similar, true = dissimilar"
    else:
        reason = "0/1 and true/false follow the loss convention: 0/false = similar, 1/true = dissimilar"
    return [v.number for v in distinct], reason


def _map_words(distinct: list[LabelValue], column: str) -> tuple[list[float], str]:
    yes_means = DISSIMILAR if _column_key(column) in DISSIMILARITY_COLUMN_NAMES else SIMILAR
    labels = []
    for v in distinct:
        if v.kind == "yesno":
            labels.append(yes_means if v.meaning == 1.0 else 1.0 - yes_means)
        else:
            labels.append(v.meaning)
    similar = [v.display for v, y in zip(distinct, labels, strict=True) if y == SIMILAR]
    dissimilar = [v.display for v, y in zip(distinct, labels, strict=True) if y == DISSIMILAR]
    reason = (
        f"words mapped by meaning: {', '.join(similar) or 'none'} = similar, "
        f"{', '.join(dissimilar) or 'none'} = dissimilar"
    )
    if any(v.kind == "yesno" for v in distinct):
        reason += (
            f" (column name '{column}' says yes = {'dissimilar' if yes_means == DISSIMILAR else 'similar'})"
        )
    return labels, reason


def _matches(value: LabelValue, wanted: object) -> bool:
    wanted_number = _as_number(wanted)
    if value.number is not None and wanted_number is not None and value.number == wanted_number:
        return True
    return value.display.lower() == display_label(wanted).lower()


def _map_by_similar_label(
    distinct: list[LabelValue], similar_label: object, column: str, source: str | None
) -> tuple[list[float], str]:
    labels = [SIMILAR if _matches(v, similar_label) else DISSIMILAR for v in distinct]
    if SIMILAR not in labels:
        raise LabelError(
            f"similar_label={shown(repr(similar_label))} does not occur in the label column; its values are: "
            f"{_value_summary(distinct)}",
            source=source,
            column=column,
            value=similar_label,
        )
    others = [v.display for v, y in zip(distinct, labels, strict=True) if y == DISSIMILAR]
    reason = f"similar_label={shown(repr(similar_label))} marks similar pairs"
    if len(others) == 1:
        reason += f"; the other value ('{shown(others[0])}') marks dissimilar pairs"
    elif others:
        reason += (
            f"; every other value ({', '.join(shown(repr(o)) for o in others[:8])}) counts as dissimilar"
        )
    else:
        reason += "; the column has no other value"
    return labels, reason


def map_labels(
    values: pd.Series, *, column: str, similar_label: object = None, source: str | None = None
) -> tuple[np.ndarray, LabelMapping]:
    """Map raw pair labels to Y = 0 (similar) and Y = 1 (dissimilar).

    Rules, in order:

    - `similar_label` given: values equal to it (as text ignoring case, or as numbers, so "1" matches 1.0)
      are similar and every other value dissimilar.
    - 0/1 (also 0.0/1.0, "0"/"1") and true/false follow the loss convention, 0/false = similar, unless the
      column's name asserts similarity (`SIMILARITY_COLUMN_NAMES`, e.g. is_duplicate): then 1/true = similar.
    - Words map by meaning (same/match/genuine/... vs different/mismatch/impostor/...); yes means similar
      unless the column's name asserts dissimilarity (is_dissimilar, different, ...).

    Args:
        values: The raw label column; an integer index is taken as 0-based data rows (as read_csv gives).
        column: The column's name, for messages and the naming rule.
        similar_label: The raw value that means "similar", when the rules do not fit.
        source: The file's name, for messages.

    Returns:
        (float32 labels of 0.0 and 1.0, the LabelMapping with counts and the rule applied).

    Raises:
        LabelError: A value fits no rule, numbers and words are mixed, a label is empty, or `similar_label`
            does not occur.
    """
    codes, distinct = _distinct_values(values, column, source)
    per_value, mapping = map_distinct_labels(
        distinct, column=column, similar_label=similar_label, source=source
    )
    labels = np.asarray(per_value, dtype=np.float32)[codes] if len(codes) else np.zeros(0, dtype=np.float32)
    return labels, mapping


def map_distinct_labels(
    distinct: list[LabelValue], *, column: str, similar_label: object, source: str | None
) -> tuple[list[float], LabelMapping]:
    """Y for each distinct value (in `distinct`'s order, that of first appearance) and the LabelMapping.

    The counts come from each value's `count`, so values counted a chunk at a time map as in one piece.
    Values shown alike ("1" and "01", see `display_label`) are one value, counted together.
    """
    distinct, owners = _merged(distinct)
    if similar_label is not None:
        per_value, reason = _map_by_similar_label(distinct, similar_label, column, source)
    else:
        per_value, reason = _map_by_rules(distinct, column, source)
    order = sorted(
        range(len(distinct)),
        key=lambda i: (distinct[i].number is None, distinct[i].number or 0, distinct[i].display),
    )
    mapping = LabelMapping(
        column=column,
        similar_values=list(dict.fromkeys(distinct[i].display for i in order if per_value[i] == SIMILAR)),
        dissimilar_values=list(
            dict.fromkeys(distinct[i].display for i in order if per_value[i] == DISSIMILAR)
        ),
        n_similar=sum(v.count for v, y in zip(distinct, per_value, strict=True) if y == SIMILAR),
        n_dissimilar=sum(v.count for v, y in zip(distinct, per_value, strict=True) if y == DISSIMILAR),
        reason=reason,
    )
    return [per_value[owner] for owner in owners], mapping


def _merged(distinct: list[LabelValue]) -> tuple[list[LabelValue], list[int]]:
    """One value per display, in order of first appearance (so with the first row and file of the first),
    and for each value of `distinct` the position of its merged value."""
    at: dict[str, int] = {}
    merged: list[LabelValue] = []
    owners = []
    for value in distinct:
        owner = at.setdefault(value.display, len(merged))
        if owner == len(merged):
            merged.append(replace(value))
        else:
            merged[owner].count += value.count
        owners.append(owner)
    return merged, owners


def map_labels_as_trained(
    values: pd.Series, *, column: str, trained_mapping: dict | None, source: str | None = None
) -> tuple[np.ndarray, LabelMapping, str]:
    """Map a new file's labels as the model's training labels were, where that can be done; else by the
    usual rules (`map_labels`).

    The training mapping is used when it names this column (ignoring case) and one similar value as text,
    and that value occurs in the file; otherwise the file writes its labels another way and the rules apply.

    Args:
        values: The raw label column.
        column: Its name.
        trained_mapping: The model's `label_mapping` (`SiameseBundle.label_mapping`), or None.
        source: The file's name, for messages.

    Returns:
        (labels, the LabelMapping, how it was chosen: "as in the model's training data" or the rule's reason).

    Raises:
        LabelError: As `map_labels`, when the rules do not fit the file either.
    """
    trained = trained_mapping or {}
    similar_values = trained.get("similar_values")
    if (
        str(trained.get("column", "")).lower() == column.lower()
        and isinstance(similar_values, list)
        and len(similar_values) == 1
        and isinstance(similar_values[0], str)  # a model file from elsewhere may hold anything here
    ):
        try:
            labels, mapping = map_labels(
                values, column=column, similar_label=similar_values[0], source=source
            )
        except LabelError:
            pass  # the file writes its labels otherwise: the rules below, and the reason says which
        else:
            return labels, mapping, "as in the model's training data"
    labels, mapping = map_labels(values, column=column, source=source)
    return labels, mapping, mapping.reason
