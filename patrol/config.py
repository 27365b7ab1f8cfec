"""Settings, resolved in one place: argument -> environment variable -> config file -> default.

The config file is ``$PATROL_CONFIG`` or ``./patrol.yml`` when present, a YAML mapping of the
keys below (``db``, ``home``, ``forks`` …) and a ``service:`` section for ``patrol serve``::

    service:
      inventory_roots: [/srv/patrol/inventory]   # API-created schedules may only name inventories here
      profile_roots: [/srv/patrol/inspect]       # ... and profiles here (default: the bundled inspect/)
      vault_password_file: /etc/patrol/vault-pass  # the server's vault secret (never sent over the API)
      inventory_plugins: false                   # true: API schedules may use executable inventory
                                                 # scripts and inventory plugin configs under the roots

(environment: ``PATROL_INVENTORY_ROOTS`` / ``PATROL_PROFILE_ROOTS``, paths separated by ``:``;
``PATROL_VAULT_PASSWORD_FILE``; ``PATROL_INVENTORY_PLUGINS``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from patrol.errors import ConfigError
from patrol.paths import PROFILES_DIR

__all__ = ["Settings", "config_file", "load_settings"]

T = TypeVar("T")


@dataclass(frozen=True)
class Parameter(Generic[T]):
    """One setting: its file key, environment variable, type conversion and default."""

    key: str
    env: str
    convert: Callable[[Any], T]
    default: Callable[[Settings], T]

    def resolve(self, arg: Any, file: Mapping[str, Any], partial: Settings) -> T:
        for source, value in (("argument", arg), (self.env, os.environ.get(self.env)), ("file", file.get(self.key))):
            if value is None or value == "":
                continue
            try:
                return self.convert(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"setting {self.key!r} from {source}: {exc}", key=self.key) from exc
        return self.default(partial)


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return number


def _positive_float(value: Any) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"expected a number > 0, got {value!r}")
    return number


@dataclass
class Settings:
    """Resolved settings. ``home`` holds the default SQLite store, run artifacts and the lab state."""

    home: Path = Path(".patrol")
    db_url: str = ""
    forks: int = 50
    connect_timeout: float = 10.0
    command_timeout: float = 30.0
    metrics_dir: Path = Path(".patrol/metrics")
    inventory_roots: tuple[Path, ...] = ()
    profile_roots: tuple[Path, ...] = (PROFILES_DIR,)
    vault_password_file: Path | None = None
    inventory_plugins: bool = False
    #: the user's OpenSSH known_hosts, read (never written) beside patrol's own; None: not read
    user_known_hosts: Path | None = None

    @property
    def known_hosts(self) -> Path:
        """patrol's own SSH known_hosts (OpenSSH format): keys learned on first contact, then pinned."""
        return self.home / "known_hosts"
    #: a log file (appended, secrets scrubbed); None: warnings and errors go to stderr only
    log_file: Path | None = None
    log_level: str = "INFO"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def lab_dir(self) -> Path:
        return self.home / "lab"


def _path(value: Any) -> Path:
    """A folder setting, absolute against the working directory (subprocesses run elsewhere)."""
    return Path(str(value)).expanduser().absolute()


def _paths(value: Any) -> tuple[Path, ...]:
    items = value.split(os.pathsep) if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"expected a list of folders, got {value!r}")
    return tuple(Path(str(v)).expanduser().resolve() for v in items if str(v).strip())


def _flag(value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"expected true or false, got {value!r}")
    return text in ("true", "1", "yes")


def _optional_path(value: Any) -> Path | None:
    return None if str(value).strip().lower() in ("none", "off", "-") else _path(value)


def _log_level(value: Any) -> str:
    level = str(value).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"expected debug, info, warning, error or critical, got {value!r}")
    return level


def _db_url(value: Any) -> str:
    text = str(value)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


PARAMETERS: dict[str, Parameter[Any]] = {
    "home": Parameter("home", "PATROL_HOME", _path, lambda s: _path(".patrol")),
    "db_url": Parameter("db", "PATROL_DB", _db_url, lambda s: _db_url(s.home / "patrol.db")),
    "forks": Parameter("forks", "PATROL_FORKS", _positive_int, lambda s: 50),
    "connect_timeout": Parameter("connect_timeout", "PATROL_CONNECT_TIMEOUT", _positive_float, lambda s: 10.0),
    "command_timeout": Parameter("command_timeout", "PATROL_COMMAND_TIMEOUT", _positive_float, lambda s: 30.0),
    # the metric history (Parquet) of issue 5
    "metrics_dir": Parameter("metrics_dir", "PATROL_METRICS_DIR", _path, lambda s: s.home / "metrics"),
    # patrol serve (issue 14): what API-created schedules may name, and the server's vault secret
    "inventory_roots": Parameter("service.inventory_roots", "PATROL_INVENTORY_ROOTS", _paths, lambda s: ()),
    "profile_roots": Parameter("service.profile_roots", "PATROL_PROFILE_ROOTS", _paths, lambda s: (PROFILES_DIR,)),
    "vault_password_file": Parameter(
        "service.vault_password_file", "PATROL_VAULT_PASSWORD_FILE", lambda v: _path(v).resolve(), lambda s: None
    ),
    "inventory_plugins": Parameter("service.inventory_plugins", "PATROL_INVENTORY_PLUGINS", _flag, lambda s: False),
    # SSH host keys (issue 14): the user's known_hosts is also trusted; "none" stops reading it
    "user_known_hosts": Parameter(
        "user_known_hosts", "PATROL_USER_KNOWN_HOSTS", _optional_path, lambda s: Path("~/.ssh/known_hosts").expanduser()
    ),
    "log_file": Parameter("log_file", "PATROL_LOG_FILE", _path, lambda s: None),
    "log_level": Parameter("log_level", "PATROL_LOG_LEVEL", _log_level, lambda s: "INFO"),
}
SECTIONS = ("service",)


def config_file() -> Path | None:
    """The config file the settings are read from (absolute), or None when there is none."""
    path = Path(os.environ.get("PATROL_CONFIG", "patrol.yml"))
    return path.absolute() if path.is_file() else None


def _read_file() -> dict[str, Any]:
    path = Path(os.environ.get("PATROL_CONFIG", "patrol.yml"))
    if not path.is_file():
        if "PATROL_CONFIG" in os.environ:
            raise ConfigError(f"PATROL_CONFIG names {path}, which does not exist", key="PATROL_CONFIG")
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}", key=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}", key=str(path))
    data = _flatten(path, data)
    unknown = set(data) - {p.key for p in PARAMETERS.values()}
    if unknown:
        known = ", ".join(sorted(p.key for p in PARAMETERS.values()))
        raise ConfigError(f"{path}: unknown setting(s) {sorted(unknown)}; known: {known}", key=str(path))
    return data


def _flatten(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """``{service: {inventory_roots: [...]}}`` -> ``{"service.inventory_roots": [...]}``."""
    flat = {k: v for k, v in data.items() if k not in SECTIONS}
    for section in SECTIONS:
        values = data.get(section) or {}
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: {section!r} must be a mapping, got {type(values).__name__}", key=section)
        flat |= {f"{section}.{k}": v for k, v in values.items()}
    return flat


def load_settings(**args: Any) -> Settings:
    """Resolve every setting; ``args`` are CLI values (``None`` = not given)."""
    file = _read_file()
    settings = Settings()
    for attr, param in PARAMETERS.items():  # order matters: db default depends on home
        setattr(settings, attr, param.resolve(args.get(attr), file, settings))
    return settings
