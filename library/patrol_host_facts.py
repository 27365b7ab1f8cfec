#!/usr/bin/python
"""Ansible module patrol_host_facts: read-only health and security facts of a Linux host."""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import re
import shlex
import shutil
import ssl
import subprocess
import time
from typing import TYPE_CHECKING, Any

from ansible.module_utils.basic import AnsibleModule

if TYPE_CHECKING:  # annotations are never evaluated: the module runs on Python >= 3.7 targets
    from collections.abc import Iterator

    Json = dict[str, Any]  # a JSON object of the module result

DOCUMENTATION = r"""
---
module: patrol_host_facts
short_description: Read a Linux host's capacity, sockets, sshd settings, UID-0 users, time sync, certificates
description:
  - Reads only; never changes the host. C(changed) is always false and check mode returns the same data.
  - Pure Python standard library, so it runs with any Python >= 3.7 on the target.
  - Disk usage per mount point (pseudo filesystems skipped), memory, swap and load averages.
  - Listening TCP/UDP sockets from /proc/net (with the owning process where /proc/PID/fd is readable).
  - Effective sshd settings parsed from O(sshd_config), following C(Include); the first value wins,
    as in sshd; C(Match) blocks are ignored; unset keys get OpenSSH's compiled-in defaults.
  - Local users with UID 0 from O(passwd_file).
  - Failed systemd units when systemd runs; otherwise says "not available" (never "none failed").
  - Time synchronisation from chronyc, ntpq, timedatectl or the kernel's adjtimex state; "unknown" when none answers.
  - Expiry of the TLS certificates in O(cert_files) (subject, not_after, or an error per file).
options:
  sshd_config:
    description:
      - Path of the sshd configuration to parse. When omitted, /etc/ssh/sshd_config is read and a
        missing file is reported as C(present=false). When given, a missing file fails the module.
    type: path
    required: false
  passwd_file:
    description:
      - Path of the passwd(5) file whose UID-0 users are reported. When omitted, /etc/passwd.
    type: path
    required: false
  cert_files:
    description:
      - PEM certificate files whose expiry is reported. A missing or unreadable file gives an
        C(error) entry for that file; it does not fail the module.
    type: list
    elements: path
    default: []
  nginx:
    description:
      - C(auto) reports nginx when its binary is on the PATH and its configuration file exists;
        C(yes) always (a missing binary is reported as a failed test), C(no) never.
    type: str
    choices: [auto, "yes", "no"]
    default: auto
  nginx_conf:
    description:
      - nginx configuration file to test (C(nginx -t -c FILE)) and dump (C(nginx -T -c FILE)).
        When omitted, nginx's own default (/etc/nginx/nginx.conf).
    type: path
    required: false
  skip_fstypes:
    description:
      - Extra filesystem types to leave out of the disk report (pseudo filesystems are always left out).
    type: list
    elements: str
    default: []
author:
  - patrol
"""

EXAMPLES = r"""
- name: Inspect a Linux host
  patrol_host_facts:
    sshd_config: /etc/ssh/sshd_config
    cert_files:
      - /etc/ssl/certs/web.pem
"""

RETURN = r"""
machine:
  description: Hardware identity and boot time (DMI values are null where unreadable).
  returned: always
  type: dict
  sample: {"vendor": "QEMU", "model": "Standard PC", "serial": null, "boot_time": 1764140000, "cpus": 2}
filesystems:
  description: One entry per mounted real filesystem; sizes in bytes.
  returned: always
  type: list
  sample: [{"mount": "/", "device": "/dev/sda1", "fstype": "ext4", "size": 1.0e10, "used": 4.0e9, "avail": 5.5e9}]
memory:
  description: RAM and swap in bytes (used RAM = total - available).
  returned: always
  type: dict
  sample: {"total": 8.0e9, "used": 2.0e9, "swap_total": 0, "swap_used": 0}
load:
  description: Load averages and CPU count.
  returned: always
  type: dict
  sample: {"load1": 0.2, "load5": 0.1, "load15": 0.05, "cpus": 2}
listening:
  description: Listening sockets as "proto/addr:port process" (process "?" when not readable).
  returned: always
  type: list
  sample: ["tcp/0.0.0.0:22 sshd", "udp/127.0.0.1:161 snmpd"]
sshd:
  description: Effective sshd settings (lower-case keys) and the files read.
  returned: always
  type: dict
  sample: {"present": true, "files": ["/etc/ssh/sshd_config"], "settings": {"permitrootlogin": "no"}}
uid0_users:
  description: Local users with UID 0.
  returned: always
  type: list
  sample: ["root"]
services:
  description: Failed services, or why they cannot be known.
  returned: always
  type: dict
  sample: {"available": false, "reason": "systemd is not running (no /run/systemd/system)", "failed": null}
time_sync:
  description: Clock synchronisation; synced is null when unknown.
  returned: always
  type: dict
  sample: {"synced": true, "source": "chronyc", "detail": "Leap status : Normal"}
certificates:
  description: One entry per O(cert_files) item; not_after in ISO 8601 UTC.
  returned: always
  type: list
  sample: [{"path": "/etc/ssl/web.pem", "subject": "CN=web1", "not_after": "2026-12-06T10:00:00Z", "error": null}]
"""

PSEUDO_FSTYPES = frozenset((
    "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs",
    "efivarfs", "fusectl", "fuse.gvfsd-fuse", "fuse.lxcfs", "hugetlbfs", "mqueue", "nfsd", "nsfs", "proc",
    "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs",
))  # fmt: skip
SSHD_DEFAULTS = {
    "permitrootlogin": "prohibit-password",
    "passwordauthentication": "yes",
    "pubkeyauthentication": "yes",
    "permitemptypasswords": "no",
    "kbdinteractiveauthentication": "yes",
    "x11forwarding": "no",
    "maxauthtries": "6",
    "port": "22",
}
TCP_STATES_LISTEN = {"tcp": "0A", "tcp6": "0A", "udp": "07", "udp6": "07"}
STA_UNSYNC = 0x0040
TIME_ERROR = 5


def run_cmd(argv: list[str], timeout: float = 5) -> str | None:
    """Output of a command, or None when it is absent, fails or hangs."""
    if not shutil.which(argv[0]):
        return None
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


# ---- machine, capacity ---------------------------------------------------------------------


def machine_facts() -> Json:
    """DMI identity (null where unreadable), boot time (epoch seconds) and CPU count."""
    dmi: Json = {
        key: (read_text("/sys/class/dmi/id/" + name) or "").strip() or None
        for key, name in (("vendor", "sys_vendor"), ("model", "product_name"), ("serial", "product_serial"))
    }
    boot = None
    for line in (read_text("/proc/stat") or "").splitlines():
        if line.startswith("btime "):
            boot = int(line.split()[1])
    dmi.update(boot_time=boot, cpus=os.cpu_count())
    return dmi


def _unescape_mount(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def filesystems(skip: set[str]) -> list[Json]:
    """Usage of each mounted real filesystem (bytes); bind mounts of a filesystem already seen are skipped."""
    result, seen = [], set()
    for line in (read_text("/proc/self/mounts") or "").splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[2] in PSEUDO_FSTYPES or fields[2] in skip:
            continue
        device, mount, fstype = fields[0], _unescape_mount(fields[1]), fields[2]
        try:
            st, dev = os.statvfs(mount), os.stat(mount).st_dev
        except OSError:
            continue
        if st.f_blocks == 0 or dev in seen or not os.path.isdir(mount):
            continue
        seen.add(dev)
        size = st.f_blocks * st.f_frsize
        result.append(
            {
                "mount": mount,
                "device": device,
                "fstype": fstype,
                "size": size,
                "used": size - st.f_bfree * st.f_frsize,
                "avail": st.f_bavail * st.f_frsize,
            }
        )
    return result


def memory() -> Json:
    """RAM and swap in bytes from /proc/meminfo."""
    info = {}
    for line in (read_text("/proc/meminfo") or "").splitlines():
        parts = line.replace(":", " ").split()
        if len(parts) >= 2 and parts[1].isdigit():
            info[parts[0]] = int(parts[1]) * 1024
    total = info.get("MemTotal", 0)
    avail = info.get("MemAvailable", info.get("MemFree", 0))
    swap_total = info.get("SwapTotal", 0)
    return {
        "total": total,
        "used": total - avail,
        "swap_total": swap_total,
        "swap_used": swap_total - info.get("SwapFree", 0),
    }


def load() -> Json:
    one, five, fifteen = os.getloadavg()
    return {"load1": one, "load5": five, "load15": fifteen, "cpus": os.cpu_count()}


# ---- listening sockets ---------------------------------------------------------------------


def socket_owners() -> dict[str, str]:
    """Map socket inode -> process name, for the processes whose fds are readable."""
    owners: dict[str, str] = {}
    for fd_dir in glob.glob("/proc/[0-9]*/fd"):
        name = (read_text(fd_dir[:-2] + "comm") or "?").strip()
        try:
            links = [os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)]
        except OSError:
            continue
        for link in links:
            if link.startswith("socket:["):
                owners.setdefault(link[8:-1], name)
    return owners


def _decode_addr(hex_addr: str) -> tuple[str, int]:
    host, port = hex_addr.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw)), int(port, 16)
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    groups = b"".join(words).hex()
    text = ":".join(groups[i : i + 4] for i in range(0, 32, 4))
    return "[" + re.sub(r"(^|:)0{1,3}(?=[0-9a-f])", r"\1", text) + "]", int(port, 16)


def listening_sockets() -> list[str]:
    """'proto/addr:port process' of each listening TCP socket and bound UDP socket."""
    owners, found = socket_owners(), set()
    for proto, state in TCP_STATES_LISTEN.items():
        for line in (read_text("/proc/net/" + proto) or "").splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != state:
                continue
            addr, port = _decode_addr(fields[1])
            found.add(f"{proto.rstrip('6')}/{addr}:{port} {owners.get(fields[9], '?')}")
    return sorted(found)


# ---- sshd ----------------------------------------------------------------------------------


def _sshd_lines(path: str, depth: int = 0) -> Iterator[tuple[str, str | None, str]]:
    """(file, key, value) of every directive outside Match blocks, Includes expanded in place."""
    if depth > 8:
        return
    text = read_text(path)
    if text is None:
        return
    yield path, None, ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = re.split(r"\s*=\s*|\s+", line, maxsplit=1)  # "Key value" or "Key=value"
        key, value = parts[0].lower(), (parts[1].strip() if len(parts) > 1 else "")
        if key == "match":
            return
        if key == "include":
            for pattern in shlex.split(value):
                pattern = pattern if pattern.startswith("/") else os.path.join("/etc/ssh", pattern)
                for included in sorted(glob.glob(pattern)):
                    yield from _sshd_lines(included, depth + 1)
            continue
        yield path, key, value.strip('"')


def sshd_settings(path: str, explicit: bool) -> Json:
    """Effective sshd settings: first value wins, compiled-in defaults for the rest."""
    if not os.path.isfile(path):
        if explicit:
            raise OSError(f"sshd_config {path} does not exist or is not a file")
        return {"present": False, "files": [], "settings": {}}
    files: list[str] = []
    settings: dict[str, str] = {}
    for source, key, value in _sshd_lines(path):
        if key is None:
            files.append(source)
        else:
            settings.setdefault(key, value)
    for key, value in SSHD_DEFAULTS.items():
        settings.setdefault(key, value)
    return {"present": True, "files": files, "settings": settings}


# ---- users, services, time -----------------------------------------------------------------


def uid0_users(path: str) -> list[str]:
    text = read_text(path)
    if text is None:
        raise OSError(f"passwd_file {path} cannot be read")
    users = []
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].strip() == "0" and not line.startswith("#"):
            users.append(fields[0])
    return users


def services() -> Json:
    if not os.path.isdir("/run/systemd/system"):
        return {"available": False, "reason": "systemd is not running (no /run/systemd/system)", "failed": None}
    out = run_cmd(["systemctl", "list-units", "--state=failed", "--no-legend", "--plain", "--no-pager"])
    if out is None:
        return {"available": False, "reason": "systemctl did not answer", "failed": None}
    return {"available": True, "reason": None, "failed": [line.split()[0] for line in out.splitlines() if line.strip()]}


class Timex(ctypes.Structure):
    """struct timex of adjtimex(2) (natural alignment matches the kernel's layout)."""

    _fields_ = [
        ("modes", ctypes.c_uint),
        *((name, ctypes.c_long) for name in ("offset", "freq", "maxerror", "esterror")),
        ("status", ctypes.c_int),
        *((name, ctypes.c_long) for name in ("constant", "precision", "tolerance", "tv_sec", "tv_usec", "tick")),
        *((name, ctypes.c_long) for name in ("ppsfreq", "jitter")),
        ("shift", ctypes.c_int),
        *((name, ctypes.c_long) for name in ("stabil", "jitcnt", "calcnt", "errcnt", "stbcnt")),
        ("tai", ctypes.c_int),
        ("pad", ctypes.c_int * 11),
    ]


def _kernel_sync() -> Json | None:
    """The kernel's own synchronisation flag (adjtimex with modes=0 only reads)."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        tx = Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    synced = state != TIME_ERROR and not tx.status & STA_UNSYNC
    return {
        "synced": synced,
        "source": "adjtimex",
        "detail": f"kernel clock state {state}, status {tx.status:#x}, maxerror {tx.maxerror} us",
    }


def _daemon_sync() -> Json | None:
    out = run_cmd(["chronyc", "-n", "tracking"])
    if out is not None:
        leap = next((line.strip() for line in out.splitlines() if line.startswith("Leap status")), "")
        return {"synced": leap.endswith("Normal"), "source": "chronyc", "detail": leap}
    out = run_cmd(["ntpq", "-pn"])
    if out is not None:
        peer = next((line for line in out.splitlines() if line.startswith("*")), None)
        return {"synced": peer is not None, "source": "ntpq", "detail": (peer or "no system peer").strip()}
    out = run_cmd(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if out is not None and out.strip() in ("yes", "no"):
        return {"synced": out.strip() == "yes", "source": "timedatectl", "detail": "NTPSynchronized=" + out.strip()}
    return None


def time_sync() -> Json:
    return (
        _daemon_sync()
        or _kernel_sync()
        or {"synced": None, "source": None, "detail": "unknown: no chronyc, ntpq, timedatectl or adjtimex answer"}
    )


# ---- certificates --------------------------------------------------------------------------


def _iso(openssl_date: str) -> str:
    """'Dec  6 11:57:16 2026 GMT' -> '2026-12-06T11:57:16Z'."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ssl.cert_time_to_seconds(openssl_date.strip())))


def _decode_with_openssl(path: str) -> tuple[str | None, str]:
    out = run_cmd(["openssl", "x509", "-noout", "-enddate", "-subject", "-nameopt", "RFC2253,-dn_rev", "-in", path])
    if out is None:
        raise ValueError("not a PEM certificate (openssl x509 could not read it)")
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return fields.get("subject", "").strip() or None, _iso(fields["notAfter"])


def _decode_with_ssl(path: str) -> tuple[str | None, str]:
    decoded = ssl._ssl._test_decode_cert(path)  # type: ignore[attr-defined]  # private, but stdlib-only
    subject = ",".join(f"{key}={value}" for rdn in decoded.get("subject", ()) for key, value in rdn)
    names = {"commonName": "CN", "organizationName": "O", "countryName": "C", "organizationalUnitName": "OU"}
    for long_name, short in names.items():
        subject = subject.replace(long_name + "=", short + "=")
    return subject or None, _iso(decoded["notAfter"])


def certificate(path: str) -> Json:
    entry = {"path": path, "subject": None, "not_after": None, "error": None}
    if not os.path.isfile(path):
        entry["error"] = "file does not exist"
        return entry
    try:
        try:
            entry["subject"], entry["not_after"] = _decode_with_ssl(path)
        except (AttributeError, ssl.SSLError, KeyError):
            entry["subject"], entry["not_after"] = _decode_with_openssl(path)
    except (ValueError, KeyError, OSError) as exc:
        entry["error"] = str(exc) or type(exc).__name__
    return entry


# ---- module --------------------------------------------------------------------------------


# ---- nginx ----------------------------------------------------------------------------------

NGINX_DEFAULT_CONF = "/etc/nginx/nginx.conf"


def nginx(mode: str, conf: str | None) -> Json | None:
    """``nginx -t`` (test_ok, test_output: its last error line or the success line) and ``nginx -T``
    (config: the whole configuration as nginx read it), or None when nginx is not inspected here."""
    binary = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                            if os.access(p, os.X_OK)), None)  # fmt: skip
    if mode == "no" or (mode == "auto" and (binary is None or not os.path.isfile(conf or NGINX_DEFAULT_CONF))):
        return None
    if binary is None:
        return {"present": False, "test_ok": False, "test_output": "nginx is not installed", "config": None}
    conf_args = ["-c", conf] if conf else []
    try:
        test = subprocess.run([binary, "-t", *conf_args], capture_output=True, text=True, timeout=15, check=False)
        dump = subprocess.run([binary, "-T", *conf_args], capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return {"present": True, "test_ok": False, "test_output": str(exc), "config": None}
    lines = [line for line in (test.stderr + test.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if "[emerg]" in line or "[alert]" in line or "[crit]" in line]
    output = (errors[0] if errors else lines[-1] if lines else "").strip()
    return {"present": True, "test_ok": test.returncode == 0, "test_output": output,
            "config": dump.stdout if dump.returncode == 0 and dump.stdout.strip() else None}  # fmt: skip


def gather(params: Json) -> Json:
    sshd_path = params["sshd_config"] or "/etc/ssh/sshd_config"
    return {
        "machine": machine_facts(),
        "filesystems": filesystems(set(params["skip_fstypes"])),
        "memory": memory(),
        "load": load(),
        "listening": listening_sockets(),
        "sshd": sshd_settings(sshd_path, explicit=bool(params["sshd_config"])),
        "uid0_users": uid0_users(params["passwd_file"] or "/etc/passwd"),
        "services": services(),
        "time_sync": time_sync(),
        "certificates": [certificate(os.path.normpath(path)) for path in params["cert_files"]],
        "nginx": nginx(params["nginx"], params["nginx_conf"]),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "sshd_config": {"type": "path", "required": False},
            "passwd_file": {"type": "path", "required": False, "no_log": False},
            "cert_files": {"type": "list", "elements": "path", "default": []},
            "skip_fstypes": {"type": "list", "elements": "str", "default": []},
            "nginx": {"type": "str", "choices": ["auto", "yes", "no"], "default": "auto"},
            "nginx_conf": {"type": "path", "required": False},
        },
        supports_check_mode=True,
    )
    # Read-only module: check mode gathers exactly the same data and changes nothing either way.
    try:
        data = gather(module.params)
    except OSError as exc:
        module.fail_json(
            msg=f"{exc}; set the host variable (patrol_sshd_config / patrol_passwd_file) to an existing "
            "file, or remove it to use the default",
            changed=False,
        )
    module.exit_json(changed=False, check_mode=module.check_mode, **data)


if __name__ == "__main__":
    main()
