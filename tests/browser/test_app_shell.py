"""The chat app's shell loads in a real browser, greets, and answers a message."""

import pytest

from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def test_the_chat_page_greets_and_answers(page, app_url: str) -> None:
    page.goto(app_url)
    page.get_by_text("I'm Concierge").wait_for(timeout=30_000)

    page.locator("#chat-input").fill("emails about the budget from Sarah")
    page.keyboard.press("Enter")
    page.get_by_text("emails about the budget from Sarah").last.wait_for()
    page.get_by_text("still being built").wait_for(timeout=15_000)
    page.screenshot(path=SCREENSHOTS / "app-shell.png")

    assert page.title() == "Concierge"
