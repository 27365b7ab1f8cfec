"""Reporting commands: ``trends``, ``forecast``, ``propose`` (and the period report)."""

from __future__ import annotations

import click

__all__ = ["COMMANDS"]

COMMANDS: list[click.Command] = []
