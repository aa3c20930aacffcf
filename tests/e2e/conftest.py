"""Fixtures of the real-browser tests: Debian's Chromium, Playwright, and `streamlit run` on a free port."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import launch
from tests.e2e.pages import STEP_MS, open_visitor

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    # `expect` waits 5 s by default; a rerun that loads TensorFlow on a busy 2-core machine takes longer.
    sync_api.expect.set_options(timeout=STEP_MS)
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def server(chromium_path, tmp_path_factory):
    """One dashboard per test module, on a free loopback port; always stopped at the end."""
    try:
        process, url = launch.start(tmp_path_factory.mktemp("streamlit") / "streamlit.log")
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield url
    finally:
        launch.stop(process)


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=launch.CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, server):
    """A new visitor on the demo data (`open_visitor`); its context is closed after the test."""
    context, opened = open_visitor(browser, server)
    try:
        yield opened
    finally:
        context.close()
