"""Service targets in an inventory: platforms, collectors, vaulted logins read as patrol_db_*."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol.errors import HostConfigError
from patrol.inventory import load_inventory
from patrol.models import DeviceClass

LAB = Path(__file__).resolve().parents[2] / "inventory" / "lab"


def test_lab_service_targets_resolve_with_their_vaulted_logins() -> None:
    inv = load_inventory([str(LAB)], vault_password_file=str(LAB / "vault-password.txt"), limit="databases:middleware")
    hosts = {h.name: h for h in inv.hosts}
    assert {n: (h.platform, h.collector) for n, h in hosts.items()} == {
        "pg1": ("postgresql", "postgresql"), "pg2": ("postgresql", "postgresql"),
        "mariadb1": ("mysql", "mysql"), "redis1": ("redis", "redis")}  # fmt: skip
    pg1 = hosts["pg1"]
    assert pg1.device_class is DeviceClass.HOST and pg1.vars["patrol_db_port"] == 15432
    assert pg1.credentials.username == "patrol_ro" and pg1.credentials.password is not None
    assert pg1.credentials.password.get_secret_value() == "Lab-Db-Pass1"
    assert "Lab-Db-Pass1" not in pg1.model_dump_json() and "patrol_db_password" not in pg1.vars
    assert hosts["redis1"].credentials.username is None  # requirepass only


def test_a_database_without_a_login_is_refused_before_any_connection(tmp_path: Path) -> None:
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  hosts:\n    pg9: {patrol_platform: postgresql, ansible_host: 127.0.0.1}\n")
    with pytest.raises(HostConfigError, match=r"host 'pg9': patrol_db_user: missing database login"):
        load_inventory([str(inv)])


def test_http_targets_need_no_login(tmp_path: Path) -> None:
    inv = tmp_path / "hosts.yml"
    inv.write_text(
        "all:\n  hosts:\n    exp1: {patrol_platform: prometheus, patrol_url: 'http://127.0.0.1:9/metrics'}\n"
    )
    (host,) = load_inventory([str(inv)]).hosts
    assert (host.collector, host.device_class, host.vars["patrol_url"]) == ("http_metrics", DeviceClass.HOST,
                                                                             "http://127.0.0.1:9/metrics")  # fmt: skip
