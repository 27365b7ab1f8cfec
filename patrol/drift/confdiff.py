"""Hierarchical, semantic configuration diff (patrol's own small engine; see bench/drift.py).

``parse_config(text, platform, noise)`` builds a :class:`ConfigTree`:

* indented configs (IOS, EOS, NX-OS, IOS-XR, Huawei VRP, Comware, ASA): a line's parent is the
  nearest line above it with less indentation; multi-line banners become one section (Comware's
  one-space global sections are flattened first, :mod:`patrol.drift.syntaxes`);
* FortiOS ``config``/``edit``/``next``/``end`` and Gaia ``set`` lines: :mod:`patrol.drift.syntaxes`;
* brace configs (Junos ``show configuration``, PAN-OS): ``system { ntp { server X; } }`` becomes
  the path ``system > ntp > server X`` (shown in ``set`` style); Junos ``set`` lines are leaves.

Lines hidden by a noise rule are kept aside with the rule's id (``tree.ignored``).

``diff_trees(baseline, current, ordering)`` compares two trees section by section. Sibling order
does not matter (a moved block with the same content is not drift) except in order-sensitive
sections (ACL entries, route maps: :class:`~patrol.drift.rules.Ordering`). A child that changed
is reported under its parent path. A line whose secret marker changed (same line, different
keyed hash) is a ``secret`` item: the value itself is never known here. Items::

    DiffItem(kind="added", path=("interface GigabitEthernet2",), text="ip access-group BLOCK in",
             line_from=None, line_to=52, block=())
    DiffItem(kind="secret", path=(), text="enable secret 5 <redacted>", line_from=18, line_to=18)
    item.object == "interface GigabitEthernet2 > ip access-group BLOCK in"

Kinds: ``added``, ``removed``, ``secret`` (secret changed), ``moved`` (order changed in an
order-sensitive section).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from patrol.drift.noise import LineNoise
from patrol.drift.rules import Ordering
from patrol.redact import MARKER, mask_markers

__all__ = [
    "BRACE_PLATFORMS", "ConfigTree", "DiffItem", "Ignored", "Node", "diff_configs", "diff_trees", "parse_config",
    "secret_changed",
]  # fmt: skip

BRACE_PLATFORMS = frozenset({"juniper_junos", "paloalto_panos"})
SEP = " > "
_BRACE_COMMENT = re.compile(r"\s*(?:##.*|/\*.*?\*/)$")
_BANNER = re.compile(r"^banner\s+\S+(?:\s+(\S+))?")


class Node:
    """One config line and the lines under it. ``key`` = ``text`` with secret markers masked."""

    __slots__ = ("children", "key", "line", "text")

    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.key = mask_markers(text) if "<redacted:" in text else text
        self.line = line
        self.children: list[Node] = []

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Node]]:
        """This node's descendants (depth-first, config order) with their depth below it."""
        for child in self.children:
            yield depth, child
            yield from child.walk(depth + 1)


class Ignored(NamedTuple):
    """A line a noise rule hid: ``Ignored(3, "! Last configuration change at ...", "ios.last-change")``."""

    line: int
    text: str
    rule: str


@dataclass
class ConfigTree:
    root: Node
    style: str  # "indented" | "brace" | "set"
    ignored: list[Ignored] = field(default_factory=list)

    def lines(self) -> int:
        return sum(1 for _ in self.root.walk())


@dataclass(frozen=True)
class DiffItem:
    kind: str
    path: tuple[str, ...]
    text: str
    line_from: int | None = None
    line_to: int | None = None
    block: tuple[str, ...] = ()

    @property
    def object(self) -> str:
        """The hierarchical path of the drifted line (stable: secret markers masked)."""
        return SEP.join((*self.path, self.text))


# ---------------------------------------------------------------------------------- parsing


def parse_config(text: str, platform: str, noise: LineNoise) -> ConfigTree:
    """The config's tree; brace style for Junos/PAN-OS (``set`` lines when the text is in set form)."""
    from patrol.drift import syntaxes  # vendor syntaxes build on this module's Node

    if platform in syntaxes.FORTIOS_PLATFORMS:
        return syntaxes.parse_fortios(text.splitlines(), noise)
    if platform in syntaxes.GAIA_PLATFORMS:
        return syntaxes.parse_gaia(text.splitlines(), noise)
    if platform in syntaxes.COMWARE_PLATFORMS:
        text = syntaxes.comware_sections(text)
    lines = text.splitlines()
    if platform in BRACE_PLATFORMS or _looks_braced(lines):
        if any(line.startswith("set ") for line in lines[:50]):
            return _parse_set(lines, noise)
        return _parse_braces(lines, noise)
    return _parse_indented(lines, noise)


def _looks_braced(lines: list[str]) -> bool:
    return any(line.rstrip().endswith("{") for line in lines[:200]) and any(line.strip() == "}" for line in lines[:400])


def _parse_indented(lines: list[str], noise: LineNoise, offset: int = 0, root: Node | None = None) -> ConfigTree:
    """The tree of indented ``lines``; line numbers start after ``offset``; nodes go under ``root``."""
    root = root or Node("", 0)
    tree = ConfigTree(root, "indented")
    ignore, match = tree.ignored.append, noise.match
    indents, parents = [-1], [root]  # the open sections, innermost last
    hide_below: int | None = None  # indentation of a block a noise rule hides
    index, count = 0, len(lines)
    while index < count:
        raw = lines[index]
        index += 1
        stripped = raw.lstrip()
        if not stripped:
            continue
        text = stripped.rstrip()
        indent = len(raw) - len(stripped)
        if hide_below is not None:
            if indent > hide_below:
                ignore(Ignored(index + offset, text, tree.ignored[-1].rule))
                continue
            hide_below = None
        rule = match(text)
        if rule is not None:
            ignore(Ignored(index + offset, text, rule.id))
            hide_below = indent if rule.block else None
            continue
        while indents[-1] >= indent:
            indents.pop()
            parents.pop()
        node = Node(text, index + offset)
        parents[-1].children.append(node)
        indents.append(indent)
        parents.append(node)
        if text[0] == "b" and text.startswith("banner "):
            index = _banner_body(lines, index, node, offset)
    return tree


def _banner_end(header: str) -> str | None:
    """What closes a multi-line banner opened by ``header`` (``^C``, ``EOF``); None for a one-line banner."""
    match = _BANNER.match(header)
    delimiter = match.group(1) if match else None
    if delimiter and (len(delimiter) > 2 or delimiter.isalnum()):
        return None  # a one-line banner (ASA: ``banner login text``)
    end = delimiter[:2] if delimiter else "EOF"
    return None if delimiter and header.count(end) > 1 else end


def _banner_body(lines: list[str], index: int, node: Node, offset: int = 0) -> int:
    """Attach a multi-line banner's lines to ``node``; returns the index after the banner."""
    end = _banner_end(node.text)
    if end is None:
        return index
    while index < len(lines):
        body = lines[index].rstrip()
        index += 1
        node.children.append(Node(body, index + offset))
        if (body.strip() == end) if end == "EOF" else (end in body):
            break
    return index


def _parse_braces(lines: list[str], noise: LineNoise) -> ConfigTree:
    root = Node("", 0)
    tree = ConfigTree(root, "brace")
    stack = [root]
    hidden = 0  # depth of braces inside a hidden block
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        if hidden:
            tree.ignored.append(Ignored(number, text, tree.ignored[-1].rule))
            hidden += text.endswith("{") - text.startswith("}")
            continue
        rule = noise.match(text)
        if rule is not None:
            tree.ignored.append(Ignored(number, text, rule.id))
            hidden = 1 if rule.block and text.endswith("{") else 0
            continue
        if "#" in text or "/*" in text:
            text = _BRACE_COMMENT.sub("", text)
            if not text:
                tree.ignored.append(Ignored(number, raw.strip(), "brace.comment"))
                continue
        if text.startswith("}"):
            if len(stack) > 1:
                stack.pop()
            continue
        opens = text.endswith("{")
        node = Node(text[:-1].strip() if opens else text.rstrip(";").rstrip(), number)
        stack[-1].children.append(node)
        if opens:
            stack.append(node)
    return tree


def _parse_set(lines: list[str], noise: LineNoise) -> ConfigTree:
    root = Node("", 0)
    tree = ConfigTree(root, "set")
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        rule = noise.match(text)
        if rule is not None or not text.startswith("set "):
            tree.ignored.append(Ignored(number, text, rule.id if rule else "set.not-a-statement"))
            continue
        root.children.append(Node(text[4:], number))
    return tree


# ---------------------------------------------------------------------- fast path for drift

_TOP_LEVEL = re.compile(r"\n(?=\S)")


def _blocks(text: str) -> list[tuple[int, str]]:
    """Top-level blocks (a line and the indented lines under it) with the line number before each."""
    blocks: list[tuple[int, str]] = []
    line = 0
    parts = _TOP_LEVEL.split(text)
    index = 0
    while index < len(parts):
        part, start = parts[index], line
        index += 1
        end = _banner_end(part.split("\n", 1)[0]) if part.startswith("banner ") else None
        while end is not None and index < len(parts) and not _closes(part, end):
            part += "\n" + parts[index]
            index += 1
        blocks.append((start, part))
        line += part.count("\n") + 1
    return blocks


def _closes(block: str, end: str) -> bool:
    body = block.split("\n")[1:]
    return any((b.strip() == end) if end == "EOF" else (end in b) for b in body)


def diff_configs(before: str, after: str, platform: str, noise: LineNoise, ordering: Ordering) -> list[DiffItem]:
    """:func:`diff_trees` of the two configs, parsing only the top-level blocks that differ.

    For indented configs a top-level block whose text is in both configs cannot hold drift
    (unless its line is order-sensitive), so it is skipped; brace configs are parsed whole.
    """
    from patrol.drift import syntaxes

    whole = BRACE_PLATFORMS | syntaxes.FORTIOS_PLATFORMS | syntaxes.GAIA_PLATFORMS
    if platform in whole or _looks_braced(before.splitlines()[:400]):
        return diff_trees(parse_config(before, platform, noise), parse_config(after, platform, noise), ordering)
    if platform in syntaxes.COMWARE_PLATFORMS:
        before, after = syntaxes.comware_sections(before), syntaxes.comware_sections(after)
    old, new = _blocks(before), _blocks(after)
    old_texts, new_texts = {t for _, t in old}, {t for _, t in new}
    trees = []
    for blocks, other in ((old, new_texts), (new, old_texts)):
        root = Node("", 0)
        for start, text in blocks:
            if text not in other or (ordering.lines is not None and ordering.line_group(text) is not None):
                _parse_indented(text.split("\n"), noise, start, root)
        trees.append(ConfigTree(root, "indented"))
    return diff_trees(trees[0], trees[1], ordering)


# ------------------------------------------------------------------------------------- diff


def diff_trees(baseline: ConfigTree, current: ConfigTree, ordering: Ordering) -> list[DiffItem]:
    """Every drift item from ``baseline`` to ``current`` (see the module docstring)."""
    items: list[DiffItem] = []
    _diff_section(baseline.root, current.root, (), ordering, items)
    return items


def _block(node: Node) -> tuple[str, ...]:
    return tuple("  " * depth + mask_markers(child.text) for depth, child in node.walk())


def _gone(node: Node, path: tuple[str, ...]) -> DiffItem:
    return DiffItem("removed", path, node.key, line_from=node.line, block=_block(node))


def _new(node: Node, path: tuple[str, ...]) -> DiffItem:
    return DiffItem("added", path, node.key, line_to=node.line, block=_block(node))


def _same_line(old: Node, new: Node, path: tuple[str, ...], ordering: Ordering, items: list[DiffItem]) -> None:
    """Two nodes with the same key: a secret change, then their children."""
    if old.text != new.text and secret_changed(old.text, new.text):
        items.append(DiffItem("secret", path, new.key, line_from=old.line, line_to=new.line))
    if old.children or new.children:
        _diff_section(old, new, (*path, new.key), ordering, items)


def secret_changed(old: str, new: str) -> bool:
    """Both lines carry keyed-hash markers and they differ (a plain ``<redacted>`` proves nothing)."""
    a, b = MARKER.findall(old), MARKER.findall(new)
    return all(a) and all(b) and a != b


def _diff_section(old: Node, new: Node, path: tuple[str, ...], ordering: Ordering, items: list[DiffItem]) -> None:
    if (old.key and ordering.ordered_section(old.key)) or [c.key for c in old.children] == [
        c.key for c in new.children
    ]:
        _diff_ordered(old.children, new.children, path, ordering, items)
        return
    before = {c.key: c for c in old.children}
    after = {c.key: c for c in new.children}
    if before.keys() != after.keys():
        items.extend(_gone(node, path) for key, node in before.items() if key not in after)
        items.extend(_new(node, path) for key, node in after.items() if key not in before)
    for key, node in after.items():
        previous = before.get(key)
        if previous is not None and (previous.children or node.children or previous.text != node.text):
            _same_line(previous, node, path, ordering, items)
    if ordering.lines is not None:  # keys differ in content or order: order-sensitive lines may have moved
        _ordered_lines(old.children, new.children, before.keys() & after.keys(), path, ordering, items)


def _diff_ordered(
    old: list[Node], new: list[Node], path: tuple[str, ...], ordering: Ordering, items: list[DiffItem]
) -> None:
    a, b = [n.key for n in old], [n.key for n in new]
    if a == b:
        for x, y in zip(old, new, strict=True):
            if x.children or y.children or x.text != y.text:
                _same_line(x, y, path, ordering, items)
        return
    removed: list[Node] = []
    added: list[Node] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for x, y in zip(old[i1:i2], new[j1:j2], strict=True):
                if x.children or y.children or x.text != y.text:
                    _same_line(x, y, path, ordering, items)
            continue
        removed.extend(old[i1:i2])
        added.extend(new[j1:j2])
    _moves(removed, added, path, items)


def _moves(removed: list[Node], added: list[Node], path: tuple[str, ...], items: list[DiffItem]) -> None:
    """Removed + added with the same line is a move; the rest are removed / added."""
    added_keys = {n.key: n for n in added}
    moved = {n.key for n in removed if n.key in added_keys}
    items.extend(_gone(n, path) for n in removed if n.key not in moved)
    for node in added:
        if node.key in moved:
            old = next(n for n in removed if n.key == node.key)
            items.append(DiffItem("moved", path, node.key, line_from=old.line, line_to=node.line))
        else:
            items.append(_new(node, path))


def _ordered_lines(
    old: list[Node], new: list[Node], common: set[str], path: tuple[str, ...], ordering: Ordering,
    items: list[DiffItem],
) -> None:  # fmt: skip
    """Order-sensitive sibling lines (``access-list NAME ...``): lines in both that changed order."""
    groups_old: dict[str, list[Node]] = {}
    groups_new: dict[str, list[Node]] = {}
    for nodes, groups in ((old, groups_old), (new, groups_new)):
        for node in nodes:
            group = ordering.line_group(node.key) if node.key in common else None
            if group is not None:
                groups.setdefault(group, []).append(node)
    for group, olds in groups_old.items():
        news = groups_new.get(group, [])
        if [n.key for n in olds] != [n.key for n in news]:
            lcs = difflib.SequenceMatcher(None, [n.key for n in olds], [n.key for n in news], autojunk=False)
            kept = {olds[m.a + k].key for m in lcs.get_matching_blocks() for k in range(m.size)}
            by_key = {n.key: n for n in olds}
            items.extend(
                DiffItem("moved", path, n.key, line_from=by_key[n.key].line, line_to=n.line)
                for n in news
                if n.key not in kept
            )
