"""Golden config templates: jinja2 (``StrictUndefined``) rendered per host from inventory variables.

A template is the config a host must have, in the platform's own syntax. Lines are required
(under their parent); a line starting ``!forbid`` names a line that must be absent in that
section (``!forbid re:<regex>`` for a pattern)::

    hostname {{ inventory_hostname }}
    {% for server in patrol_expected_ntp_servers %}
    ntp server {{ server }}
    {% endfor %}
    line vty 0 4
     transport input ssh
     !forbid re:^transport input .*telnet

Compliance (:func:`compliance`) gives ``missing`` (required line absent, reported under its
parent), ``forbidden`` (a forbidden line present) and ``extra`` (a line inside a section the
template defines that the template does not have) items. Extras at the top level are not
reported: a golden template describes what it covers, not the whole device.

Rendering runs in jinja2's sandbox (no attribute of Python's internals, no callable but jinja2's
own filters and tests) with the host's name and inventory variables as its only context; those
are data: a value that holds ``{{ ... }}`` is output as it is, never rendered again, and the
rendering is only parsed as configuration afterwards. Nothing collected from a device enters
the context.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from patrol.drift.confdiff import ConfigTree, DiffItem, Node, parse_config
from patrol.drift.errors import GoldenTemplateError
from patrol.drift.noise import LineNoise

__all__ = ["FORBID", "GoldenTemplate", "compliance", "load_template"]

FORBID = "!forbid "
_SENTINEL = "\x00forbid "


@dataclass(frozen=True)
class GoldenTemplate:
    path: str
    source: str
    sha256: str
    template: jinja2.Template

    def render(self, host: str, variables: Mapping[str, Any]) -> str:
        """The template rendered for ``host``; :class:`GoldenTemplateError` (file, line, host) otherwise."""
        context = {"inventory_hostname": host, **variables}
        try:
            return self.template.render(context)
        except jinja2.UndefinedError as exc:
            raise GoldenTemplateError(
                self.path, f"{exc.message}: define it in the inventory (host_vars/group_vars)", _line(exc), host
            ) from exc
        except jinja2.TemplateError as exc:
            raise GoldenTemplateError(self.path, str(exc), _line(exc), host) from exc


def _environment() -> jinja2.Environment:
    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False
    )


def _line(exc: BaseException) -> int | None:
    """The template line a render error came from (jinja2 maps its frames back to the source)."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>" or tb.tb_frame.f_globals.get("__jinja_template__"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def from_source(path: str, source: str) -> GoldenTemplate:
    """Compile ``source``; :class:`GoldenTemplateError` with the line of a syntax error."""
    try:
        template = _environment().from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise GoldenTemplateError(path, f"template syntax error: {exc.message}", exc.lineno) from exc
    return GoldenTemplate(path, source, hashlib.sha256(source.encode()).hexdigest(), template)


def load_template(path: Path) -> GoldenTemplate:
    """Read and compile the template file (errors name the file and line)."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GoldenTemplateError(str(path), f"cannot read the template: {exc.strerror}") from exc
    return from_source(str(path), source)


def parse_golden(text: str, platform: str, noise: LineNoise) -> ConfigTree:
    """A rendered template's tree (``!forbid`` lines survive the ``!`` comment noise rule)."""
    protected = re.sub(r"(?m)^(\s*)" + re.escape(FORBID), lambda m: m.group(1) + _SENTINEL, text)
    return parse_config(protected, platform, noise)


def compliance(golden: ConfigTree, running: ConfigTree) -> list[DiffItem]:
    """``missing`` / ``forbidden`` / ``extra`` items of ``running`` against the golden tree."""
    items: list[DiffItem] = []
    _section(golden.root, running.root, (), items)
    return items


def _forbidden(rule: str, candidates: list[Node]) -> list[Node]:
    if rule.startswith("re:"):
        pattern = re.compile(rule[3:])
        return [n for n in candidates if pattern.search(n.key)]
    return [n for n in candidates if n.key == rule]


def _section(golden: Node, running: Node | None, path: tuple[str, ...], items: list[DiffItem]) -> None:
    have = {c.key: c for c in running.children} if running is not None else {}
    wanted: set[str] = set()
    flagged: set[str] = set()
    for child in golden.children:
        if child.text.startswith(_SENTINEL):
            for hit in _forbidden(child.text[len(_SENTINEL) :].strip(), list(have.values())):
                flagged.add(hit.key)
                items.append(DiffItem("forbidden", path, hit.key, line_to=hit.line))
            continue
        wanted.add(child.key)
        found = have.get(child.key)
        if found is None:
            block = tuple("  " * d + n.key for d, n in child.walk())
            items.append(DiffItem("missing", path, child.key, line_from=child.line, block=block))
        elif child.children:
            _section(child, found, (*path, child.key), items)
    if path and running is not None:
        items.extend(
            DiffItem("extra", path, key, line_to=node.line)
            for key, node in have.items()
            if key not in wanted and key not in flagged
        )
