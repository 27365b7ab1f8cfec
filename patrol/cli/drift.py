"""Baseline and drift commands: ``baseline``, ``drift``, ``diff``."""

from __future__ import annotations

import click

__all__ = ["COMMANDS"]

COMMANDS: list[click.Command] = []
