"""nginx on a Linux host through Ansible: this machine (ansible_connection=local) runs the real
``nginx -t`` / ``nginx -T`` against configurations written here; one valid, one broken, one host
with nginx switched off. The check host.nginx.config_test passes, fails with nginx's error line,
and is not applicable."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from patrol.checks import evaluate, load_profiles
from patrol.drift.confdiff import diff_configs
from patrol.drift.noise import LineNoise
from patrol.drift.rules import Ordering
from patrol.models import HostStatus, Outcome
from patrol.paths import PROFILES_DIR
from patrol.sanitize import scrub_result

from .conftest import collect, linux_host

TOKEN = "abcdEFGH1234secretTOKEN"

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx is not installed (Debian package nginx-light or nginx)")  # fmt: skip

SERVER = """
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 16; }}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:18081;
        server_name shop.example;
        location / {{ return 200 "ok"; }}
{extra}
    }}
}}
"""


def _conf(directory: Path, extra: str) -> Path:
    directory.mkdir()
    path = directory / "nginx.conf"
    path.write_text(SERVER.format(dir=directory, extra=extra))
    return path


def test_nginx_config_test_and_config_are_collected_and_checked(tmp_path: Path) -> None:
    good = _conf(
        tmp_path / "good",
        "        location /api {\n            proxy_pass http://127.0.0.1:18082;\n"
        f'            proxy_set_header Authorization "Bearer {TOKEN}";\n        }}',
    )
    bad = _conf(tmp_path / "bad", "        bogus_directive on;")
    python = f"ansible_python_interpreter={sys.executable}"
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(f"nginx-good ansible_connection=local {python} patrol_nginx_conf={good}\n"
                         f"nginx-bad ansible_connection=local {python} patrol_nginx_conf={bad}\n"
                         f"nginx-off ansible_connection=local {python} patrol_nginx=false\n")  # fmt: skip
    results = collect(["nginx-good", "nginx-bad", "nginx-off"], tmp_path / "work", (str(inventory),))
    profiles = load_profiles([PROFILES_DIR])

    def check(name: str) -> tuple[Outcome, str]:
        result = results[name]
        assert result.status is HostStatus.OK, result.error
        found = [r for r in evaluate(profiles, linux_host(name), result.snapshot, result.status)
                 if r.check_id == "host.nginx.config_test"]  # fmt: skip
        assert len(found) == 1
        return found[0].outcome, found[0].message

    ok = results["nginx-good"].snapshot
    assert ok is not None and ok.extra["nginx"]["test_ok"] is True and ok.extra["nginx"]["test_errors"] == []
    assert ok.config is not None and f"# configuration file {good}:" in ok.config
    assert "proxy_pass http://127.0.0.1:18082;" in ok.config
    assert check("nginx-good")[0] is Outcome.PASS
    stored = scrub_result(results["nginx-good"], b"k" * 32).snapshot  # what the runner stores
    assert stored is not None and stored.config is not None and TOKEN not in stored.config
    assert "proxy_pass http://127.0.0.1:18082;" in stored.config
    changed = stored.config.replace("127.0.0.1:18082", "127.0.0.1:18083")
    drift = diff_configs(stored.config, changed, "linux", LineNoise(), Ordering())
    assert [(item.kind, item.text) for item in drift if "1808" in item.text] == [
        ("removed", "proxy_pass http://127.0.0.1:18082"),
        ("added", "proxy_pass http://127.0.0.1:18083"),
    ]  # drift baselines the nginx configuration

    broken = results["nginx-bad"].snapshot
    assert broken is not None and broken.extra["nginx"]["test_ok"] is False
    assert 'unknown directive "bogus_directive"' in broken.extra["nginx"]["test_output"]
    outcome, message = check("nginx-bad")
    assert outcome is Outcome.FAIL and "bogus_directive" in message

    off = results["nginx-off"].snapshot
    assert off is not None and "nginx" not in off.extra and off.config is None
    assert check("nginx-off")[0] is Outcome.NOT_APPLICABLE
