"""Training in a real browser goes on while the visitor uses other pages or reloads (issue 17, point 3).

What the user did: start a long training, click another page during it, come back. The run must go on
to its end and say so, not "stopped by you". Stop, from any page, still stops it and says it was you. A
reload finds the running training again; an address whose training is gone says so.

Each test ends the run it starts (it finishes or is stopped). On failure, a screenshot of the page is
written to the test's temporary directory (never to the repo).
"""

from __future__ import annotations

import re
import time

import pytest

from dashboard import training_job
from tests.e2e.pages import STEP_MS, VIEWPORT, wait_idle

pytestmark = pytest.mark.browser

TRAIN_MS = 300_000  # a whole run of the demo data on a busy 2-core machine, TensorFlow's import included
SELECTING = "Choosing how long to train and the threshold"  # progress of the selection (the refit is on)
TRAINING = "Training"  # progress of the only training (the refit is off)


def _settings(page, *, epochs: int, refit: bool = True) -> None:
    """Open the training settings: `epochs` at most, early stopping off (only the end or Stop ends it)."""
    expect = pytest.importorskip("playwright.sync_api").expect
    page.get_by_text("Training settings").click()
    for label, value in (("Most epochs", epochs), ("Early-stopping patience (0: off)", 0)):
        field = page.get_by_label(label)
        field.fill(str(value))
        field.press("Enter")
        expect(field).to_have_value(str(value))
        wait_idle(page)
    if not refit:
        page.get_by_text("Refit the final model on all pairs").click()
        expect(page.get_by_role("checkbox", name="Refit the final model on all pairs")).not_to_be_checked()
        wait_idle(page)


def _train(page) -> None:
    page.locator('[data-testid="stBaseButton-primary"]').filter(has_text="Train").click()


def _epoch(page, phase: str, epochs: int, *, above: int = 0) -> int:
    """Wait until the page's progress shows an epoch of `phase` over `above` (of `epochs` at most);
    returns it. Polls the page's text: a busy browser can skip drawing some epochs."""
    pattern = re.compile(rf"{phase}: epoch (\d+)/{epochs}\b")
    deadline = time.monotonic() + TRAIN_MS / 1000
    while time.monotonic() < deadline:
        text = page.locator("body").inner_text()
        seen = [int(n) for n in pattern.findall(text)]
        if seen and max(seen) > above:
            return max(seen)
        assert "See the evaluation" not in text, f"the run ended before an epoch over {above} was seen"
        page.wait_for_timeout(200)
    raise AssertionError(f"no '{phase}: epoch n/{epochs}' with n over {above} in {TRAIN_MS / 1000:g} s")


def _go(page, title: str, heading: str | None = None) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=heading or title).first.wait_for()


def _result(page, start: str) -> str:
    """The training result message on Data & training that starts with `start`, once training ended."""
    message = page.get_by_text(re.compile(rf"^{re.escape(start)}"))
    message.wait_for(timeout=TRAIN_MS)
    return message.inner_text()


def test_training_goes_on_while_the_user_looks_at_another_page_and_ends_by_itself(page):
    """The user's report: a click on Evaluate during training used to end it ("stopped by you"). Now
    Evaluate shows the run's progress, the run goes on there, and on Data & training it ends by itself
    after all its epochs, its loss curve on view."""
    expect = pytest.importorskip("playwright.sync_api").expect
    epochs = 300  # the demo data without a refit: about half a minute
    _settings(page, epochs=epochs, refit=False)
    _train(page)
    seen = _epoch(page, TRAINING, epochs, above=1)

    _go(page, "Evaluate")
    expect(page.get_by_text("No model yet")).to_be_visible()
    expect(page.get_by_text("Training goes on while you use the other pages")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Stop training"))).to_be_visible()
    on_evaluate = _epoch(page, TRAINING, epochs, above=seen)
    _epoch(page, TRAINING, epochs, above=on_evaluate)  # it goes on while the user stays on Evaluate

    _go(page, "Data & training", "Siamese similarity")
    message = _result(page, "Training finished. Pairs: ")
    assert re.search(rf"final model trained on [\d,]+ pairs \(kept epoch \d+ of {epochs}\)", message), message
    assert "stopped" not in message, message
    expect(page.get_by_text("The model's losses per epoch.")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()  # the curve, in no closed panel
    expect(page.get_by_role("button", name=re.compile("Stop training"))).to_have_count(0)
    assert page.locator('[data-testid="stException"]').count() == 0

    # The model is the run's whole result: Evaluate judges it on the test split.
    page.get_by_text("See the evaluation").click()
    page.get_by_role("heading", name="Evaluate").first.wait_for()
    expect(page.get_by_text("ROC AUC").first).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^The model on [\d,]+ test-split pairs, whose samples"))
    ).to_be_visible()


def test_stop_on_another_page_stops_training_and_says_it_was_you(page):
    expect = pytest.importorskip("playwright.sync_api").expect
    _settings(page, epochs=1000)
    _train(page)
    _epoch(page, SELECTING, 1000, above=1)
    _go(page, "Compare two samples")
    page.get_by_role("button", name=re.compile("Stop training")).click()
    # The page is drawn anew with the kept model: Compare no longer asks for one.
    expect(page.get_by_text("Training stopped by you. The new model is in use.")).to_be_visible(
        timeout=TRAIN_MS
    )
    expect(page.get_by_text("No model yet")).to_have_count(0)
    _go(page, "Data & training", "Siamese similarity")
    message = _result(page, "Training stopped by you. Pairs: ")
    kept, ran = map(
        int, re.search(r"final model trained on [\d,]+ pairs \(kept epoch (\d+) of (\d+)\)", message).groups()
    )
    assert 1 <= kept <= ran < 1000, message
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_reload_during_training_finds_it_again(page):
    """A reload is a new session whose settings are the defaults again; its progress is still of the
    1,000-epoch run, past the epoch seen before the reload, and its Stop stops that run."""
    expect = pytest.importorskip("playwright.sync_api").expect
    _settings(page, epochs=1000)
    _train(page)
    seen = _epoch(page, SELECTING, 1000, above=1)
    assert "training=" in page.url, page.url
    page.reload(wait_until="domcontentloaded")
    page.get_by_text("11,304 pairs, 64 features per sample").wait_for()
    _epoch(page, SELECTING, 1000, above=seen)
    page.get_by_role("button", name=re.compile("Stop training")).click()
    message = _result(page, "Training stopped by you. Pairs: ")
    assert re.search(r"\(kept epoch \d+ of \d+\)", message), message
    expect(page.get_by_text("See the evaluation")).to_be_visible()
    assert "training=" not in page.url, page.url
    assert page.locator('[data-testid="stException"]').count() == 0


def test_an_address_whose_training_is_gone_says_so(browser, server):
    """As after a server restart: the address names a training the server does not have."""
    expect = pytest.importorskip("playwright.sync_api").expect
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{server}/?training=no-such-training", wait_until="domcontentloaded")
        expect(page.get_by_text(training_job.LOST).first).to_be_visible(timeout=STEP_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
