"""The Chainlit chat app: where a message arrives and an answer streams out.

Run with `concierge demo` (or `chainlit run chat_app.py`). The understanding, planning
and execution pipeline plugs in here as its issues land; until then the shell greets the
user and says plainly that it cannot act yet.
"""

import chainlit as cl
from chainlit.server import app

from assistant.logs import configure_logging
from assistant.settings import get_settings
from sync import webhooks

configure_logging(get_settings())
app.include_router(webhooks.router)  # POST routes: not shadowed by Chainlit's catch-all GET

WELCOME = (
    "Hi, I'm **Concierge**. I will answer questions about your Gmail, Google Calendar and "
    "Google Drive, and carry out actions once you confirm them."
)


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content=WELCOME, author="Concierge").send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await cl.Message(
        content=(
            "I can't search your mail, calendar or files yet: the understanding and search "
            "pipeline is still being built. Your message was: "
            f"\u201c{message.content.strip()}\u201d"
        ),
        author="Concierge",
    ).send()
