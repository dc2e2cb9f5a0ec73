"""The chat app in a real browser: sign in through the sandbox's consent screen, ask,
see steps, sources and the streamed answer, confirm a write and see it arrive."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.execution.conftest import google
from tests.support import connect

pytestmark = pytest.mark.browser


def sign_in(page, app_url: str) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Continue with Google").click()
    page.get_by_text("Choose an account").wait_for(timeout=15_000)
    page.screenshot(path=SCREENSHOTS / "consent.png")
    page.get_by_label("Alex Rivera").check()
    page.get_by_role("button", name="Allow").click()
    page.locator("#chat-input").wait_for(timeout=30_000)


def wait_for_initial_sync(database_url: str, timeout: float = 180) -> None:
    async def synced() -> bool:
        conn = await connect(database_url)
        try:
            rows = await conn.fetch("SELECT status FROM sync_status")
        finally:
            await conn.close()
        return len(rows) == 3 and all(row["status"] == "ok" for row in rows)

    def check() -> bool:
        # Playwright's sync API owns this thread's event loop: ask from another thread.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, synced()).result()

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the first sync did not finish"
        time.sleep(1)


def ask(page, text: str) -> None:
    page.locator("#chat-input").fill(text)
    page.keyboard.press("Enter")


def test_sign_in_ask_and_confirm(page, app_url: str, app_database: str, demo_sandbox) -> None:
    sign_in(page, app_url)
    page.get_by_text("I'm Concierge").wait_for(timeout=15_000)
    wait_for_initial_sync(app_database)

    ask(page, "emails about the budget from Sarah and my meetings with her next week")
    page.get_by_text("Q4 Financial Review").first.wait_for(timeout=30_000)
    page.locator(".step").first.wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=SCREENSHOTS / "answer.png", full_page=True)
    answer = page.locator("[data-step-type='assistant_message']").last.inner_text()
    assert "[1]" in answer

    ask(page, "send an email to Daniel saying the release notes are ready")
    page.get_by_text("Please confirm").wait_for(timeout=30_000)
    page.screenshot(path=SCREENSHOTS / "confirm.png", full_page=True)
    assert _inbox(demo_sandbox, "release notes are ready") == 0  # nothing before the click
    page.get_by_role("button", name="Confirm").last.click()
    page.get_by_text("Done: Sent").wait_for(timeout=30_000)
    page.screenshot(path=SCREENSHOTS / "sent.png", full_page=True)
    assert _inbox(demo_sandbox, "release notes are ready") == 1


def _inbox(sandbox, words: str) -> int:
    gmail = google(sandbox, "daniel.okafor@northwindlabs.com", "gmail")
    return len(gmail.users().messages().list(userId="me", q=words).execute().get("messages", []))


def test_an_anonymous_visitor_sees_only_the_sign_in_page(page, app_url: str) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Continue with Google").wait_for(timeout=15_000)
    assert page.locator("#chat-input").count() == 0
    page.screenshot(path=SCREENSHOTS / "sign-in.png")
