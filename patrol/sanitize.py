"""Redaction applied at every boundary: collector results, nested data, log records.

:mod:`patrol.redact` knows what a secret looks like in text (``enable secret 5 …``). This
module applies it wherever a string leaves patrol's hands, and adds what a grammar cannot know:
the credentials of the inventory itself. Their values (passwords, enable secrets, SNMP
communities, vault-decrypted ``*pass*``/``*secret*``/``*token*`` variables) are *known secrets*:
:func:`register_secrets` records them when an inventory is loaded, and :func:`scrub_text` masks
every literal occurrence before the grammar runs::

    register_secrets(["Lab-Net-Pass1"])
    scrub_text("login as patrol/Lab-Net-Pass1 failed")     -> "login as patrol/<redacted> failed"
    scrub_text("enable secret 0 s3cr3t")                  -> "enable secret 0 <redacted>"
    scrub_value({"password": "s3cr3t", "mtu": 1500})      -> {"password": "<redacted>", "mtu": 1500}

:func:`scrub_value` walks dicts, lists, tuples and pydantic models once (keys and values); a
mapping entry ``"password": "x"`` is judged as the line ``password x`` would be, so parsed
fields (``extra.sshd.settings``) are covered by the same grammar as config text.
:func:`scrub_result` is the runner's single call per host result (snapshot with keyed-hash
markers, error text plain). :class:`RedactingFilter` scrubs every log record (message, args,
traceback) that passes a handler it is attached to.

Known secrets shorter than :data:`MIN_SECRET_LENGTH` are not registered: masking every ``abc``
would hide ordinary words while adding no protection worth having.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr

from patrol.models import HostResult
from patrol.redact import redact_text, secret_marker

__all__ = [
    "MIN_SECRET_LENGTH",
    "RedactingFilter",
    "install_log_redaction",
    "known_secret_count",
    "mask_known_secrets",
    "register_secrets",
    "scrub_result",
    "scrub_text",
    "scrub_value",
    "secret_from_env",
]

MIN_SECRET_LENGTH = 4
#: Mapping values longer than this (or multi-line) are not judged as "<key> <value>" lines.
_PAIR_LIMIT = 512

_lock = threading.Lock()
_known: set[str] = set()
_known_pattern: re.Pattern[str] | None = None

T = TypeVar("T")


def register_secrets(values: Iterable[str | SecretStr | None]) -> None:
    """Remember ``values`` as secrets of this process: :func:`scrub_text` masks them anywhere.

    A value is also remembered in its JSON-escaped form (how it appears inside a serialised
    event or command line) when that differs.
    """
    global _known_pattern
    fresh: set[str] = set()
    for value in values:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str) or len(text.strip()) < MIN_SECRET_LENGTH:
            continue
        fresh.update({text, json.dumps(text)[1:-1]})
    with _lock:
        if fresh <= _known:
            return
        _known.update(fresh)
        ordered = sorted(_known, key=len, reverse=True)  # the longest first: no partial masks
        _known_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def secret_from_env(name: str | None) -> str:
    """The value of environment variable ``name`` ("" when unset), remembered as a known secret
    (notification targets name their passwords and tokens this way)."""
    value = os.environ.get(name or "", "") if name else ""
    register_secrets([value])
    return value


def known_secret_count() -> int:
    """How many literal secrets (with their escaped forms) this process masks."""
    return len(_known)


def mask_known_secrets(text: str, key: bytes | None = None) -> str:
    """``text`` with only the known secrets masked (for patrol's own messages: the grammar would
    also take ``key 'config'`` in an error message for a secret)."""
    pattern = _known_pattern
    if pattern is None or not text:
        return text
    return pattern.sub(lambda match: secret_marker(match.group(0), key), text)


def scrub_text(text: str, key: bytes | None = None) -> str:
    """``text`` with known secrets and every secret the grammar recognises masked."""
    if not text:
        return text
    return redact_text(mask_known_secrets(text, key), key)


def _scrub_pair(name: str, value: str, key: bytes | None) -> str:
    """A mapping value judged with its key: ``{"password": "x"}`` as the line ``password x``
    (config form) or ``password=x`` (key=value form), whichever the grammar recognises."""
    if "\n" in value or len(value) > _PAIR_LIMIT or not value.strip():
        return scrub_text(value, key)
    for separator in (" ", "="):
        line = f"{name}{separator}{value}"
        masked = scrub_text(line, key)
        if masked != line and masked.startswith(name + separator):
            return masked[len(name) + len(separator) :]
    return scrub_text(value, key)


def _scrub_mapping(value: Mapping[Any, Any], key: bytes | None) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for name, item in value.items():
        if isinstance(name, str) and isinstance(item, str) and not isinstance(item, Enum):
            out[scrub_text(name, key)] = _scrub_pair(name, item, key)
        else:
            out[scrub_text(name, key) if isinstance(name, str) else name] = scrub_value(item, key)
    return out


def _scrub_model(model: BaseModel, key: bytes | None) -> BaseModel:
    update: dict[str, Any] = {}
    for name in type(model).model_fields:
        current = getattr(model, name)
        scrubbed = scrub_value(current, key)
        if scrubbed is not current:
            update[name] = scrubbed
    return model.model_copy(update=update) if update else model


def scrub_value(value: T, key: bytes | None = None) -> T:
    """``value`` with every string in it scrubbed; containers and models are copied only where
    something changed (an untouched value is returned as is, the same object)."""
    result: Any = value
    if isinstance(value, Enum) or value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        scrubbed = scrub_text(value, key)
        result = value if scrubbed == value else scrubbed
    elif isinstance(value, BaseModel):
        result = _scrub_model(value, key)
    elif isinstance(value, Mapping):
        mapped = _scrub_mapping(value, key)
        result = value if mapped == value else mapped
    elif isinstance(value, list | tuple | set | frozenset):
        items = [scrub_value(item, key) for item in value]
        changed = any(new is not old for new, old in zip(items, value, strict=True))
        result = type(value)(items) if changed else value
    return result


def scrub_result(result: HostResult, key: bytes | None = None) -> HostResult:
    """``result`` with no secret in any string: every snapshot field (config, raw outputs, parsed
    fields, ``extra``) with keyed-hash markers (so a changed secret still shows as drift), the
    error text with plain ``<redacted>``."""
    update: dict[str, Any] = {}
    if result.snapshot is not None:
        update["snapshot"] = scrub_value(result.snapshot, key)
    if result.error:
        update["error"] = scrub_text(result.error)
    return result.model_copy(update=update) if update else result


class RedactingFilter(logging.Filter):
    """Scrubs a record's message (with its arguments merged), traceback and stack text in place.

    Attach it to handlers (a logger's filters do not see records propagated from child loggers):
    :func:`install_log_redaction` does that for the root logger's handlers.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: show its template, never its arguments
            message, record.args = str(record.msg), None
        record.msg, record.args = scrub_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True


def install_log_redaction(*loggers: logging.Logger) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` to every handler of the root logger and of ``loggers``."""
    redacting = RedactingFilter()
    for logger in (logging.getLogger(), *loggers):
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(redacting)
    return redacting
