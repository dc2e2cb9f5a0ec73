"""The chat app in a real browser, as people use it.

Alex signs in once through the sandbox's consent screen (the same OAuth code path as
Google); each test then opens a new chat. Writes are checked where they land: the
recipient's sandbox mailbox, the message's labels. Screenshots go to
artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, SCREENSHOTS
from tests.execution.conftest import ALEX, google
from tests.support import connect

pytestmark = pytest.mark.browser

DANIEL = "daniel.okafor@northwindlabs.com"
ANSWER = "[data-step-type='assistant_message']"


def sign_in(page, app_url: str, person: str) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Continue with Google").click()
    page.get_by_text("Choose an account").wait_for(timeout=15_000)
    page.screenshot(path=SCREENSHOTS / "consent.png")
    page.get_by_label(person).check()
    page.get_by_role("button", name="Allow").click()
    page.locator("#chat-input").wait_for(timeout=30_000)


def wait_for_initial_sync(database_url: str, email: str, expected: int = 3, timeout: float = 180) -> None:
    async def synced() -> bool:
        conn = await connect(database_url)
        try:
            rows = await conn.fetch(
                "SELECT s.status FROM sync_status s JOIN users u ON u.id = s.user_id WHERE u.email = $1", email
            )
        finally:
            await conn.close()
        return len(rows) == expected and all(row["status"] == "ok" for row in rows)

    def check() -> bool:
        # Playwright's sync API owns this thread's event loop: ask from another thread.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, synced()).result()

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the first sync did not finish"
        time.sleep(1)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(browser, app_url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=app_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    return context


@pytest.fixture(scope="module")
def alex(browser, app_url: str, app_database: str) -> Iterator[object]:
    """Alex's browser, signed in, with the first sync of the demo workspace done."""
    context = new_context(browser, app_url)
    page = context.new_page()
    sign_in(page, app_url, "Alex Rivera")
    page.get_by_text("reading your account").wait_for(timeout=15_000)  # first login: sync progress
    page.screenshot(path=SCREENSHOTS / "first-sync.png")
    wait_for_initial_sync(app_database, ALEX)
    page.get_by_text("All caught up").wait_for(timeout=15_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def screenshot_on_failure(request: pytest.FixtureRequest, browser) -> Iterator[None]:
    """A failed test leaves a screenshot of every page it had open."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for number, page in enumerate(page for context in browser.contexts for page in context.pages):
            page.screenshot(path=SCREENSHOTS / f"failed-{request.node.name}-{number}.png")


def new_chat(page) -> None:
    page.goto("/")
    page.locator("#chat-input").wait_for(timeout=30_000)


def ask(page, text: str) -> None:
    """Send `text` as the user would, once the chat is ready to take it.

    A new chat's composer can be re-drawn while its socket connects, dropping what was
    typed: so type, and send once the send button is enabled, until the message shows.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    sent = page.locator("[data-step-type='user_message']").filter(has_text=text)
    before = sent.count()
    for _ in range(3):
        page.locator("#chat-input").fill(text)
        try:
            page.locator("#chat-submit:not([disabled])").click(timeout=10_000)
            sent.nth(before).wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"could not send {text!r}")


def answered(page, count: int) -> str:
    """The text of the `count`-th answer of this chat, once it is complete."""
    page.get_by_text("Synced:").nth(count - 1).wait_for(timeout=60_000)
    return page.locator(ANSWER).filter(has_text="Synced:").nth(count - 1).inner_text()


def act(page, button, then: str, timeout: float = 30_000) -> None:
    """Click an action button and wait for `then` to show.

    On a loaded machine a click can land while the card is still being drawn and be lost
    (the button shows no spinner and nothing reaches the app): click once more then.
    Confirming twice is harmless by design (a second confirmation executes nothing).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    expected = page.get_by_text(then).last
    button.click()
    try:
        expected.wait_for(timeout=5_000)
    except PlaywrightTimeout:
        if button.count():
            button.click()
        expected.wait_for(timeout=timeout)


def mailbox(sandbox, email: str, words: str) -> int:
    gmail = google(sandbox, email, "gmail")
    return len(gmail.users().messages().list(userId="me", q=words).execute().get("messages", []))


def test_welcome_screen_offers_starters_from_the_users_data(alex) -> None:
    new_chat(alex)
    starters = alex.locator("#starters button")
    starters.first.wait_for(timeout=15_000)
    labels = starters.all_inner_texts()
    assert any(label.startswith("Mail from") for label in labels), labels  # a real contact of Alex's
    alex.screenshot(path=SCREENSHOTS / "welcome.png")


def test_cross_service_answer_streams_with_steps_and_sources(alex) -> None:
    new_chat(alex)
    frames: list[str] = []
    alex.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(str(frame))))
    new_chat(alex)  # a fresh socket, now observed
    ask(alex, "emails about the budget from Sarah and my meetings with her next week")
    text = answered(alex, 1)
    assert "Q4 Financial Review" in text and "[1]" in text
    assert sum("stream_token" in frame for frame in frames) > 3  # streamed, not sent in one piece

    # The steps come before the answer they led to, and show what each found.
    steps = alex.get_by_text(re.compile(r"^Used (Understanding|Plan|Search your emails|Search your events)$"))
    assert steps.count() >= 3
    first_step = steps.first.bounding_box()
    answer_box = alex.locator(ANSWER).filter(has_text="Synced:").last.bounding_box()
    assert first_step["y"] < answer_box["y"]
    alex.get_by_text("Used Search your emails").click()
    step_chips = alex.locator(".step").filter(has_text="Used Search your emails").locator(".source-chip")
    step_chips.first.wait_for(timeout=15_000)  # the step shows what it found, as the answer numbers it

    # A source chip opens a side panel with the email's details. The answer's own chip:
    # the step's chips move while the step above them unfolds, and a click can miss them.
    chips = alex.locator(".source-chip")
    assert chips.count() >= 3
    alex.screenshot(path=SCREENSHOTS / "answer.png")
    alex.locator(ANSWER).filter(has_text="Synced:").last.locator(".source-chip").first.click()
    panel = alex.get_by_test_id("source-panel")
    panel.wait_for()
    details = panel.inner_text()
    assert "From" in details and "Sarah Chen" in details and "Europe/London" in details and "Open in Gmail" in details
    alex.wait_for_timeout(600)  # the panel slides in
    alex.screenshot(path=SCREENSHOTS / "source-panel.png")
    alex.keyboard.press("Escape")

    refresh = alex.locator(ANSWER).filter(has_text="Synced:").last.get_by_role("button", name="Refresh")
    act(alex, refresh, then="Syncing your Gmail, Calendar and Drive now")


def test_confirm_sends_and_cancel_sends_nothing(alex, demo_sandbox) -> None:
    new_chat(alex)
    ask(alex, "send an email to Daniel saying the release notes are ready")
    alex.get_by_text("Please confirm").wait_for(timeout=60_000)
    alex.screenshot(path=SCREENSHOTS / "confirm.png")
    assert mailbox(demo_sandbox, DANIEL, "release notes are ready") == 0  # nothing before the click
    act(alex, alex.get_by_role("button", name="Confirm").last, then="Done: Sent")
    alex.screenshot(path=SCREENSHOTS / "sent.png")
    assert mailbox(demo_sandbox, DANIEL, "release notes are ready") == 1

    ask(alex, "send an email to Daniel saying the vendor contract is signed")
    alex.get_by_text("Please confirm").nth(1).wait_for(timeout=60_000)
    act(alex, alex.get_by_role("button", name="Cancel").last, then="Cancelled. Nothing was sent")
    assert alex.get_by_role("button", name="Confirm").count() == 0  # the card's buttons are gone
    assert mailbox(demo_sandbox, DANIEL, "vendor contract is signed") == 0


def test_edit_a_draft_before_confirming(alex, demo_sandbox) -> None:
    new_chat(alex)
    ask(alex, "send an email to Daniel saying the offsite venue is booked")
    alex.get_by_text("Please confirm").wait_for(timeout=60_000)
    alex.get_by_role("button", name="Edit").last.click()
    form = alex.locator("form.edit-form")
    form.wait_for(timeout=15_000)
    assert DANIEL in form.get_by_label("To").input_value()

    form.get_by_label("To").fill("not an address")
    form.get_by_role("button", name="Confirm with changes").click()
    alex.get_by_role("alert").filter(has_text="is not an email address").wait_for(timeout=15_000)
    assert mailbox(demo_sandbox, DANIEL, "offsite venue") == 0

    form.get_by_label("To").fill(DANIEL)
    form.get_by_label("Subject").fill("Offsite: Lisbon venue confirmed")
    form.get_by_label("Message").fill("Hi Daniel,\n\nThe Lisbon venue is confirmed for March.\n\nAlex")
    alex.screenshot(path=SCREENSHOTS / "edit.png")
    form.get_by_role("button", name="Confirm with changes").click()
    alex.get_by_text("Done: Sent").wait_for(timeout=30_000)
    assert mailbox(demo_sandbox, DANIEL, "subject:(Lisbon venue confirmed)") == 1
    assert mailbox(demo_sandbox, DANIEL, "offsite venue is booked") == 0  # the edited text went, not the draft
    assert form.count() == 0


def test_undo_a_trash(alex, demo_sandbox) -> None:
    new_chat(alex)
    ask(alex, "delete the email about the council tax bill")
    alex.get_by_text("Please confirm").wait_for(timeout=60_000)
    gmail = google(demo_sandbox, ALEX, "gmail")
    found = gmail.users().messages().list(userId="me", q="council tax").execute()["messages"]
    message_id = found[0]["id"]

    def labels() -> list[str]:
        return gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["labelIds"]

    act(alex, alex.get_by_role("button", name="Confirm").last, then="Done: Moved")
    assert "TRASH" in labels()
    act(alex, alex.get_by_role("button", name="Undo").last, then="Restored")
    alex.screenshot(path=SCREENSHOTS / "undo.png")
    assert "TRASH" not in labels()


def test_reload_resume_and_follow_up(alex) -> None:
    new_chat(alex)
    ask(alex, "emails from Tom Becker")
    answered(alex, 1)
    second = alex.locator(".source-chip").nth(1).locator(".source-title").inner_text()
    thread_url = _thread_url(alex)

    alex.reload()
    alex.goto("/")
    alex.locator("#chat-input").wait_for()
    alex.get_by_text("emails from Tom Becker").first.click()  # the thread, in the sidebar
    alex.wait_for_url(thread_url)
    alex.locator(".source-chip").nth(1).wait_for(timeout=30_000)  # sources survive the resume
    ask(alex, "reply to the second one saying thanks")
    alex.get_by_text("Please confirm").wait_for(timeout=60_000)
    card = alex.locator(ANSWER).filter(has_text="Please confirm").last.inner_text()
    title = second.removeprefix("Re: ")
    assert f"Re: {title}" in card, (second, card)
    alex.screenshot(path=SCREENSHOTS / "resumed.png")
    act(alex, alex.get_by_role("button", name="Cancel").last, then="Cancelled. Nothing was sent")


def test_share_read_only_then_unshare(alex, browser, app_url: str) -> None:
    new_chat(alex)
    ask(alex, "what's on my calendar tomorrow?")
    answered(alex, 1)
    thread_id = _thread_url(alex).rsplit("/", 1)[1]
    alex.locator("#header button:has(svg[class*=share])").click()
    alex.get_by_role("button", name="Share", exact=True).click()
    alex.get_by_text("Share link created").or_(alex.get_by_text("Link copied")).first.wait_for(timeout=15_000)
    alex.keyboard.press("Escape")

    # Another signed-in person reads it, sources included, and cannot write in it.
    sarah_context = new_context(browser, app_url)
    sarah = sarah_context.new_page()
    sign_in(sarah, app_url, "Sarah Chen")
    sarah.goto(f"/share/{thread_id}")
    sarah.get_by_text("what's on my calendar tomorrow?").wait_for(timeout=30_000)
    sarah.locator(".source-chip").first.wait_for(timeout=15_000)
    assert sarah.locator("#chat-input").count() == 0
    assert sarah.get_by_role("button", name="Confirm").count() == 0
    sarah.screenshot(path=SCREENSHOTS / "shared-view.png")
    shared = sarah.request.get(f"/project/share/{thread_id}")
    assert shared.status == 200
    assert set(shared.json()["metadata"]) <= {"is_shared", "shared_at"}  # no session data, no secrets

    # Nobody signed in gets anything.
    anonymous_context = new_context(browser, app_url)
    anonymous = anonymous_context.new_page()
    assert anonymous.request.get(f"/project/share/{thread_id}").status == 401
    anonymous.goto(f"/share/{thread_id}")
    anonymous.wait_for_timeout(2000)
    assert "calendar tomorrow" not in anonymous.content()
    anonymous.screenshot(path=SCREENSHOTS / "shared-anonymous.png")

    # Unsharing sticks, even from a resumed session (which holds a copy of the thread's
    # metadata, sharing flag included, and saves it when it ends).
    alex.goto("/")
    alex.locator(f"#thread-{thread_id}").click()
    alex.locator(".source-chip").first.wait_for(timeout=30_000)
    alex.locator("#header button:has(svg[class*=share])").click()
    alex.get_by_role("button", name="Unshare").click()
    alex.get_by_text("Sharing disabled").wait_for(timeout=15_000)
    alex.goto("/")
    alex.wait_for_timeout(1500)
    assert sarah.request.get(f"/project/share/{thread_id}").status == 404
    sarah_context.close()
    anonymous_context.close()


def test_rename_and_delete_a_thread(alex, app_database: str) -> None:
    new_chat(alex)
    ask(alex, "files about the Atlas launch")
    answered(alex, 1)
    thread_id = _thread_url(alex).rsplit("/", 1)[1]
    item = alex.locator(f"#thread-{thread_id}")
    item.hover()
    item.locator("#thread-options").click()
    alex.locator("#rename-thread").click()
    alex.locator("input#name").fill("Atlas launch files")
    alex.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    item.get_by_text("Atlas launch files").wait_for(timeout=15_000)
    assert _conversation_titles(app_database, thread_id) == ["Atlas launch files"]  # the conversation follows

    item.hover()
    item.locator("#thread-options").click()
    alex.locator("#delete-thread").click()
    alex.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    item.wait_for(state="detached", timeout=15_000)
    assert _conversation_titles(app_database, thread_id) == []


def test_settings_change_the_time_zone_of_answers(alex) -> None:
    new_chat(alex)
    alex.locator("#chat-settings-open-modal").click()
    alex.get_by_text("Time zone").wait_for(timeout=15_000)
    alex.screenshot(path=SCREENSHOTS / "settings.png")
    alex.locator("#timezone").click()
    alex.get_by_role("option", name="America/New_York", exact=True).click()
    alex.locator("#confirm").click()
    alex.get_by_text("times are shown in America/New_York").wait_for(timeout=15_000)
    ask(alex, "what's on my calendar tomorrow?")
    answered(alex, 1)
    alex.locator(".source-chip").first.click()
    panel = alex.get_by_test_id("source-panel")
    assert "(America/New_York)" in panel.inner_text()
    alex.keyboard.press("Escape")
    # Back to London for the other tests.
    alex.locator("#chat-settings-open-modal").click()
    alex.locator("#timezone").click()
    alex.get_by_role("option", name="Europe/London", exact=True).click()
    alex.locator("#confirm").click()
    alex.get_by_text("times are shown in Europe/London").wait_for(timeout=15_000)


def _conversation_titles(database_url: str, conversation_id: str) -> list[str]:
    async def titles() -> list[str]:
        conn = await connect(database_url)
        try:
            rows = await conn.fetch("SELECT title FROM conversations WHERE id = $1::uuid", conversation_id)
        finally:
            await conn.close()
        return [row["title"] for row in rows]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, titles()).result()


def test_an_anonymous_visitor_sees_only_the_sign_in_page(browser, app_url: str) -> None:
    context = new_context(browser, app_url)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("button", name="Continue with Google").wait_for(timeout=30_000)
    page.screenshot(path=SCREENSHOTS / "sign-in.png")
    assert page.locator("#chat-input").count() == 0
    listing = page.request.post("/project/threads", data={"pagination": {"first": 20}, "filter": {}})
    assert listing.status == 401
    context.close()


def _thread_url(page) -> str:
    page.wait_for_url(re.compile(r"/thread/[0-9a-f-]{36}$"), timeout=15_000)
    return page.url


def test_cancel_a_flight_says_how_and_proposes_nothing(alex) -> None:
    # Only the airline can cancel the booking: the answer says how, and proposes nothing.
    # (Removing its flights from the calendar is tests/execution/test_scenarios.py: this
    # app runs at the real date, when the trip may be past.)
    new_chat(alex)
    ask(alex, "cancel my Turkish Airlines flight")
    alex.get_by_text("can't cancel a booking").wait_for(timeout=60_000)
    text = alex.locator(ANSWER).last.inner_text()
    assert "TK7QXM" in text and "GBP 110" in text and "Manage Booking" in text
    assert "Please confirm" not in " ".join(alex.locator(ANSWER).all_inner_texts())
    alex.wait_for_timeout(500)
    alex.screenshot(path=SCREENSHOTS / "cancel-flight.png")


def test_an_act_on_a_clash_says_whether_there_is_one_before_any_card(alex) -> None:
    # This app runs at the real date: whether next week's design review clashes with
    # anything depends on the week. Either way the answer says so, and a card comes only
    # with a clash.
    new_chat(alex)
    ask(alex, "cancel next week's design review if it clashes with anything")
    alex.get_by_text("clash").last.wait_for(timeout=60_000)
    text = alex.locator(ANSWER).last.inner_text()
    said = " ".join(alex.locator(ANSWER).all_inner_texts())
    assert "**" not in text
    if "doesn't clash with" in text:
        assert "left it as it is" in text and "Please confirm" not in said
    else:
        assert "clashes with" in text
        alex.get_by_text("Please confirm").last.wait_for(timeout=30_000)
    alex.wait_for_timeout(500)
    alex.screenshot(path=SCREENSHOTS / "clash.png")


def test_a_meeting_found_when_everyone_is_free_invites_them_once_confirmed(alex, demo_sandbox) -> None:
    # This app runs at the real date: whichever weekday tomorrow is, the answer says when
    # everyone is first free (working hours, their calendars and Alex's), and the card
    # invites both; confirmed, the event is in Alex's calendar with both invited.
    new_chat(alex)
    ask(alex, "find 30 minutes with Sarah and Daniel next week when we're all free to go over the hiring plan")
    alex.get_by_text("Please confirm").last.wait_for(timeout=60_000)
    said = " ".join(alex.locator(ANSWER).all_inner_texts())
    assert "The first time you, Sarah Chen and Daniel Okafor are all free is" in said, said
    assert "sarah.chen@northwindlabs.com" in said and DANIEL in said
    alex.wait_for_timeout(500)
    alex.screenshot(path=SCREENSHOTS / "schedule.png")
    act(alex, alex.get_by_role("button", name="Confirm").last, then="Done: Created")
    calendar = google(demo_sandbox, ALEX, "calendar")
    found = calendar.events().list(calendarId="primary", q="hiring plan", singleEvents=True).execute()["items"]
    created = [e for e in found if e["summary"] == "Go over the hiring plan"]
    assert len(created) == 1
    assert {a["email"] for a in created[0].get("attendees", [])} >= {"sarah.chen@northwindlabs.com", DANIEL}


def test_link_a_second_account(alex, app_database: str) -> None:
    """Last in this module: Daniel's mailbox joins Alex's from here on."""
    assert alex.request.get("/accounts/link/callback?state=forged&code=x").status == 400
    alex.goto("/accounts/link")
    alex.get_by_text("Choose an account").wait_for(timeout=15_000)
    alex.get_by_label("Daniel Okafor").check()
    alex.get_by_role("button", name="Allow").click()
    alex.locator("#chat-input").wait_for(timeout=30_000)
    alex.get_by_text("reading your account").wait_for(timeout=15_000)  # the new account's first sync
    alex.screenshot(path=SCREENSHOTS / "linked.png")

    async def linked() -> list[str]:
        conn = await connect(app_database)
        try:
            rows = await conn.fetch(
                (
                    "SELECT a.email FROM google_accounts a JOIN users u ON u.id = a.user_id "
                    "WHERE u.email = $1 ORDER BY a.created_at"
                ),
                ALEX,
            )
        finally:
            await conn.close()
        return [row["email"] for row in rows]

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, linked()).result() == [ALEX, DANIEL]
    wait_for_initial_sync(app_database, ALEX, expected=6)


def test_the_next_one_on_one_says_the_day_the_time_and_how_soon(alex) -> None:
    new_chat(alex)
    ask(alex, "when is my next 1:1 with Priya")
    text = answered(alex, 1)
    alex.screenshot(path=SCREENSHOTS / "next-one-on-one.png")
    assert "1:1 Priya / Alex" in text
    said = re.search(r"\w+day \d{1,2} \w+(?: \d{4})?, \d\d:\d\d\u2013\d\d:\d\d \(in \d+ (?:minute|hour|day)s?\)", text)
    assert said is not None, text


def test_a_bulk_delete_shows_its_count_confirm_trashes_all_and_undo_restores_all(alex, demo_sandbox) -> None:
    gmail = google(demo_sandbox, ALEX, "gmail")
    sent = gmail.users().messages().list(userId="me", q="from:tom.becker@northwindlabs.com").execute()["messages"]
    ids = [message["id"] for message in sent]
    assert len(ids) > 1

    def trashed() -> int:
        labels = [gmail.users().messages().get(userId="me", id=i, format="minimal").execute()["labelIds"] for i in ids]
        return sum("TRASH" in found for found in labels)

    new_chat(alex)
    ask(alex, "delete all emails from Tom Becker")
    alex.get_by_text(f"Move {len(ids)} emails to the trash").last.wait_for(timeout=60_000)
    alex.screenshot(path=SCREENSHOTS / "bulk-trash-card.png")
    assert trashed() == 0
    act(alex, alex.get_by_role("button", name="Confirm").last, then="Done")
    assert trashed() == len(ids)
    act(alex, alex.get_by_role("button", name="Undo").last, then="Restored")
    assert trashed() == 0
