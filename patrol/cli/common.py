"""What every ``patrol`` sub-command shares: console, settings/store context, error to exit code.

Exit codes: 0 clean; 1 findings at or above ``--fail-on``; 2 usage or input error (bad
argument, inventory, profile, unknown run or object); 3 run failure (store unusable, run
failed or was interrupted, lab could not start).
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import NoReturn

from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from patrol.config import Settings
from patrol.errors import (
    ConfigError,
    InventoryError,
    NotFoundError,
    PatrolError,
    PluginError,
    ProfileError,
    ReportError,
    StoreError,
)
from patrol.models import Severity
from patrol.remediate.applying import interrupt_orphaned
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
    "first_line",
    "handled",
    "out",
    "print_table",
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
log = logging.getLogger(__name__)

SEVERITIES = [s.value for s in Severity]
SEVERITY_STYLE = {"critical": "bold red", "urgent": "red", "normal": "yellow", "other": "cyan"}

out = Console(highlight=False)
out.soft_wrap = not out.is_terminal  # in a pipe or a log, a line of text (a path, an id) is never folded
err = Console(stderr=True, highlight=False)


#: narrowest a wrapping column is made when the terminal is too narrow for the table
MIN_COLUMN, COMFORTABLE_COLUMN = 4, 10


def _natural(column: Column) -> int:
    cells = [column.header, *column.cells]
    unbounded = out.options.update_width(100_000)
    return max((out.measure(cell, options=unbounded).maximum for cell in cells), default=1)


def print_table(table: Table, keys: Collection[str] = ()) -> None:
    """Print a listing so that no value is ever cut.

    The ``keys`` columns (by header: ids, host names, check ids) are never wrapped nor shortened:
    they are as wide as their longest value. The other columns wrap (a word longer than the
    column folds), down to a few characters each when the terminal is narrow; a table that is
    still wider than the terminal is printed whole (the terminal wraps its lines, nothing is
    cropped). On a pipe or in a log (stdout not a terminal, ``COLUMNS`` unset) nothing wraps.
    """
    chrome = 3 * len(table.columns) + 1  # borders and padding
    key_width = sum(_natural(c) for c in table.columns if c.header in keys)
    others = [c for c in table.columns if c.header not in keys]
    floor = max(MIN_COLUMN, min(COMFORTABLE_COLUMN, (out.width - chrome - key_width) // max(len(others), 1)))
    for column in table.columns:
        natural = _natural(column)
        if column.header in keys:
            column.no_wrap, column.overflow, column.min_width = True, "ignore", natural
        else:
            column.overflow, column.min_width = "fold", min(natural, floor)
    if out.is_terminal or "COLUMNS" in os.environ:
        out.print(table, crop=False, soft_wrap=False)
        return
    previous = out.width  # print(width=) cannot exceed the console's width: widen the console
    out.width = max(previous, chrome + sum(_natural(c) for c in table.columns))
    try:
        out.print(table, crop=False, soft_wrap=False)
    finally:
        out.width = previous


def first_line(text: str | None) -> str:
    """A multi-line message (an SSH transcript, a traceback) in a table cell: its first line and how many
    more (the whole text stays in ``patrol show RUN HOST`` and the JSON)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] + (f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else "") if lines else ""


def actor(by: str | None) -> str:
    """Who is acting, for the audit trail: ``--by``, else ``$PATROL_USER``, else the login name."""
    return by or os.environ.get("PATROL_USER") or getpass.getuser()


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(mask_known_secrets(message))}", soft_wrap=True)  # paths never cut
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
            self._housekeeping(self._store)
        return self._store

    @staticmethod
    def _housekeeping(store: Store) -> None:
        """Best effort, so that reading works on a full disk: a run whose process died (kill -9)
        is marked aborted (a change it was applying: interrupted) by the first command that can write."""
        try:
            store.abort_orphaned_runs()
            interrupt_orphaned(store)  # a change whose applying process died: interrupted
        except StoreError as exc:
            log.debug("orphaned runs and changes left as they are: %s", exc)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
