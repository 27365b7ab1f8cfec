"""A small JSON-over-HTTP client shared by the webhook and Jira adapters (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from patrol.notify.base import NotifyError

__all__ = ["request_json"]


def request_json(
    target: str, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 10.0
) -> Any:
    """Send ``body`` as JSON; the decoded JSON answer (None when empty). :class:`NotifyError` on failure."""
    data = None if body is None else json.dumps(body, ensure_ascii=False, default=str).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("Accept", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise NotifyError(target, f"{method} {url}: HTTP {exc.code} {exc.reason}") from exc
    except (OSError, ValueError) as exc:
        raise NotifyError(target, f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise NotifyError(target, f"{method} {url}: answer is not JSON") from exc
