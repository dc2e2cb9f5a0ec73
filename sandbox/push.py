"""Push notifications, as Google sends them.

- Calendar `events.watch` and Drive `changes.watch` open web-hook channels; a change
  then POSTs to the channel's address with the `X-Goog-Channel-*` and
  `X-Goog-Resource-*` headers (state `sync` when the channel opens, then `exists` for
  Calendar and `change` for Drive). `channels.stop` closes a channel.
- Gmail `users.watch` names a Cloud Pub/Sub topic; the sandbox stands in for a push
  subscription on it (`--pubsub-push TOPIC=URL`, or the control API) and POSTs Pub/Sub's
  push body: `{"message": {"data": base64({"emailAddress", "historyId"}), ...},
  "subscription"}`.

After every change the sandbox delivers one notification per channel (or mailbox) that
it concerns, in the background; a failed delivery is logged and dropped, as Google
does after its retries, so receivers must not depend on every notification arriving.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx

from sandbox.store import Item, Store

log = logging.getLogger("concierge.sandbox")

CHANNEL_LIFETIME_MS = 7 * 24 * 3600 * 1000  # Google's default and maximum for events.watch


@dataclass
class Push:
    store: Store
    pubsub_push: dict[str, str] = field(default_factory=dict)  # topic -> push endpoint URL
    last_seq: int = field(init=False)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.last_seq = self.store.seq

    # --- channels ------------------------------------------------------------------------
    def open_channel(self, body: dict[str, Any], account: str, resource: str, resource_uri: str) -> Item:
        """Store a web-hook channel and send its `sync` message."""
        if body.get("type") not in ("web_hook", "webhook") or not str(body.get("address", "")).startswith(
            ("http://", "https://")
        ):
            raise ValueError("type must be web_hook and address an http(s) URL")
        if not body.get("id"):
            raise ValueError("the channel needs an id")
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        expiration = min(int(body.get("expiration") or now_ms + CHANNEL_LIFETIME_MS), now_ms + CHANNEL_LIFETIME_MS)
        channel = {
            "kind": "api#channel",
            "id": str(body["id"]),
            "resourceId": secrets.token_urlsafe(18),
            "resourceUri": resource_uri,
            "token": body.get("token"),
            "expiration": str(expiration),
            "address": body["address"],
            "account": account,
            "resource": resource,  # "calendar:<id>" or "drive"
            "messages": 0,
        }
        self.store.put("channel", "", channel["id"], channel)
        self._send(channel, "sync")
        return {
            k: v
            for k, v in channel.items()
            if k in ("kind", "id", "resourceId", "resourceUri", "token", "expiration") and v is not None
        }

    def stop_channel(self, channel_id: str, resource_id: str) -> bool:
        channel = self.store.get("channel", "", channel_id)
        if channel is None or channel["resourceId"] != resource_id:
            return False
        self.store.delete("channel", "", channel_id)
        return True

    def watch_mailbox(self, account: str, topic: str) -> None:
        self.store.put("gmail_watch", "", account, {"topic": topic})

    def stop_mailbox(self, account: str) -> None:
        self.store.delete("gmail_watch", "", account)

    # --- delivery ------------------------------------------------------------------------
    def schedule(self) -> None:
        """Deliver notifications for the changes made since the last call, in the background."""
        changes = self.store.changes_since(self.last_seq)
        self.last_seq = self.store.seq
        channels = self.store.all("channel", "")
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        due: dict[str, Item] = {}
        mailboxes: dict[str, int] = {}
        for change in changes:
            if change.kind == "gmail":
                mailboxes[change.owner] = change.seq
                continue
            for channel in channels:
                if int(channel["expiration"]) < now_ms:
                    continue
                if (
                    change.kind == "calendar"
                    and change.owner == f"{channel['account']}/{channel['resource'].removeprefix('calendar:')}"
                    or change.kind == "drive"
                    and channel["resource"] == "drive"
                    and channel["account"] in change.detail["viewers"]
                ):
                    due[channel["id"]] = channel
        for channel in due.values():
            self._send(channel, "exists" if channel["resource"].startswith("calendar:") else "change")
        for account, history_id in mailboxes.items():
            watch = self.store.get("gmail_watch", "", account)
            endpoint = self.pubsub_push.get(watch["topic"]) if watch else None
            if endpoint:
                self._post(endpoint, {}, _pubsub_body(watch["topic"], account, history_id))

    def _send(self, channel: Item, state: str) -> None:
        channel["messages"] += 1
        self.store.put("channel", "", channel["id"], channel)
        expiration = datetime.fromtimestamp(int(channel["expiration"]) / 1000, UTC)
        headers = {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Expiration": format_datetime(expiration, usegmt=True),
            "X-Goog-Message-Number": str(channel["messages"]),
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": channel["resourceUri"],
        }
        if channel.get("token"):
            headers["X-Goog-Channel-Token"] = channel["token"]
        self._post(channel["address"], headers, None)

    def _post(self, url: str, headers: dict[str, str], body: dict[str, Any] | None) -> None:
        task = asyncio.get_running_loop().create_task(_deliver(url, headers, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def _pubsub_body(topic: str, account: str, history_id: int) -> dict[str, Any]:
    data = json.dumps({"emailAddress": account, "historyId": history_id}).encode()
    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "messageId": secrets.token_hex(8),
            "publishTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        },
        "subscription": topic.replace("/topics/", "/subscriptions/") + "-push",
    }


async def _deliver(url: str, headers: dict[str, str], body: dict[str, Any] | None) -> None:
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = (
                await client.post(url, headers=headers, json=body)
                if body is not None
                else await client.post(url, headers=headers)
            )
        if response.status_code >= 300:
            log.warning("push to %s answered %s", url, response.status_code)
    except httpx.HTTPError as error:
        log.warning("push to %s failed: %s", url, error)
