"""Small Playwright helpers shared by the browser tests."""

from __future__ import annotations

STEP_MS = 60_000  # any rerun


def wait_idle(page, timeout_ms: int = STEP_MS) -> None:
    """Wait until Streamlit has no rerun in progress (its status widget says Running... while it runs)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').filter(has_text="Running").wait_for(
        state="detached", timeout=timeout_ms
    )


def choose_source(page, option: str) -> None:
    """Click a data source of the Data page's radio by its label."""
    page.locator('[data-testid="stRadio"] label').filter(has_text=option).first.click()
