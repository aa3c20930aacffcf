"""Messages in the browser name the dashboard's controls, and the control is in view (issue 17, point 5);
a refused upload goes when a good file replaces it (point 8).

A message from the core names the settings that fix it (`SiameseError.settings`); the dashboard words
them as its controls (`dashboard.text.error_text`), never as a Python keyword or a command-line flag,
and opens the "Columns and labels" panel that holds the control.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.pages import choose_source, wait_idle

pytestmark = pytest.mark.browser


def _upload_pairs(page, path: Path) -> str:
    """Upload a pair CSV; the text of the error it shows."""
    choose_source(page, "Pair CSV")
    page.get_by_text("Upload a pair CSV to continue").wait_for()
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(path))
    error = page.locator('[data-testid="stAlertContentError"]').first
    error.wait_for()
    wait_idle(page)
    return error.inner_text().removeprefix("error").strip()  # the icon reads "error"


def test_missing_values_name_the_checkbox_and_show_it(page, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("label,a_x,b_x\n0,1,2\n1,,4\n0,3,4\n1,5,6\n0,1,1\n1,9,0\n")
    text = _upload_pairs(page, path)
    assert text == (
        "gaps.csv, column 'a_x', row 2 (line 3): 1 of 6 rows has missing values (empty cells), the first "
        'here; fill them in, or drop those rows (tick "Drop rows with missing values" under Columns and labels)'
    )
    checkbox = page.get_by_role("checkbox", name="Drop rows with missing values")
    assert checkbox.is_visible()  # the panel was opened for it
    page.get_by_text("Drop rows with missing values", exact=True).click()
    wait_idle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "gaps.csv: dropped 1 of 6 rows with missing values (the first: row 2, column 'a_x')" in (
        page.locator("body").inner_text()
    )
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_label_that_means_nothing_names_the_select_box(page, tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("label,a_x,b_x\nsame,1,2\nmaybe,3,4\ndifferent,3,4\n")
    text = _upload_pairs(page, path)
    assert text.endswith(
        "say which value means similar (pick the \"Value meaning 'similar'\" under Columns and labels)"
    ), text
    assert "similar_label" not in text and "--" not in text
    assert page.get_by_text("Value meaning 'similar'", exact=True).is_visible()


def test_a_refused_file_leaves_the_uploader_when_a_good_one_replaces_it(page, tmp_path):
    picture, good = tmp_path / "picture.png", tmp_path / "good.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    good.write_text("label,a_x,b_x\n0,1,2\n1,3,4\n0,1,1\n1,5,6\n")
    assert (
        _upload_pairs(page, picture)
        == "picture.png is not a .csv, .tsv or .txt file: upload one of those instead."
    )
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(good))
    page.get_by_text("4 pairs, 1 feature per sample.").wait_for()
    wait_idle(page)
    uploader = page.locator('[data-testid="stFileUploader"]').first.inner_text()
    assert "good.csv" in uploader and "picture.png" not in uploader, uploader
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
