"""Contract of a lab component (FakeNOS devices, snmpsim agents, sshd hosts).

The lab daemon (``patrol lab up``) starts every component in one background process, writes
what they serve into ``state.json`` of :data:`~patrol.paths.LAB_STATE_DIR` (``lab/.state/`` in a
source checkout) and stops them on SIGTERM. Runtime files (keys, pid files, generated configs)
go under the ``state_dir`` it is given, never into tracked files. Components must be quick to
start and must stop everything they started.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from patrol.paths import LAB_STATE_DIR

__all__ = ["STATE_DIR", "Endpoint", "LabComponent"]

STATE_DIR = LAB_STATE_DIR


@dataclass(frozen=True)
class Endpoint:
    """One emulated device the lab serves; ``skipped`` says why it is not up (e.g. not root)."""

    host: str
    kind: str  # "fakenos:cisco_ios", "snmpsim", "sshd-netns", ...
    address: str
    port: int
    proto: str = "tcp"
    skipped: str | None = None


class LabComponent(Protocol):
    name: str

    def start(self, state_dir: Path) -> list[Endpoint]:
        """Start serving; return once every endpoint accepts connections (or is skipped)."""
        ...

    def stop(self) -> None:
        """Stop everything this component started (threads, subprocesses, namespaces)."""
        ...
