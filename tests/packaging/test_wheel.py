"""Installed from its wheel, patrol works from any folder (issue 15, item 9).

The wheel is built from a copy of the sources (``pip wheel --no-build-isolation``: nothing is
downloaded, and no ``build/`` is left in the checkout) and installed into a fresh virtualenv,
then used as a user would, from an unrelated folder: ``patrol lab up`` without the lab extra,
``patrol init``, ``patrol lab up``, ``patrol run``, ``patrol remediate --check``, ``patrol lab down``.

Dependencies: installing them from the registry would take minutes and need the network, so the
fresh virtualenv sees this test interpreter's site-packages through a ``.pth`` file naming a folder
of links to each installed distribution, without patrol itself (its editable finder is not
loaded: a ``.pth`` path line adds a folder, it does not run the ``.pth`` files in it) and without
``fakenos`` until the test adds the lab extra's own ``.pth``. The dependencies' console scripts
(``ansible-playbook``, ``snmpsim-command-responder``) are found on ``PATH`` after the virtualenv's.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from patrol.lab.manager import lab_down, lab_status, lab_up
from tests.conftest import IS_ROOT, ROOT
from tests.lab_hosts import lab_coverage_line

SOURCES = ("patrol", "inspect", "playbooks", "library", "reports", "lab", "inventory",
           "setup.py", "setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in")  # fmt: skip
SHIPPED = ("patrol/_data/inspect/network.yml", "patrol/_data/inspect/service.yml",
           "patrol/_data/playbooks/collect_host.yml", "patrol/_data/playbooks/remediate/telnet_disable.yml",
           "patrol/_data/library/patrol_net_config.py", "patrol/_data/reports/templates/report.html.j2",
           "patrol/_data/lab/fakenos/core-sw1/show_running-config.txt", "patrol/_data/lab/sshd/sshd_config.tmpl",
           "patrol/_data/inventory/lab/hosts.yml", "patrol/service/templates/base.html")  # fmt: skip
LAB_PORT = 6001  # core-sw1: taken while any copy of the lab runs


@dataclass
class Installed:
    root: Path
    venv: Path
    build_log: str
    wheel: Path

    @property
    def site(self) -> Path:
        return Path(sysconfig.get_path("purelib", vars={"base": str(self.venv), "platbase": str(self.venv)}))

    def patrol(self, *args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        path = os.pathsep.join([str(self.venv / "bin"), os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PATROL_", "PYTHON"))}
        env.update(PATH=path, XDG_STATE_HOME=str(self.root / "state"), COLUMNS="200", NO_COLOR="1", TERM="dumb")
        return subprocess.run([str(self.venv / "bin" / "patrol"), *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)  # fmt: skip


def _link_distributions(folder: Path, keep: Callable[[str], bool]) -> None:
    folder.mkdir()
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if keep(entry.name):
            (folder / entry.name).symlink_to(entry)


def _ours(name: str) -> bool:
    return name.startswith(("patrol", "__editable__", "__pycache__")) or name.endswith(".pth")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if tuple(int(p) for p in version("setuptools").split(".")[:2]) < (70, 1):
        pytest.skip("needs setuptools >= 70.1 (the test extra pins it: make install)")
    root = tmp_path_factory.mktemp("wheel")
    (root / "src").mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, root / "src" / name, ignore=shutil.ignore_patterns(".state", "__pycache__"))
        else:
            shutil.copy2(ROOT / name, root / "src" / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                            "-w", str(root / "dist"), str(root / "src")],
                           capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    [wheel] = (root / "dist").glob("patrol-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)  # fmt: skip
    made = Installed(root, venv, build.stdout + build.stderr, wheel)
    _link_distributions(root / "deps", lambda n: not _ours(n) and not n.startswith("fakenos"))
    (made.site / "patrol-test-deps.pth").write_text(f"{root / 'deps'}\n")
    (root / "elsewhere").mkdir()
    return made


@pytest.fixture
def lab_ports_free() -> Iterator[None]:
    """The lab's fixed ports: this checkout's lab is stopped for the test and started again after."""
    ours = lab_status().running
    if ours:
        lab_down()
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", LAB_PORT))
        except OSError:
            pytest.skip(f"port {LAB_PORT} is taken (another checkout's lab runs): the installed lab cannot start")
    try:
        yield
    finally:
        if ours:
            lab_up(timeout=180)


def test_the_wheel_carries_the_shipped_data_and_builds_without_warnings(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    assert set(SHIPPED) <= names, set(SHIPPED) - names
    assert not [n for n in names if "/.state/" in n or n.startswith(("inspect/", "tests/"))], "nothing else"
    for warning in ("is absent from the `packages` configuration", "SetuptoolsDeprecationWarning",
                    "Package would be ignored", "no previously-included files"):  # fmt: skip
        assert warning not in installed.build_log, warning
    shipped = installed.site / "patrol" / "_data" / "inspect" / "network.yml"
    assert shipped.is_file() and not (installed.site / "inspect").exists(), "never a top-level 'inspect'"


def test_the_lab_without_its_extra_says_so_in_one_line(installed: Installed) -> None:
    (installed.site / "patrol-test-lab.pth").unlink(missing_ok=True)
    result = installed.patrol("lab", "up", cwd=installed.root / "elsewhere", timeout=60)
    assert result.returncode == 3, result.stdout + result.stderr
    [error] = result.stderr.splitlines()
    assert error.startswith("error:") and "pip install 'patrol[lab]'" in error and "fakenos" in error
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("lab_ports_free")
def test_the_lab_demo_from_an_unrelated_folder(installed: Installed) -> None:
    if not (installed.root / "lab-extra").exists():
        _link_distributions(installed.root / "lab-extra", lambda n: n.startswith("fakenos"))
    (installed.site / "patrol-test-lab.pth").write_text(f"{installed.root / 'lab-extra'}\n")
    elsewhere = installed.root / "elsewhere"
    made = installed.patrol("init", "demo", cwd=elsewhere)
    assert made.returncode == 0, made.stderr
    demo = elsewhere / "demo"
    network = demo / "inspect" / "network.yml"  # the user's own profiles replace the shipped ones
    network.write_text(network.read_text().replace(
        '{en: "Telnet management is enabled; it must be disabled",', '{en: "No telnet (ours)",'))
    up = installed.patrol("lab", "up", cwd=elsewhere)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        state = installed.root / "state" / "patrol" / "lab"
        assert (state / "state.json").is_file(), "the lab's state is outside the installed package"
        assert not (installed.site / "patrol" / "_data" / "lab" / ".state").exists()
        run = installed.patrol("run", "-i", "inventory", "--vault-password-file", "inventory/vault-password.txt",
                               cwd=demo)  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert lab_coverage_line(IS_ROOT) in run.stdout
        assert (demo / ".patrol" / "patrol.db").is_file()
        found = json.loads(installed.patrol("findings", "--json", cwd=demo).stdout)
        assert {f["domain"] for f in found} == {"network", "security", "host", "storage"}
        [telnet] = [f for f in found if f["check_id"] == "net.telnet.disabled" and f["host"] == "core-sw1"]
        assert telnet["title_en"] == "No telnet (ours)", "./inspect overrides the shipped profiles"
        tickets = json.loads(installed.patrol("tickets", "--json", cwd=demo).stdout)
        [ticket] = [t["id"] for t in tickets if t["check_id"] == "net.telnet.disabled" and t["host"] == "core-sw1"]
        preview = installed.patrol("remediate", str(ticket), "--check", "--vault-password-file",
                                   "inventory/vault-password.txt", cwd=demo)  # fmt: skip
        assert preview.returncode == 0, preview.stdout + preview.stderr
        assert "patrol/_data/playbooks/remediate/telnet_disable.yml" in preview.stdout
        assert "-transport input telnet ssh" in preview.stdout and "+transport input ssh" in preview.stdout
        shipped = installed.patrol("run", "-i", "demo/inventory", "--limit", "core-sw1", "--vault-password-file",
                                   "demo/inventory/vault-password.txt", cwd=elsewhere)  # fmt: skip
        assert shipped.returncode == 0, shipped.stdout + shipped.stderr
        found = json.loads(installed.patrol("findings", "--json", "--host", "core-sw1", cwd=elsewhere).stdout)
        [telnet] = [f for f in found if f["check_id"] == "net.telnet.disabled" and f["host"] == "core-sw1"]
        assert telnet["title_en"] == "Telnet management is enabled; it must be disabled", "no ./inspect: shipped"
    finally:
        down = installed.patrol("lab", "down", cwd=elsewhere)
    assert down.returncode == 0 and "lab stopped" in down.stdout, down.stdout + down.stderr
