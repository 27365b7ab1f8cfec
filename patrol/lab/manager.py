"""``patrol lab up|down|status``: the emulated lab as one background process.

``up`` starts :mod:`patrol.lab.daemon` detached, which starts every component (FakeNOS
devices, snmpsim agents, sshd hosts in network namespaces) and writes ``state.json`` in
:data:`~patrol.paths.LAB_STATE_DIR` once all of them serve::

    {"pid": 4242, "ready": true, "started_at": "2026-11-26T02:00:00Z",
     "endpoints": [{"host": "core-sw1", "kind": "fakenos:cisco_ios", "address": "127.0.0.1",
                    "port": 6001, "proto": "tcp", "skipped": null}, ...]}

``down`` sends SIGTERM and waits; ``status`` reads the state and probes every TCP endpoint.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patrol.errors import LabError
from patrol.lab.base import STATE_DIR, Endpoint

__all__ = ["LabStatus", "lab_down", "lab_status", "lab_up", "require_lab_extra"]

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


def _probe(endpoint: Endpoint) -> bool:
    if endpoint.skipped or endpoint.proto != "tcp":
        return not endpoint.skipped
    try:
        with socket.create_connection((endpoint.address, endpoint.port), timeout=1.0):
            return True
    except OSError:
        return False


def lab_status() -> LabStatus:
    state = _read_state()
    pid = state.get("pid")
    running = _alive(pid) and bool(state.get("ready"))
    endpoints = tuple(Endpoint(**e) for e in state.get("endpoints", [])) if running else ()
    reachable = frozenset(e.host for e in endpoints if _probe(e))
    return LabStatus(running, pid if running else None, endpoints, reachable)


def lab_up(timeout: float = 120.0) -> LabStatus:
    """Start the lab in the background (no-op when it already runs); returns once it serves."""
    current = lab_status()
    if current.running:
        return current
    require_lab_extra()
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
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
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
