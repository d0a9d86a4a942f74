"""A real headless Chromium (Debian's /usr/bin/chromium driven by Playwright) against a real server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = os.environ.get("KB_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / "build" / "ui-screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per module; skips when the browser or Playwright is missing.

    Module scope, not session: Playwright's sync API keeps an event loop running in the main thread while it
    is open, and pytest-asyncio tests collected after these would find it.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium: `make browser` installs Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python client is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (own localStorage) with page errors collected in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def screenshot(page: object, name: str) -> None:
    """Keep a screenshot of a state the tests reached (build/ui-screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))  # type: ignore[attr-defined]
