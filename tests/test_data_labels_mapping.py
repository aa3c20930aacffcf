"""Tests for siamese_core.data.labels: how one raw label is classified, how many values a label error lists,
and when `map_labels_as_trained` uses the model's training mapping and what it then reports.
"""

from __future__ import annotations

import pandas as pd
import pytest

from siamese_core.data import map_labels_as_trained
from siamese_core.data.labels import LabelValue, classify_label
from siamese_core.errors import LabelError

NUMBERS = "numbers follow the loss convention: 0 = similar, 1 = dissimilar"

# --------------------------------------------------------------------------------------------------
# classify_label
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "meaning"),
    [("same", 0.0), ("Same_Pair", 0.0), (" GENUINE ", 0.0), ("impostor", 1.0), ("not-similar", 1.0)],
)
def test_a_similarity_word_is_classified_as_a_word_with_its_meaning(value, meaning):
    """Y = 0 for similar words, 1 for dissimilar ones; the display is the value stripped, in its case."""
    assert classify_label(value, 3, 7) == LabelValue(value.strip(), "word", None, meaning, 3, 7)


def test_yes_no_and_other_values_are_not_classified_as_words():
    assert classify_label("Yes", 2, 1) == LabelValue("Yes", "yesno", None, 1.0, 2, 1)
    assert classify_label("n", 1, 4) == LabelValue("n", "yesno", None, 0.0, 1, 4)
    assert classify_label("maybe", 1, 5) == LabelValue("maybe", "other", None, None, 1, 5)
    assert classify_label("1.0", 4, 2) == LabelValue("1", "binary", 1.0, None, 4, 2)


# --------------------------------------------------------------------------------------------------
# Numbers mixed with words
# --------------------------------------------------------------------------------------------------


def test_a_mix_of_numbers_and_words_lists_at_most_four_of_the_numbers():
    """A 0 of more digits than Python converts to an integer is shown as written, so it is a fifth value of
    0/1 kind next to 0, 1, true and false; the message names the first four only."""
    long_zero = "0" * 4301
    values = pd.Series(["0", "1", "true", "false", long_zero, "same"])
    with pytest.raises(LabelError) as caught:
        map_labels_as_trained(values, column="label", trained_mapping=None, source="f.csv")
    error = caught.value
    assert (error.source, error.column, error.row, error.value) == ("f.csv", "label", 6, "same")
    assert str(error) == (
        "f.csv, column 'label', row 6 (line 7): labels mix numbers or true/false (0, 1, true, false) with words "
        "(same); use one kind of label throughout, or say which value means similar (pass similar_label=...)"
    )


# --------------------------------------------------------------------------------------------------
# map_labels_as_trained
# --------------------------------------------------------------------------------------------------


def test_a_training_mapping_of_another_column_is_not_used_even_when_its_similar_value_occurs():
    trained = {"column": "verdict", "similar_values": ["1"], "dissimilar_values": ["0"], "reason": "r"}
    labels, mapping, how = map_labels_as_trained(
        pd.Series(["0", "1", "1"]), column="label", trained_mapping=trained
    )
    assert labels.tolist() == [0.0, 1.0, 1.0]
    assert how == mapping.reason == NUMBERS
    assert (mapping.similar_values, mapping.dissimilar_values) == (["0"], ["1"])


@pytest.mark.parametrize("column", ["none", "None", "XXXX", "xxxx"])
def test_a_training_mapping_that_names_no_column_is_never_used(column):
    trained = {"similar_values": ["1"], "dissimilar_values": ["0"], "reason": "r"}
    labels, mapping, how = map_labels_as_trained(
        pd.Series(["0", "1"]), column=column, trained_mapping=trained
    )
    assert labels.tolist() == [0.0, 1.0]
    assert how == NUMBERS
    assert mapping.column == column


def test_labels_read_as_in_training_name_the_files_column():
    trained = {
        "column": "Verdict",
        "similar_values": ["match"],
        "dissimilar_values": ["other"],
        "reason": "r",
    }
    values = pd.Series(["match", "nope", "match"])
    labels, mapping, how = map_labels_as_trained(
        values, column="verdict", trained_mapping=trained, source="f"
    )
    assert labels.tolist() == [0.0, 1.0, 0.0]
    assert how == "as in the model's training data"
    assert mapping.column == "verdict"
    assert (mapping.n_similar, mapping.n_dissimilar) == (2, 1)
    assert (
        mapping.reason
        == "similar_label='match' marks similar pairs; the other value ('nope') marks dissimilar pairs"
    )


def test_labels_read_by_the_rules_follow_the_files_column_name():
    """is_duplicate says 1 = similar; the mapping names the column."""
    labels, mapping, how = map_labels_as_trained(
        pd.Series(["0", "1", "1"]), column="is_duplicate", trained_mapping=None
    )
    assert labels.tolist() == [1.0, 0.0, 0.0]
    assert mapping.column == "is_duplicate"
    assert how == "column name 'is_duplicate' says 1/true = similar, so 0/false = dissimilar"
    assert (mapping.similar_values, mapping.dissimilar_values) == (["1"], ["0"])


@pytest.mark.parametrize(
    "trained",
    [None, {"column": "label", "similar_values": ["same"], "dissimilar_values": ["other"], "reason": "r"}],
)
def test_when_no_mapping_fits_the_rules_error_names_the_file(trained):
    """With or without a training mapping (here its similar value does not occur), the error is the rules'."""
    with pytest.raises(LabelError) as caught:
        map_labels_as_trained(
            pd.Series(["0", "maybe", "1"]), column="label", trained_mapping=trained, source="f.csv"
        )
    error = caught.value
    assert (error.source, error.column, error.row, error.value) == ("f.csv", "label", 2, "maybe")
    assert str(error).startswith(
        "f.csv, column 'label', row 2 (line 3): label value 'maybe' (1 row, the first here)"
    )
