"""Indented (IOS-like) configuration as flat statements, for drivers whose settings live in sections.

IOS-XR and NX-OS put many settings one level down (``ntp`` / `` server 192.0.2.1``); posture
regexes are simpler on the flattened form::

    flatten_indent("ntp\\n server 192.0.2.1\\n!\\nlogging 192.0.2.5")
    # -> ["ntp", "ntp server 192.0.2.1", "logging 192.0.2.5"]

Every line is kept, prefixed by the lines that open its section (``!`` and blank lines close
nothing and are dropped; ``exit`` / ``end`` too).
"""

from __future__ import annotations

__all__ = ["flatten_indent"]

_SKIP = ("!", "exit", "end", "#")


def flatten_indent(text: str) -> list[str]:
    """Each statement of an indented config with its parents' words before it (see module doc)."""
    stack: list[tuple[int, str]] = []
    flat: list[str] = []
    for raw in text.split("\n"):
        body = raw.strip()
        if not body or body.startswith("!") or body in _SKIP:
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        line = f"{stack[-1][1]} {body}" if stack else body
        flat.append(line)
        stack.append((depth, line))
    return flat
