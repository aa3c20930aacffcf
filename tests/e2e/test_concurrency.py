"""Concurrency in a real browser: several visitors on one `streamlit run dashboard/app.py` at once.

Streamlit keeps each visitor's data and model in their own session. Four browser contexts (separate
cookies and websockets, as four people would have) each upload a different pair CSV and train at the same
time; each must see only its own data, its own training message and an evaluation of its own pairs, and
the server must stay up for a fifth visitor. A second test stops a long training run and checks that the
stop is prompt, the kept model can be evaluated and the app is still usable.

On failure, screenshots of the pages are written to the test's temporary directory (never to the repo).
"""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.pages import STEP_MS, VIEWPORT, choose_source, set_number, split_counts, wait_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TRAIN_MS = 180_000  # four trainings at once on a small machine, including TensorFlow's first import
COUNTS = (300, 360, 420, 480)  # rows of each visitor's pair CSV: they identify the session
STOP_WITHIN_S = 15.0
SELECTING = "Choosing how long to train and the threshold"  # the progress text of the selection phase


def _open(browser, url: str):
    """A new browser context (a new visitor) and its page, on the app."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    return context, page


def _screenshots(pages: dict, directory: Path) -> None:
    """Best effort: a PNG of each page, to look at after a failure."""
    for name, page in pages.items():
        try:
            page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
        except Exception:  # a closed page must not hide the real failure
            pass
    print(f"screenshots in {directory}")


def _wait_for_epoch(page, epoch: int, epochs: int) -> int:
    """Wait until the progress text shows the selection model at epoch `epoch` of `epochs` or a later
    one; returns the epoch.

    Polls the page's text rather than waiting for one exact text: an epoch on the demo data takes a
    fraction of a second and a busy browser can skip drawing some of them.
    """
    pattern = re.compile(rf"{SELECTING}: epoch (\d+)/{epochs}\b")
    deadline = time.monotonic() + TRAIN_MS / 1000
    while time.monotonic() < deadline:
        text = page.locator("body").inner_text()
        seen = [int(n) for n in pattern.findall(text)]
        if seen and max(seen) >= epoch:
            return max(seen)
        assert "Training finished" not in text, "the run ended before an epoch could be seen"
        page.wait_for_timeout(200)
    raise AssertionError(f"no '{SELECTING}: epoch {epoch}/{epochs}' (or later) within {TRAIN_MS / 1000:g} s")


def _train_button(page):
    return page.locator('[data-testid="stBaseButton-primary"]').filter(has_text="Train")


def _health(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
        return response.status


def _pair_csvs(directory: Path) -> dict[int, Path]:
    """One pair CSV per visitor, with different row counts (and rows) from the digits example."""
    import pandas as pd

    frame = pd.read_csv(ROOT / "examples" / "digits_pairs.csv", nrows=sum(COUNTS))
    paths, start = {}, 0
    for count in COUNTS:
        path = directory / f"pairs_{count}.csv"
        frame.iloc[start : start + count].to_csv(path, index=False)
        paths[count], start = path, start + count
    return paths


def _caption_pairs(page) -> tuple[str, int]:
    """Which model the Evaluate page judges on which pairs, and how many pairs (from its caption)."""
    caption = page.get_by_text(re.compile(r"^.+: [\d,]+ pairs \([\d,]+ similar, ")).first
    caption.wait_for()
    match = re.search(r"^(.+?): ([\d,]+) pairs \([\d,]+ similar, ", caption.inner_text())
    return match.group(1), int(match.group(2).replace(",", ""))


def test_four_sessions_each_see_only_their_own_data_and_model(browser, server, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect
    paths = _pair_csvs(tmp_path)
    contexts, pages = [], {}
    try:
        # Four visitors, each with their own pair CSV and 3 epochs.
        for count in COUNTS:
            context, page = _open(browser, server)
            contexts.append(context)
            pages[count] = page
        for count, page in pages.items():
            page.get_by_text("11,304 pairs, 64 features per sample").wait_for(timeout=STEP_MS)
            wait_idle(page)
            choose_source(page, "Pair CSV")
            page.get_by_text("Upload a pair CSV to continue").wait_for()
            page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(
                str(paths[count])
            )
            page.get_by_text(f"{count} pairs, 64 features per sample.").wait_for()
            wait_idle(page)
            page.get_by_text("Training settings").click()
            set_number(page, "Most epochs", 3)

        # All four train at once: click Train everywhere without waiting in between.
        started = time.monotonic()
        for page in pages.values():
            _train_button(page).click()
        for page in pages.values():
            page.get_by_text("See the evaluation").wait_for(timeout=TRAIN_MS)
        print(f"four concurrent trainings done in {time.monotonic() - started:.1f} s")

        test_pairs = {}
        for count, page in pages.items():
            wait_idle(page)
            expect(page.get_by_text(f"{count} pairs, 64 features per sample.")).to_be_visible()
            for other in COUNTS:
                if other != count:
                    assert page.get_by_text(f"{other} pairs, 64 features").count() == 0, (count, other)
            message = page.get_by_text(re.compile(r"^Training finished\. Pairs: "))
            expect(message).to_be_visible()
            text = message.inner_text()
            # The selection ran the 3 epochs (the default patience is 10), then the final model was refit
            # on all of this visitor's pairs, which the split counts (dropped pairs included) add up to.
            kept, ran = map(int, re.search(r"selection model kept epoch (\d+) of (\d+);", text).groups())
            assert ran == 3 and 1 <= kept <= 3, (count, text)
            assert f"final model refit on all {count:,} pairs for " in text, (count, text)
            counts = split_counts(text)
            assert sum(counts.values()) == count and counts["train"] > 0, (count, counts)
            assert f"held-out metrics: the selection model on {counts['test']:,} test-split pairs" in text
            test_pairs[count] = counts["test"]

        # Each evaluation is of the test split of that visitor's own pairs, by the selection model.
        for count, page in pages.items():
            page.get_by_text("See the evaluation").click()
            page.get_by_role("heading", name="Evaluate").first.wait_for()
            title, shown = _caption_pairs(page)
            expected = f"The selection model on {shown:,} test-split pairs, whose samples it never saw"
            assert title == expected, (count, title)
            assert 0 < shown < count and shown == test_pairs[count], (count, shown, test_pairs[count])
            expect(page.get_by_text("ROC AUC").first).to_be_visible()
            assert page.locator('[data-testid="stException"]').count() == 0

        # The server is still up, and a fifth visitor gets the demo data, not anyone's upload.
        assert _health(server) == 200
        context, fifth = _open(browser, server)
        contexts.append(context)
        pages["fifth"] = fifth
        fifth.get_by_text("11,304 pairs, 64 features per sample").wait_for(timeout=STEP_MS)
        wait_idle(fifth)
        for count in COUNTS:
            assert fifth.get_by_text(f"{count} pairs, 64 features").count() == 0
        assert fifth.get_by_text("See the evaluation").count() == 0
    except BaseException:
        _screenshots({str(name): page for name, page in pages.items()}, tmp_path)
        raise
    finally:
        for context in contexts:
            context.close()


def test_stop_ends_training_promptly_and_keeps_the_app_usable(browser, server, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect, PlaywrightTimeout = playwright_api.expect, playwright_api.TimeoutError
    context, page = _open(browser, server)
    try:
        page.get_by_text("11,304 pairs, 64 features per sample").wait_for(timeout=STEP_MS)
        wait_idle(page)
        page.get_by_text("Training settings").click()
        set_number(page, "Most epochs", 500)
        # No early stopping, so only the Stop button can end the run before epoch 500 (about a minute).
        set_number(page, "Early-stopping patience (0: off)", 0)

        _train_button(page).click()
        _wait_for_epoch(page, 2, 500)
        stop = page.get_by_role("button", name=re.compile("Stop training"))
        clicked = time.monotonic()
        stop.click()
        message = page.get_by_text(re.compile(r"^Training stopped by you\. Pairs: "))
        try:
            message.wait_for(timeout=STOP_WITHIN_S * 1000)
        except PlaywrightTimeout:
            wait_idle(page)
            pytest.fail(
                f"no 'Training stopped by you' message {STOP_WITHIN_S:g} s after clicking Stop training; "
                f"the page has a model result: {page.get_by_text('See the evaluation').count() > 0}, "
                f"the selection's progress text: {page.get_by_text(SELECTING).count() > 0}"
            )
        latency = time.monotonic() - clicked
        print(f"stop latency {latency:.2f} s (click included)")
        # Stopped during the selection, so there is no refit: the final model is the one trained on the
        # training split, stopped before its 500 epochs, and its metrics are on the test split.
        text = message.inner_text()
        trained, kept, ran = re.search(
            r"; final model trained on ([\d,]+) pairs \(kept epoch (\d+) of (\d+)\);", text
        ).groups()
        assert 1 <= int(kept) <= int(ran) < 500, text
        counts = split_counts(text)
        assert int(trained.replace(",", "")) == counts["train"] and sum(counts.values()) == 11_304, text
        assert "final model refit on all" not in text, text
        assert "the final model was not refit on all pairs" in text, text
        assert page.locator('[data-testid="stException"]').count() == 0

        # The kept model can be evaluated.
        wait_idle(page)
        page.get_by_text("See the evaluation").click()
        page.get_by_role("heading", name="Evaluate").first.wait_for()
        expect(page.get_by_text("ROC AUC").first).to_be_visible(timeout=STEP_MS)
        title, shown = _caption_pairs(page)
        assert title == f"The model on {shown:,} test-split pairs, whose samples it never saw", title
        assert 0 < shown < 11_304 and shown == counts["test"], (title, shown, counts)
        wait_idle(page)

        # And the app is still usable: back on Data & training the data (and result) are still there.
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Data & training", exact=True).click()
        page.get_by_role("heading", name="Siamese similarity").first.wait_for()
        page.get_by_text("11,304 pairs, 64 features per sample").wait_for()
        main_block = page.get_by_test_id("stMainBlockContainer")  # not the toast that said it on Evaluate
        expect(main_block.get_by_text(re.compile(r"^Training stopped by you\. Pairs: "))).to_be_visible()
        expect(_train_button(page)).to_be_enabled()
        assert page.locator('[data-testid="stException"]').count() == 0
        assert _health(server) == 200
    except BaseException:
        _screenshots({"stop": page}, tmp_path)
        raise
    finally:
        context.close()
