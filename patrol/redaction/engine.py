"""The redaction engine: every secret grammar in one compiled pass, keyed-hash markers on top.

::

    redact_text("enable secret 5 $1$abc$xyz")                 -> "enable secret 5 <redacted>"
    redact_text("enable secret 5 $1$abc$xyz", key=KEY)        -> "enable secret 5 <redacted:hmac=5f0c2a9d41be>"
    redact_text("snmp-server host inside 192.0.2.9 community pub")
                                                   -> "snmp-server host inside 192.0.2.9 community <redacted>"
    redact_value({"user": "u", "password": "x", "uri": "https://u:p@h/"})
                                                              -> {"user": "u", "password": "<redacted>",
                                                                  "uri": "https://u:<redacted>@h/"}

How a text is read:

1. PEM private key blocks (``-----BEGIN … PRIVATE KEY-----`` to its END line, or to the end of a
   truncated output) become one marker, multi-line body included.
2. The text is lower-cased once (offsets kept) and one plain alternation of the trigger words
   (:data:`~patrol.redaction.grammar.TRIGGERS`: ``pass``, ``secret``, ``key``, ``communit``,
   ``$6$``, …) finds the lines that may hold a secret; no other line is examined.
3. On such a line, the triggers it holds choose the rules (``snmp-server location`` only meets
   the three ``snmp`` rules); those rules form one alternation (compiled once per combination,
   cached), each rule an outer named group whose inner groups ``v``/``v2`` span the secrets;
   ``Match.lastgroup`` names the rule and only its value spans are replaced in the original line.

Cost (``bench/redact.py``, process CPU time, best of 20, 2 shared cores, Python 3.11), ms per
1,000 lines with the installation key:

=================  =========  =========================  ===================
text               patrol     previous engine            one re.sub per rule
=================  =========  =========================  ===================
IOS config         1.9–2.0    3.1–5.2                    14.4
Junos config       1.2        2.7–2.9, 8 of 33 leaked    15.3
Linux outputs      2.5–2.9    3.3–3.6, 24 of 33 leaked   18.6
show interfaces    0.6        6.0–6.6                    30.2
=================  =========  =========================  ===================

"Previous engine" is patrol's earlier module (7 broad rules, one ``re.sub`` each over the whole
text); "one re.sub per rule" hands these 37 rules to ``netutils.config.clean.sanitize_config``
as its filter list. A first version of this engine ran all rules as one alternation on every
trigger line with ``re.IGNORECASE``: 5.6–7.9 ms; a trigger alternation with one named group
per word took 12 ms alone on 1,000 lines (a plain alternation: 0.3 ms).

Why no library call: ``netutils`` 1.19.2 (installed as a napalm dependency) ships the
``sanitize_config`` loop but no platform filters (``_PROVIDED_SANITIZE_FILTERS`` holds two
private IOS examples, "subject to change"), and a filter substitutes a constant, so the value
span a keyed-hash marker needs is lost. ``netconan`` 0.15.0 keeps RANCID's password and
community expressions; on tests/security/corpus.py (108 secret lines, 44 ordinary lines) its
line anonymiser left the secret in 53 lines (29 of the 83 network-device lines), changed 3
ordinary lines and took 37 ms CPU per 1,000 IOS lines, and it needs ``passlib``. Its syntaxes
were adopted as rules here (:mod:`patrol.redaction.grammar`), with value spans.

The marker is the first 12 hex digits of HMAC-SHA256(key, value without surrounding double
quotes): equal values give equal markers within one installation, which is what drift compares.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from patrol.redaction.grammar import BLOCKS, SECRET_KEY, TRIGGERS, Rule, all_rules

__all__ = ["MASK", "is_secret_key", "redact_text", "redact_value", "secret_marker"]

MASK = "<redacted>"
_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*\Z)", re.S
)
# One plain alternation finds the candidate lines (named groups would make it ~30x slower); then
# each trigger is tested on the line alone to choose the rules.
_TRIGGER = re.compile("|".join(TRIGGERS.values()))
_LITERAL_TRIGGERS = tuple((name, expr) for name, expr in TRIGGERS.items() if re.escape(expr) == expr)
_REGEX_TRIGGERS = tuple((name, re.compile(expr)) for name, expr in TRIGGERS.items() if re.escape(expr) != expr)
_SECRET_KEY_NAME = re.compile(rf"{SECRET_KEY}", re.I)
_BLOCKS = tuple(
    (rule.opener, re.compile(rule.block, re.M | re.S), re.compile(rule.pattern, re.M)) for rule in BLOCKS
)


_START = r"(?:^|(?<!\w)(?=[\w\"'$%<-]))"


class _Rules:
    """The rules, each as an outer named group ``r<index>`` whose secret groups are ``values[r<index>]``
    and whose keyword that must be lower case, if any, is ``keywords[r<index>]``."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.bodies: list[str] = []
        self.values: dict[str, tuple[str, ...]] = {}
        self.keywords: dict[str, str] = {}
        for index, rule in enumerate(rules):
            outer = f"r{index}"
            body = re.sub(r"\(\?P<(\w+)>", rf"(?P<{outer}_\1>", rule.pattern)
            body = re.sub(r"\(\?P=(\w+)\)", rf"(?P={outer}_\1)", body)
            self.bodies.append(f"(?P<{outer}>{body})")
            self.values[outer] = tuple(
                f"{outer}_{name}" for name in re.findall(r"\(\?P<(\w+)>", rule.pattern) if name.startswith("v")
            )
            if "(?P<lc>" in rule.pattern:
                self.keywords[outer] = f"{outer}_lc"

    def pattern(self, triggers: frozenset[str]) -> re.Pattern[str]:
        """One alternation of the rules that ``triggers`` call for, in table order.

        A match may only start at a line start or where no word character precedes one of the
        characters a rule starts with: the alternation is not tried inside words or on blanks.
        """
        bodies = [body for rule, body in zip(self.rules, self.bodies, strict=True) if triggers & set(rule.triggers)]
        return re.compile(f"{_START}(?:{'|'.join(bodies)})", re.M)


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    return _Rules(all_rules())


@lru_cache(maxsize=512)
def _pattern(triggers: frozenset[str]) -> re.Pattern[str]:
    return _rules().pattern(triggers)


def secret_marker(value: str, key: bytes | None) -> str:
    """``<redacted>`` without a key, ``<redacted:hmac=<12 hex>>`` with one."""
    if key is None:
        return MASK
    digest = hmac.new(key, value.strip('"').encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
    return f"<redacted:hmac={digest[:12]}>"


def _mark(value: str, key: bytes | None) -> str:
    return value if value.startswith("<redacted") else secret_marker(value, key)


def _triggers(lowered: str) -> frozenset[str]:
    """The names of the triggers in one lower-cased line."""
    found = [name for name, word in _LITERAL_TRIGGERS if word in lowered]
    found += [name for name, expr in _REGEX_TRIGGERS if expr.search(lowered)]
    return frozenset(found)


def _redact_line(line: str, lowered: str, key: bytes | None) -> str:
    """``line`` with the value spans of every rule match in ``lowered`` (the same line, lower case) masked.

    A match whose ``lc`` group is not lower case in ``line`` (``Oper-Key  Flag`` in a table
    header, unlike the config keyword ``key``) is dropped, and the search goes on after its start.
    """
    rules, pattern = _rules(), _pattern(_triggers(lowered))
    out: list[str] = []
    cursor = position = 0
    while (match := pattern.search(lowered, position)) is not None:
        outer = match.lastgroup or ""
        keyword = rules.keywords.get(outer)
        if keyword and not line[match.start(keyword) : match.end(keyword)].islower():
            position = match.start() + 1
            continue
        for group in rules.values[outer]:
            start, end = match.span(group)
            if start >= 0:
                out += (line[cursor:start], _mark(line[start:end], key))
                cursor = end
        position = max(match.end(), match.start() + 1)
    if not out:
        return line
    out.append(line[cursor:])
    return "".join(out)


def _lower(text: str) -> str:
    """``text`` lower-cased with every offset kept (the few characters whose lower case is longer stay)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def _redact_blocks(text: str, lowered: str, key: bytes | None) -> str:
    """``text`` with the secrets of every :data:`~patrol.redaction.grammar.BLOCKS` block masked."""
    spans: list[tuple[int, int]] = []
    for opener, block, inner in _BLOCKS:
        if opener in lowered:
            for found in block.finditer(lowered):
                spans += [m.span("v") for m in inner.finditer(lowered, found.start(), found.end())]
    out: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        out += (text[cursor:start], _mark(text[start:end], key))
        cursor = end
    return "".join(out) + text[cursor:]


def redact_text(text: str, key: bytes | None = None) -> str:
    """``text`` with every secret value the grammars recognise masked (keyed-hash markers with ``key``)."""
    if "PRIVATE KEY" in text:
        text = _PEM.sub(lambda m: _mark(m.group(0), key), text)
    lowered = _lower(text)
    if any(opener in lowered for opener, _, _ in _BLOCKS):
        text = _redact_blocks(text, lowered, key)
        lowered = _lower(text)
    trigger = _TRIGGER.search(lowered)
    if trigger is None:
        return text
    chunks: list[str] = []
    done = 0
    while trigger is not None:
        start = text.rfind("\n", 0, trigger.start()) + 1
        end = text.find("\n", trigger.end())
        end = len(text) if end < 0 else end
        chunks += (text[done:start], _redact_line(text[start:end], lowered[start:end], key))
        done = end
        trigger = _TRIGGER.search(lowered, end)
    chunks.append(text[done:])
    return "".join(chunks)


def is_secret_key(name: str) -> bool:
    """Whether a field called ``name`` holds a secret: ``password``, ``db_pass``, ``api-key``, ``snmp_community``."""
    return _SECRET_KEY_NAME.fullmatch(name) is not None


def redact_value(value: Any, key: bytes | None = None) -> Any:
    """``value`` with every string redacted, dicts and lists walked (a copy; the input is not changed).

    A scalar under a secret field name (:func:`is_secret_key`) is replaced whole by its marker,
    since nothing in ``{"password": "x"}``'s value says it is a secret.
    """
    if isinstance(value, str):
        return redact_text(value, key)
    if isinstance(value, Mapping):
        return {name: _redact_field(name, item, key) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item, key) for item in value)
    return value


def _redact_field(name: Any, value: Any, key: bytes | None) -> Any:
    if not (isinstance(name, str) and is_secret_key(name)):
        return redact_value(value, key)
    if isinstance(value, list | tuple):
        return type(value)(_redact_field(name, item, key) for item in value)
    if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
        return _mark(str(value), key)
    return redact_value(value, key)
