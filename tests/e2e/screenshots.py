"""Retake the README's screenshots: `python -m tests.e2e.screenshots [folder]` (about two minutes).

Runs the browser test's flow (`demo_flow`: the demo data, a pair CSV upload, a short training run, Evaluate
with the equal-error-rate preset, Compare, the model download), with all its checks, in Debian's Chromium
against its own `streamlit run` on a free loopback port, and saves data.png, train.png, evaluate.png and
compare.png into docs/screenshots/ (or the folder given). The test run never writes there.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dashboard import launch
from tests.e2e.conftest import CHROMIUM
from tests.e2e.pages import STEP_MS, VIEWPORT
from tests.e2e.test_browser import demo_flow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def take(shots: Path = SCREENSHOTS) -> list[Path]:
    """Drive the flow once and save its four screenshots into `shots`; returns their paths."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        process, url = launch.start(work / "streamlit.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=launch.CHROMIUM_ARGS)
                try:
                    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
                    context.set_default_timeout(STEP_MS)
                    page = context.new_page()
                    page.goto(url, wait_until="domcontentloaded")
                    demo_flow(page, work, shots)
                finally:
                    browser.close()
        finally:
            launch.stop(process)
    return sorted(shots.glob("*.png"))


def main(argv: list[str]) -> int:
    shots = Path(argv[0]) if argv else SCREENSHOTS
    for path in take(shots):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
