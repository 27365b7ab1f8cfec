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
customer's password.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from patrol.errors import ConfigError
from patrol.models import HostResult, Snapshot

__all__ = [
    "KEY_FILE",
    "MARKER",
    "MASK",
    "installation_key",
    "mask_markers",
    "redact_result",
    "redact_snapshot",
    "redact_text",
    "secret_marker",
]

MASK = "<redacted>"
#: A keyed-hash marker in redacted text: group 1 is the 12 hex digits.
MARKER = re.compile(r"<redacted(?::hmac=([0-9a-f]{12}))?>")
#: File name of the per-installation key under ``Settings.home``.
KEY_FILE = "secret.key"

# Words that introduce a secret, and the optional "type" token some vendors put between the
# word and the value (IOS `secret 5`, VRP `cipher`, Junos `encrypted-password`).
_WORDS = (
    r"secret|password|passwd|encrypted-password|key|key-string|shared-key|pre-shared-key|authentication-key"
    r"|phash|authpwd|privpwd|auth-password|priv-password|md5|sha|sha256|aes|aes128|des"
)
_TYPE = r"(?:\s+level\s+\d+)?(?:\s+(?:\d{1,3}|cipher|irreversible-cipher|simple|hidden|encrypted|plaintext|0x))?"
# Words that follow "password"/"key"/… in prose and in config keywords, never a secret value:
# "a password is not permitted", "password encryption aes", "key chain", "secret expired".
_NOT_A_VALUE = (
    r"(?:is|are|was|be|been|for|of|to|the|a|an|and|or|not|no|with|without|must|should|will|may|can|has"
    r"|have|on|in|at|by|from|as|if|when|change|changed|expired|expires|expiry|policy|required|length"
    r"|history|encryption|authentication|prompt|reset|recovery|manager|file|chain|string|exchange)\b"
)

# Patterns whose group 1 (when present) is kept and whose remaining match is the secret.
_RULES: list[re.Pattern[str]] = [
    # PEM private keys first: their body must go whole
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    # SNMP communities (IOS/EOS/ASA/NX-OS, VRP, trap hosts)
    re.compile(r"(?im)^(\s*snmp-server\s+community\s+)(?!<redacted)\S+"),
    re.compile(r"(?im)^(\s*snmp-agent\s+community\s+(?:read|write)\s+(?:cipher\s+)?)(?!<redacted)\S+"),
    re.compile(r"(?im)^(\s*snmp-server\s+host\s+\S+(?:\s+(?:version\s+\S+|traps|informs))*\s+)(?!<redacted)\S+"),
    # <word> [type] <value>: enable secret 5 $1$…, username x secret 9 …, tacacs-server key 7 …,
    # local-user x password irreversible-cipher …, shared-key cipher …, auth sha <key> priv aes <key>
    re.compile(
        rf"(?im)(\b(?:{_WORDS}){_TYPE}\s+)(?!<redacted)(?!{_NOT_A_VALUE})"
        r"(?!(?:\d{1,3}|cipher|irreversible-cipher|md5|sha\d*|aes\d*|des)\s)[^\s;]+"
    ),
    # Junos/Linux crypt strings anywhere ($1$, $5$, $6$, $9$, VRP $1a$), quoted or not
    re.compile(r"\"?\$(?:9|1|1a|5|6|8)\$[^\s\";]+\"?"),
    # API tokens / keys in key=value or key: value form
    re.compile(r"(?i)\b((?:api[_-]?key|token|auth[_-]?token|community)\s*[=:]\s*)(?!<redacted)\S+"),
]


def secret_marker(value: str, key: bytes | None) -> str:
    """``<redacted>`` without a key, ``<redacted:hmac=<12 hex>>`` with one."""
    if key is None:
        return MASK
    digest = hmac.new(key, value.strip('"').encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
    return f"<redacted:hmac={digest[:12]}>"


def _replacer(key: bytes | None) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        kept = match.group(1) if match.re.groups and match.group(1) else ""
        if match.group(0).startswith("<redacted"):  # already a marker (a second pass)
            return match.group(0)
        return kept + secret_marker(match.group(0)[len(kept) :], key)

    return replace


def redact_text(text: str, key: bytes | None = None) -> str:
    """Mask every secret value the rules recognise in ``text`` (keyed-hash markers with ``key``)."""
    replace = _replacer(key)
    for pattern in _RULES:
        text = pattern.sub(replace, text)
    return text


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
