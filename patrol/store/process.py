"""Which process owns a record (a run, a change being applied), and whether it is still alive.

A record that a process owns until it finishes stores ``(node, pid, proc_token)``; the next
command on the same node tells a crashed owner (kill -9, power loss) from a live one::

    owner = ProcessOwner.current()     # ProcessOwner(node="ctl1", pid=4242, token="81234567")
    owner.alive()                      # False once that process is gone (or its pid reused)

``token`` is the process start time from ``/proc/PID/stat``: a pid reused by another process
has another start time. Another node's owner cannot be checked and counts as alive.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

__all__ = ["ProcessOwner", "proc_token", "process_alive"]


def proc_token(pid: int) -> str | None:
    """Start time of process ``pid`` (tells a live process from a reused pid); None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def process_alive(pid: int, token: str | None) -> bool:
    """Whether process ``pid`` of this node runs and (when ``token`` is known) is the same process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    current = proc_token(pid)
    return token is None or current is None or current == token


@dataclass(frozen=True)
class ProcessOwner:
    """The process that owns a record: node name, pid and start-time token."""

    node: str
    pid: int
    token: str | None

    @classmethod
    def current(cls) -> ProcessOwner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, proc_token(pid))

    def alive(self) -> bool:
        """False only when the owner ran on this node and is gone; another node's owner counts as alive."""
        return self.node != socket.gethostname() or process_alive(self.pid, self.token)
