"""Issue 14 §3 against a real `patrol serve`: API schedules only name inventories and profiles
under the roots the administrator configured, never a vault file, and the answer for any path
outside the roots is the same whether that path exists or not (no file oracle)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from patrol.config import load_settings
from patrol.errors import ConfigError
from patrol.paths import PROFILES_DIR
from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import LAB_INVENTORY, LAB_VAULT, PatrolCLI
from tests.service.conftest import Server, start_server, wait_for

API = "/api/v1/schedules"


@dataclass
class Site:
    cli: PatrolCLI
    server: Server
    token: str
    root: Path  # the inventory root in tmp (the lab's own folder is the other one)
    marker: Path  # a file an inventory script would create if it ran

    def post(self, **body: Any) -> Any:
        return self.server.call("POST", API, self.token, json={"cron": "0 2 * * *"} | body)

    def names(self) -> list[str]:
        return [s["name"] for s in self.server.call("GET", API, self.token).json()]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("roots")
    cli, root, marker = PatrolCLI(base / "home"), base / "inventories", base / "ran"
    root.mkdir()
    shutil.copytree(LAB_INVENTORY, root / "lab")
    (root / "lab" / "vault-password.txt").unlink()  # the secret stays outside the roots
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        token = add_token(store, "ops", "operator")
    config = base / "patrol.yml"
    config.write_text(f"service:\n  inventory_roots: [{root}]\n  vault_password_file: {LAB_VAULT}\n")
    server = start_server(cli, "--tick", "0.5", env={"PATROL_CONFIG": str(config)})
    yield Site(cli, server, token, root, marker)
    server.stop()


def _detail(answer: Any, path: str) -> str:
    assert answer.status_code == 422, answer.text
    return str(answer.json()["detail"]).replace(repr(path), "<PATH>")


def test_paths_outside_the_roots_get_one_answer_whether_they_exist_or_not(site: Site, tmp_path: Path) -> None:
    (site.root / "link").symlink_to("/etc/passwd")
    probes = ["/etc/passwd", "/etc/no-such-file-xyz", str(site.root / ".." / ".." / "etc" / "shadow"),
              str(site.root / "link"), "/root", "/proc/self/environ", "x\x00y", "/" + "a" * 900]  # fmt: skip
    details = {_detail(site.post(name="probe", inventory=[p]), p) for p in probes}
    assert len(details) == 1, details  # exists / missing / symlink out / traversal: indistinguishable
    detail = details.pop()
    assert "not an inventory under the server's inventory roots" in detail
    assert "service.inventory_roots" in detail and str(site.root) not in detail  # nothing about the server
    profile = site.post(name="probe", inventory=[str(site.root / "lab")], profiles=["/etc"])
    assert "not a profile under the server's profile roots" in profile.json()["detail"]
    assert "probe" not in site.names()


def test_a_vault_file_in_the_body_is_refused_whatever_it_names(site: Site) -> None:
    for vault in (str(LAB_VAULT), "/nonexistent", "/bin/true"):
        answer = site.post(name="vaulted", inventory=[str(site.root / "lab")], vault_password_file=vault)
        assert answer.status_code == 422, answer.text
        assert "the vault secret is the server's setting" in answer.json()["detail"]
        assert vault not in answer.json()["detail"]
    assert "vaulted" not in site.names()


def test_executable_inventories_and_plugin_configs_are_refused_and_never_run(site: Site) -> None:
    script = site.root / "dynamic.sh"
    script.write_text(f"#!/bin/sh\ntouch {site.marker}\necho '{{}}'\n")
    script.chmod(0o755)
    plugin = site.root / "constructed.yml"
    plugin.write_text("plugin: ansible.builtin.constructed\ncompose:\n  x: lookup('pipe', 'id')\n")
    for source, why in ((script, "executable file"), (plugin, "inventory plugin config")):
        answer = site.post(name="dyn", inventory=[str(source)])
        assert answer.status_code == 422 and why in answer.json()["detail"], answer.text
    folder = site.root / "mixed"
    shutil.copytree(site.root / "lab", folder)
    shutil.copy(script, folder / "more.sh")
    answer = site.post(name="dyn", inventory=[str(folder)])
    assert answer.status_code == 422 and "more.sh" in answer.json()["detail"], answer.text
    (folder / "more.sh").unlink()
    scripts = site.root.parent / "scripts"  # a symlinked folder is read by ansible too (a loop is not followed twice)
    scripts.mkdir()
    shutil.copy(script, scripts / "linked.sh")
    (folder / "extra").symlink_to(scripts)
    (folder / "loop").symlink_to(folder)
    answer = site.post(name="dyn", inventory=[str(folder)])
    assert answer.status_code == 422 and "linked.sh" in answer.json()["detail"], answer.text
    assert not site.marker.exists() and "dyn" not in site.names()


@pytest.mark.usefixtures("lab")
def test_a_schedule_under_the_roots_runs_with_the_servers_vault_and_is_rechecked_before_each_run(site: Site) -> None:
    """The accepted path is stored resolved; the run uses the server's vault; a script that appears
    after creation is refused at run time (recorded on the schedule), not run."""
    made = site.post(name="core", inventory=[str(site.root / "lab" / ".." / "lab")], limit="core-sw1")
    assert made.status_code == 201, made.text
    assert made.json()["inventory"] == [str((site.root / "lab").resolve())]
    assert made.json()["vault_password_file"] is None and made.json()["source"] == "api"
    assert site.server.call("POST", f"{API}/core/run-now", site.token).status_code == 202
    done = wait_for(lambda: (s := _schedule(site, "core"))["last_status"] not in (None, "running") and s)
    assert done["last_status"] == "completed", done  # the inventory's !vault values decrypted
    sneaky = site.root / "lab" / "zz-dynamic.sh"
    sneaky.write_text(f"#!/bin/sh\ntouch {site.marker}\necho '{{}}'\n")
    sneaky.chmod(0o755)
    try:
        # the first run's lease is released once its report is written: retry while it answers 409
        wait_for(lambda: site.server.call("POST", f"{API}/core/run-now", site.token).status_code == 202)
        failed = wait_for(lambda: (s := _schedule(site, "core"))["last_status"] == "failed" and s)
        assert "zz-dynamic.sh" in failed["last_error"] and "executable file" in failed["last_error"]
        assert not site.marker.exists()
    finally:
        sneaky.unlink()


def _schedule(site: Site, name: str) -> dict[str, Any]:
    return next(s for s in site.server.call("GET", API, site.token).json() if s["name"] == name)


def test_patrol_yml_service_section_under_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "patrol.yml"
    config.write_text(f"service:\n  inventory_roots: [{tmp_path / 'a'}, {tmp_path / 'b'}]\n  inventory_plugins: yes\n")
    monkeypatch.setenv("PATROL_CONFIG", str(config))
    monkeypatch.delenv("PATROL_INVENTORY_ROOTS", raising=False)
    settings = load_settings()
    assert settings.inventory_roots == (tmp_path / "a", tmp_path / "b") and settings.inventory_plugins is True
    assert settings.vault_password_file is None and settings.profile_roots == (PROFILES_DIR,)
    monkeypatch.setenv("PATROL_INVENTORY_ROOTS", f"{tmp_path / 'c'}:{tmp_path / 'd'}")
    assert load_settings().inventory_roots == (tmp_path / "c", tmp_path / "d")  # the environment wins
    config.write_text("service: [inventory_roots]\n")
    with pytest.raises(ConfigError, match="'service' must be a mapping"):
        load_settings()
    config.write_text("service:\n  inventory_root: [/srv]\n")
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) \['service.inventory_root'\]"):
        load_settings()
