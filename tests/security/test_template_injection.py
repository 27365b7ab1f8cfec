"""Device text never executes (issue 14, section 1).

A login banner, an interface description and a Linux file hold Jinja/lookup payloads that would
create files on this server (and print ``RCE-42``) if anything templated them. Through the real
``patrol`` command: the finding's evidence (the description) goes to a playbook, the backups
(banner, description, file) come back in the automatic restore of a failed host and in
``patrol rollback``; preview, apply, restore and rollback keep the text literal on the device,
in the file and in the change log, and nothing is created on the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ansible_runner
import pytest

from patrol.drift.errors import GoldenTemplateError
from patrol.drift.golden import from_source
from patrol.paths import LIBRARY_DIR
from patrol.remediate.datavars import write_vars_file

from ..conftest import PatrolCLI
from .injection_lab import PASSWORD, RENDERED, USER, Canaries, HostileHost, HostileNet
from .injection_lab import canaries as canaries  # the fixtures
from .injection_lab import hostile_host as hostile_host
from .injection_lab import hostile_net as hostile_net

HERE = Path(__file__).resolve().parent
PROFILE = str(HERE / "data" / "profile.yml")
FILE_LINE = str(HERE / "playbooks" / "file_line.yml")
CHECK_ID = "test.interface.description_reviewed"


def _change_id(output: str) -> str:
    return output.split("change ", 1)[1].split()[0]


def _change(cli: PatrolCLI, change_id: str) -> dict[str, Any]:
    shown = cli("changes", change_id, "--json")
    assert shown.code == 0, shown.output
    [entry] = json.loads(shown.stdout)
    return dict(entry)


def _assert_nothing_ran(canaries: Canaries, *texts: str) -> None:
    assert canaries.created() == [], "a payload ran on the patrol server"
    for text in texts:
        assert RENDERED not in text, "a payload was rendered"


def test_evidence_text_stays_literal_through_preview_apply_rollback(
    hostile_net: HostileNet, canaries: Canaries, patrol_cli: PatrolCLI
) -> None:
    original = hostile_net.config("isw1")
    hostile = canaries.description
    reviewed = hostile.replace("description ", "description [reviewed] ", 1)
    run = patrol_cli("run", "-i", str(hostile_net.inventory), "-p", PROFILE, "--limit", "isw1")
    assert run.code == 0, run.output
    found = json.loads(patrol_cli("findings", "--json", "--host", "isw1").stdout)
    [finding] = [f for f in found if f["check_id"] == CHECK_ID]
    assert finding["evidence"]["matched_lines"] == [hostile], "the evidence holds the device's text"

    shown = patrol_cli("remediate", finding["fingerprint"], "--check")
    assert shown.code == 0, shown.output
    assert f"-{hostile}\n" in shown.stdout and f"+{reviewed}\n" in shown.stdout, shown.stdout
    assert hostile_net.config("isw1") == original, "a preview changes nothing"
    _assert_nothing_ran(canaries, shown.output)

    applied = patrol_cli("remediate", finding["fingerprint"], "--approve", "--by", "alice")
    assert applied.code == 0, applied.output
    assert "isw1: applied" in applied.stdout and "passed: finding gone" in applied.stdout, applied.stdout
    assert f"\n {reviewed}\n" in hostile_net.config("isw1"), hostile_net.config("isw1")
    change_id = _change_id(applied.stdout)
    entry = _change(patrol_cli, change_id)
    assert f"+{reviewed}\n" in entry["preview"]["isw1"]["diff"]
    assert entry["host_results"][0]["backup"][0]["lines"] == [hostile]
    _assert_nothing_ran(canaries, applied.output, hostile_net.config("isw1"), json.dumps(entry))

    back = patrol_cli("rollback", change_id, "--by", "carol")
    assert back.code == 0, back.output
    assert "isw1: rolled_back" in back.stdout, back.stdout
    assert hostile_net.config("isw1") == original, "the rollback put the hostile description back as text"
    rolled = _change(patrol_cli, change_id)
    [host] = rolled["host_results"]
    assert f"+{hostile}\n" in host["rollback"]["diff"] and not host["rollback"]["failed"], host
    _assert_nothing_ran(canaries, back.output, json.dumps(rolled))
    assert list(patrol_cli.home.glob("changes/**/patrol-vars.yml")) == [], "the backups are not left on disk"
    kept = [p for p in patrol_cli.home.glob("changes/chg-*/**/*") if p.is_file()]
    assert not [p for p in kept if p.name == "command"], "ansible-runner's command line is not kept"


def test_forced_failure_restores_the_hostile_banner_literally(
    hostile_net: HostileNet, canaries: Canaries, patrol_cli: PatrolCLI
) -> None:
    original = hostile_net.config("isw2")
    args = ("remediate", "--playbook", "playbooks/remediate/banner.yml", "--limit", "isw2",
            "-i", str(hostile_net.inventory), "-p", PROFILE, "-e", "banner_text=Authorised access only")  # fmt: skip
    shown = patrol_cli(*args, "--check")
    assert shown.code == 0, shown.output
    assert f"-{canaries.banner}\n" in shown.stdout and "+banner login Authorised access only" in shown.stdout

    result = patrol_cli(*args, "--approve", "--by", "alice")
    assert result.code == 3, result.output
    assert "isw2: failed" in result.stdout and "restored from the backup" in result.stdout, result.stdout
    assert f"rejected {'no ' + canaries.banner!r}" in result.stdout, result.stdout
    assert hostile_net.config("isw2") == original, "the restore put the hostile banner back as text"
    entry = _change(patrol_cli, _change_id(result.stdout))
    [host] = entry["host_results"]
    assert host["status"] == "failed" and host["backup"][0]["lines"] == [canaries.banner]
    assert f"+{canaries.banner}\n" in host["rollback"]["diff"] and not host["rollback"]["failed"]
    _assert_nothing_ran(canaries, shown.output, result.output, hostile_net.config("isw2"), json.dumps(entry))


def test_linux_file_text_stays_literal_through_apply_rollback_and_restore(
    hostile_host: HostileHost, canaries: Canaries, patrol_cli: PatrolCLI
) -> None:
    path, original = hostile_host.text_file, canaries.file_text
    args = ("remediate", "--playbook", FILE_LINE, "--limit", "lin1", "-i", str(hostile_host.inventory),
            "-p", "inspect/host.yml", "-e", f"target_file={path}", "-e", "new_line=added by patrol")  # fmt: skip
    shown = patrol_cli(*args, "--check")
    assert shown.code == 0, shown.output
    assert "+added by patrol" in shown.stdout and " {# note #}{{ query('pipe'" in shown.stdout, shown.stdout
    assert path.read_text() == original

    applied = patrol_cli(*args, "--approve", "--by", "alice")
    assert applied.code == 0, applied.output
    assert "lin1: applied" in applied.stdout, applied.stdout
    assert path.read_text() == original + "added by patrol\n"
    change_id = _change_id(applied.stdout)
    backup = _change(patrol_cli, change_id)["host_results"][0]["backup"]
    assert backup == [{"kind": "file", "path": str(path), "content": original, "restorable": True}]

    back = patrol_cli("rollback", change_id, "--by", "carol")
    assert back.code == 0, back.output
    assert "lin1: rolled_back" in back.stdout, back.stdout
    assert path.read_text() == original, "the rollback wrote the saved text byte for byte"
    [host] = _change(patrol_cli, change_id)["host_results"]
    assert "-added by patrol\n" in host["rollback"]["diff"] and " {# note #}{{ query('pipe'" in host["rollback"]["diff"]
    _assert_nothing_ran(canaries, shown.output, applied.output, back.output, path.read_text(), json.dumps(host))

    failing = (*args, "-e", "force_failure=true")
    assert patrol_cli(*failing, "--check").code == 0
    failed = patrol_cli(*failing, "--approve", "--by", "alice")
    assert failed.code == 3, failed.output
    assert "lin1: failed" in failed.stdout and "restored from the backup" in failed.stdout, failed.stdout
    assert path.read_text() == original, "the automatic restore wrote the saved text byte for byte"
    entry = _change(patrol_cli, _change_id(failed.stdout))
    _assert_nothing_ran(canaries, failed.output, json.dumps(entry))


PLAYBOOK_ECHO = """\
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - ansible.builtin.set_fact: {copied: "{{ values }}"}
    - ansible.builtin.copy:
        content: "{{ {'values': copied, 'keyed': keyed, 'count': count} | to_json }}"
        dest: "{{ out }}"
"""


def test_vars_file_gives_ansible_exact_text_and_types_never_templated(tmp_path: Path, canaries: Canaries) -> None:
    values = [canaries.banner, canaries.description, canaries.file_text, "", "yes", "no", "null", "~", "1.0",
              "- a", "key: v", "#x", "@x", "!x", "%x", "*x", "&x", "'\"\\", "tab\there  ", "\r\nwin\r\n",
              "ctrl \x01\x1b[0m", "ünï ☃ \u2028", "{# c #}", "{% raw %}{{ x }}{% endraw %}"]  # fmt: skip
    data = {"values": values, "keyed": {canaries.banner: canaries.description}, "count": 3,
            "out": str(tmp_path / "out.json")}  # fmt: skip
    vars_file = write_vars_file(tmp_path / "vars.yml", data)
    assert vars_file.stat().st_mode & 0o077 == 0, "readable by its owner only"
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "echo.yml").write_text(PLAYBOOK_ECHO)
    run = ansible_runner.run(
        private_data_dir=str(tmp_path), playbook="echo.yml", inventory="localhost,", quiet=True,
        cmdline=f"-e @{vars_file} -e ansible_python_interpreter={sys.executable}",
        envvars={"ANSIBLE_NOCOLOR": "1", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        suppress_env_files=True,
    )  # fmt: skip
    assert run.rc == 0, run.stdout.read()
    echoed = json.loads((tmp_path / "out.json").read_text())
    assert echoed == {"values": values, "keyed": data["keyed"], "count": 3}
    _assert_nothing_ran(canaries, json.dumps(echoed))


def test_net_config_module_refuses_a_line_break(hostile_net: HostileNet, tmp_path: Path) -> None:
    args = {"host": "127.0.0.1", "port": hostile_net.ports["isw1"], "username": USER, "password": PASSWORD,
            "platform": "cisco_ios", "lines": ["ntp server 192.0.2.1\nusername evil privilege 15"]}  # fmt: skip
    before = hostile_net.config("isw1")
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, str(LIBRARY_DIR / "patrol_net_config.py"), str(args_file)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    result = json.loads(proc.stdout)
    assert result["failed"] is True and "holds a line break" in result["msg"], result
    assert hostile_net.config("isw1") == before and "evil" not in hostile_net.config("isw1")


def test_golden_template_takes_inventory_text_as_data_in_a_sandbox(canaries: Canaries) -> None:
    template = from_source("golden.j2", "hostname {{ inventory_hostname }}\n{{ motd }}\n")
    rendered = template.render("core-sw1", {"motd": canaries.banner})
    assert rendered == f"hostname core-sw1\n{canaries.banner}", "a variable's text is output, never rendered"
    escape = from_source("evil.j2", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(GoldenTemplateError, match="unsafe"):
        escape.render("core-sw1", {})
    _assert_nothing_ran(canaries, rendered)
