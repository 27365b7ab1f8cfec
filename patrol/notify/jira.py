"""ITSM adapter for Jira's REST API (``type: jira``).

Endpoints used (REST v2): ``POST /rest/api/2/issue`` (a ticket opened: creates an issue and keeps
its key for the ticket), ``GET``/``POST /rest/api/2/issue/{key}/transitions`` (resolved ->
``resolve_transition``, reopened -> ``reopen_transition``), ``POST /rest/api/2/issue/{key}/comment``
(every other event). Options: ``url``, ``project``, ``issue_type`` (Task), ``user`` and
``token_env`` (basic auth with an API token read from that environment variable) or only
``token_env`` (bearer token), ``resolve_transition`` (Done), ``reopen_transition`` (Reopen),
``timeout`` (10 s). Attachments are named in the description / comment (file name, type, size),
never uploaded.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import Field

from patrol.notify.base import Message, NotifierOptions, NotifyError, attachment_note
from patrol.notify.http import request_json
from patrol.sanitize import secret_from_env

__all__ = ["JiraNotifier", "JiraOptions"]

PRIORITY_NAMES = {"critical": "Highest", "urgent": "High", "normal": "Medium", "other": "Low"}


class JiraOptions(NotifierOptions):
    url: str = Field(pattern=r"^https?://")
    project: str = Field(min_length=1)
    issue_type: str = "Task"
    user: str | None = None
    token_env: str | None = None
    resolve_transition: str = "Done"
    reopen_transition: str = "Reopen"
    timeout: float = Field(default=10.0, gt=0)


class JiraNotifier:
    name = "jira"

    def __init__(self, options: JiraOptions) -> None:
        self.options = options
        self.base = options.url.rstrip("/") + "/rest/api/2"

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> JiraNotifier:
        return cls(JiraOptions.model_validate(options))

    def _headers(self) -> dict[str, str]:
        token = secret_from_env(self.options.token_env)
        if not token:
            return {}
        if self.options.user:
            pair = base64.b64encode(f"{self.options.user}:{token}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        return {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return request_json("jira", method, self.base + path, body, self._headers(), self.options.timeout)

    def send(self, message: Message) -> str | None:
        key = message.external_ref
        if key is None:
            return self._create(message)
        if message.event in ("resolved", "reopened"):
            name = self.options.resolve_transition if message.event == "resolved" else self.options.reopen_transition
            self._transition(key, name)
        else:
            text = f"{message.subject}\n\n{message.body}{attachment_note(self.name, message)}"
            self._call("POST", f"/issue/{key}/comment", {"body": text})
        return key

    def _create(self, message: Message) -> str:
        priority = str(message.payload.get("ticket", {}).get("priority", "normal"))
        fields = {
            "project": {"key": self.options.project},
            "summary": message.subject[:250],
            "description": message.body + attachment_note(self.name, message),
            "issuetype": {"name": self.options.issue_type},
            "priority": {"name": PRIORITY_NAMES.get(priority, "Medium")},
            "labels": ["patrol", f"patrol-{priority}"],
        }
        answer = self._call("POST", "/issue", {"fields": fields})
        if not isinstance(answer, dict) or not answer.get("key"):
            raise NotifyError("jira", f"issue create answered without a key: {answer!r}")
        return str(answer["key"])

    def _transition(self, key: str, name: str) -> None:
        answer = self._call("GET", f"/issue/{key}/transitions")
        transitions = answer.get("transitions", []) if isinstance(answer, dict) else []
        match = next((t for t in transitions if str(t.get("name", "")).lower() == name.lower()), None)
        if match is None:
            known = ", ".join(str(t.get("name")) for t in transitions) or "none"
            raise NotifyError("jira", f"issue {key} has no transition {name!r} (available: {known})")
        self._call("POST", f"/issue/{key}/transitions", {"transition": {"id": str(match["id"])}})
