"""What every ``patrol`` sub-command shares: console, settings/store context, error to exit code.

Exit codes: 0 clean; 1 findings at or above ``--fail-on``; 2 usage or input error (bad
argument, inventory, profile, unknown run or object); 3 run failure (store unusable, run
failed or was interrupted, lab could not start).
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

from patrol.config import Settings
from patrol.errors import (
    ConfigError,
    InventoryError,
    NotFoundError,
    PatrolError,
    PluginError,
    ProfileError,
    ReportError,
)
from patrol.models import Severity
from patrol.sanitize import mask_known_secrets
from patrol.store import Store

__all__ = [
    "EXIT_FAILURE",
    "EXIT_FINDINGS",
    "EXIT_INPUT",
    "INPUT_ERRORS",
    "SEVERITIES",
    "SEVERITY_STYLE",
    "Context",
    "actor",
    "err",
    "fail",
    "handled",
    "out",
]

EXIT_FINDINGS, EXIT_INPUT, EXIT_FAILURE = 1, 2, 3
#: errors that mean "the user's input is wrong" (exit 2); any other PatrolError is exit 3.
INPUT_ERRORS: tuple[type[PatrolError], ...] = (
    ConfigError,
    InventoryError,
    ProfileError,
    NotFoundError,
    PluginError,
    ReportError,
)
SEVERITIES = [s.value for s in Severity]
SEVERITY_STYLE = {"critical": "bold red", "urgent": "red", "normal": "yellow", "other": "cyan"}

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def actor(by: str | None) -> str:
    """Who is acting, for the audit trail: ``--by``, else ``$PATROL_USER``, else the login name."""
    return by or os.environ.get("PATROL_USER") or getpass.getuser()


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(mask_known_secrets(message))}")
    sys.exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn patrol's errors into a message and the documented exit code."""
    try:
        yield
    except INPUT_ERRORS as exc:
        fail(str(exc), EXIT_INPUT)
    except PatrolError as exc:
        fail(str(exc), EXIT_FAILURE)


class Context:
    """The click context object: resolved settings and a store opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self.settings.home.mkdir(parents=True, exist_ok=True)
            self._store = Store.open(self.settings.db_url)
            self._store.abort_orphaned_runs()  # a run whose process died (kill -9) is shown as aborted
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
