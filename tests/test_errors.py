"""User values in messages: escaped, cut, and listed briefly."""

from __future__ import annotations

from siamese_core.errors import ConfigError, DataError, listed, shown


def test_shown_writes_out_what_would_act_on_a_terminal_or_break_the_line():
    assert shown("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert shown("line\nbreak\ttab") == "line\\x0abreak\\x09tab"
    assert shown("\u202eevil") == "\\u202eevil"  # right-to-left override
    assert shown("one\u2028two\u2029three") == "one\\u2028two\\u2029three"  # line and paragraph separators
    assert shown("café, 東京") == "café, 東京"


def test_shown_cuts_a_long_value_saying_how_long_it_is():
    assert shown("x" * 61) == "x" * 60 + "... (61 characters)"
    assert shown("x" * 60) == "x" * 60
    assert shown("abcdef", 3) == "abc... (6 characters)"


def test_listed_shows_the_first_values_escaped_then_how_many_there_are():
    assert listed([], 3) == ""
    assert listed(["a", "b\x1b"], 2) == "a, b\\x1b"
    assert listed(["a", "b\x1b", "c"], 2) == "a, b\\x1b, ... (3 in all)"
    assert listed(range(1500), 1) == "0, ... (1,500 in all)"
    assert listed(["x", "y"], 1, each=lambda value: f"'{value}'") == "'x', ... (2 in all)"


def test_a_data_errors_column_is_shown_escaped():
    error = DataError("is empty", source="f.csv", column="a\u2028b", row=3)
    assert str(error) == "f.csv, column 'a\\u2028b', row 3 (line 4): is empty"


def test_each_interface_names_the_settings_that_fix_an_error_in_its_own_words():
    error = DataError(
        "give the columns of both samples",
        source="f.csv",
        settings=[("left_columns", "[...]"), ("right_columns", "[...]")],
    )
    assert str(error) == (
        "f.csv: give the columns of both samples (pass left_columns=[...] and pass right_columns=[...])"
    )
    assert (
        error.worded(lambda name, value: name.upper())
        == "f.csv: give the columns of both samples (LEFT_COLUMNS and RIGHT_COLUMNS)"
    )
    assert (
        ConfigError("margin must be > 0").worded(lambda name, value: "never called") == "margin must be > 0"
    )


def test_a_phrase_for_two_settings_is_said_once_and_an_empty_one_not_at_all():
    error = DataError("name the columns", settings=[("left_columns", "[...]"), ("right_columns", "[...]")])
    assert error.worded(lambda name, value: "pick both boxes") == "name the columns (pick both boxes)"
    assert error.worded(lambda name, value: "") == "name the columns"
