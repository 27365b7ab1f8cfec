"""Shared fixtures: the bundled lab (real FakeNOS, snmpsim and sshd peers) and a patrol CLI runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAB_INVENTORY = ROOT / "inventory" / "lab"
LAB_VAULT = LAB_INVENTORY / "vault-password.txt"
IS_ROOT = os.geteuid() == 0


def free_ports(count: int) -> list[int]:
    """Ports the kernel says are free now (bound and released at once)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class PatrolCLI:
    """Runs the installed ``patrol`` command as a user would, against its own state folder."""

    home: Path

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ, PATROL_HOME=str(self.home), COLUMNS="200", NO_COLOR="1", TERM="dumb")
        env.pop("PATROL_DB", None)
        return env

    def __call__(self, *args: str, timeout: float = 300) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "patrol", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "patrol", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def patrol_cli(tmp_path: Path) -> PatrolCLI:
    return PatrolCLI(tmp_path / "home")


@pytest.fixture(scope="session")
def lab() -> Iterator[object]:
    """The demo lab, started once for the session (reused when a developer already runs it)."""
    from patrol.lab.manager import lab_down, lab_status, lab_up

    already = lab_status().running
    status = lab_up(timeout=180)
    yield status
    if not already:
        lab_down()
