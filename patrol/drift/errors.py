"""Errors of the drift stage; part of patrol's one hierarchy (:mod:`patrol.errors`)::

ProfileError (patrol.errors)         bad input data: exit 2 in the CLI
└── DriftDataError                   noise rules, drift rules: file, line, rule id, key
    └── GoldenTemplateError          a golden template: file, line, undefined variable, host
NotFoundError (patrol.errors)        unknown host / baseline / snapshot (.what, .key)
"""

from __future__ import annotations

__all__ = ["DriftDataError", "GoldenTemplateError"]

from patrol.errors import ProfileError


class DriftDataError(ProfileError):
    """A drift data file (noise rules, drift rules, golden template) that cannot be used.

    The message reads ``<file>:<line>: rule '<id>': key '<key>': <what is wrong and the fix>``.
    """

    def __init__(
        self, path: str, message: str, line: int | None = None, rule: str | None = None, key: str | None = None
    ) -> None:
        location = f"{path}:{line}" if line else path
        super().__init__(location, message, check_id=None, key=None)
        if rule:
            self.args = (f"{location}: rule {rule!r}" + (f": key {key!r}" if key else "") + f": {message}",)
        elif key:
            self.args = (f"{location}: key {key!r}: {message}",)
        self.line = line
        self.rule = rule
        self.key = key

    def __str__(self) -> str:
        return str(self.args[0])


class GoldenTemplateError(DriftDataError):
    """A golden config template that does not render (syntax error, undefined variable)."""

    def __init__(self, path: str, message: str, line: int | None = None, host: str | None = None) -> None:
        super().__init__(path, (f"host {host!r}: " if host else "") + message, line)
        self.host = host
