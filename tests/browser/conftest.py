"""Browser tests: a real `chainlit run` of the app, driven by Playwright in Debian's Chromium.

Screenshots go to `artifacts/screenshots/` so that people (and CI) can look at them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.settings import PROJECT_ROOT
from sandbox.server import RunningSandbox
from tests.app_process import running_app
from tests.execution.conftest import demo_sandbox  # noqa: F401  (fixture)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def app_database(server_database_url: str) -> Iterator[str]:
    """A database of the app's own, migrated."""
    import asyncio

    from assistant.core import migrate
    from tests.support import create_database

    url = asyncio.run(create_database(server_database_url, "browser"))
    migrate.upgrade(url)
    yield url


@pytest.fixture(scope="module")
def app_url(app_database: str, redis_url: str, data_dir: Path, demo_sandbox: RunningSandbox) -> Iterator[str]:
    """The chat app as `concierge demo` runs it: `chainlit run`, an RQ worker, the sandbox."""
    settings = {
        "CONCIERGE_DATABASE_URL": app_database,
        "CONCIERGE_REDIS_URL": f"{redis_url}?db=7",
        "CONCIERGE_DATA_DIR": str(data_dir),
        "CONCIERGE_GOOGLE_API_BASE_URL": demo_sandbox.base_url,
        "CONCIERGE_TIMEZONE": "Europe/London",
    }
    logs = PROJECT_ROOT / "artifacts" / "logs"  # kept after the run, next to the screenshots
    logs.mkdir(parents=True, exist_ok=True)
    with running_app(settings, logs) as url:
        yield url


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the test, so fixtures can see whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
