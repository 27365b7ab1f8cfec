"""Service-desk commands: ``tickets``, ``ticket``, ``waive``, ``sla``."""

from __future__ import annotations

import click

__all__ = ["COMMANDS"]

COMMANDS: list[click.Command] = []
