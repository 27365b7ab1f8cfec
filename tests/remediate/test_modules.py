"""The custom modules the way ansible-core tests its own: run the module file with a JSON args
file and read the JSON result; and patrol_inspect inside a real playbook run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ansible_runner

from patrol.paths import LIBRARY_DIR

from .conftest import AGREED, PASSWORD, USER, NetLab, running_config


def run_module(name: str, args: dict[str, Any], tmp_path: Path, check: bool = False) -> dict[str, Any]:
    path = tmp_path / f"{name}-args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check}}))
    proc = subprocess.run([sys.executable, str(LIBRARY_DIR / f"{name}.py"), str(path)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert proc.stdout.strip(), proc.stderr
    return dict(json.loads(proc.stdout))


def device(net_lab: NetLab, **args: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": net_lab.ports["msw1"], "username": USER, "password": PASSWORD,
            "platform": "cisco_ios", **args}  # fmt: skip


def test_net_config_check_mode_diff_apply_and_rejected_line(net_lab: NetLab, tmp_path: Path) -> None:
    ntp = device(net_lab, lines=[f"ntp server {s}" for s in AGREED], match="^ntp server ", state="replaced")
    preview = run_module("patrol_net_config", ntp, tmp_path, check=True)
    assert preview["changed"] is True and preview["commands_sent"] == []
    assert preview["commands"] == ["ntp server 192.0.2.123", "ntp server 192.0.2.124", "no ntp server 192.0.2.99"]
    assert preview["diff"]["before"] == "ntp server 192.0.2.99\n"
    assert net_lab.config("msw1") == running_config("msw1"), "check mode sends nothing"
    assert PASSWORD not in json.dumps(preview)

    applied = run_module("patrol_net_config", {**ntp, "save": True}, tmp_path)
    assert applied["changed"] is True and applied["saved"] is True
    assert applied["after"] == [f"ntp server {s}" for s in AGREED]
    assert applied["backup"] == {"kind": "config", "match": "^ntp server ", "parents": [],
                                 "lines": ["ntp server 192.0.2.99"]}  # fmt: skip
    again = run_module("patrol_net_config", ntp, tmp_path)
    assert again["changed"] is False and again["commands"] == [], "idempotent: changed is truthful"

    vty = run_module("patrol_net_config", device(net_lab, parents=["line vty 0 4"], lines=["transport input ssh"],
                                                 match="^transport input ", state="replaced"), tmp_path)  # fmt: skip
    assert vty["changed"] is False

    rejected = run_module("patrol_net_config", device(net_lab, lines=["banner motd no-entry"]), tmp_path)
    assert rejected["failed"] is True and rejected["failed_command"] == "banner motd no-entry"
    assert "rejected 'banner motd no-entry'" in rejected["msg"] and "backup" in rejected["msg"]

    bad = run_module("patrol_net_config", device(net_lab, lines=["x"], state="replaced"), tmp_path)
    assert bad["failed"] is True and "state=replaced needs match" in bad["msg"]
    wrong = run_module("patrol_net_config", device(net_lab, password="wrong", lines=["x"]), tmp_path)
    assert wrong["failed"] is True and "was refused" in wrong["msg"] and "ansible_password" in wrong["msg"]


def test_inspect_module_args_file_and_in_a_playbook(net_lab: NetLab, tmp_path: Path) -> None:
    args = {"inventory": [str(net_lab.inventory)], "limit": "fsw3", "profiles": ["inspect/network.yml"],
            "checks": ["net.ntp.servers"], "home": str(tmp_path / "home")}  # fmt: skip
    result = run_module("patrol_inspect", args, tmp_path)
    assert result["changed"] is False and result["inspected"] == ["fsw3"] and result["passed"] is False
    [finding] = result["findings"]
    assert finding["check_id"] == "net.ntp.servers" and "192.0.2.99" in finding["message"]
    assert (tmp_path / "home" / "patrol.db").exists()

    private = tmp_path / "runner"
    (private / "project").mkdir(parents=True)
    (private / "project" / "play.yml").write_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: inspect
      patrol_inspect:
        inventory: ["{net_lab.inventory}"]
        limit: fsw3
        profiles: [inspect/network.yml]
        checks: [net.ntp.servers]
        fail_on_findings: true
""")
    events: dict[str, Any] = {}

    def keep(event: dict[str, Any]) -> bool:
        if event.get("event") in ("runner_on_ok", "runner_on_failed"):
            events["inspect"] = event
        return False

    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    ansible_runner.run(
        private_data_dir=str(private), playbook="play.yml", quiet=True, event_handler=keep, cmdline="--check",
        inventory="localhost ansible_connection=local ansible_python_interpreter={{ ansible_playbook_python }}",
        envvars={"ANSIBLE_LIBRARY": str(LIBRARY_DIR), "PATH": path, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    res = events["inspect"]["event_data"]["res"]
    assert events["inspect"]["event"] == "runner_on_failed", res
    assert "check_mode" in res, res["msg"]
    assert res["check_mode"] is True and "did not pass" in res["msg"] and "net.ntp.servers" in res["msg"]
