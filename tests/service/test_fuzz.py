"""The published OpenAPI fuzzed with schemathesis against a real `patrol serve`: no 5xx, bounded examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import Site

ST = Path(sys.executable).parent / "st"
pytestmark = [
    pytest.mark.usefixtures("lab"),
    pytest.mark.skipif(not ST.exists(), reason="schemathesis not installed (pip install -e .[test])"),
]


def test_api_fuzzed_from_its_openapi_has_no_server_errors(api_site: Site, tmp_path: Path) -> None:
    _, server, tokens = api_site  # the approver reaches every write; the server keeps running for others
    fuzz = subprocess.run(
        [str(ST), "run", f"{server.url}/openapi.json", "-H", f"Authorization: Bearer {tokens['approver']}",
         "--checks", "not_a_server_error", "--max-examples", "10", "--phases", "coverage,fuzzing",
         "--seed", "7", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert fuzz.returncode == 0, fuzz.stdout[-4000:]
    assert "Server error" not in fuzz.stdout
    operations = sum(len(ops) for ops in httpx.get(f"{server.url}/openapi.json", timeout=30,
                                                    headers={"Authorization": f"Bearer {tokens['viewer']}"}
                                                    ).json()["paths"].values())  # fmt: skip
    assert f"Selected: {operations}/{operations}" in fuzz.stdout and f"Tested: {operations}" in fuzz.stdout, \
        fuzz.stdout[-3000:]  # every operation, the API writes included
    assert server.proc.poll() is None
