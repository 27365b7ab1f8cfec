"""Shared fixtures: the bundled lab (real FakeNOS, snmpsim and sshd peers) and a patrol CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import browser as browser  # the fixture, for every test module

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


class _Zygote:
    """The client of ``tests/clizygote.py``: one pre-imported ``python -m patrol`` per test session
    that forks a fresh process per command (saves 1-3 s of imports in each of ~250 commands)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="patrol-zygote-"))
        self.path = str(self.folder / "socket")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "clizygote.py"), self.path],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("PATROL_")},  # each command brings its own
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if ready.strip() != "ready":
            raise RuntimeError(f"tests/clizygote.py did not start (exit {self.proc.poll()})")

    def run(self, args: list[str], env: dict[str, str], timeout: float) -> Result:
        out, err = self.folder / f"{threading.get_ident()}.out", self.folder / f"{threading.get_ident()}.err"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(self.path)
            request = {"args": args, "env": env, "cwd": str(ROOT), "stdout": str(out), "stderr": str(err)}
            conn.sendall((json.dumps(request) + "\n").encode())
            with conn.makefile("r", encoding="utf-8") as answer:
                pid = int(answer.readline())
                conn.settimeout(timeout)
                try:
                    code = int(answer.readline())
                except TimeoutError:
                    os.kill(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(["patrol", *args], timeout) from None
        return Result(code, out.read_text(), err.read_text())  # decoded as subprocess.run(text=True) does

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()  # the zygote stops when its stdin closes
        self.proc.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


_ZYGOTE: list[_Zygote] = []
_ZYGOTE_LOCK = threading.Lock()
FRESH_CLI = os.environ.get("PATROL_TEST_FRESH_CLI") == "1"


def _zygote() -> _Zygote:
    with _ZYGOTE_LOCK:
        if not _ZYGOTE:
            _ZYGOTE.append(_Zygote())
        return _ZYGOTE[0]


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _ZYGOTE:
        _ZYGOTE.pop().stop()


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
        """``patrol ARGS`` in a process of its own: forked from the session's pre-imported CLI
        (``PATROL_TEST_FRESH_CLI=1``: a new interpreter, as ``popen`` always starts)."""
        if not FRESH_CLI:
            return _zygote().run(list(args), self.env, timeout)
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
