"""The published OpenAPI fuzzed with schemathesis against a real `patrol serve`: no 5xx, bounded examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LAB_INVENTORY, LAB_VAULT, PatrolCLI
from tests.service.conftest import start_server

ST = Path(sys.executable).parent / "st"
pytestmark = [
    pytest.mark.usefixtures("lab"),
    pytest.mark.skipif(not ST.exists(), reason="schemathesis not installed (pip install -e .[test])"),
]


def test_api_fuzzed_from_its_openapi_has_no_server_errors(tmp_path: Path) -> None:
    cli = PatrolCLI(tmp_path / "home")
    assert cli("schedule", "add", "core", "--cron", "0 2 * * *", "--limit", "core-sw1", "-i", str(LAB_INVENTORY),
               "--vault-password-file", str(LAB_VAULT)).code == 0  # fmt: skip
    assert cli("schedule", "run-now", "core").code == 0  # runs, hosts, findings and tickets to fuzz against
    operator = cli("token", "add", "fuzz", "--role", "operator").stdout.strip()
    server = start_server(cli, "--tick", "1")
    try:
        fuzz = subprocess.run(
            [str(ST), "run", f"{server.url}/openapi.json", "-H", f"Authorization: Bearer {operator}",
             "--checks", "not_a_server_error", "--max-examples", "10", "--phases", "coverage,fuzzing",
             "--seed", "7", "--no-color"],
            cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
    finally:
        assert server.stop() == 0
    assert fuzz.returncode == 0, fuzz.stdout[-4000:]
    assert "Server error" not in fuzz.stdout
    assert "Tested: 17" in fuzz.stdout
