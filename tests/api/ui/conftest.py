"""A browser on the workbench: Debian's headless Chromium driven by Playwright.

The browser is the OS's (``/usr/bin/chromium``, installed by ``make test``): Playwright
downloads no browser of its own, which a closed network would refuse anyway. Screenshots
of every page go to ``tests/api/ui/artifacts/`` (ignored by git) for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
# No network beyond the app under test: no updates, no field trials, no GPU.
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture
def backend_name() -> str:
    """The browser tests drive the pages, not the storage: the embedded shape suffices
    (the pages' services run on both shapes in tests/api and tests/services)."""
    return "sqlite-local"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A fresh Chromium per test.

    Per test, not per session: the sync API runs an event loop on this thread while it is
    open, and code that other tests run here (pyHanko's signing, ``asyncio.run``) refuses
    to start a loop inside a running one; pytest-xdist may interleave their tests with ours.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs chromium with apt-get")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, locale="uk-UA")
    opened = context.new_page()
    yield opened
    context.close()


class Shots:
    """Numbered screenshots of one test, for a person to look at."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def take(self, what: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{what}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(page: Page, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name)
