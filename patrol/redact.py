"""Secret redaction applied to every snapshot before it is stored.

Config lines and command outputs keep their structure; only the secret value is replaced by
``<redacted>``. The runner calls :func:`redact_snapshot` on each host result, so no collector
can forget it. Rules are deliberately broad: a false positive costs a hidden value, a false
negative leaks a customer's password.
"""

from __future__ import annotations

import re

from patrol.models import HostResult, Snapshot

__all__ = ["MASK", "redact_result", "redact_snapshot", "redact_text"]

MASK = "<redacted>"

# Words that introduce a secret, and the optional "type" token some vendors put between the
# word and the value (IOS `secret 5`, VRP `cipher`, Junos `encrypted-password`).
_WORDS = (
    r"secret|password|passwd|encrypted-password|key|shared-key|pre-shared-key|authentication-key"
    r"|phash|authpwd|privpwd|auth-password|priv-password|md5|sha|sha256|aes|aes128|des"
)
_TYPE = r"(?:\s+(?:\d{1,3}|cipher|irreversible-cipher|simple|hidden|encrypted|plaintext|0x))?"

# (pattern, replacement) — group 1 is kept, the secret that follows is masked.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys first: their body must go whole
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), MASK),
    # SNMP communities (IOS/EOS/ASA/NX-OS, VRP, trap hosts)
    (re.compile(r"(?im)^(\s*snmp-server\s+community\s+)\S+"), r"\1" + MASK),
    (re.compile(r"(?im)^(\s*snmp-agent\s+community\s+(?:read|write)\s+(?:cipher\s+)?)\S+"), r"\1" + MASK),
    (re.compile(r"(?im)^(\s*snmp-server\s+host\s+\S+(?:\s+(?:version\s+\S+|traps|informs))*\s+)\S+"), r"\1" + MASK),
    # <word> [type] <value>: enable secret 5 $1$…, username x secret 9 …, tacacs-server key 7 …,
    # local-user x password irreversible-cipher …, shared-key cipher …, auth sha <key> priv aes <key>
    (
        re.compile(
            rf"(?im)(\b(?:{_WORDS}){_TYPE}\s+)(?!<redacted>)(?!(?:\d{{1,3}}|cipher|irreversible-cipher|md5|sha\d*|aes\d*|des)\s)[^\s;]+"
        ),
        r"\1" + MASK,
    ),
    # Junos/Linux crypt strings anywhere ($1$, $5$, $6$, $9$, VRP $1a$), quoted or not
    (re.compile(r"\"?\$(?:9|1|1a|5|6|8)\$[^\s\";]+\"?"), MASK),
    # API tokens / keys in key=value or key: value form
    (re.compile(r"(?i)\b((?:api[_-]?key|token|auth[_-]?token|community)\s*[=:]\s*)\S+"), r"\1" + MASK),
]


def redact_text(text: str) -> str:
    """Mask every secret value the rules recognise in ``text``."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_snapshot(snapshot: Snapshot) -> Snapshot:
    """A copy of ``snapshot`` with config and raw outputs redacted."""
    return snapshot.model_copy(
        update={
            "config": redact_text(snapshot.config) if snapshot.config else snapshot.config,
            "raw": {cmd: redact_text(out) for cmd, out in snapshot.raw.items()},
        }
    )


def redact_result(result: HostResult) -> HostResult:
    """A copy of ``result`` whose snapshot and error message carry no secret."""
    return result.model_copy(
        update={
            "snapshot": redact_snapshot(result.snapshot) if result.snapshot else None,
            "error": redact_text(result.error) if result.error else result.error,
        }
    )
