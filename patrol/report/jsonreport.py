"""The JSON report: ``RunReport`` serialised with a ``"schema": "patrol.report/1"`` key.

The shape is documented in :mod:`patrol.report.model` and reports/README.md. Keys are only
ever added within one schema version; a removal or change of meaning bumps the version.
"""

from __future__ import annotations

from patrol.report.model import RunReport

__all__ = ["render_json"]


def render_json(report: RunReport) -> str:
    """Pretty-printed JSON (UTF-8 text, zh titles unescaped), ending with a newline."""
    return report.model_dump_json(by_alias=True, indent=2) + "\n"
