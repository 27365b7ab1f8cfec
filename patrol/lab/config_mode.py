"""Config mode for FakeNOS fleet devices: ``configure terminal`` lines that really change the config.

Stock FakeNOS answers fixed outputs and models no configuration mode. A fleet device started
with ``FleetDevice(..., config_mode=True)`` gets a :class:`RunningConfig` (seeded from its
``show running-config`` output) and a :class:`ConfigShell` that behaves like an IOS-style CLI::

    core-sw1#configure terminal                      -> prompt core-sw1(config)#
    core-sw1(config)#ntp server 192.0.2.123          -> line added after the other "ntp server" lines
    core-sw1(config)#no ntp server 192.0.2.99        -> line (and its block) removed
    core-sw1(config)#line vty 0 4                    -> prompt core-sw1(config-line)#
    core-sw1(config-line)# transport input ssh       -> replaces " transport input telnet ssh"
    core-sw1(config-line)#end                        -> prompt core-sw1#
    core-sw1#show running-config                     -> the changed configuration
    core-sw1#write memory                            -> "[OK]"; show startup-config shows it

Lines matching one of the device's ``reject_config`` regexes are refused with IOS' own
``% Invalid input detected at '^' marker.`` (tests force a failed change with it).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from fakenos.plugins.shell.cmd_shell import CMDShell

__all__ = ["INVALID_INPUT", "ConfigShell", "RunningConfig", "config_shell"]

INVALID_INPUT = "% Invalid input detected at '^' marker."
#: Top-level commands that take one value: a new line replaces the old one.
_SINGLE_VALUED = (
    "hostname ",
    "banner login ",
    "banner motd ",
    "banner exec ",
    "ip ssh version ",
    "logging trap ",
    "telnet timeout ",
    "ssh timeout ",
    "ssh version ",
    "ntp source ",
)
#: Sub-mode commands that take one value inside their block.
_SINGLE_VALUED_CHILD = ("transport input ", "description ", "ip address ", "exec-timeout ", "login ")
_SUB_MODES = {"interface": "config-if", "line": "config-line", "router": "config-router"}
_END_LINES = ("end", ": end", "return")


class RunningConfig:
    """A device's running (and startup) configuration; thread-safe, shared by its sessions."""

    def __init__(self, text: str, reject: Sequence[str] = (), negate: str = "no ") -> None:
        self._negate = negate
        self._lines = text.replace("\r\n", "\n").rstrip("\n").split("\n") if text else []
        self._startup = list(self._lines)
        self._reject = [re.compile(pattern) for pattern in reject]
        self._lock = threading.Lock()

    def text(self) -> str:
        with self._lock:
            return "\n".join(self._lines)

    def startup_text(self) -> str:
        with self._lock:
            return "\n".join(self._startup)

    def save(self) -> None:
        with self._lock:
            self._startup = list(self._lines)

    def replace(self, text: str) -> None:
        """Swap the whole running configuration (a test or lab operator changing the device)."""
        with self._lock:
            self._lines = text.replace("\r\n", "\n").rstrip("\n").split("\n") if text else []

    def apply(self, line: str, parent: str | None = None) -> str | None:
        """Apply one config line (inside block ``parent``); the device's error text or None."""
        line = line.strip()
        if any(pattern.search(line) for pattern in self._reject):
            return INVALID_INPUT
        with self._lock:
            if parent is None:
                self._apply_top(line)
            else:
                self._apply_child(parent, line)
        return None

    # -- editing ------------------------------------------------------------------------------

    def _blocks(self) -> list[tuple[int, int]]:
        """(start, end) index ranges of each top-level line with its indented children."""
        starts = [i for i, text in enumerate(self._lines) if text and not text.startswith(" ")]
        return [(s, e) for s, e in zip(starts, [*starts[1:], len(self._lines)], strict=True)]

    def _apply_top(self, line: str) -> None:
        if self._negate == "undo " and self._apply_comware_global(line):
            return
        if line.startswith(self._negate):
            target = line[len(self._negate) :].strip()
            for start, end in reversed(self._blocks()):
                head = self._lines[start]
                if head == target or head.startswith(target + " "):
                    del self._lines[start:end]
            return
        if line in self._lines:
            return
        single = next((p for p in _SINGLE_VALUED if line.startswith(p)), None)
        if single:
            self._lines = [text for text in self._lines if not text.startswith(single)]
        self._lines.insert(self._insert_at(line), line)

    def _apply_comware_global(self, line: str) -> bool:
        """Comware's one-space indented global lines (``#`` sections); False: not one of them."""

        def is_global(text: str) -> bool:
            return text.startswith(" ") and not text.startswith("  ")

        if line.startswith("undo "):
            target = line[5:].strip()
            hits = [
                i
                for i, t in enumerate(self._lines)
                if is_global(t) and (t.strip() == target or t.strip().startswith(target + " "))
            ]
            self._lines = [t for i, t in enumerate(self._lines) if i not in hits]
            return bool(hits)
        words = line.split()[:2]
        same = [i for i, t in enumerate(self._lines) if is_global(t) and t.split()[:2] == words]
        if not same:
            return False
        if " " + line not in self._lines:
            self._lines.insert(same[-1] + 1, " " + line)
        return True

    def _insert_at(self, line: str) -> int:
        """After the last top-level line sharing the first two (else one) words, else before ``end``."""
        words = line.split()
        blocks = self._blocks()
        for width in (2, 1):
            prefix = words[:width]
            same = [end for start, end in blocks if self._lines[start].split()[:width] == prefix]
            if same and len(words) >= width:
                return same[-1]
        ends = [start for start, _ in blocks if self._lines[start].strip() in _END_LINES]
        return ends[-1] if ends else len(self._lines)

    def _apply_child(self, parent: str, line: str) -> None:
        block = next(((s, e) for s, e in self._blocks() if self._lines[s] == parent), None)
        if block is None:
            at = self._insert_at(parent)
            self._lines.insert(at, parent)
            block = (at, at + 1)
        start, end = block
        children = self._lines[start + 1 : end]
        if line.startswith(self._negate):
            target = line[len(self._negate) :].strip()
            children = [c for c in children if not (c.strip() == target or c.strip().startswith(target + " "))]
        elif " " + line not in children:
            single = next((p for p in _SINGLE_VALUED_CHILD if line.startswith(p)), None)
            if single:
                children = [c for c in children if not c.strip().startswith(single)]
            children.append(" " + line)
        self._lines[start + 1 : end] = children


class ConfigShell(CMDShell):
    """FakeNOS' command shell plus an IOS-style configuration mode over a :class:`RunningConfig`."""

    def __init__(self, *args: Any, running_config: RunningConfig, comware: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._comware = comware  # Comware: system-view, [host] prompt, return/quit, save force
        self.prompt: str = self.prompt
        self.running_config = running_config
        self._mode: str | None = None  # None = exec; "config" or a sub-mode name
        self._parent: str | None = None
        self._exec_prompt = self.prompt

    def _set_mode(self, mode: str | None, parent: str | None = None) -> None:
        self._mode, self._parent = mode, parent
        base = self.base_prompt
        if mode is None:
            self.prompt = self._exec_prompt
        else:
            self.prompt = f"[{base}]" if self._comware else f"{base}({mode})#"

    def default(self, line: str) -> bool:
        text = line.strip()
        if self._mode is None:
            handled = self._exec(text)
            if handled is None:
                result: bool = super().default(line)
                if self.prompt.endswith("#"):
                    self._exec_prompt = self.prompt
                return result
            if handled:
                self.writeline(handled)
            return False
        output = self._configure(text)
        if output:
            self.writeline(output)
        return False

    def _exec(self, text: str) -> str | None:
        """Output of an exec-mode command this shell handles itself; None to let FakeNOS answer."""
        if self._comware:
            return self._comware_exec(text)
        if not self.prompt.endswith("#"):
            return None
        if text in ("configure terminal", "conf t", "configure"):
            self._exec_prompt = self.prompt
            self._set_mode("config")
            return "Enter configuration commands, one per line.  End with CNTL/Z."
        if text in ("show running-config", "show run", "more system:running-config"):
            return self.running_config.text()
        if text == "show startup-config":
            return self.running_config.startup_text()
        if text in ("write memory", "write mem", "write", "copy running-config startup-config"):
            self.running_config.save()
            return "Building configuration...\n[OK]"
        return None

    def _comware_exec(self, text: str) -> str | None:
        if text == "system-view":
            self._exec_prompt = self.prompt
            self._set_mode("config")
            return "System View: return to User View with Ctrl+Z."
        if text == "display current-configuration":
            return self.running_config.text()
        if text == "display saved-configuration":
            return self.running_config.startup_text()
        if text in ("save force", "save"):
            self.running_config.save()
            return "Validating file. Please wait...\nSaved the current configuration to mainboard device successfully."
        return None

    def _configure(self, text: str) -> str:
        if self._comware and text in ("return", "quit"):
            text = "end"
        if self._comware and text.startswith(("display ", "save")):  # Comware runs them in system view too
            return self._comware_exec(text) or ""
        if text in ("end", "\x1a"):
            self._set_mode(None)
            return ""
        if text == "exit":
            self._set_mode("config" if self._parent is not None else None)
            return ""
        if text.startswith("do "):
            return self._exec(text[3:].strip()) or ""
        first = text.split(" ", 1)[0]
        if self._parent is None and first in _SUB_MODES:
            error = self.running_config.apply(text)
            if error is None:
                self._set_mode(_SUB_MODES[first], text)
            return error or ""
        return self.running_config.apply(text, self._parent) or ""


def config_shell(
    name: str, commands: dict[str, dict[str, Any]], reject: Sequence[str], enabled: bool
) -> tuple[type | None, dict[str, Any]]:
    """The shell class (None = FakeNOS' stock one) and its settings for fleet device ``name``.

    The running configuration is seeded from the device's custom ``show running-config`` output
    (``display current-configuration``: a Comware device, with ``system-view``/``undo``/``save force``).
    """
    if not enabled:
        return None, {"base_prompt": name}
    comware = "display current-configuration" in commands
    seed = commands.get("display current-configuration" if comware else "show running-config", {}).get("output")
    text = seed() if callable(seed) else str(seed or "")
    running = RunningConfig(text, reject, negate="undo " if comware else "no ")
    return ConfigShell, {"base_prompt": name, "running_config": running, "comware": comware}
