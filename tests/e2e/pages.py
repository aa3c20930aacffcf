"""Small Playwright helpers shared by the browser tests."""

from __future__ import annotations

import re

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


def split_counts(text: str) -> dict[str, int]:
    """The pairs per split in a plan or result message, with the pairs dropped between splits."""
    split = re.search(r"[Pp]airs: (.*?) \(split by samples\)", text).group(1)
    counts = dict.fromkeys(("train", "validation", "test"), 0)
    counts.update({name: int(n.replace(",", "")) for name, n in re.findall(r"([a-z]+) ([\d,]+)", split)})
    dropped = re.search(r"; ([\d,]+) pairs whose two samples fell into different splits", text)
    counts["dropped"] = int(dropped.group(1).replace(",", "")) if dropped else 0
    return counts
