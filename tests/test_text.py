from dashboard.text import plain


def test_markdown_specials_are_escaped():
    assert plain("**bold** _x_ [a](b) `c` <i> #h |t| ~s~ $m$") == (
        "\\*\\*bold\\*\\* \\_x\\_ \\[a\\](b) \\`c\\` \\<i\\> \\#h \\|t\\| \\~s\\~ \\$m\\$"
    )


def test_list_markers_at_line_starts_are_escaped_but_numbers_are_not():
    assert plain("- item\n1. first\nvalue -1.5 and 2.0") == "\\- item\n1\\. first\nvalue -1.5 and 2.0"


def test_plain_text_is_unchanged():
    assert plain("bad.csv, column 'x', row 3 (line 4): 'oops' is not a number") == (
        "bad.csv, column 'x', row 3 (line 4): 'oops' is not a number"
    )
