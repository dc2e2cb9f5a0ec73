"""The chat UI's parts that are not Chainlit callbacks (those are in `chat_app.py`)."""
