"""Generic JSON webhook (``type: webhook``): POSTs the message's payload plus subject and text.

Options: ``url`` (http or https), ``headers`` (mapping; values may be ``env:NAME`` to read a
token from the environment), ``timeout`` (10 s). Body::

    {"event": "opened", "subject": "...", "text": "...", "ticket": {"id": 12, "state": "submitted", ...}}

A message with attachments adds ``"attachments": [{"filename": "r.html", "content_type": "text/html",
"size": 18234}]`` — names and sizes only, never the content (a webhook is no file transfer).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from patrol.notify.base import Message, NotifierOptions
from patrol.notify.http import request_json
from patrol.sanitize import secret_from_env

__all__ = ["WebhookNotifier", "WebhookOptions", "header_values"]


class WebhookOptions(NotifierOptions):
    url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=10.0, gt=0)


def header_values(headers: dict[str, str]) -> dict[str, str]:
    """Header values, ``env:NAME`` replaced by that environment variable (secrets stay out of files)."""
    return {k: secret_from_env(v[4:]) if v.startswith("env:") else v for k, v in headers.items()}


class WebhookNotifier:
    name = "webhook"

    def __init__(self, options: WebhookOptions) -> None:
        self.options = options

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> WebhookNotifier:
        return cls(WebhookOptions.model_validate(options))

    def send(self, message: Message) -> str | None:
        body = {**message.payload, "event": message.event, "subject": message.subject, "text": message.body}
        if message.attachments:
            body["attachments"] = [a.describe(self.name) for a in message.attachments]
        request_json("webhook", "POST", self.options.url, body, header_values(self.options.headers),
                     self.options.timeout)  # fmt: skip
        return None
