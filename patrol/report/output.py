"""Writing a run report to a file in any ``patrol.reports`` format.

``write_run_report(report, "md", Path("out/r.md"))`` -> ``[out/r.md, out/r-health.png]``: the
report first, then what belongs next to it (Markdown's chart PNG, see :mod:`patrol.report.markdown`);
every other format is one self-contained file written atomically.
"""

from __future__ import annotations

from pathlib import Path

from patrol import plugins
from patrol.report.atomic import write_atomic
from patrol.report.markdown import write_markdown
from patrol.report.model import RunReport

__all__ = ["write_run_report"]


def write_run_report(report: RunReport, fmt: str, path: Path) -> list[Path]:
    """Render ``report`` with the ``patrol.reports`` plugin ``fmt`` and write it; the files written."""
    if fmt == "md":
        return write_markdown(report, path)
    return [write_atomic(path, plugins.load("patrol.reports", fmt)(report))]
