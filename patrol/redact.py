"""Secret redaction applied to every snapshot before it is stored.

Config lines and command outputs keep their structure; only the secret value is replaced.
Without a key the value becomes ``<redacted>``; with the installation's key (see
:func:`installation_key`) it becomes a keyed-hash marker, so a changed secret still shows as
drift while its value never leaves the device::

    redact_text("enable secret 5 $1$abc$xyz")             -> "enable secret 5 <redacted>"
    redact_text("enable secret 5 $1$abc$xyz", key=KEY)    -> "enable secret 5 <redacted:hmac=5f0c2a9d41be>"

The marker is the first 12 hex digits of HMAC-SHA256(key, value): equal values give equal
markers within one installation (that is what drift compares), and nobody without the key
(``<home>/secret.key``, created 0600 on first use) can test a guess against it. The runner
calls :func:`redact_result` on each host result, so no collector can forget it. Rules are
deliberately broad: a false positive costs a hidden value, a false negative leaks a
customer's password. The grammars (per platform, as data) are in :mod:`patrol.redaction.grammar`,
the one-pass engine and its measurements in :mod:`patrol.redaction.engine`; nested data
(extras, JSON payloads) goes through :func:`redact_value`, which also hides the value of any
field whose name says it is a secret (``password``, ``api_key``, ``snmp_community``).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from patrol.errors import ConfigError
from patrol.models import HostResult, Snapshot
from patrol.redaction.engine import MASK, is_secret_key, redact_text, redact_value, secret_marker

__all__ = [
    "KEY_FILE",
    "MARKER",
    "MASK",
    "installation_key",
    "is_secret_key",
    "mask_markers",
    "redact_result",
    "redact_snapshot",
    "redact_text",
    "redact_value",
    "secret_marker",
]

#: A keyed-hash marker in redacted text: group 1 is the 12 hex digits.
MARKER = re.compile(r"<redacted(?::hmac=([0-9a-f]{12}))?>")
#: File name of the per-installation key under ``Settings.home``.
KEY_FILE = "secret.key"

def mask_markers(text: str) -> str:
    """``text`` with every keyed-hash marker shown as plain ``<redacted>`` (for stable identities)."""
    return MARKER.sub(MASK, text) if "<redacted:" in text else text


def redact_snapshot(snapshot: Snapshot, key: bytes | None = None) -> Snapshot:
    """A copy of ``snapshot`` with config and raw outputs redacted."""
    return snapshot.model_copy(
        update={
            "config": redact_text(snapshot.config, key) if snapshot.config else snapshot.config,
            "raw": {cmd: redact_text(out, key) for cmd, out in snapshot.raw.items()},
        }
    )


def redact_result(result: HostResult, key: bytes | None = None) -> HostResult:
    """A copy of ``result`` whose snapshot and error message carry no secret."""
    return result.model_copy(
        update={
            "snapshot": redact_snapshot(result.snapshot, key) if result.snapshot else None,
            "error": redact_text(result.error) if result.error else result.error,
        }
    )


def installation_key(home: Path) -> bytes:
    """The per-installation HMAC key in ``home/secret.key``, created (0600, 32 random bytes) on first use.

    Raises :class:`ConfigError` naming the file when it cannot be read or created, or is not
    a key this function wrote (64 hex digits).
    """
    path = home / KEY_FILE
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot create the secret key: {exc.strerror}", key=str(path)) from exc
    with os.fdopen(fd, "w", encoding="ascii") as stream:
        stream.write(secrets.token_hex(32) + "\n")
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the secret key: {exc}", key=str(path)) from exc
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ConfigError(
            f"{path}: not a patrol secret key (expected 64 hex digits); restore it from backup, or delete it "
            "to start a new key (secret drift against existing baselines is then reported once)",
            key=str(path),
        )
    return bytes.fromhex(text)
