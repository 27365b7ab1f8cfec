"""Lab storage devices: one snmpsim-command-responder serving ``lab/snmp/data``.

snmpsim picks the data file by community: the community is the file's path under the data
directory without ``.snmprec``. Both endpoints serve every file, so each device is reached
with its own community on its own port::

    nas1  udp 127.0.0.1:16101  community nas1-ro-Lab7  (/vol/data ~92 % used: seeded finding)
    san1  udp 127.0.0.1:16102  community san1-ro-Lab7  (healthy)

Runtime files go under ``state_dir/snmpsim/`` (index cache, log). ``start`` returns once
each endpoint answers a GET of sysName with its device's community.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from patrol.collect.snmp import new_engine
from patrol.errors import LabError
from patrol.lab.base import Endpoint
from patrol.paths import LAB_DIR

__all__ = ["DATA_DIR", "DEFAULT_AGENTS", "SnmpLab"]

log = logging.getLogger(__name__)

DATA_DIR = LAB_DIR / "snmp" / "data"
#: host -> (UDP port, community = data file name without suffix)
DEFAULT_AGENTS: Mapping[str, tuple[int, str]] = {"nas1": (16101, "nas1-ro-Lab7"), "san1": (16102, "san1-ro-Lab7")}
SYS_NAME = "1.3.6.1.2.1.1.5.0"


def _responder() -> str:
    beside_python = Path(sys.executable).parent / "snmpsim-command-responder"
    found = str(beside_python) if beside_python.exists() else shutil.which("snmpsim-command-responder")
    if not found:
        raise LabError("snmpsim-command-responder not found: pip install 'patrol[lab]' (snmpsim, pysmi)")
    return found


async def _answers(address: str, port: int, community: str) -> bool:
    from pysnmp.hlapi.v3arch import asyncio as api

    engine = new_engine(api)
    try:
        target = await api.UdpTransportTarget.create((address, port), timeout=0.3, retries=0)
        indication, status, _i, _binds = await api.get_cmd(
            engine, api.CommunityData(community, mpModel=1), target, api.ContextData(),
            api.ObjectType(api.ObjectIdentity(SYS_NAME)), lookupMib=False,
        )  # fmt: skip
        return indication is None and not int(status or 0)
    finally:
        engine.close_dispatcher()


class SnmpLab:
    """Lab component ``snmp``: snmpsim agents on loopback UDP ports."""

    name = "snmp"

    def __init__(
        self, agents: Mapping[str, tuple[int, str]] = DEFAULT_AGENTS, address: str = "127.0.0.1",
        data_dir: Path = DATA_DIR,
    ) -> None:  # fmt: skip
        self.agents = dict(agents)
        self.address = address
        self.data_dir = data_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._state_dir: Path | None = None
        self._restarted = 0

    def start(self, state_dir: Path) -> list[Endpoint]:
        """Start the responder; return when every agent answers a GET (LabError after 20 s)."""
        self._state_dir = state_dir
        taken = [f"udp/{self.address}:{port}" for port, community in self.agents.values()
                 if asyncio.run(_answers(self.address, port, community))]  # fmt: skip
        if taken:  # (snmpsim binds with SO_REUSEADDR: a second responder would share the port silently)
            raise LabError(f"{', '.join(taken)} already answer SNMP: another lab or an orphaned snmpsim-command-"
                           f"responder serves them (`ss -lunp` names its pid); stop it first")  # fmt: skip
        work = state_dir / "snmpsim"
        (work / "cache").mkdir(parents=True, exist_ok=True)
        argv = [_responder(), f"--data-dir={self.data_dir}", f"--cache-dir={work / 'cache'}"]
        argv += [f"--agent-udpv4-endpoint={self.address}:{port}" for port, _c in self.agents.values()]
        env = dict(os.environ)
        if os.geteuid() == 0:
            env["SNMPSIM_ALLOW_ROOT"] = "true"
        with open(work / "snmpsim.log", "wb") as log_file:
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, env=env)
        try:
            self._wait_ready(work / "snmpsim.log", deadline=time.monotonic() + 20)
        except BaseException:
            self.stop()
            raise
        log.info("snmp lab up: %s", ", ".join(f"{h}=udp/{p}" for h, (p, _c) in self.agents.items()))
        return [Endpoint(host=h, kind="snmpsim", address=self.address, port=p, proto="udp")
                for h, (p, _c) in self.agents.items()]  # fmt: skip

    def _wait_ready(self, log_path: Path, deadline: float) -> None:
        pending = dict(self.agents)
        while pending:
            if self._proc is not None and self._proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-500:]
                raise LabError(f"snmpsim exited with code {self._proc.returncode}: {tail}")
            for host, (port, community) in list(pending.items()):
                if asyncio.run(_answers(self.address, port, community)):
                    del pending[host]
            if pending and time.monotonic() > deadline:
                raise LabError(f"snmpsim did not answer for {sorted(pending)} within 20 s; see {log_path}")

    def supervise(self) -> list[str]:
        """Reap the responder when it exited and start it again (the lab daemon calls this every second)."""
        code = self._proc.poll() if self._proc is not None else None
        if code is None or self._state_dir is None:
            return []
        self._restarted += 1
        self._proc = None
        try:
            self.start(self._state_dir)
        except LabError as exc:
            return [f"snmpsim exited ({code}) and could not be restarted: {exc}"]
        return [f"snmpsim exited ({code}); restarted"]

    def restarts(self) -> dict[str, int]:
        """Per agent host: how often the responder serving it was restarted."""
        return dict.fromkeys(self.agents, self._restarted) if self._restarted else {}

    def stop(self) -> None:
        """Terminate the responder (kill after 5 s)."""
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)
        self._proc = None
