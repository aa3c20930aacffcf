"""Turn the CSV files users upload into validated pairs (`PairSet`) and labeled samples (`SampleSet`).

Three layouts are understood:

- a wide pair CSV: one row per pair, a label column and the two samples' features side by side
  (`a_height`, `b_height`, ...), read by `load_pair_csv`;
- labeled samples: one row per sample with a class column, read by `load_samples_csv`;
- pairs by reference: a pairs CSV of two sample ids and a label, plus a samples CSV holding the features
  of each id, read by `load_pairs_by_reference`.

Labels follow the loss's convention: Y = 0 for similar pairs, Y = 1 for dissimilar ones (`map_labels`
says how raw values are mapped and why). Every problem a user can cause becomes a `DataError` (or a
`LabelError`) whose message names the file, the column, the row and the value, and says what to do.

Reading is vectorised: files of a few hundred megabytes are parsed by pandas' C parser, feature columns
straight into float32 (large pair files in byte ranges on every core); Python loops run only over column
names, byte ranges and distinct label values.

The modules, in the order data flows through them:

- `sniffing`: the source and its first bytes (encoding, delimiter, decimal mark, header);
- `lines`: the file's bytes as lines, and the checked stream of a byte range;
- `reader`: pandas reads, with every failure worded for the user;
- `checks`: empty cells and infinite values;
- `ranges`: a large pair file parsed in byte ranges on every core;
- `columns`: the label, class, id and side columns;
- `labels`: raw labels mapped to similar and dissimilar;
- `loaders`: the public loaders.
"""

from siamese_core.data.checks import DROP_MISSING
from siamese_core.data.columns import (
    CLASS_COLUMN_NAMES,
    DISSIMILARITY_COLUMN_NAMES,
    ID_COLUMN_NAMES,
    ID_PAIR_NAMES,
    LABEL_COLUMN_NAMES,
    SIDE_COLUMNS,
    SIDE_PATTERNS,
    SIMILARITY_COLUMN_NAMES,
    detect_class_column,
    detect_label_column,
    detect_sides,
    label_column_as_trained,
)
from siamese_core.data.labels import (
    DISSIMILAR_WORDS,
    NO_WORDS,
    SIMILAR_LABEL,
    SIMILAR_WORDS,
    YES_WORDS,
    map_labels,
    map_labels_as_trained,
)
from siamese_core.data.loaders import (
    load_pair_csv,
    load_pairs_by_reference,
    load_samples_csv,
    read_csv,
    read_header,
)
from siamese_core.data.reader import (
    PANDAS_MISSING_WORDS,
    PANDAS_READ_ERRORS,
    as_numbers,
    first_non_number,
    pandas_errors,
    row_number,
)
from siamese_core.data.sniffing import (
    DELIMITERS,
    MAX_COLUMNS,
    SNIFF_BYTES,
    Source,
    check_file,
    check_unique_columns,
)

__all__ = [
    "CLASS_COLUMN_NAMES",
    "DELIMITERS",
    "DISSIMILARITY_COLUMN_NAMES",
    "DISSIMILAR_WORDS",
    "DROP_MISSING",
    "ID_COLUMN_NAMES",
    "ID_PAIR_NAMES",
    "LABEL_COLUMN_NAMES",
    "MAX_COLUMNS",
    "NO_WORDS",
    "PANDAS_MISSING_WORDS",
    "PANDAS_READ_ERRORS",
    "SIDE_COLUMNS",
    "SIDE_PATTERNS",
    "SIMILARITY_COLUMN_NAMES",
    "SIMILAR_LABEL",
    "SIMILAR_WORDS",
    "SNIFF_BYTES",
    "YES_WORDS",
    "Source",
    "as_numbers",
    "check_file",
    "check_unique_columns",
    "detect_class_column",
    "detect_label_column",
    "detect_sides",
    "first_non_number",
    "label_column_as_trained",
    "load_pair_csv",
    "load_pairs_by_reference",
    "load_samples_csv",
    "map_labels",
    "map_labels_as_trained",
    "pandas_errors",
    "read_csv",
    "read_header",
    "row_number",
]
