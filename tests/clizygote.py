"""A ``python -m patrol`` that has imported patrol once and forks a fresh process per command.

The tests run the ``patrol`` command a few hundred times; a new interpreter spends about a second
importing the CLI (and a ``patrol run`` two more importing ansible's inventory, netmiko,
matplotlib, pandas, ...) before it does anything. This process imports every module of the
``patrol`` package once, then, per request on its Unix socket, forks a child that becomes the
command: stdin ``/dev/null``, stdout and stderr to the caller's files, the caller's working folder
and environment, ``sys.argv``, ``python -m patrol`` run as ``__main__``. It exits as the
interpreter would (non-daemon threads joined, atexit handlers, garbage collected, streams flushed,
the command's exit code) except that it skips tearing down the preloaded modules (0.8 s a
command). Each command runs in a process of its own, so no state passes between commands.

Protocol, one connection per command: the caller sends one JSON line
``{"args": [...], "env": {...}, "cwd": "...", "stdout": PATH, "stderr": PATH}``; the answer is a
line with the command's pid (to kill it on a timeout), then a line with its exit code (negative:
the signal that ended it). ``tests.conftest.PatrolCLI`` is the client; ``PATROL_TEST_FRESH_CLI=1``
makes it start a new interpreter per command instead (``PatrolCLI.popen`` and the ``patrol serve``
processes of the service tests always do).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
from typing import NoReturn


def _preload() -> None:
    """The CLI's command modules, then every other module of the package (their libraries with them:
    ansible's inventory, netmiko, matplotlib, pandas, ...), as the commands would import them later."""
    import importlib
    import pkgutil

    import patrol
    from patrol.cli import COMMAND_MODULES, module_commands

    for module in sorted(set(COMMAND_MODULES.values())):
        module_commands(module)
    for info in pkgutil.walk_packages(patrol.__path__, "patrol."):
        if info.name != "patrol.__main__":
            try:
                importlib.import_module(info.name)
            except Exception:  # e.g. a missing optional library: the command that needs it fails itself
                continue
    gc.freeze()  # the preloaded objects stay out of every child's garbage collections (and shared)


def _become_command(request: dict[str, object]) -> NoReturn:
    """In the grandchild: set up the process as ``subprocess.run`` would have, run patrol, exit."""
    stdin = os.open(os.devnull, os.O_RDONLY)
    stdout = os.open(str(request["stdout"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stderr = os.open(str(request["stderr"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update(dict(request["env"]))  # type: ignore[call-overload]
    sys.argv = ["patrol", *list(request["args"])]  # type: ignore[call-overload]
    try:
        runpy.run_module("patrol", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:
        code = _exit_code(done.code)
    except BaseException:  # what the interpreter does with an uncaught exception
        sys.excepthook(*sys.exc_info())
        code = 1
    _exit(code)


def _exit_code(code: object) -> int:
    if code is None or isinstance(code, int):
        return int(code or 0)
    print(code, file=sys.stderr)
    return 1


def _exit(code: int) -> NoReturn:
    """The interpreter's exit minus its teardown of the ~2,000 preloaded modules (0.8 s a command):
    wait for non-daemon threads, run atexit handlers, collect garbage (closing what was left open),
    flush the standard streams."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _serve(conn: socket.socket) -> NoReturn:
    """In the child: start the command, report its pid and then its exit code, and leave."""
    with conn.makefile("r", encoding="utf-8") as lines:
        request = json.loads(lines.readline())
    pid = os.fork()
    if pid == 0:
        conn.close()
        _become_command(request)
    try:
        conn.sendall(f"{pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    except OSError:
        pass  # the caller gave up (a timeout) and closed the connection
    os._exit(0)


def main(path: str) -> None:
    sys.path[0] = os.getcwd()  # what `python -m` puts first (the caller starts us in the repository root)
    _preload()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children reap themselves
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        readable, _, _ = select.select([server, sys.stdin], [], [])
        if sys.stdin in readable:  # the test session closed our stdin (or died): stop
            return
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _serve(conn)
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1])
