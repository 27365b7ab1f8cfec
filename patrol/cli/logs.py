"""Logging of the ``patrol`` command (the CLI boundary): every handler scrubs secrets.

Warnings and errors go to stderr as Python would print them anyway (``patrol -v``: patrol's info
records too, such as one timing line per host; ``-vv``: every debug record); with ``--log-file`` /
``PATROL_LOG_FILE`` (setting ``log_file``) every record at ``PATROL_LOG_LEVEL`` (``log_level``, default INFO) and
above is also appended to that file, created 0600. Both handlers carry a
:class:`patrol.sanitize.RedactingFilter`, so no message, argument or traceback reaches them
with a secret in it, whichever library logged it (netmiko's debug lines carry every
configuration it reads, for example). Libraries whose debug output duplicates stored data
(SQLAlchemy statements with their parameters, matplotlib's font search) stay at WARNING.
An exception nobody handled (in the command or in a thread) is printed scrubbed as well.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from types import TracebackType

from patrol.config import Settings
from patrol.errors import ConfigError
from patrol.sanitize import install_log_redaction, scrub_text

__all__ = ["setup_logging"]

_QUIET = ("sqlalchemy", "matplotlib", "PIL", "fontTools", "asyncio", "urllib3", "httpcore", "httpx", "multipart")
#: loggers that bring their own handlers later (``patrol serve``'s uvicorn): filtered on the logger
_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


class _PatrolHandler(logging.StreamHandler):
    """Marks the stderr handler this module installed (so a second call adds nothing)."""


class _PatrolInfo(logging.Filter):
    """At ``-v``: info records of patrol's own loggers only (paramiko's per-connection lines stay out)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name == "patrol" or record.name.startswith("patrol.")


def _file_handler(settings: Settings, level: int) -> logging.Handler:
    path = settings.log_file
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"log file {path}: cannot be opened for writing: {exc.strerror or exc}; fix PATROL_LOG_FILE", key="log_file"
        ) from exc
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    return handler


def _print_scrubbed(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(scrub_text("".join(traceback.format_exception(kind, exc, tb))))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        name = args.thread.name if args.thread else "?"
        sys.stderr.write(f"Exception in thread {name}:\n")
        _print_scrubbed(args.exc_type, args.exc_value, args.exc_traceback)


#: stderr level by the number of ``-v`` given
_VERBOSITY = (logging.WARNING, logging.INFO, logging.DEBUG)


def setup_logging(settings: Settings, verbosity: int = 0) -> None:
    """Install the stderr handler (and the file handler of ``settings.log_file``), both scrubbing.

    ``verbosity`` (``-v`` count) lowers stderr's level: 0 warnings, 1 info, 2 or more debug.
    """
    root = logging.getLogger()
    if any(isinstance(h, _PatrolHandler) for h in root.handlers):
        return
    stderr = _PatrolHandler()
    stderr_level = _VERBOSITY[min(max(verbosity, 0), len(_VERBOSITY) - 1)]
    stderr.setLevel(stderr_level)
    stderr.setFormatter(logging.Formatter("%(message)s" if verbosity == 0 else "%(levelname)s %(name)s: %(message)s"))
    if verbosity == 1:
        stderr.addFilter(_PatrolInfo())
    handlers: list[logging.Handler] = [stderr]
    level = stderr_level
    if settings.log_file is not None:
        file_level = logging.getLevelNamesMapping()[settings.log_level]
        handlers.append(_file_handler(settings, file_level))
        level = min(level, file_level)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    redacting = install_log_redaction(logging.getLogger("patrol"))
    for name in _OWN_HANDLERS:
        logging.getLogger(name).addFilter(redacting)
    sys.excepthook, threading.excepthook = _print_scrubbed, _thread_hook
