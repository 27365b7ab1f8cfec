"""Remediation commands: ``remediate``, ``rollback``, ``changes``."""

from __future__ import annotations

import click

__all__ = ["COMMANDS"]

COMMANDS: list[click.Command] = []
