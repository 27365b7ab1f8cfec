"""Configuration syntaxes that are neither plain indentation nor braces.

* H3C Comware: ``#`` lines separate sections and global statements are indented by one space
  (``#\\n sysname sw1\\n#\\ninterface X\\n description up``), so indentation alone would put
  `` sysname`` under the interface above it. :func:`comware_sections` removes that one space
  from every section whose first line has it; the text then parses like IOS (line numbers kept).
* FortiOS: ``config system interface`` / ``edit "port1"`` / ``set ip …`` / ``next`` / ``end``;
  :func:`parse_fortios` gives the path ``config system interface > edit "port1" > set ip …``.
  Indentation is not trusted (``show full-configuration`` and pasted configs differ).
* Check Point Gaia (clish ``show configuration``): flat ``set``/``add`` lines, ``#`` comments;
  :func:`parse_gaia` puts each statement under its first word (``ntp > set ntp server …``) so
  a change reads where it belongs, and keeps ``add`` lines (Gaia's list entries).
"""

from __future__ import annotations

import re

from patrol.drift.confdiff import ConfigTree, Ignored, Node
from patrol.drift.noise import LineNoise

__all__ = ["COMWARE_PLATFORMS", "FORTIOS_PLATFORMS", "GAIA_PLATFORMS", "comware_sections", "parse_fortios",
           "parse_gaia"]  # fmt: skip

COMWARE_PLATFORMS = frozenset({"hp_comware"})
FORTIOS_PLATFORMS = frozenset({"fortinet"})
GAIA_PLATFORMS = frozenset({"checkpoint_gaia"})

_SECTION = re.compile(r"(?m)^#[ \t]*$")


def comware_sections(text: str) -> str:
    """``text`` with the one-space indentation of Comware's global sections removed."""
    parts = _SECTION.split(text)
    out = []
    for part in parts:
        lines = part.split("\n")
        body = [line for line in lines if line.strip()]
        if body and body[0].startswith(" ") and not body[0].startswith("  "):
            lines = [line[1:] if line.startswith(" ") else line for line in lines]
        out.append("\n".join(lines))
    separators = _SECTION.findall(text)
    joined = out[0]
    for separator, part in zip(separators, out[1:], strict=True):
        joined += separator + part
    return joined


def parse_fortios(lines: list[str], noise: LineNoise) -> ConfigTree:
    """FortiOS ``config``/``edit``/``next``/``end`` blocks as a tree (see the module doc)."""
    root = Node("", 0)
    tree = ConfigTree(root, "fortios")
    stack = [root]
    hidden = 0  # depth of config/edit blocks inside a hidden block
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        opens = text.startswith(("config ", "edit "))
        closes = text in ("end", "next")
        if hidden:
            tree.ignored.append(Ignored(number, text, tree.ignored[-1].rule))
            hidden += opens - closes
            continue
        rule = noise.match(text)
        if rule is not None:
            tree.ignored.append(Ignored(number, text, rule.id))
            hidden = 1 if rule.block and opens else 0
            continue
        if closes:
            if len(stack) > 1:
                stack.pop()
            continue
        node = Node(text, number)
        stack[-1].children.append(node)
        if opens:
            stack.append(node)
    return tree


def parse_gaia(lines: list[str], noise: LineNoise) -> ConfigTree:
    """Gaia clish statements grouped by feature (their second word: ``set ntp …`` under ``ntp``)."""
    root = Node("", 0)
    tree = ConfigTree(root, "set")
    sections: dict[str, Node] = {}
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        rule = noise.match(text)
        words = text.split()
        if rule is not None or len(words) < 2 or words[0] not in ("set", "add"):
            tree.ignored.append(Ignored(number, text, rule.id if rule else "gaia.not-a-statement"))
            continue
        feature = words[1]
        if feature not in sections:
            sections[feature] = Node(feature, number)
            root.children.append(sections[feature])
        sections[feature].children.append(Node(text, number))
    return tree
