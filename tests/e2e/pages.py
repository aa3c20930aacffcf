"""Small Playwright helpers shared by the browser tests."""

from __future__ import annotations

import re

STEP_MS = 90_000  # any rerun, TensorFlow's first import on a busy 2-core machine included
VIEWPORT = {"width": 1400, "height": 1000}
DEMO_LOADED = "11,304 pairs, 64 features per sample"  # what the Data page says once the demo is read


def wait_idle(page, timeout_ms: int = STEP_MS) -> None:
    """Wait until Streamlit has no rerun in progress (its status widget says Running... while it runs)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').filter(has_text="Running").wait_for(
        state="detached", timeout=timeout_ms
    )


def go(page, title: str, heading: str | None = None) -> None:
    """Open a page from the sidebar and wait until its heading (the title unless given) shows and it is idle."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=heading or title).first.wait_for()
    wait_idle(page)


def upload(page, path, index: int = 0) -> None:
    """Put a file into the page's `index`-th file uploader."""
    page.locator('[data-testid="stFileUploader"] input[type=file]').nth(index).set_input_files(str(path))


def choose_source(page, option: str) -> None:
    """Click a data source of the Data page's radio by its label."""
    page.locator('[data-testid="stRadio"] label').filter(has_text=option).first.click()


def split_counts(text: str) -> dict[str, int]:
    """The pairs per split in a plan or result message, with the pairs dropped between splits."""
    split = re.search(r"[Pp]airs: (.*?) \(split by samples\)", text).group(1)
    counts = dict.fromkeys(("train", "validation", "test"), 0)
    counts.update({name: int(n.replace(",", "")) for name, n in re.findall(r"([a-z]+) ([\d,]+)", split)})
    dropped = re.search(r"; ([\d,]+) pairs whose two samples fell into different splits", text)
    counts["dropped"] = int(dropped.group(1).replace(",", "")) if dropped else 0
    return counts


def open_visitor(browser, url: str):
    """A new visitor (a browser context of its own: its own Streamlit session) on the app, the demo data
    read; returns (context, page). The caller closes the context."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(DEMO_LOADED).first.wait_for()
    wait_idle(page)
    return context, page


def set_number(page, label: str, value: int) -> None:
    """Type into a number input and wait for the rerun."""
    from playwright.sync_api import expect

    field = page.get_by_label(label)
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value))
    wait_idle(page)


def metrics(page) -> dict[str, str]:
    """Every metric on the page, label to value, as a person reads them."""
    found = page.locator('[data-testid="stMetric"]')
    return {
        found.nth(i).locator('[data-testid="stMetricLabel"]').inner_text().strip(): found.nth(i)
        .locator('[data-testid="stMetricValue"]')
        .inner_text()
        .strip()
        for i in range(found.count())
    }
