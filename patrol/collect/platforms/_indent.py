"""Indented (IOS-like) configuration as flat statements, for drivers whose settings live in sections.

IOS-XR and NX-OS put many settings one level down (``ntp`` / `` server 192.0.2.1``); posture
regexes are simpler on the flattened form::

    flatten_indent("ntp\\n server 192.0.2.1\\n!\\nlogging 192.0.2.5")
    # -> ["ntp", "ntp server 192.0.2.1", "logging 192.0.2.5"]

Every line is kept, prefixed by the lines that open its section (``!``, ``#`` and blank lines close
nothing and are dropped; ``exit`` / ``end`` / ``return`` too).
"""

from __future__ import annotations

__all__ = ["flatten_indent"]

_SKIP = ("!", "exit", "end", "#", "return")


def flatten_indent(text: str, section_break: str | None = None) -> list[str]:
    """Each statement of an indented config with its parents' words before it (see module doc).

    ``section_break`` is a line that closes every open section (Comware's ``#``: its top-level
    statements are indented by one space, so indentation alone cannot tell them from children).
    """
    stack: list[tuple[int, str]] = []
    flat: list[str] = []
    for raw in text.split("\n"):
        body = raw.strip()
        if section_break is not None and body == section_break:
            stack.clear()
            continue
        if not body or body.startswith("!") or body in _SKIP:
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        line = f"{stack[-1][1]} {body}" if stack else body
        flat.append(line)
        stack.append((depth, line))
    return flat
