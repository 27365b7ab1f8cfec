"""The lab process (``python -m patrol.lab.daemon``), started detached by ``patrol lab up``.

Starts each component in order, writes ``state.json`` atomically once all serve, then waits
for SIGTERM/SIGINT and stops the components in reverse order. A component that fails to
start stops the ones already started and ends the process with exit status 1; the reason is
in ``lab/.state/lab.log``.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from patrol.lab.base import STATE_DIR, Endpoint, LabComponent

__all__ = ["COMPONENTS", "main", "start_components", "stop_components"]

log = logging.getLogger("patrol.lab")

#: module:class of each component, in start order
COMPONENTS = (
    "patrol.lab.fakenos_lab:FakeNOSLab",
    "patrol.lab.snmp_lab:SnmpLab",
    "patrol.lab.sshd_lab:SshdLab",
    "patrol.lab.web_lab:WebLab",
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


def _write_state(endpoints: list[Endpoint]) -> None:
    state: dict[str, Any] = {
        "pid": os.getpid(),
        "ready": True,
        "started_at": datetime.now(UTC).isoformat(),
        "endpoints": [asdict(e) for e in endpoints],
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
        components, endpoints = start_components(STATE_DIR)
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
    _write_state(endpoints)
    stop.wait()
    log.info("stopping the lab")
    stop_components(components)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
