"""The environment of every ansible-runner run patrol starts, built in one place.

Collection of Linux hosts (:mod:`patrol.collect.ansible_host`) and remediation playbooks
(:mod:`patrol.remediate.playbook`) both run Ansible through ansible-runner; both get
:func:`runner_env`::

    PATH                         the venv's bin first (ansible-playbook, the modules' Python)
    ANSIBLE_LIBRARY              patrol's modules (library/)
    ANSIBLE_HOST_KEY_CHECKING    True; known_hosts paths for patrol's own modules (see
                                 patrol.collect.hostkeys_ansible; per host patrol_host_key_checking)
    ANSIBLE_TIMEOUT              SSH connect timeout (seconds)
    ANSIBLE_TASK_TIMEOUT         per-task limit (seconds), when given
    ANSIBLE_SSH_RETRIES          3: a daemon reloading (sshd after SIGHUP) refuses for a moment
    ANSIBLE_SSH_ARGS             no ControlMaster/ControlPersist (no ``ssh [mux]`` left behind)
    ANSIBLE_PIPELINING, ANSIBLE_NOCOLOR, no retry files, no deprecation/system warnings
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from patrol.collect.hostkeys_ansible import ansible_env
from patrol.paths import LIBRARY_DIR

__all__ = ["SSH_RETRIES", "runner_env"]

SSH_RETRIES = 3


def runner_env(
    known_hosts: Path | None,
    user_known_hosts: Path | None,
    *,
    connect_timeout: float = 10.0,
    task_timeout: float | None = None,
) -> dict[str, str]:
    """ansible-runner ``envvars`` for one run (see the module docstring)."""
    env = ansible_env(known_hosts, user_known_hosts) | {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", os.defpath),
        "ANSIBLE_LIBRARY": str(LIBRARY_DIR),
        "ANSIBLE_TIMEOUT": str(int(max(connect_timeout, 1))),
        "ANSIBLE_SSH_RETRIES": str(SSH_RETRIES),
        "ANSIBLE_PIPELINING": "True",
        # No ControlPersist: it would leave `ssh ... [mux]` processes behind after the run.
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=no -o ControlPersist=no",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_SYSTEM_WARNINGS": "False",
    }
    if task_timeout is not None:
        env["ANSIBLE_TASK_TIMEOUT"] = str(int(max(task_timeout, 1)))
    return env
