"""SSH host keys: patrol's known_hosts, the per-host policy, and the check made before any login.

Every SSH session patrol opens checks the peer's host key before a credential is sent:

* netmiko (network and security devices, napalm getters ride on the same session) and the
  remediation module ``library/patrol_net_config.py``: :class:`VerifyingPolicy`, a paramiko
  ``MissingHostKeyPolicy``. The paramiko client is given no known keys, so paramiko calls the
  policy for every connection right after the key exchange and before ``auth_password``
  (paramiko ``SSHClient.connect``); raising there closes the session with nothing sent.
* Ansible over OpenSSH (Linux hosts, remediation playbooks): see
  :mod:`patrol.collect.hostkeys_ansible` (``StrictHostKeyChecking`` by policy,
  ``UserKnownHostsFile=<patrol's> <user's>``, ssh's refusals classified).

Files, OpenSSH format (``name keytype base64 [comment]``; name ``host`` on port 22, else
``[host]:port``)::

    <home>/known_hosts    patrol's own: a key met for the first time is appended (locked), with
                          the inventory name as comment: [127.0.0.1]:6001 ssh-rsa AAAA… core-sw1
    ~/.ssh/known_hosts    the user's: only read (hashed names and ``*`` patterns understood)

Policy per host or group, inventory variable ``patrol_host_key_checking``: ``accept-new``
(default: trust on first use, then pinned), ``strict`` (only keys already known), ``off`` (no
check at all). Patrol's entries for a host win over the user's; a presented key that matches
none of the host's entries (whatever their type) is a change; an ``@revoked`` key is refused.

A changed key fails that host with status ``host_key_changed`` (:class:`HostKeyChanged`)::

    host key of 127.0.0.1:6001 has CHANGED: it now presents ssh-rsa SHA256:Xw…, patrol knows
    ssh-rsa SHA256:q2… (/ops/.patrol/known_hosts:3). Nothing was sent to it (no password).
    Someone may be impersonating the device; if it was really replaced or re-keyed, check the new
    fingerprint on its console, then accept it: patrol hostkey accept core-sw1

Cost: a file is parsed once and again only when its size or mtime changes; lookups are a dict
access (plus one HMAC per hashed entry of the user's file). Learned keys are appended with one
``write`` under ``flock`` on ``<file>.lock``; rewrites (accept, forget) go through a temp file
and ``rename`` under the same lock.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import fnmatch
import hashlib
import hmac
import os
import socket
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from patrol.errors import HostKeyChanged, HostKeyUnknown
from patrol.models import DEFAULT_HOST_KEY_POLICY, HOST_KEY_POLICIES, HOST_KEY_POLICY_VAR, Host

__all__ = [
    "KnownHosts",
    "KnownKey",
    "VerifyingPolicy",
    "accept_command",
    "changed_message",
    "fetch_host_key",
    "fingerprint",
    "known_name",
    "parse_target",
    "policy_of",
    "verify",
]


def policy_of(host: Host) -> str:
    """The host's ``patrol_host_key_checking`` (the inventory validated it; default accept-new)."""
    value = str(host.vars.get(HOST_KEY_POLICY_VAR) or DEFAULT_HOST_KEY_POLICY).strip().lower()
    return value if value in HOST_KEY_POLICIES else "strict"


def known_name(address: str, port: int | None) -> str:
    """The known_hosts name of an endpoint: ``host`` on port 22, else ``[host]:port``."""
    return address if not port or port == 22 else f"[{address}]:{port}"


def parse_target(text: str) -> tuple[str, int] | None:
    """``10.0.0.1`` / ``sw1.example.com`` / ``10.0.0.1:2222`` / ``[10.0.0.1]:2222`` -> (address, port);
    None for a plain name (an inventory name)."""
    if text.startswith("[") and "]:" in text:
        address, _, port = text[1:].partition("]:")
        return (address, int(port)) if port.isdigit() else None
    if text.count(":") == 1 and text.split(":")[1].isdigit():
        address, port = text.split(":")
        return address, int(port)
    if "." in text or ":" in text:  # an IPv4/IPv6 address or a DNS name
        return text, 22
    return None


def fingerprint(blob: str) -> str:
    """OpenSSH's fingerprint of a base64 key blob: ``SHA256:`` + unpadded base64 of its SHA-256."""
    digest = hashlib.sha256(base64.b64decode(blob)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class KnownKey:
    """One known key of a host, and where it is recorded (``source`` None: learned in memory)."""

    name: str
    key_type: str
    blob: str
    comment: str = ""
    source: Path | None = None
    line: int = 0

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)

    def describe(self) -> str:
        where = f"{self.source}:{self.line}" if self.source else "learned earlier in this run"
        return f"{self.key_type} {self.fingerprint} ({where})"


# ---------------------------------------------------------------------------- one file


@dataclass
class _Parsed:
    plain: dict[str, list[KnownKey]] = field(default_factory=dict)
    hashed: list[tuple[bytes, bytes, KnownKey]] = field(default_factory=list)
    patterns: list[tuple[tuple[str, ...], KnownKey]] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    keys: list[KnownKey] = field(default_factory=list)
    lines: int = 0
    ends_with_newline: bool = True


def _valid_blob(blob: str) -> bool:
    try:
        base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _add_line(parsed: _Parsed, path: Path, number: int, line: str) -> None:
    fields = line.split()
    if fields and fields[0] == "@revoked" and len(fields) >= 4:
        parsed.revoked.add(fields[3])
        return
    if len(fields) < 3 or fields[0].startswith("@") or not _valid_blob(fields[2]):
        return  # @cert-authority and unreadable lines are not host keys
    names, key_type, blob, comment = fields[0], fields[1], fields[2], " ".join(fields[3:])
    if names.startswith("|1|"):
        salt, _, digest = names[3:].partition("|")
        key = KnownKey(names, key_type, blob, comment, path, number)
        with contextlib.suppress(binascii.Error, ValueError):
            parsed.hashed.append((base64.b64decode(salt), base64.b64decode(digest), key))
            parsed.keys.append(key)
        return
    for name in names.split(","):
        if name.startswith("!"):
            return  # negated patterns are not supported: the entry is ignored, never over-matched
    for name in names.split(","):
        key = KnownKey(name, key_type, blob, comment, path, number)
        parsed.keys.append(key)
        if "*" in name or "?" in name:
            parsed.patterns.append(((name,), key))
        else:
            parsed.plain.setdefault(name, []).append(key)


class _File:
    """A known_hosts file, parsed once and again whenever its size or mtime changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._parsed = _Parsed()
        self._lock = threading.Lock()

    def parsed(self) -> _Parsed:
        with self._lock:
            try:
                stat = self.path.stat()
                stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp != self._stamp:
                self._parsed = self._parse() if stamp else _Parsed()
                self._stamp = stamp
            return self._parsed

    def _parse(self) -> _Parsed:
        parsed = _Parsed()
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return parsed
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                _add_line(parsed, self.path, number, line.strip())
        parsed.lines = len(text.splitlines())
        parsed.ends_with_newline = not text or text.endswith("\n")
        return parsed

    def lookup(self, name: str) -> list[KnownKey]:
        parsed = self.parsed()
        found = list(parsed.plain.get(name, ()))
        encoded = name.encode()
        found += [key for salt, digest, key in parsed.hashed
                  if hmac.compare_digest(hmac.new(salt, encoded, hashlib.sha1).digest(), digest)]  # fmt: skip
        found += [key for patterns, key in parsed.patterns if any(fnmatch.fnmatchcase(name, p) for p in patterns)]
        return found

    def revoked(self, blob: str) -> bool:
        return blob in self.parsed().revoked

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across threads and processes (``flock`` on ``<file>.lock``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def append(self, line: str) -> None:
        """Append one line (call under :meth:`locked`, after :meth:`parsed`: the cache is then
        current, and the line is added to it instead of parsing the file again)."""
        with self._lock:
            parsed, stamp = self._parsed, self._stamp
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line if parsed.ends_with_newline else "\n" + line).encode())
            os.fsync(fd)
            stat = os.fstat(fd)
        finally:
            os.close(fd)
        with self._lock:
            if self._stamp == stamp and self._parsed is parsed:
                parsed.lines += 1
                _add_line(parsed, self.path, parsed.lines, line.strip())
                self._stamp = (stat.st_mtime_ns, stat.st_size)

    def rewrite(self, keep: Sequence[str]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".known_hosts.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.writelines(keep)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


# ---------------------------------------------------------------------------- both files


class KnownHosts:
    """patrol's known_hosts (``path``; None: learned keys live in memory) and the user's (read only)."""

    def __init__(self, path: Path | None, user_path: Path | None = None) -> None:
        self.path = path
        self.user_path = user_path
        self._own = _File(path) if path else None
        self._user = _File(user_path) if user_path else None
        self._memory: dict[str, list[KnownKey]] = {}
        self._memory_lock = threading.Lock()

    def lookup(self, address: str, port: int | None) -> list[KnownKey]:
        """The keys on record for the endpoint: patrol's if it has any, else the user's."""
        name = known_name(address, port)
        own = self._own.lookup(name) if self._own else list(self._memory.get(name, ()))
        if own:
            return own
        return self._user.lookup(name) if self._user else []

    def revoked(self, blob: str) -> bool:
        return any(f.revoked(blob) for f in (self._own, self._user) if f is not None)

    def learn(self, address: str, port: int | None, key_type: str, blob: str,
              comment: str = "") -> tuple[list[KnownKey], bool]:  # fmt: skip
        """Record a key for an endpoint that has none: ``(what is on record afterwards, appended)``.

        Under the lock the file is read again: when another thread or process recorded a key
        meanwhile, that record stands (the caller compares against it) and nothing is appended.
        """
        name = known_name(address, port)
        if self._own is None:
            with self._memory_lock:
                existing = self._memory.get(name)
                if existing:
                    return list(existing), False
                self._memory[name] = [KnownKey(name, key_type, blob, comment)]
                return list(self._memory[name]), True
        with self._own.locked():
            existing = self._own.lookup(name)
            if existing:
                return existing, False
            self._own.append(_line(name, key_type, blob, comment))
        return self._own.lookup(name), True

    def replace(self, address: str, port: int | None, key_type: str, blob: str, comment: str = "") -> list[KnownKey]:
        """Make ``blob`` the only key of the endpoint in patrol's file; returns the entries removed."""
        removed = self.forget(address, port)
        self.learn(address, port, key_type, blob, comment)
        return removed

    def forget(self, address: str, port: int | None) -> list[KnownKey]:
        """Remove the endpoint's entries from patrol's file; returns them."""
        if self._own is None:
            return self._memory.pop(known_name(address, port), [])
        own = self._own
        with own.locked():
            removed = own.lookup(known_name(address, port))
            lines = {key.line for key in removed}
            if lines:
                text = own.path.read_text(encoding="utf-8").splitlines(keepends=True)
                own.rewrite([line for number, line in enumerate(text, 1) if number not in lines])
        return removed

    def entries(self) -> list[KnownKey]:
        """Every key in patrol's own file, in file order."""
        return list(self._own.parsed().keys) if self._own else [k for v in self._memory.values() for k in v]

    def by_comment(self, comment: str) -> list[KnownKey]:
        """Patrol's entries whose comment is ``comment`` (the inventory name recorded with them)."""
        return [key for key in self.entries() if key.comment == comment]


def _line(name: str, key_type: str, blob: str, comment: str) -> str:
    safe = "".join(ch for ch in comment if ch.isprintable() and not ch.isspace())
    return f"{name} {key_type} {blob}" + (f" {safe}" if safe else "") + "\n"


# ---------------------------------------------------------------------------- the check


def accept_command(host_name: str, address: str, port: int | None, known: Sequence[KnownKey]) -> str:
    """The command that accepts a host's new key: by inventory name when patrol's file knows it by it."""
    by_name = any(key.comment == host_name and key.source is not None for key in known)
    target = host_name if by_name else known_name(address, port)
    return f"patrol hostkey accept {target}"


def changed_message(host_name: str, address: str, port: int | None, presented: str,
                    known: Sequence[KnownKey]) -> str:  # fmt: skip
    """What the operator reads for a changed key: old and new fingerprints and the accept command.

    ``presented``: the new key as ``"<type> SHA256:…"``.
    """
    where = f"{address}:{port or 22}"
    return (
        f"host key of {where} has CHANGED: it now presents {presented}, patrol knows "
        + ("; ".join(key.describe() for key in known) or "another key")
        + ". Nothing was sent to it (no password). Someone may be impersonating the device; if it was "
        "really replaced or re-keyed, check the new fingerprint on its console, then accept it: "
        + accept_command(host_name, address, port, known)
    )


def verify(known: KnownHosts, policy: str, host_name: str, address: str, port: int | None,
           key_type: str, blob: str) -> str:  # fmt: skip
    """Check a presented key; ``"known"``, ``"learned"`` or ``"unchecked"`` (policy off).

    Raises :class:`HostKeyChanged` (no entry matches, or the key is revoked) or
    :class:`HostKeyUnknown` (nothing on record and the policy is ``strict``).
    """
    if policy == "off":
        return "unchecked"
    where, presented = f"{address}:{port or 22}", fingerprint(blob)
    entries = known.lookup(address, port)
    if known.revoked(blob):
        message = f"host key of {where} ({key_type} {presented}) is marked @revoked; nothing was sent to it"
        raise HostKeyChanged(host_name, message, where, tuple(k.fingerprint for k in entries), presented)
    outcome = "known"
    if not entries:
        if policy == "strict":
            raise HostKeyUnknown(
                host_name,
                f"no host key of {where} is known and patrol_host_key_checking is strict: it presents "
                f"{key_type} {presented}; nothing was sent to it. Check that fingerprint on the device's "
                f"console, then record it: patrol hostkey accept {known_name(address, port)}",
                where,
                presented,
            )
        entries, appended = known.learn(address, port, key_type, blob, comment=host_name)
        outcome = "learned" if appended else "known"
    if any(key.blob == blob for key in entries):
        return outcome
    message = changed_message(host_name, address, port, f"{key_type} {presented}", entries)
    raise HostKeyChanged(host_name, message, where, tuple(k.fingerprint for k in entries), presented)


class VerifyingPolicy(paramiko.MissingHostKeyPolicy):
    """paramiko policy that runs :func:`verify` after the key exchange, before authentication.

    Give it to an ``SSHClient`` holding no known keys (netmiko: ``key_policy``), so that paramiko
    calls it for every connection; its exception propagates out of ``SSHClient.connect``.
    """

    def __init__(self, known: KnownHosts, policy: str, host_name: str, address: str, port: int | None) -> None:
        self.known, self.policy, self.host_name = known, policy, host_name
        self.address, self.port = address, port
        self.outcome = ""

    def missing_host_key(self, client: Any, hostname: str, key: paramiko.PKey) -> None:
        self.outcome = verify(self.known, self.policy, self.host_name, self.address, self.port,
                              key.get_name(), key.get_base64())  # fmt: skip


#: paramiko host-key algorithms of a key type (the RSA type signs with SHA-2 variants)
_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}


def fetch_host_key(address: str, port: int | None, timeout: float = 10.0,
                   prefer: Sequence[str] = ()) -> tuple[str, str]:  # fmt: skip
    """The ``(key_type, base64)`` host key an SSH server presents; no authentication is attempted.

    ``prefer``: key types to negotiate first (those on record, so the same type is compared).
    Raises ``OSError`` / ``paramiko.SSHException`` when the server cannot be reached.
    """
    sock = socket.create_connection((address, port or 22), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        if prefer:
            options = transport.get_security_options()
            first = [alg for kind in prefer for alg in _ALGORITHMS.get(kind, (kind,)) if alg in options.key_types]
            options.key_types = tuple(dict.fromkeys([*first, *options.key_types]))
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return key.get_name(), key.get_base64()
    finally:
        transport.close()
        sock.close()
