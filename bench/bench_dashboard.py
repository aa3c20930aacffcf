"""Dashboard latency in headless Chromium (Debian's): first paint of the demo data page, and the demo
Train click (default settings) to the distance histograms visible on Evaluate. Each is compared with
its budget (3 s and 20 s); the ratio printed is measured / budget (below 1 is inside the budget).

    python bench/bench_dashboard.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import ROOT, report

FIRST_PAINT_BUDGET = 3.0
TRAIN_BUDGET = 20.0


def one_run(browser, url: str) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.get_by_text("11,304 pairs, 64 features per sample").wait_for(timeout=60_000)
    first_paint = time.perf_counter() - start
    page.get_by_role("button", name="Train").wait_for(timeout=60_000)
    start = time.perf_counter()
    page.get_by_role("button", name="Train").click()
    page.get_by_text("See the evaluation").click(timeout=180_000)
    page.get_by_text("Euclidean distance between embeddings").first.wait_for(timeout=60_000)
    trained = time.perf_counter() - start
    context.close()
    return first_paint, trained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from dashboard import launch

    process, url = launch.start(Path(tempfile.mkdtemp()) / "streamlit.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=launch.CHROMIUM_ARGS
            )
            runs = [one_run(browser, url) for _ in range(args.repeats)]
            browser.close()
    finally:
        launch.stop(process)
    paints, trains = zip(*runs, strict=True)
    report(
        "dashboard latency, headless Chromium, demo data",
        [
            (
                "first paint, each run (the first includes server warm-up)",
                ", ".join(f"{s:.2f} s" for s in paints),
            ),
            (
                "Train click to histograms, each run (first imports TensorFlow)",
                ", ".join(f"{s:.2f} s" for s in trains),
            ),
            (
                f"first paint, worst / budget {FIRST_PAINT_BUDGET:.0f} s",
                f"{max(paints) / FIRST_PAINT_BUDGET:.2f}",
            ),
        ],
        f"Train click to histograms, worst / budget {TRAIN_BUDGET:.0f} s",
        max(trains) / TRAIN_BUDGET,
    )


if __name__ == "__main__":
    main()
