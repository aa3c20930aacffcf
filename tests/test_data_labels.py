"""Tests for siamese_core.data: how raw pair labels become similar (0) and dissimilar (1), and the words a
user reads when they do not.

The mapping's `reason` is shown to the user as the explanation of their labels, so it is asserted in full;
so are the messages of the label errors, with the file, column, row and value they name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siamese_core.data import (
    label_column_as_trained,
    load_pair_csv,
    load_pairs_by_reference,
    map_labels,
    map_labels_as_trained,
)
from siamese_core.errors import DataError, LabelError

NEITHER = (
    "means neither similar nor dissimilar (expected 0 = similar / 1 = dissimilar, true/false, or words such as "
    "same/different); say which value means similar (pass similar_label=...)"
)


def label_error(values: list, **options) -> LabelError:
    with pytest.raises(LabelError) as caught:
        map_labels(pd.Series(values), column="label", source="f.csv", **options)
    return caught.value


def reason(values: list, column: str = "label", **options) -> str:
    return map_labels(pd.Series(values), column=column, **options)[1].reason


def pair_file(labels: list[str], header: str = "label") -> bytes:
    rows = [f"{label},{i},{i + 1}" for i, label in enumerate(labels)]
    return ("\n".join([f"{header},a_x,b_x", *rows]) + "\n").encode()


# --------------------------------------------------------------------------------------------------
# Empty and unknown labels
# --------------------------------------------------------------------------------------------------


def test_empty_labels_are_counted_and_the_first_is_named():
    """Rows 2 and 4 (0-based index 1 and 3) are empty; the value before them is not."""
    error = label_error(["0", None, "1", None])
    assert (error.source, error.column, error.row) == ("f.csv", "label", 2)
    assert error.settings == (("drop_missing", "True"),)
    assert str(error) == (
        "f.csv, column 'label', row 2 (line 3): 2 labels empty, the first here; fill them in, or drop those rows "
        "(pass drop_missing=True)"
    )
    assert str(label_error([None, "0", "1"])).startswith(
        "f.csv, column 'label', row 1 (line 2): 1 label empty,"
    )


def test_an_unknown_label_is_named_with_its_count_and_first_row():
    error = label_error(["0", "maybe", "1", "maybe", "perhaps"])
    assert (error.source, error.column, error.row, error.value) == ("f.csv", "label", 2, "maybe")
    assert error.settings == (("similar_label", "..."),)
    assert (
        str(error)
        == f"f.csv, column 'label', row 2 (line 3): label value 'maybe' (2 rows, the first here) {NEITHER}"
    )


def test_a_number_other_than_0_and_1_is_shown_as_written():
    error = label_error([0.0, 0.5, 1.0])
    assert (error.row, error.value) == (2, "0.5")
    assert (
        str(error)
        == f"f.csv, column 'label', row 2 (line 3): label value '0.5' (1 row, the first here) {NEITHER}"
    )


# --------------------------------------------------------------------------------------------------
# Numbers and words mixed
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "row", "value", "numbers", "words"),
    [
        (["0", "same", "1"], 2, "same", "0, 1", "same"),  # the first word comes after the first number
        (["same", "different", "1"], 3, "1", "1", "same, different"),  # the first number after the words
        (["0", "yes", "1"], 2, "yes", "0, 1", "yes"),  # yes/no count as words
        (
            ["0", "same", "match", "different", "diff", "neg", "1"],
            2,
            "same",
            "0, 1",
            "same, match, different, diff",
        ),
    ],
)
def test_numbers_mixed_with_words_name_the_later_of_the_first_of_each(values, row, value, numbers, words):
    """The message points at the first value of the kind that starts later, and shows four values of each
    kind at most."""
    error = label_error(values)
    assert (error.source, error.column, error.row, error.value) == ("f.csv", "label", row, value)
    assert error.settings == (("similar_label", "..."),)
    assert str(error) == (
        f"f.csv, column 'label', row {row} (line {row + 1}): labels mix numbers or true/false ({numbers}) with "
        f"words ({words}); use one kind of label throughout, or say which value means similar "
        "(pass similar_label=...)"
    )


# --------------------------------------------------------------------------------------------------
# The reasons given for a mapping
# --------------------------------------------------------------------------------------------------


def test_words_are_mapped_by_meaning_and_the_reason_lists_them():
    labels, mapping = map_labels(pd.Series(["same", "different", "match"]), column="label")
    np.testing.assert_array_equal(labels, [0, 1, 0])
    assert mapping.reason == "words mapped by meaning: same, match = similar, different = dissimilar"
    assert reason(["same", "match"]) == "words mapped by meaning: same, match = similar, none = dissimilar"
    assert reason(["different"]) == "words mapped by meaning: none = similar, different = dissimilar"
    assert reason(["different", "same", "neg"]) == (
        "words mapped by meaning: same = similar, different, neg = dissimilar"
    )


def test_yes_and_no_follow_the_column_name_and_the_reason_says_so():
    labels, mapping = map_labels(pd.Series(["yes", "no", "yes"]), column="label")
    np.testing.assert_array_equal(labels, [0, 1, 0])
    assert mapping.reason == (
        "words mapped by meaning: yes = similar, no = dissimilar (column name 'label' says yes = similar)"
    )
    labels, mapping = map_labels(pd.Series(["yes", "no"]), column="Is Different")
    np.testing.assert_array_equal(labels, [1, 0])
    assert mapping.reason == (
        "words mapped by meaning: no = similar, yes = dissimilar (column name 'Is Different' says yes = dissimilar)"
    )
    assert reason(["same", "no"]) == (
        "words mapped by meaning: same = similar, no = dissimilar (column name 'label' says yes = similar)"
    )


def test_numbers_and_true_false_together_follow_the_loss_convention():
    labels, mapping = map_labels(pd.Series(["0", "true", "1", "false"]), column="label")
    np.testing.assert_array_equal(labels, [0, 1, 1, 0])
    assert mapping.reason == (
        "0/1 and true/false follow the loss convention: 0/false = similar, 1/true = dissimilar"
    )
    assert reason([1, 0], column="is_duplicate") == (
        "column name 'is_duplicate' says 1/true = similar, so 0/false = dissimilar"
    )


def test_similar_label_reasons_name_the_other_values():
    assert (
        reason(["a", "A"], similar_label="a")
        == "similar_label='a' marks similar pairs; the column has no other value"
    )
    assert reason([1.0, 0.0], similar_label="1") == (
        "similar_label='1' marks similar pairs; the other value ('0') marks dissimilar pairs"
    )
    assert reason(["cat", "dog", "fox", "cat"], similar_label="cat") == (
        "similar_label='cat' marks similar pairs; every other value ('dog', 'fox') counts as dissimilar"
    )
    nine = [*"abcdefghi", "cat"]  # eight of the nine other values are shown
    assert reason(nine, similar_label="cat") == (
        "similar_label='cat' marks similar pairs; every other value ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h') "
        "counts as dissimilar"
    )


def test_the_mapping_lists_numbers_by_value_then_words_by_text():
    """0 before 0.5 before 2 before 10 (by value, not by text), then the words."""
    _, mapping = map_labels(
        pd.Series(["x", "0.5", "same", "10", "0", "2"]), column="label", similar_label="x"
    )
    assert (mapping.similar_values, mapping.dissimilar_values) == (["x"], ["0", "0.5", "2", "10", "same"])


def test_no_labels_map_to_no_pairs():
    labels, mapping = map_labels(pd.Series([], dtype=object), column="label")
    assert labels.dtype == np.float32 and labels.shape == (0,)
    assert (mapping.n_similar, mapping.n_dissimilar) == (0, 0)


def test_similar_label_matches_a_value_as_a_number():
    """ "true" is the number 1, which similar_label=1 names, though the two are written differently."""
    labels, mapping = map_labels(pd.Series(["true", "false", "true"]), column="label", similar_label=1)
    np.testing.assert_array_equal(labels, [0, 1, 0])
    assert (
        mapping.reason
        == "similar_label=1 marks similar pairs; the other value ('false') marks dissimilar pairs"
    )


def test_similar_label_that_does_not_occur_lists_the_values():
    error = label_error([0, 1, 1], similar_label="same")
    assert (error.source, error.column, error.row, error.value) == ("f.csv", "label", None, "same")
    assert str(error) == (
        "f.csv, column 'label': similar_label='same' does not occur in the label column; its values are: "
        "'0' (1 row), '1' (2 rows)"
    )
    error = label_error(list("abcdefghi"), similar_label="z")
    assert str(error).endswith(
        "its values are: 'a' (1 row), 'b' (1 row), 'c' (1 row), 'd' (1 row), 'e' (1 row), 'f' (1 row), "
        "'g' (1 row), 'h' (1 row), ... (9 in all)"
    )


# --------------------------------------------------------------------------------------------------
# Pairs of one kind only, through the loaders
# --------------------------------------------------------------------------------------------------

CONVENTION = "numbers follow the loss convention: 0 = similar, 1 = dissimilar"
BOTH = (
    "training and evaluation need both similar and dissimilar pairs: if that mapping is wrong, say which value "
    "means similar (pass similar_label=...)"
)


def test_pairs_all_of_one_kind_are_refused_naming_the_mapping():
    with pytest.raises(DataError) as caught:
        load_pair_csv(pair_file(["0"] * 4), name="p.csv")
    assert (caught.value.source, caught.value.column) == ("p.csv", "label")
    assert str(caught.value) == (
        f"p.csv, column 'label': all 4 pairs are labelled similar (label = 0; {CONVENTION}); {BOTH}"
    )
    with pytest.raises(DataError) as caught:
        load_pair_csv(pair_file(["1"] * 3), name="p.csv")
    assert str(caught.value) == (
        f"p.csv, column 'label': all 3 pairs are labelled dissimilar (label = 1; {CONVENTION}); {BOTH}"
    )


def test_pairs_all_similar_list_their_values_up_to_200_characters():
    """Two words that both mean similar are listed in order; a label of 201 characters is cut at 200."""
    with pytest.raises(DataError) as caught:
        load_pair_csv(pair_file(["same", "match", "same", "match"], header="kind"), label_column="kind")
    assert str(caught.value) == (
        "the uploaded file, column 'kind': all 4 pairs are labelled similar (kind = match, same; words mapped by "
        f"meaning: same, match = similar, none = dissimilar); {BOTH}"
    )
    long = "x" * 201
    with pytest.raises(DataError) as caught:
        load_pair_csv(pair_file([long] * 4), similar_label=long)
    assert str(caught.value) == (
        f"the uploaded file, column 'label': all 4 pairs are labelled similar (label = {'x' * 200}... (201 "
        f"characters); similar_label='{'x' * 59}... (203 characters) marks similar pairs; the column has no "
        f"other value); {BOTH}"
    )


def test_too_few_pairs_name_the_file():
    with pytest.raises(DataError) as caught:
        load_pair_csv(pair_file(["0", "1", "0"]), name="p.csv")
    assert str(caught.value) == (
        "p.csv: has only 3 pairs (2 similar, 1 dissimilar); training needs at least 2 similar and 2 dissimilar "
        "pairs"
    )


SAMPLES = b"id,f0\n7,1\n8,3\n9,5\nx,7\n"


def test_pairs_by_reference_map_their_labels_as_a_pair_file_does():
    pairs_csv = b"id_a,id_b,kind\n7,8,A\n8,9,B\n9,x,a\n7,x,B\n"
    pairs = load_pairs_by_reference(pairs_csv, SAMPLES, label_column="kind", similar_label="b")
    np.testing.assert_array_equal(pairs.labels, [1, 0, 1, 0])
    mapping = pairs.info.label_mapping
    assert (mapping.column, mapping.similar_values, mapping.dissimilar_values) == ("kind", ["B"], ["A", "a"])
    with pytest.raises(LabelError) as caught:
        load_pairs_by_reference(b"id_a,id_b,label\n7,8,0\n8,9,maybe\n", SAMPLES, pairs_name="p.csv")
    assert (caught.value.source, caught.value.row) == ("p.csv", 2)
    with pytest.raises(DataError) as caught:
        load_pairs_by_reference(b"id_a,id_b,label\n7,8,0\n8,9,0\n9,x,0\n", SAMPLES, pairs_name="p.csv")
    assert (
        str(caught.value)
        == f"p.csv, column 'label': all 3 pairs are labelled similar (label = 0; {CONVENTION}); {BOTH}"
    )
    with pytest.raises(DataError) as caught:
        load_pairs_by_reference(b"id_a,id_b,label\n7,8,0\n8,9,1\n9,x,0\n", SAMPLES, pairs_name="p.csv")
    assert str(caught.value) == (
        "p.csv: has only 3 pairs (2 similar, 1 dissimilar); training needs at least 2 similar and 2 dissimilar "
        "pairs"
    )


# --------------------------------------------------------------------------------------------------
# A new file's labels read as the model's training labels were (the dashboard's scored-file panel)
# --------------------------------------------------------------------------------------------------

TRAINED = {"column": "Verdict", "similar_values": ["match"], "dissimilar_values": ["other"], "reason": "r"}


def test_the_label_column_a_model_was_trained_with_is_found_in_any_case_before_the_usual_names():
    assert label_column_as_trained(["label", "VERDICT", "x"], TRAINED) == "VERDICT"
    assert label_column_as_trained(["label", "x"], TRAINED) == "label"
    assert label_column_as_trained(["x", "y_true"], None) is None
    assert label_column_as_trained(["Same", "x"], {"column": 5}) == "Same"  # a model file may hold anything


def test_labels_are_read_as_in_training_when_the_trained_similar_value_occurs():
    values = pd.Series(["match", "nope", "MATCH", "other"])
    labels, mapping, how = map_labels_as_trained(
        values, column="verdict", trained_mapping=TRAINED, source="f"
    )
    assert labels.tolist() == [0.0, 1.0, 0.0, 1.0]  # every value but the similar one is dissimilar
    assert how == "as in the model's training data"
    assert (list(mapping.similar_values), list(mapping.dissimilar_values)) == (
        ["MATCH", "match"],
        ["nope", "other"],
    )


@pytest.mark.parametrize(
    "trained",
    [
        {**TRAINED, "similar_values": ["absent"]},  # the file writes its labels otherwise
        {**TRAINED, "column": "other_column"},
        {**TRAINED, "similar_values": [1]},  # not text: not trusted
        {**TRAINED, "similar_values": ["match", "same"]},
        None,
    ],
)
def test_otherwise_the_usual_rules_apply_and_say_why(trained):
    values = pd.Series(["same", "different", "same"])
    labels, mapping, how = map_labels_as_trained(values, column="verdict", trained_mapping=trained)
    expected_labels, expected = map_labels(values, column="verdict")
    assert labels.tolist() == expected_labels.tolist() == [0.0, 1.0, 0.0]
    assert how == mapping.reason == expected.reason
