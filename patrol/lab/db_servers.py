"""Real database and cache servers for the lab and the tests (Debian packages, started as root).

``start_postgres`` (initdb + ``postgres`` as the ``postgres`` user), ``start_replica``
(pg_basebackup -R of a primary), ``start_mariadb`` (mariadb-install-db + mariadbd as ``mysql``),
``start_redis`` (redis-server). Each listens on 127.0.0.1 only, keeps every file under the folder
it is given, creates the read-only monitoring login patrol documents, and returns a
:class:`Server` whose ``stop()`` ends the process. ``missing()`` says why a kind cannot start here.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from patrol.errors import LabError

__all__ = ["Server", "missing", "psql", "start_mariadb", "start_postgres", "start_redis", "start_replica"]

MONITOR_USER = "patrol_ro"


@dataclass
class Server:
    kind: str
    port: int
    directory: Path
    process: subprocess.Popen[bytes]
    extra: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def missing(kind: str) -> str | None:
    """Why ``kind`` (postgresql | mariadb | redis) cannot be started here, or None."""
    if os.geteuid() != 0:
        return f"{kind} lab servers start only as root (they run as their own system user)"
    package = {"mariadb": "mariadb-server", "redis": "redis-server"}.get(kind, kind)
    need = {"postgresql": [_pg_bin("postgres"), _pg_bin("initdb")],
            "mariadb": [shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin"),
                        shutil.which("mariadb-install-db")],
            "redis": [shutil.which("redis-server")]}[kind]  # fmt: skip
    users = {"postgresql": "postgres", "mariadb": "mysql", "redis": None}[kind]
    if not all(need):
        return f"{kind} is not installed (Debian: apt-get install {package})"
    if users:
        try:
            pwd.getpwnam(users)
        except KeyError:
            return f"system user {users!r} is missing (install the Debian package)"
    return None


def _wait_port(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LabError(f"{what} exited with {process.returncode} before listening on 127.0.0.1:{port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise LabError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:g}s")


def _own(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    path.mkdir(parents=True, exist_ok=True)
    for p in [path, *path.rglob("*")]:
        os.chown(p, entry.pw_uid, entry.pw_gid)
    for parent in path.parents:  # the service user must reach its folder
        if parent == Path("/"):
            break
        os.chmod(parent, os.stat(parent).st_mode | 0o011)


def _run(cmd: list[str], user: str | None = None, **kw: object) -> str:
    done = subprocess.run(cmd, user=user, capture_output=True, text=True, timeout=120, check=False, **kw)  # type: ignore[call-overload]
    if done.returncode:
        raise LabError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return str(done.stdout)


def psql(server: Server, sql: str, dbname: str = "postgres") -> str:
    """Run ``sql`` as the superuser over the server's unix socket; stdout (tuples only)."""
    return _run([str(_pg_bin("psql")), "-h", str(server.directory / "sock"), "-p", str(server.port), "-U",
                 "postgres", "-d", dbname, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], user="postgres")  # fmt: skip


def _stop_stale(pid_file: Path, marker: str) -> None:
    """End a server left running by a killed lab (its pid file names it, its command line has ``marker``)."""
    try:
        pid = int(pid_file.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return
    if marker not in cmdline:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def _start_pg(data: Path, port: int, options: list[str]) -> subprocess.Popen[bytes]:
    _stop_stale(data / "postmaster.pid", str(data))
    sock = data.parent / "sock"
    _own(sock, "postgres")
    log = open(data.parent / "postgres.log", "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [str(_pg_bin("postgres")), "-D", str(data), "-p", str(port), "-k", str(sock),
         "-c", "listen_addresses=127.0.0.1", *options],
        user="postgres", stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while subprocess.run([str(_pg_bin("pg_isready")), "-q", "-h", "127.0.0.1", "-p", str(server.port)],
                         check=False).returncode:  # fmt: skip
        if time.monotonic() > deadline or server.process.poll() is not None:
            raise LabError(f"postgres on 127.0.0.1:{server.port} did not become ready within {timeout:g}s")
        time.sleep(0.2)


def start_postgres(directory: Path, port: int, password: str, options: tuple[str, ...] = ()) -> Server:
    """A primary with role ``patrol_ro`` (pg_monitor, ``password``) and a ``replicator`` login."""
    directory.mkdir(parents=True, exist_ok=True)
    _own(directory, "postgres")
    data = directory / "data"
    if not (data / "PG_VERSION").exists():
        pwfile = directory / "pw"
        pwfile.write_text(password + "\n")
        _own(directory, "postgres")
        _run([str(_pg_bin("initdb")), "-D", str(data), "-U", "postgres", "--auth-local=trust",
              "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8"], user="postgres")  # fmt: skip
        pwfile.unlink()
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write("host replication replicator 127.0.0.1/32 scram-sha-256\n")
    opts = [item for option in options for item in ("-c", option)]
    server = Server("postgresql", port, directory, _start_pg(data, port, opts))
    _wait_port(port, server.process, "postgres")
    _wait_ready(server)
    secret = password.replace("'", "''")
    psql(server, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'patrol_ro') THEN "
                 f"CREATE ROLE patrol_ro LOGIN PASSWORD '{secret}'; GRANT pg_monitor TO patrol_ro; "
                 f"CREATE ROLE replicator LOGIN REPLICATION PASSWORD '{secret}'; END IF; END$$")  # fmt: skip
    return server


def start_replica(primary: Server, directory: Path, port: int, password: str) -> Server:
    """A streaming replica of ``primary`` (pg_basebackup -R), on ``port``."""
    directory.mkdir(parents=True, exist_ok=True)
    _own(directory, "postgres")
    data = directory / "data"
    if not (data / "PG_VERSION").exists():
        _run([str(_pg_bin("pg_basebackup")), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "replicator",
              "-D", str(data), "-R", "-X", "stream", "--no-sync"], user="postgres",
             env={**os.environ, "PGPASSWORD": password})  # fmt: skip
    server = Server("postgresql", port, directory, _start_pg(data, port, ["-c", "archive_mode=off"]))
    _wait_port(port, server.process, "postgres replica")
    _wait_ready(server)
    return server


def start_redis(directory: Path, port: int, password: str, options: tuple[str, ...] = ()) -> Server:
    """redis-server with ``requirepass`` and no persistence files outside ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "redis.conf"
    lines = [f"bind 127.0.0.1\nport {port}\ndir {directory}\nrequirepass {password}\n",
             f"protected-mode yes\ndaemonize no\nlogfile redis.log\npidfile {directory / 'redis.pid'}\n",
             *(f"{o}\n" for o in options)]  # fmt: skip
    conf.write_text("".join(lines))
    os.chmod(conf, 0o600)
    _stop_stale(directory / "redis.pid", f"127.0.0.1:{port}")  # redis-server retitles itself ADDRESS:PORT
    process = subprocess.Popen([str(shutil.which("redis-server")), str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True, cwd=directory)  # fmt: skip
    server = Server("redis", port, directory, process)
    _wait_port(port, process, "redis-server")
    return server


def start_mariadb(directory: Path, port: int, password: str, max_connections: int = 20) -> Server:
    """mariadbd with a ``patrol_ro`` login holding PROCESS, BINLOG/SLAVE MONITOR, SELECT on performance_schema."""
    directory.mkdir(parents=True, exist_ok=True)
    data, sock = directory / "data", directory / "mysqld.sock"
    _own(directory, "mysql")
    if not (data / "mysql").exists():
        _run(["mariadb-install-db", f"--datadir={data}", "--user=mysql", "--auth-root-authentication-method=socket",
              "--skip-test-db"])  # fmt: skip
    _stop_stale(directory / "mysqld.pid", str(data))
    process = subprocess.Popen(
        [str(shutil.which("mariadbd") or "/usr/sbin/mariadbd"), "--no-defaults", f"--datadir={data}",
         f"--socket={sock}", f"--port={port}", "--bind-address=127.0.0.1", "--user=mysql",
         f"--pid-file={directory / 'mysqld.pid'}", f"--log-error={directory / 'error.log'}", "--log-bin=binlog",
         "--innodb-buffer-pool-size=16M", f"--max-connections={max_connections}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    server = Server("mariadb", port, directory, process, {"socket": str(sock)})
    _wait_port(port, process, "mariadbd")
    secret = password.replace("'", "''")
    _run(["mariadb", f"--socket={sock}", "-uroot", "-e",
          f"CREATE USER IF NOT EXISTS 'patrol_ro'@'127.0.0.1' IDENTIFIED BY '{secret}';"
          "GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO 'patrol_ro'@'127.0.0.1';"
          "GRANT SELECT ON performance_schema.* TO 'patrol_ro'@'127.0.0.1';"
          "CREATE DATABASE IF NOT EXISTS app;"
          "GRANT SELECT ON app.* TO 'patrol_ro'@'127.0.0.1';"])  # fmt: skip
    return server
