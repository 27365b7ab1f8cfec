"""The lab devices' SSH authentication log: which login attempts reached a device.

:class:`RecordingInterface` is fakenos' paramiko server interface that also appends one line per
authentication attempt (``"password patrol"``, ``"none patrol"``, ``"publickey patrol"``,
``"keyboard-interactive patrol"``; never the secret) to a list the fleet exposes as
``Fleet.auth_log(name)``. The host key tests read it to show that no credential was sent to a
device whose key changed.
"""

from __future__ import annotations

from typing import Any

import paramiko
from fakenos.plugins.servers.ssh_server_paramiko import ParamikoSshServerInterface

__all__ = ["RecordingInterface"]


class RecordingInterface(ParamikoSshServerInterface):
    """fakenos' server interface that also records every authentication attempt (the auth log)."""

    def __init__(self, auth_log: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._auth_log = auth_log

    def check_auth_none(self, username: str) -> int:
        self._auth_log.append(f"none {username}")
        return int(super().check_auth_none(username))

    def check_auth_password(self, username: str, password: str) -> int:
        self._auth_log.append(f"password {username}")  # the value is never recorded
        return int(super().check_auth_password(username, password))

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        self._auth_log.append(f"publickey {username}")
        return int(super().check_auth_publickey(username, key))

    def check_auth_interactive(self, username: str, submethods: str) -> Any:
        self._auth_log.append(f"keyboard-interactive {username}")
        return super().check_auth_interactive(username, submethods)
