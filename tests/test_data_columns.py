"""Tests for siamese_core.data: which columns each loader uses, and what it says when it cannot tell.

Every message is asserted in full, with the file, column and row it names: a message is the user's only
guide to what to change. The expected texts are the loaders' templates filled in by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from siamese_core.data import (
    detect_class_column,
    detect_sides,
    load_pair_csv,
    load_pairs_by_reference,
    load_samples_csv,
)
from siamese_core.errors import DataError
from siamese_core.pairs import LoadInfo


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def raised(call, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as caught:
        call(*args, **kwargs)
    return caught.value


# Four pairs, two of each kind, with a label column, three feature columns u, v, w, and a note.
GIVEN = csv_bytes("label,u,v,w,note", "0,1,2,3,a", "1,4,5,6,b", "0,7,8,9,c", "1,10,11,12,d")
# Thirteen columns: column lists in messages stop at twelve.
THIRTEEN = [f"c{i}" for i in range(13)]
THIRTEEN_LISTED = "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, ... (13 in all)"


# --------------------------------------------------------------------------------------------------
# Pair files: the sides given by the user
# --------------------------------------------------------------------------------------------------


def test_given_sides_are_found_ignoring_case_and_spaces():
    """ "U" names the column u and " W " the column w; the features are named by position, as no side marker
    is shared."""
    pairs = load_pair_csv(GIVEN, left_columns=["U"], right_columns=[" W "])
    assert pairs.info.left_columns == ["u"] and pairs.info.right_columns == ["w"]
    assert pairs.feature_names == ["f0"]
    assert pairs.info.ignored_columns == ["v", "note"]
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 4, 7, 10])
    np.testing.assert_array_equal(pairs.right[:, 0], [3, 6, 9, 12])


def test_given_sides_that_are_not_columns_are_named_with_the_setting():
    error = raised(load_pair_csv, GIVEN, name="p.csv", left_columns=["nope", "zz", "u"], right_columns=["v"])
    assert error.source == "p.csv"
    assert str(error) == (
        "p.csv: has no column named 'nope', 'zz' (given as left_columns); its columns are: label, u, v, w, note"
    )
    error = raised(load_pair_csv, GIVEN, name="p.csv", left_columns=["u"], right_columns=["gone"])
    assert str(error) == (
        "p.csv: has no column named 'gone' (given as right_columns); its columns are: label, u, v, w, note"
    )


def test_a_missing_column_message_lists_twelve_columns_then_counts():
    data = csv_bytes(",".join(["label", *THIRTEEN[1:]]), "0" + ",1" * 12)
    error = raised(load_pair_csv, data, left_columns=["x"], right_columns=["c1"])
    assert str(error) == (
        "the uploaded file: has no column named 'x' (given as left_columns); its columns are: label, c1, c2, c3, "
        "c4, c5, c6, c7, c8, c9, c10, c11, ... (13 in all)"
    )


def test_one_side_alone_is_refused_naming_both_settings():
    for sides in ({"left_columns": ["u"]}, {"right_columns": ["u"]}):
        error = raised(load_pair_csv, GIVEN, name="p.csv", **sides)
        assert error.source == "p.csv"
        assert error.settings == (("left_columns", "[...]"), ("right_columns", "[...]"))
        assert str(error) == (
            "p.csv: give the feature columns of both samples, or of neither "
            "(pass left_columns=[...] and pass right_columns=[...])"
        )


@pytest.mark.parametrize(("left", "right"), [(["u", "v"], ["w"]), ([], [])])
def test_sides_of_other_lengths_are_refused(left, right):
    error = raised(load_pair_csv, GIVEN, name="p.csv", left_columns=left, right_columns=right)
    assert error.source == "p.csv"
    assert str(error) == (
        f"p.csv: left_columns has {len(left)} columns but right_columns has {len(right)}; they pair up by "
        "position, so give the same number (at least one) of each"
    )


@pytest.mark.parametrize(
    ("left", "right", "named"),
    [
        (["label"], ["u"], "label"),  # the label as a feature
        (["u", "v"], ["u", "w"], "u"),  # a column on both sides
        (["u", "label"], ["w", "u"], "label, u"),  # both: the label first, each name once
    ],
)
def test_a_column_used_twice_is_refused(left, right, named):
    error = raised(load_pair_csv, GIVEN, name="p.csv", left_columns=left, right_columns=right)
    assert error.source == "p.csv"
    assert str(error) == f"p.csv: a column is used twice among the label and the sides: {named}"


@pytest.mark.parametrize(
    ("left", "right", "names"),
    [
        (["A_u", "a_v"], ["b_u", "b_v"], ["u", "v"]),  # prefix a_, any case, the rest as written
        (["u_1", "v_1"], ["u_2", "v_2"], ["u", "v"]),  # suffix _1
        (["a_u", "A_U"], ["b_u", "b_v"], ["f0", "f1"]),  # the shared parts repeat: named by position
        (["a_u", "u_1"], ["b_u", "u_2"], ["f0", "f1"]),  # no one marker for all: named by position
    ],
)
def test_given_sides_are_named_after_a_marker_all_left_columns_share(left, right, names):
    header = ",".join(["label", *left, *right])
    data = csv_bytes(header, "0,1,2,3,4", "1,5,6,7,8", "0,1,2,3,4", "1,5,6,7,8")
    pairs = load_pair_csv(data, left_columns=left, right_columns=right)
    assert pairs.feature_names == names
    np.testing.assert_array_equal(pairs.left[1], [5, 6])
    np.testing.assert_array_equal(pairs.right[1], [7, 8])


# --------------------------------------------------------------------------------------------------
# Pair files: the label column and the sides found by name
# --------------------------------------------------------------------------------------------------


def test_no_label_column_lists_the_names_looked_for_and_the_setting():
    error = raised(load_pair_csv, csv_bytes("kind,a_x,b_x", "0,1,2"), name="p.csv")
    assert error.source == "p.csv" and error.settings == (("label_column", "..."),)
    assert str(error) == (
        "p.csv: has no label column (looked for label, labels, y, target, same, is_same, ...); its columns "
        "are: kind, a_x, b_x; name the label column (pass label_column=...)"
    )


def test_no_label_column_lists_twelve_columns():
    data = csv_bytes(",".join(THIRTEEN), ",".join(["1"] * 13))
    assert f"its columns are: {THIRTEEN_LISTED}; name the label column" in str(raised(load_pair_csv, data))


def test_a_label_column_named_like_a_side_column_is_no_feature():
    """a_y is the label: a_x and b_x pair up, and a_y is left out of the sides (not unmatched)."""
    data = csv_bytes("a_y,a_x,b_x", "0,1,2", "1,3,4", "0,5,6", "1,7,8")
    pairs = load_pair_csv(data, label_column="a_y")
    assert pairs.feature_names == ["x"] and pairs.info.label_column == "a_y"


def test_a_label_column_that_is_not_there_is_named_with_the_setting():
    error = raised(load_pair_csv, GIVEN, name="p.csv", label_column="kind")
    assert str(error) == (
        "p.csv: has no column named 'kind' (given as label_column); its columns are: label, u, v, w, note"
    )


def test_no_side_columns_say_how_to_name_them():
    error = raised(load_pair_csv, csv_bytes("label,height,weight", "0,1,2"), name="p.csv")
    assert error.source == "p.csv"
    assert error.settings == (("left_columns", "[...]"), ("right_columns", "[...]"))
    assert str(error) == (
        "p.csv: has no columns for the two samples of a pair (such as a_height and b_height); its columns are: "
        "label, height, weight; name them with a_/b_, left_/right_, x1_/x2_, first_/second_ prefixes or _a/_b, "
        "_1/_2, _left/_right suffixes, or name the columns of each sample "
        "(pass left_columns=[...] and pass right_columns=[...])"
    )
    data = csv_bytes(",".join(["label", *THIRTEEN[1:]]), "0" + ",1" * 12)
    assert f"its columns are: label, {THIRTEEN_LISTED[4:]}; name them with" in str(
        raised(load_pair_csv, data)
    )


def test_sides_of_unequal_width_name_the_columns_without_a_partner():
    """a_z has no b_z, b_w no a_w: both sides hold three columns, two of them paired."""
    error = raised(load_pair_csv, csv_bytes("label,a_x,a_y,a_z,b_x,b_y,b_w", "0,1,2,3,4,5,6"), name="p.csv")
    assert error.source == "p.csv"
    assert str(error) == (
        "p.csv: sides of unequal width: left has 3 columns, right has 3; unmatched: a_z, b_w; give each feature "
        "a column on both sides, or name the columns of each sample (pass left_columns=[...] and pass "
        "right_columns=[...])"
    )
    error = raised(detect_sides, ["a_x", "a_z", "b_x"], name="f.csv")
    assert error.source == "f.csv"
    assert str(error) == (
        "f.csv: sides of unequal width: left has 2 columns, right has 1; unmatched: a_z; give each feature a "
        "column on both sides"  # detection alone (scoring too) has no setting to offer
    )


def test_columns_without_a_partner_are_listed_up_to_six():
    error = raised(detect_sides, ["a_x", "b_x", *[f"a_c{i}" for i in range(7)]])
    assert str(error) == (
        "sides of unequal width: left has 8 columns, right has 1; unmatched: a_c0, a_c1, a_c2, a_c3, a_c4, a_c5, "
        "... (7 in all); give each feature a column on both sides"
    )


@pytest.mark.parametrize("extra", ["a_3", "b_3"])
def test_of_two_patterns_pairing_as_many_features_the_one_leaving_fewer_columns_wins(extra):
    """a_/b_ pairs 1 and 2 and leaves a_3 (or b_3) without a partner; _1/_2 pairs a and b and leaves
    nothing: the suffixes win, whichever side the leftover is on."""
    columns = ["a_1", "b_1", "a_2", "b_2", extra]
    assert detect_sides(columns) == (["a_1", "b_1"], ["a_2", "b_2"], ["a", "b"])


def test_side_detection_needs_columns_on_both_sides():
    """a_x and a_y have no b_ partners, and no pattern finds columns on both sides: no sides at all."""
    assert detect_sides(["label", "a_x", "a_y"]) is None


def test_a_feature_named_twice_in_different_case_takes_the_first_column():
    assert detect_sides(["a_x", "A_X", "b_x"]) == (["a_x"], ["b_x"], ["x"])


def test_a_column_named_only_by_a_side_marker_is_no_side_column():
    assert detect_sides(["a_", "b_", "a_x", "b_x"]) == (["a_x"], ["b_x"], ["x"])
    assert detect_sides(["_a", "_b", "x_a", "x_b"]) == (["x_a"], ["x_b"], ["x"])


def test_side_columns_that_name_the_samples_are_ignored_with_a_warning():
    data = csv_bytes("a_id,b_id,label,a_x,b_x", "p,q,0,1,2", "r,s,1,3,4", "p,q,0,1,2", "r,s,1,3,4")
    pairs = load_pair_csv(data)
    assert pairs.info.warnings == ["ignored a_id, b_id: they name the samples, they are not features"]


# --------------------------------------------------------------------------------------------------
# Labeled samples: class, id and feature columns
# --------------------------------------------------------------------------------------------------

SAMPLES = csv_bytes("id,class,p,q,note", "s1,a,1,2,x", "s2,a,3,4,y", "s3,b,5,6,z")


def test_samples_info_records_what_was_read():
    samples = load_samples_csv(SAMPLES, name="s.csv")
    assert samples.info == LoadInfo(
        source="s.csv",
        kind="samples",
        n_rows=3,
        class_column="class",
        id_column="id",
        ignored_columns=["note"],
    )
    np.testing.assert_array_equal(samples.rows, [1, 2, 3])
    assert samples.rows.dtype == np.int64
    assert samples.classes.dtype.kind == samples.ids.dtype.kind == "U"  # text, not Python objects


def test_detect_class_column_by_name_in_priority_order():
    assert detect_class_column(["x", " Species ", "y"]) == "y"  # y comes before species in the list
    assert detect_class_column(["x", " Species "]) == " Species "
    assert detect_class_column(("f0", "f1")) is None


def test_an_id_column_given_is_not_taken_for_the_class():
    """Without the id column "label", the class column found by name is y, the next name looked for."""
    data = csv_bytes("label,y,p", "s1,a,1", "s2,a,2", "s3,b,3")
    samples = load_samples_csv(data, id_column="label")
    assert (samples.info.id_column, samples.info.class_column) == ("label", "y")
    assert samples.classes.tolist() == ["a", "a", "b"] and samples.ids.tolist() == ["s1", "s2", "s3"]


def test_samples_columns_given_that_are_not_there_are_named_with_the_setting():
    for option, value in (("class_column", "kind"), ("id_column", "key2"), ("feature_columns", ["p", "r"])):
        error = raised(load_samples_csv, SAMPLES, name="s.csv", **{option: value})
        missing = value[-1] if isinstance(value, list) else value
        assert str(error) == (
            f"s.csv: has no column named '{missing}' (given as {option}); its columns are: id, class, p, q, note"
        )


def test_no_class_column_lists_the_names_looked_for():
    error = raised(load_samples_csv, csv_bytes("kind,p0,p1", "a,0,1"), name="s.csv")
    assert error.source == "s.csv" and error.settings == (("class_column", "..."),)
    assert str(error) == (
        "s.csv: has no class column (looked for class, label, labels, y, target, category, ...); its columns "
        "are: kind, p0, p1; name it (pass class_column=...)"
    )
    data = csv_bytes(",".join(THIRTEEN), ",".join(["1"] * 13))
    assert str(raised(load_samples_csv, data)).endswith(
        f"its columns are: {THIRTEEN_LISTED}; name it (pass class_column=...)"
    )


@pytest.mark.parametrize(
    ("features", "shown"),
    [(["class", "p"], "['class', 'p']"), (["id"], "['id']"), ([], "[]")],
)
def test_feature_columns_must_name_a_column_besides_the_class_and_id(features, shown):
    error = raised(load_samples_csv, SAMPLES, name="s.csv", feature_columns=features)
    assert error.source == "s.csv"
    assert str(error) == (
        f"s.csv: feature_columns must name at least one column other than the class and id columns; got {shown}"
    )


def test_no_numeric_column_besides_class_and_id():
    error = raised(load_samples_csv, csv_bytes("id,class,name", "s1,a,ann", "s2,b,bob"), name="s.csv")
    assert error.source == "s.csv"
    assert str(error) == (
        "s.csv: has no numeric feature columns besides the class and id columns; its columns are: id, class, name"
    )
    data = csv_bytes(",".join(["class", *THIRTEEN[1:]]), ",".join(["a"] * 13))
    assert str(raised(load_samples_csv, data)).endswith(f"its columns are: class, {THIRTEEN_LISTED[4:]}")


def test_a_column_is_a_feature_when_at_least_half_its_values_are_numbers():
    """p: 1 number of 2 values, a feature (its text is then reported, the leftmost on its row); q: 1 of 3,
    not a feature (ignored); r: a single value, text, among empty cells: not a feature."""
    data = csv_bytes("class,p,q,r,f", "a,1,1,,1", "a,x,x,oops,2", "b,,y,,3", "b,,,,4")
    error = raised(load_samples_csv, data, name="s.csv")
    assert (error.column, error.row, error.value) == ("p", 2, "x")
    samples = load_samples_csv(csv_bytes("class,q,r,f", "a,1,,1", "a,x,oops,2", "b,y,,3", "b,,,4"))
    assert samples.feature_names == ["f"] and samples.info.ignored_columns == ["q", "r"]


def test_the_features_are_judged_on_the_first_thousand_rows():
    """q holds numbers in the first 1,000 rows and words in the 2,000 after: a feature, whose first word
    (row 1,001) is reported, though most of its values are words."""
    rows = [f"{'ab'[i % 2]},{i},{i if i < 1000 else 'w'}" for i in range(3000)]
    error = raised(load_samples_csv, csv_bytes("class,p,q", *rows), name="s.csv")
    assert (error.column, error.row, error.value) == ("q", 1001, "w")


def test_decimal_commas_make_a_column_numeric():
    """In a ';' file with decimal commas, "1,5" is a number; written "2.5", it is still taken as a feature
    (the full read then names that value)."""
    samples = load_samples_csv(b"class;p;q\na;1,5;2\na;2,5;3\nb;3,5;4\n")
    assert samples.feature_names == ["p", "q"]
    np.testing.assert_array_equal(samples.features[:, 0], np.float32([1.5, 2.5, 3.5]))
    assert samples.info.warnings == ["read ',' as the decimal mark (numbers such as '1,5')"]
    rows = [f"{'ab'[i % 2]};{i},5;{i}" for i in range(250)]  # past the rows sniffed for the decimal mark
    error = raised(load_samples_csv, csv_bytes("class;p;q", *rows, "a;2.5;3"), name="s.csv")
    assert (error.column, error.row, error.value) == ("p", 251, "2.5")


def test_decimal_commas_in_a_comma_separated_file_do_not_make_a_feature():
    """Quoted "1,5" values in a ',' file are not numbers: q is not a feature."""
    samples = load_samples_csv(b'class,p,q\na,1,"1,5"\na,2,"2,5"\nb,3,"3,5"\n')
    assert samples.feature_names == ["p"] and samples.info.ignored_columns == ["q"]


def test_empty_feature_columns_are_ignored_with_a_warning():
    samples = load_samples_csv(csv_bytes("class,p,note,q,r", "a,1,x,,", "a,2,y,,", "b,3,z,,"), name="s.csv")
    assert samples.feature_names == ["p"]
    assert samples.info.ignored_columns == ["note", "q", "r"]
    assert samples.info.warnings == ["ignored q, r: no values at all"]


@pytest.mark.parametrize(
    ("names", "listed"),
    [
        (["p"], "p is"),
        (["p", "q"], "p, q are"),
        (
            [f"p{i}" for i in range(13)],
            "p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, ... (13 in all) are",
        ),
    ],
)
def test_only_empty_feature_columns_are_refused(names, listed):
    data = csv_bytes(",".join(["class", *names]), "a" + "," * len(names), "b" + "," * len(names))
    error = raised(load_samples_csv, data, name="s.csv")
    assert error.source == "s.csv"
    assert str(error) == (
        f"s.csv: has no feature values: {listed} empty in every row and no other column is numeric; fill in "
        "the feature values"
    )


# --------------------------------------------------------------------------------------------------
# Pairs by reference: the pairs' id and label columns, the samples' id and feature columns
# --------------------------------------------------------------------------------------------------

REF_SAMPLES = csv_bytes("id,Class,f0,name", "7,1,1,ann", "8,1,3,bob", "9,2,5,cy", "x,2,7,dan")
REF_PAIRS = csv_bytes("id_a,id_b,label,note", "7,8,0,n", "8,9,1,n", "9,x,0,n", "7,x,1,n")


def test_reference_info_records_both_files():
    """Class is no feature, whatever its case; the pairs' note and the samples' Class and name are ignored."""
    pairs = load_pairs_by_reference(REF_PAIRS, REF_SAMPLES, pairs_name="p.csv", samples_name="s.csv")
    info = pairs.info
    mapping = info.label_mapping
    assert (mapping.similar_values, mapping.dissimilar_values) == (["0"], ["1"])
    assert info == LoadInfo(
        source="p.csv + s.csv",
        kind="reference",
        n_rows=4,
        label_column="label",
        left_columns=["f0"],
        right_columns=["f0"],
        id_column="id",
        label_mapping=mapping,
        ignored_columns=["note", "Class", "name"],
    )
    np.testing.assert_array_equal(pairs.rows, [1, 2, 3, 4])
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 3, 5, 1])
    np.testing.assert_array_equal(pairs.right[:, 0], [3, 5, 7, 7])


def test_reference_pairs_file_warnings_are_kept():
    """A score column written with decimal commas makes the pairs file's decimal mark ','."""
    data = b"id_a;id_b;label;score\n7;8;0;0,5\n8;9;1;0,7\n9;x;0;0,1\n7;x;1;0,2\n"
    pairs = load_pairs_by_reference(data, REF_SAMPLES)
    assert pairs.info.warnings == ["read ',' as the decimal mark (numbers such as '1,5')"]


def test_reference_label_column_given_wins_over_one_found_by_name():
    data = csv_bytes("id_a,id_b,label,kind", "7,8,9,same", "8,9,9,different", "9,x,9,same", "7,x,9,different")
    pairs = load_pairs_by_reference(data, REF_SAMPLES, label_column="kind")
    assert pairs.info.label_column == "kind"
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])


def test_reference_pairs_without_a_label_column_list_the_other_columns():
    """The id columns are not candidates for the label: the message lists the rest."""
    error = raised(
        load_pairs_by_reference, csv_bytes("id_a,id_b,kind", "7,8,0"), REF_SAMPLES, pairs_name="p.csv"
    )
    assert error.source == "p.csv"
    assert str(error) == (
        "p.csv: has no label column (looked for label, labels, y, target, same, is_same, ...); its columns are: "
        "kind; name the label column (pass label_column=...)"
    )


def test_reference_id_columns_given():
    error = raised(load_pairs_by_reference, REF_PAIRS, REF_SAMPLES, id_columns=("id_a",), pairs_name="p.csv")
    assert error.source == "p.csv"
    assert str(error) == "p.csv: id_columns must name two columns; got ['id_a']"
    error = raised(
        load_pairs_by_reference, REF_PAIRS, REF_SAMPLES, id_columns=("id_a", "zz"), pairs_name="p.csv"
    )
    assert str(error) == (
        "p.csv: has no column named 'zz' (given as id_columns); its columns are: id_a, id_b, label, note"
    )


def test_reference_id_columns_are_found_as_a_pair():
    """id_a alone does not make a pair with b_id: a_id and b_id do."""
    data = csv_bytes("id_a,a_id,b_id,label", "0,7,8,0", "0,8,9,1", "0,9,x,0", "0,7,x,1")
    pairs = load_pairs_by_reference(data, REF_SAMPLES)
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 3, 5, 1])
    assert pairs.info.ignored_columns == ["id_a", "Class", "name"]


def test_reference_pairs_without_id_columns_list_the_names_looked_for():
    error = raised(load_pairs_by_reference, csv_bytes("u,v,label", "7,8,0"), REF_SAMPLES, pairs_name="p.csv")
    assert error.source == "p.csv" and error.settings == (("id_columns", "(..., ...)"),)
    assert str(error) == (
        "p.csv: has no pair of id columns (looked for id_a/id_b, a_id/b_id, id1/id2, left/right, ...); its "
        "columns are: u, v, label; name them (pass id_columns=(..., ...))"
    )
    data = csv_bytes(",".join(THIRTEEN), ",".join(["1"] * 13))
    assert str(raised(load_pairs_by_reference, data, REF_SAMPLES)).endswith(
        f"its columns are: {THIRTEEN_LISTED}; name them (pass id_columns=(..., ...))"
    )


def test_reference_samples_without_an_id_column_list_the_names_looked_for():
    error = raised(load_pairs_by_reference, REF_PAIRS, csv_bytes("name,f0", "7,1"), samples_name="s.csv")
    assert error.source == "s.csv" and error.settings == (("id_column", "..."),)
    assert str(error) == (
        "s.csv: has no id column (looked for id, sample_id, sample, key, uid); its columns are: name, f0; "
        "name it (pass id_column=...)"
    )
    data = csv_bytes(",".join(THIRTEEN), ",".join(["1"] * 13))
    assert str(raised(load_pairs_by_reference, REF_PAIRS, data)).endswith(
        f"its columns are: {THIRTEEN_LISTED}; name it (pass id_column=...)"
    )


def test_reference_samples_id_column_given():
    samples = csv_bytes("key2,id,f0", "7,1,1", "8,1,3", "9,1,5", "x,1,7")
    pairs = load_pairs_by_reference(REF_PAIRS, samples, id_column="key2")
    assert pairs.info.id_column == "key2" and pairs.feature_names == ["id", "f0"]
    error = raised(load_pairs_by_reference, REF_PAIRS, samples, id_column="nope", samples_name="s.csv")
    assert (
        str(error) == "s.csv: has no column named 'nope' (given as id_column); its columns are: key2, id, f0"
    )


def test_reference_samples_need_a_numeric_feature():
    error = raised(
        load_pairs_by_reference, REF_PAIRS, csv_bytes("id,class,name", "7,a,ann"), samples_name="s.csv"
    )
    assert error.source == "s.csv"
    assert str(error) == (
        "s.csv: has no numeric feature columns besides the id column; its columns are: id, class, name"
    )


def test_reference_samples_empty_columns_are_ignored_or_refused():
    samples = csv_bytes("id,f0,f1", "7,1,", "8,3,", "9,5,", "x,7,")
    pairs = load_pairs_by_reference(REF_PAIRS, samples, samples_name="s.csv")
    assert pairs.feature_names == ["f0"]
    assert pairs.info.ignored_columns == ["note", "f1"]
    assert pairs.info.warnings == ["ignored f1: no values at all"]
    error = raised(load_pairs_by_reference, REF_PAIRS, csv_bytes("id,f1", "7,", "8,"), samples_name="s.csv")
    assert str(error) == (
        "s.csv: has no feature values: f1 is empty in every row and no other column is numeric; fill in the "
        "feature values"
    )
