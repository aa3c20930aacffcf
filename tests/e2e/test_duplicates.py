"""Issue 19, finding duplicates, in a real browser (`streamlit run dashboard/app.py` driven by headless
Chromium): a visitor makes an uploaded model the session's, uploads a samples table with planted exact
copies on Find duplicates and picks its id column; the top candidate and its distance that the page shows,
and the candidates it downloads, are checked against `siamese_core.duplicates.find_duplicates` run here on
the same file.

The model is the shared tiny one (tests/conftest.py); the table is that of
tests/test_dashboard_duplicates.py: 40 clustered samples and copies of rows 4 and 18.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.pages import go, upload, wait_idle
from tests.test_dashboard_duplicates import COPIES, samples_csv

pytestmark = pytest.mark.browser


def test_a_table_with_a_planted_copy_shows_the_cores_top_candidate_and_downloads_its_candidates(
    page, model_file, tmp_path
):
    expect = pytest.importorskip("playwright.sync_api").expect
    from siamese_core.bundle import load_model
    from siamese_core.duplicates import find_duplicates

    table = tmp_path / "samples.csv"
    table.write_bytes(samples_csv())
    expected = find_duplicates(load_model(model_file), table, id_column="id").candidates
    top = expected.iloc[0]
    assert (top["row_a"], top["row_b"]) in COPIES and top["distance"] < 1e-3

    go(page, "Model files & scoring")
    upload(page, Path(model_file))
    page.get_by_text("Loaded model.keras: 6 features. It is now the model on every page.").wait_for()
    wait_idle(page)
    go(page, "Find duplicates")
    page.get_by_text("Upload a samples table to search for duplicates.").wait_for()
    upload(page, table)
    page.get_by_text("42 rows of samples.csv.").wait_for()
    wait_idle(page)
    id_column = page.get_by_role("combobox", name="Id column")
    id_column.click()
    id_column.fill("id")
    id_column.press("Enter")
    expect(id_column).to_have_value("id")
    wait_idle(page)

    label = f"1. {top['id_a']} and {top['id_b']}: distance {top['distance']:.6g}"
    expect(page.get_by_role("combobox", name="Candidate")).to_have_value(label)
    caption = page.get_by_text(re.compile(r"^Distance [0-9.e+-]+, p_similar "))
    expect(caption).to_contain_text(f"Distance {top['distance']:.6g}, p_similar {top['p_similar']:.4f}")
    expect(
        page.get_by_text(f"0 of {len(expected):,} pairs marked as duplicates", exact=False)
    ).to_be_visible()

    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download the candidates and marks (CSV)").click()
    downloaded = pd.read_csv(waiting.value.path())
    assert downloaded[["row_a", "row_b"]].values.tolist() == expected[["row_a", "row_b"]].values.tolist()
    assert downloaded["id_b"].iloc[1] == "'=copy17"  # quoted: a spreadsheet shows it, never runs it
    assert (downloaded["distance"] - expected["distance"]).abs().max() < 1e-12
    assert not downloaded["duplicate"].any()
    assert page.locator('[data-testid="stException"]').count() == 0
