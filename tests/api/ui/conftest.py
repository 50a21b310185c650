"""A browser on the workbench: Debian's headless Chromium driven by Playwright.

The browser is the OS's (``/usr/bin/chromium``, installed by ``make test``): Playwright
downloads no browser of its own, which a closed network would refuse anyway. Screenshots
of every page go to ``tests/api/ui/artifacts/`` (ignored by git) for people to look at.

What is shared, and why it may be:

* one Chromium process per pytest process (xdist worker), started by us with a DevTools
  port, so that no test waits for a browser to start;
* one Playwright driver per test module, connected to that Chromium. Not per session: the
  sync API marks its event loop as running on this thread while it is open, and code that
  other modules' tests run here (pyHanko's signing, ``asyncio.run``) refuses to start a loop
  inside a running one. pytest tears a module's fixtures down before it runs a test of
  another module, so the driver is gone before any such test starts;
* a new browser context (cookies, storage, downloads) per test, so tests do not see each
  other's sessions;
* with ``shared_api``, one uvicorn server and database per module, for the tests that do
  not count what others leave behind (the audit-trail tests take the per-test ``api``).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from docex.db import create_engine_from_settings, session_factory, upgrade
from docex.devpki.pki import DevPki
from docex.settings import Settings
from docex.storage import open_object_store
from tests.api.conftest import REPO, Api, _seed, replace_settings, runtime_for, serve
from tests.conftest import Backend, Servers

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
# Chromium starts in well under a second when idle; a loaded CI machine takes longer.
START_TIMEOUT_SECONDS = 60.0


@pytest.fixture
def backend_name() -> str:
    """The browser tests drive the pages, not the storage: the embedded shape suffices
    (the pages' services run on both shapes in tests/api and tests/services)."""
    return "sqlite-local"


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Chromium for this pytest process; yields its DevTools WebSocket URL."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs chromium with apt-get")
    profile = tmp_path_factory.mktemp("chromium")
    log = (profile.parent / "chromium.log").open("wb")
    # Port 0: Chromium picks a free port and writes it to DevToolsActivePort in the profile.
    process = subprocess.Popen(
        [str(CHROMIUM), *LAUNCH_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        yield _devtools_url(profile / "DevToolsActivePort", process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _devtools_url(active_port: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chromium exited with code {process.returncode} while starting")
        # The file appears before its second line (the browser's path) is written.
        lines = active_port.read_text().splitlines() if active_port.exists() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    pytest.fail("chromium did not open its DevTools port in time")


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """A Playwright driver for this module, connected to the shared Chromium."""
    with sync_playwright() as driver:
        connected = driver.chromium.connect_over_cdp(chromium)
        yield connected
        connected.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context: no cookies or storage from other tests."""
    context = browser.new_context(accept_downloads=True, locale="uk-UA")
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory, pki: DevPki) -> Iterator[Api]:
    """The app on its own SQLite database and folder, served once for the module.

    For tests that neither count audit entries nor change what others rely on (tokens,
    facilities): each signs in with the seeded tokens and looks at its own results.
    """
    folder = tmp_path_factory.mktemp("shared-api")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'docex.sqlite3'}",
        object_store=f"local:{folder / 'objects'}",
    )
    engine = create_engine_from_settings(settings)
    upgrade(engine)
    backend = Backend(
        name="sqlite-local",
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        store=open_object_store(settings),
        servers=Servers(),
    )
    api_settings = replace_settings(settings, trust=[REPO / "certs-dev" / "trust"])
    runtime = runtime_for(backend, api_settings)
    tokens, ids = _seed(runtime, pki)
    try:
        with runtime.verifier, serve(api_settings, runtime) as url:
            yield Api(url=url, runtime=runtime, backend=backend, tokens=tokens, facility_ids=ids)
    finally:
        engine.dispose()


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
