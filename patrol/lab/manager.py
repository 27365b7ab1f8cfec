"""``patrol lab up|down|status``: the emulated lab as one background process.

``up`` starts :mod:`patrol.lab.daemon` detached, which starts every component (FakeNOS
devices, snmpsim agents, sshd hosts in network namespaces) and writes ``state.json`` in
:data:`~patrol.paths.LAB_STATE_DIR` once all of them serve::

    {"pid": 4242, "ready": true, "started_at": "2026-11-26T02:00:00Z",
     "endpoints": [{"host": "core-sw1", "kind": "fakenos:cisco_ios", "address": "127.0.0.1",
                    "port": 6001, "proto": "tcp", "skipped": null}, ...]}

``down`` sends SIGTERM and waits (then kills the lab's whole process group, so no emulator is
left behind holding the lab's ports); ``status`` reads the state and probes every device the
way a collector talks to it: an SSH device or sshd host must send its SSH banner, an snmpsim
agent must answer a GET of sysName (a port that accepts a connection but never speaks is down).
The daemon's ``health`` (restarts, hosts given up) is part of the status.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.errors import LabError
from patrol.lab.base import STATE_DIR, Endpoint

__all__ = ["LabStatus", "lab_down", "lab_status", "lab_up", "probe_name", "require_lab_extra"]

#: modules of the ``lab`` extra (``pip install 'patrol[lab]'``), checked before the daemon starts
LAB_MODULES = ("fakenos", "snmpsim", "pysmi")
STATE_FILE = STATE_DIR / "state.json"
LOG_FILE = STATE_DIR / "lab.log"


@dataclass(frozen=True)
class LabStatus:
    running: bool
    pid: int | None
    endpoints: tuple[Endpoint, ...]
    reachable: frozenset[str]  # hosts whose endpoint answered the probe
    log_file: Path = LOG_FILE
    #: per host, from the daemon's supervision: {"restarts": 1} or {"dead": "why it is given up"}
    health: dict[str, dict[str, Any]] = field(default_factory=dict)


def _read_state() -> dict[str, Any]:
    try:
        data = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ssh_banner(address: str, port: int, timeout: float = 2.0) -> bool:
    """The peer sends its SSH identification line (``SSH-2.0-...``) within ``timeout``."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _snmp_get(endpoint: Endpoint) -> bool:
    from patrol.lab.snmp_lab import DEFAULT_AGENTS, _answers

    agent = DEFAULT_AGENTS.get(endpoint.host)
    if agent is None:
        return False
    try:
        return asyncio.run(_answers(endpoint.address, endpoint.port, agent[1]))
    except Exception:  # a probe that cannot be made is a device that does not answer
        return False


#: What each server kind answers first: (bytes patrol sends, prefixes of a live answer). SSH devices
#: speak first (their banner); PostgreSQL answers an SSLRequest with S or N; MariaDB greets with a
#: handshake packet; Redis answers PING (+PONG, or -NOAUTH: alive all the same); nginx answers HTTP.
_PROBES: dict[str, tuple[bytes, tuple[bytes, ...]]] = {
    "postgresql": (b"\x00\x00\x00\x08\x04\xd2\x16\x2f", (b"S", b"N")),
    "mariadb": (b"", (b"",)),
    "redis": (b"PING\r\n", (b"+PONG", b"-NOAUTH", b"-")),
    "nginx-http": (b"HEAD / HTTP/1.0\r\n\r\n", (b"HTTP/",)),
}


def _answers(address: str, port: int, send: bytes, expect: tuple[bytes, ...], timeout: float = 2.0) -> bool:
    """The server answers ``send`` with one of ``expect`` (any non-empty first bytes for ``b""``)."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            if send:
                sock.sendall(send)
            first = sock.recv(64)
            return bool(first) and any(first.startswith(prefix) for prefix in expect)
    except OSError:
        return False


def _tls_handshake(address: str, port: int, timeout: float = 2.0) -> bool:
    """The server completes a TLS handshake (the lab's certificate is not judged here)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw, context.wrap_socket(raw):
            return True
    except (OSError, ssl.SSLError):
        return False


def probe_name(endpoint: Endpoint) -> str:
    """What a live device of this kind answers (``lab status`` says which answer was missing)."""
    if endpoint.proto == "udp":
        return "SNMP answer"
    return {"postgresql": "PostgreSQL answer", "mariadb": "MariaDB greeting", "redis": "Redis answer",
            "nginx-http": "HTTP answer", "nginx-https": "TLS handshake"}.get(endpoint.kind, "SSH banner")  # fmt: skip


def _probe(endpoint: Endpoint) -> bool:
    if endpoint.skipped:
        return False
    if endpoint.proto == "udp":
        return _snmp_get(endpoint)
    if endpoint.kind == "nginx-https":
        return _tls_handshake(endpoint.address, endpoint.port)
    if endpoint.kind in _PROBES:
        return _answers(endpoint.address, endpoint.port, *_PROBES[endpoint.kind])
    return _ssh_banner(endpoint.address, endpoint.port)


def lab_status() -> LabStatus:
    state = _read_state()
    pid = state.get("pid")
    running = _alive(pid) and bool(state.get("ready"))
    endpoints = tuple(Endpoint(**e) for e in state.get("endpoints", [])) if running else ()
    with ThreadPoolExecutor(max_workers=8) as pool:  # a dead device costs its probe's timeout, once
        answered = list(pool.map(_probe, endpoints))
    reachable = frozenset(e.host for e, ok in zip(endpoints, answered, strict=True) if ok)
    found = state.get("health")
    health: dict[str, dict[str, Any]] = found if running and isinstance(found, dict) else {}
    return LabStatus(running, pid if running else None, endpoints, reachable, health=health)


def lab_up(timeout: float = 120.0) -> LabStatus:
    """Start the lab in the background (no-op when it already runs); returns once it serves."""
    current = lab_status()
    if current.running:
        return current
    require_lab_extra()
    from patrol.lab.daemon import hold_lock

    hold_lock().close()  # LabError naming the other lab when one already runs on this machine
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.unlink(missing_ok=True)
    with LOG_FILE.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "patrol.lab.daemon"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LabError(f"the lab stopped while starting (exit {process.returncode}):\n{_log_tail()}")
        if _read_state().get("ready"):
            return lab_status()
        time.sleep(0.2)
    process.terminate()
    raise LabError(f"the lab did not become ready within {timeout:.0f}s:\n{_log_tail()}")


def require_lab_extra() -> None:
    """:class:`LabError` in one line when the lab's emulators are not installed."""
    missing = [name for name in LAB_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LabError(f"the lab is an extra: pip install 'patrol[lab]' (missing: {', '.join(missing)})")


def lab_down(timeout: float = 30.0) -> bool:
    """Stop the lab; returns False when it was not running."""
    pid = _read_state().get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        STATE_FILE.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    if _alive(pid):  # it did not stop its emulators: end them with it (its process group, see lab_up)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _reap(pid)
    STATE_FILE.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    """Collect the daemon's exit status when this process started it (tests), so it is not a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _log_tail(lines: int = 25) -> str:
    try:
        return "\n".join(LOG_FILE.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no lab log)"
