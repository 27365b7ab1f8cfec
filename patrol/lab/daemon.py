"""The lab process (``python -m patrol.lab.daemon``), started detached by ``patrol lab up``.

Starts each component in order, writes ``state.json`` atomically once all serve, then waits
for SIGTERM/SIGINT and stops the components in reverse order. A component that fails to
start stops the ones already started and ends the process with exit status 1; the reason is
in ``lab/.state/lab.log``.

While it waits it **supervises**: every second each component's ``supervise()`` reaps the
processes that exited (no defunct sshd or snmpsim) and restarts them; what happened goes to the
log and to ``state.json`` (``health``: per host its restarts and, when it is given up, why).

One lab per machine: the lab's ports, namespaces and bridge are fixed, and a second lab (another
checkout, a lab whose state file was removed) would take them over — its start kills the first
lab's sshds and deletes their namespaces. The daemon holds :data:`LOCK_FILE` (``flock``) for its
lifetime; a second daemon exits at once naming the first (its pid and state folder).
"""

from __future__ import annotations

import fcntl
import importlib
import json
import logging
import os
import signal
import tempfile
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from patrol.errors import LabError
from patrol.lab.base import STATE_DIR, Endpoint, LabComponent

__all__ = ["COMPONENTS", "LOCK_FILE", "main", "start_components", "stop_components"]

log = logging.getLogger("patrol.lab")

#: module:class of each component, in start order
COMPONENTS = (
    "patrol.lab.fakenos_lab:FakeNOSLab",
    "patrol.lab.snmp_lab:SnmpLab",
    "patrol.lab.sshd_lab:SshdLab",
)


def _component(path: str) -> LabComponent:
    module, _, attr = path.partition(":")
    component: LabComponent = getattr(importlib.import_module(module), attr)()
    return component


def start_components(state_dir: Path, names: tuple[str, ...] = COMPONENTS) -> tuple[list[LabComponent], list[Endpoint]]:
    """Start every component; on a failure stop those already started and re-raise."""
    started: list[LabComponent] = []
    endpoints: list[Endpoint] = []
    try:
        for name in names:
            component = _component(name)
            log.info("starting %s", component.name)
            endpoints.extend(component.start(state_dir))
            started.append(component)
    except BaseException:
        stop_components(started)
        raise
    return started, endpoints


def stop_components(components: list[LabComponent]) -> None:
    for component in reversed(components):
        try:
            component.stop()
        except Exception:
            log.exception("stopping %s failed", component.name)


#: held by the running lab daemon (one lab per machine: its ports and namespaces are fixed)
LOCK_FILE = Path(tempfile.gettempdir()) / "patrol-lab.lock"
#: seconds between two supervision passes
SUPERVISE_EVERY = 1.0


def hold_lock() -> Any:
    """The machine's lab lock, held until this process ends; :class:`LabError` naming the lab holding it."""
    handle = LOCK_FILE.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LabError(f"another patrol lab already runs on this machine ({holder}); stop it first with "
                       f"`patrol lab down` from its checkout") from None  # fmt: skip
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, state {STATE_DIR}")
    handle.flush()
    return handle


def supervise(components: list[LabComponent], health: dict[str, dict[str, Any]]) -> bool:
    """One supervision pass (see the module docstring); True when ``health`` changed."""
    changed = False
    for component in components:
        check = getattr(component, "supervise", None)
        if check is None:
            continue
        for note in check():
            log.warning("%s: %s", component.name, note)
            changed = True
        for host, count in getattr(component, "restarts", dict)().items():
            health.setdefault(host, {})["restarts"] = count
        for host, why in getattr(component, "dead", {}).items():
            health.setdefault(host, {})["dead"] = why
    return changed


def _write_state(endpoints: list[Endpoint], health: dict[str, dict[str, Any]] | None = None) -> None:
    state: dict[str, Any] = {
        "pid": os.getpid(),
        "ready": True,
        "started_at": datetime.now(UTC).isoformat(),
        "endpoints": [asdict(e) for e in endpoints],
        "health": health or {},
    }
    tmp = STATE_DIR / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(STATE_DIR / "state.json")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        lock = hold_lock()
        components, endpoints = start_components(STATE_DIR)
    except LabError as exc:  # said in words: what holds the ports, what is missing
        log.error("the lab could not start: %s", exc)
        return 1
    except Exception:
        log.exception("the lab could not start")
        return 1
    for endpoint in endpoints:
        log.info(
            "%s %s %s:%s %s",
            endpoint.host,
            endpoint.kind,
            endpoint.address,
            endpoint.port,
            f"skipped: {endpoint.skipped}" if endpoint.skipped else "up",
        )
    health: dict[str, dict[str, Any]] = {}
    _write_state(endpoints, health)
    while not stop.wait(SUPERVISE_EVERY):
        if supervise(components, health):
            _write_state(endpoints, health)
    log.info("stopping the lab")
    stop_components(components)
    lock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
