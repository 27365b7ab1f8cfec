"""Inventory: Ansible inventory sources -> validated, typed :class:`~patrol.models.Host` objects.

The inventory is read with ansible-core's own machinery (``DataLoader``, ``InventoryManager``,
``VariableManager``, ``Templar``, vault secrets), so INI and YAML files, ``group_vars/``,
``host_vars/``, inventory plugins and ``!vault`` values behave exactly as with
``ansible-inventory``. Every host in the limit is resolved and checked before any connection
is made; all problems are reported at once.

Variables patrol reads (all templated with the host's variables):

=============================  =======================================================
``patrol_platform``            driver name (``cisco_ios``, ``linux``, ``snmp`` …); else derived
                               from ``ansible_network_os``; ``ansible_connection: local`` -> linux
``patrol_device_class``        network | security | host | storage (else the platform's default)
``ansible_host`` / ``_port``   address and port
``ansible_user``               login (``ansible_ssh_user`` also read)
``ansible_password``           password (``ansible_ssh_pass`` also read) — vault-encrypt it
``ansible_become_password``    enable secret (``patrol_enable_secret`` also read)
``ansible_ssh_private_key_file``  key file for SSH
``patrol_snmp_community``      SNMP v1/v2c community — vault-encrypt it
``patrol_db_user`` / ``_password``  login of a service target (postgresql, mysql, redis,
                               prometheus, http_json, nginx); read before ansible_user /
                               ansible_password — vault-encrypt the password
``patrol_connect_timeout``     seconds (default from settings)
``patrol_command_timeout``     seconds (default from settings)
``patrol_host_key_checking``   SSH host keys: ``accept-new`` (default: learned on first contact,
                               then pinned) | ``strict`` (known keys only) | ``off``
=============================  =======================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from patrol import plugins
from patrol.errors import HostConfigError, InventoryError, PatrolError, VaultSecretError
from patrol.models import HOST_KEY_POLICIES, HOST_KEY_POLICY_VAR, Credentials, DeviceClass, Host
from patrol.sanitize import register_secrets

__all__ = ["Inventory", "load_inventory"]

#: collectors of service targets (databases, caches, HTTP endpoints): their login is patrol_db_user/_password
SERVICE_COLLECTORS = frozenset({"postgresql", "mysql", "redis", "http_metrics"})

#: ansible_network_os (short or FQCN) -> patrol platform
NETWORK_OS_PLATFORMS = {
    "ios": "cisco_ios",
    "cisco.ios.ios": "cisco_ios",
    "eos": "arista_eos",
    "arista.eos.eos": "arista_eos",
    "junos": "juniper_junos",
    "junipernetworks.junos.junos": "juniper_junos",
    "ce": "huawei_vrp",
    "community.network.ce": "huawei_vrp",
    "asa": "cisco_asa",
    "cisco.asa.asa": "cisco_asa",
    "panos": "paloalto_panos",
    "paloaltonetworks.panos.panos": "paloalto_panos",
    "nxos": "cisco_nxos",
    "cisco.nxos.nxos": "cisco_nxos",
    "iosxr": "cisco_xr",
    "cisco.iosxr.iosxr": "cisco_xr",
    "comware": "hp_comware",
    "fortios": "fortinet",
    "fortinet.fortios.fortios": "fortinet",
    "gaia": "checkpoint_gaia",
    "check_point.gaia.checkpoint": "checkpoint_gaia",
}

_SECRET_VAR = re.compile(r"(pass|secret|community|token|(^|_)key$|private_key$)", re.I)
_KEEP_ANSIBLE = {"ansible_host", "ansible_port", "ansible_connection", "ansible_network_os", "ansible_user"}


@dataclass(frozen=True)
class Inventory:
    """The resolved hosts of one run, in inventory order, and where they came from."""

    sources: tuple[str, ...]
    hosts: tuple[Host, ...]
    vault_password_file: str | None = None

    def by_collector(self) -> dict[str, list[Host]]:
        groups: dict[str, list[Host]] = {}
        for host in self.hosts:
            groups.setdefault(host.collector, []).append(host)
        return groups


def load_inventory(
    sources: Sequence[str],
    *,
    limit: str | None = None,
    vault_password_file: str | None = None,
    connect_timeout: float = 10.0,
    command_timeout: float = 30.0,
) -> Inventory:
    """Read ``sources`` with ansible-core and resolve every host in ``limit`` (pattern)."""
    if not sources:
        raise InventoryError("no inventory given: pass -i PATH (a file or a directory)")
    for source in sources:
        if "," not in source and not Path(source).exists():
            raise InventoryError(f"inventory source {source!r} does not exist; check the -i path", source)
    manager, variables, loader = _ansible_inventory(sources, vault_password_file)
    selected = _select(manager, limit, sources)
    defaults = {"connect_timeout": connect_timeout, "command_timeout": command_timeout}
    hosts: list[Host] = []
    problems: list[HostConfigError] = []
    for ansible_host in selected:
        try:
            hostvars = variables.get_vars(host=ansible_host, include_hostvars=False)
            hosts.append(_resolve_host(ansible_host, _Vars(loader, hostvars, vault_password_file), defaults))
        except HostConfigError as exc:
            problems.append(exc)
    if problems:
        raise _aggregate(problems, sources)
    return Inventory(tuple(sources), tuple(hosts), vault_password_file)


def _aggregate(problems: list[HostConfigError], sources: Sequence[str]) -> InventoryError:
    if len(problems) == 1:
        return problems[0]
    if all(isinstance(p, VaultSecretError) for p in problems):
        return _vault_summary(cast(list[VaultSecretError], problems), sources)
    lines = "\n".join(f"  - {p}" for p in problems)
    error = InventoryError(f"{len(problems)} hosts cannot be inspected:\n{lines}", ", ".join(sources))
    error.problems = problems  # type: ignore[attr-defined]
    return error


def _vault_summary(problems: list[VaultSecretError], sources: Sequence[str]) -> InventoryError:
    """Many hosts share the same encrypted variables (group_vars): each variable once, with its hosts."""
    hosts: dict[tuple[str, str | None], list[str]] = {}
    for p in problems:
        hosts.setdefault((p.key, p.where), []).append(p.host)
    first = problems[0]
    head = VaultSecretError.reason("the variables below", None, first.password_file, several=True)
    lines = "\n".join(f"  - {key}{f' ({where})' if where else ''}: {', '.join(names)}"
                      for (key, where), names in hosts.items())  # fmt: skip
    error = InventoryError(f"{len(problems)} hosts cannot be inspected: {head}\n{lines}", ", ".join(sources))
    error.problems = problems  # type: ignore[attr-defined]
    return error


def _vault_failure(exc: BaseException) -> bool:
    """ansible could not decrypt a ``!vault`` value (no secret, or none that opens it)."""
    from ansible.parsing.vault import AnsibleVaultError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, AnsibleVaultError) or type(seen).__name__ == "UndecryptableVaultError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _origin(value: Any) -> str | None:
    """``inventory/lab/group_vars/network.yml line 3``: where ansible read ``value``, when it says."""
    try:
        from ansible._internal._datatag._tags import Origin  # ansible-core 2.19+: values carry their origin
    except ImportError:
        return None
    origin = Origin.get_tag(value)
    if origin is None or not origin.path:
        return None
    path = Path(origin.path)
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    return f"{shown} line {origin.line_num}" if origin.line_num else str(shown)


# --- ansible-core ------------------------------------------------------------------------


def _ansible_inventory(sources: Sequence[str], vault_password_file: str | None) -> tuple[Any, Any, Any]:
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    _set_vault_secret(loader, vault_password_file)
    with _ansible_messages() as messages:
        try:
            manager = InventoryManager(loader=loader, sources=list(sources))
        except Exception as exc:
            message = _parse_failure(sources, messages, exc)
            if _vault_failure(exc) or any("vault secrets" in m or "Decryption failed" in m for m in messages):
                failing = _failing_file(sources, exc)[0]  # a vault-encrypted inventory file
                message = f"inventory {failing}: " + VaultSecretError.reason("it", None, vault_password_file)
            raise InventoryError(message, ", ".join(sources)) from None
    return manager, VariableManager(loader=loader, inventory=manager), loader


def _set_vault_secret(loader: Any, password_file: str | None) -> None:
    """Make ``password_file``'s secret (or none) the process's vault secret for this inventory."""
    from ansible.parsing.vault import VaultSecretsContext

    secrets = _vault_secrets(loader, password_file) if password_file else []
    loader.set_vault_secrets(secrets)
    current = VaultSecretsContext.current(optional=True)
    if current is None:
        VaultSecretsContext.initialize(VaultSecretsContext(secrets))
    else:  # a second inventory in the same process (tests, the service)
        current.secrets = secrets


def _vault_secrets(loader: Any, password_file: str) -> list[tuple[str, Any]]:
    from ansible.parsing.vault import get_file_vault_secret

    if not Path(password_file).is_file():
        raise InventoryError(
            f"vault password file {password_file!r} does not exist; pass --vault-password-file PATH",
            password_file,
        )
    try:
        secret = get_file_vault_secret(filename=password_file, loader=loader)
        secret.load()
    except Exception as exc:
        raise InventoryError(f"vault password file {password_file!r} cannot be read: {exc}", password_file) from None
    register_secrets([secret.bytes.decode("utf-8", "replace")])
    return [("default", secret)]


@contextmanager
def _ansible_messages() -> Iterator[list[str]]:
    """Collect what ansible would print while parsing (library code must not print)."""
    import ansible.constants as C
    from ansible.utils.display import Display

    display = Display()
    messages: list[str] = []
    saved = display.warning, display.error_as_warning, C.INVENTORY_ANY_UNPARSED_IS_FAILED

    def error_as_warning(msg: str, exception: BaseException | None = None, **_: Any) -> None:
        messages.append(f"{msg} {exception}" if exception else msg)

    display.warning = lambda msg, *a, **k: messages.append(str(msg))
    display.error_as_warning = error_as_warning
    C.INVENTORY_ANY_UNPARSED_IS_FAILED = True
    try:
        yield messages
    finally:
        display.warning, display.error_as_warning, C.INVENTORY_ANY_UNPARSED_IS_FAILED = saved


def _parse_failure(sources: Sequence[str], messages: list[str], exc: BaseException) -> str:
    """What is wrong with the file that failed: the YAML parser's own error with its line and column
    for a YAML file (by name or by content), else the INI plugin's message."""
    failing, source = _failing_file(sources, exc)
    fix = f"check it with: ansible-inventory -i {source} --list"
    is_yaml = _looks_like_yaml(failing)
    if is_yaml:
        syntax = _yaml_syntax_error(failing)
        if syntax is not None:
            line, column, problem = syntax
            return (f"inventory {failing}:{line}:{column} does not parse: YAML syntax error at line {line}, column "
                    f"{column}: {problem}. Fix the indentation or quoting there ({fix})")  # fmt: skip
    wanted = "'yaml'" if is_yaml else "'ini'"
    relevant = [m for m in messages if wanted in m] or [m for m in messages if "plugin" in m] or [str(exc)]
    detail = relevant[0].split("plugin.", 1)[-1].strip().rstrip(".")
    return f"inventory {failing} does not parse: {detail}. Fix the file ({fix})"


def _failing_file(sources: Sequence[str], exc: BaseException) -> tuple[str, str]:
    """``(file, source)``: the file ansible names in ``exc`` (shown under the ``-i`` path that holds
    it) and that ``-i`` source; the first source when ansible names none."""
    named = re.search(r"inventory source (.+?)\s*$", str(exc))
    path = Path(named.group(1)).resolve() if named else None
    for source in sources:
        root = Path(source).resolve()
        if path is None or path == root:
            return source, source
        if path.is_relative_to(root):
            return str(Path(source) / path.relative_to(root)), source
    return (str(path) if path else sources[0]), sources[0]


_YAML_LINE = re.compile(r"^(---|\.\.\.|- |[^\s\[=#;][^=]*:(\s|$))")


def _looks_like_yaml(path: str) -> bool:
    """A ``.yml``/``.yaml``/``.json`` file, or one whose first statement is a YAML key or document start."""
    if path.endswith((".yml", ".yaml", ".json")):
        return True
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith(("#", ";"))), "")
    return bool(_YAML_LINE.match(first))


def _yaml_syntax_error(path: str) -> tuple[int, int, str] | None:
    """``(line, column, "problem (context)")`` from PyYAML (syntax only: ansible's tags such as
    ``!vault`` are not constructed), or None when the file is well-formed YAML."""
    import yaml

    try:
        for _ in yaml.compose_all(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is None:
            return None
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.context_mark and exc.problem:
            problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
        return mark.line + 1, mark.column + 1, problem
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return None


def _select(manager: Any, limit: str | None, sources: Sequence[str]) -> list[Any]:
    if limit:
        manager.subset(limit)
    selected = manager.get_hosts("all")
    if selected:
        return list(selected)
    if limit:
        groups = ", ".join(sorted(g for g in manager.groups if g not in ("all", "ungrouped")))
        raise InventoryError(f"--limit {limit!r} matches no host; groups are: {groups}", ", ".join(sources))
    raise InventoryError(f"inventory {', '.join(sources)} has no hosts", ", ".join(sources))


# --- one host ----------------------------------------------------------------------------


class _Vars:
    """A host's variables, templated on access with ansible's Templar (vault values decrypted)."""

    def __init__(self, loader: Any, hostvars: Mapping[str, Any], vault_password_file: str | None = None) -> None:
        from ansible.template import Templar

        self.raw = hostvars
        self._templar = Templar(loader=loader, variables=hostvars)
        self._vault_password_file = vault_password_file

    def get(self, *names: str) -> Any:
        for name in names:
            value = self.raw.get(name)
            if value is not None:
                return self._template(name, value)
        return None

    def _template(self, name: str, value: Any) -> Any:
        try:
            return self._templar.template(value)
        except Exception as exc:
            host = str(self.raw.get("inventory_hostname"))
            if _vault_failure(exc):
                raise VaultSecretError(host, name, _origin(value), self._vault_password_file, self.source) from None
            reason = str(exc).splitlines()[0]
            raise HostConfigError(
                str(self.raw.get("inventory_hostname")), name, f"cannot be templated: {reason}", self.source
            ) from None

    @property
    def source(self) -> str | None:
        return self.raw.get("inventory_file") or self.raw.get("inventory_dir")

    def public(self) -> dict[str, Any]:
        """patrol_* and a few ansible_* variables that are not secrets, templated."""
        keys = [k for k in self.raw if (k.startswith("patrol_") or k in _KEEP_ANSIBLE) and not _SECRET_VAR.search(k)]
        return {key: _plain(self.get(key)) for key in keys}


def _plain(value: Any) -> Any:
    """Ansible's tagged str/list/dict subclasses -> plain Python (JSON-safe, picklable)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def _resolve_host(ansible_host: Any, hv: _Vars, defaults: Mapping[str, float]) -> Host:
    name = str(ansible_host.name)
    platform_name = _platform_name(name, hv)
    platform = _platform(name, platform_name, hv)
    device_class = _device_class(name, hv, platform)
    host = Host(
        name=name,
        address=str(hv.get("ansible_host") or name),
        port=_number(name, hv, "ansible_port", int, None),
        device_class=device_class,
        platform=platform_name,
        collector=platform.collector,
        groups=tuple(sorted(g.name for g in ansible_host.get_groups() if g.name != "all")),
        credentials=_credentials(hv, platform.collector in SERVICE_COLLECTORS),
        connect_timeout=_number(name, hv, "patrol_connect_timeout", float, defaults["connect_timeout"]),
        command_timeout=_number(name, hv, "patrol_command_timeout", float, defaults["command_timeout"]),
        vars=hv.public(),
    )
    _require_credentials(host, hv)
    _check_host_key_policy(host, hv)
    register_secrets(_secret_values(hv))  # masked wherever they show up (logs, artifacts, errors)
    return host


def _check_host_key_policy(host: Host, hv: _Vars) -> None:
    value = host.vars.get(HOST_KEY_POLICY_VAR)
    if value is not None and str(value).strip().lower() not in HOST_KEY_POLICIES:
        raise HostConfigError(
            host.name, HOST_KEY_POLICY_VAR, f"{value!r} is not one of {', '.join(HOST_KEY_POLICIES)}", hv.source
        )


def _secret_values(hv: _Vars) -> list[str]:
    """The host's credential values (vault-decrypted): variables named like secrets, not paths."""
    values: list[str] = []
    for name in hv.raw:
        if not _SECRET_VAR.search(name) or name.endswith(("_file", "_path", "_dir")):
            continue
        try:
            value = hv.get(name)
        except HostConfigError:  # reported where the variable is used, if it is
            continue
        if isinstance(value, str):
            values.append(str(value))
    return values


def _platform_name(name: str, hv: _Vars) -> str:
    explicit = hv.get("patrol_platform")
    if explicit:
        return str(explicit)
    network_os = hv.get("ansible_network_os")
    if network_os:
        if str(network_os) in NETWORK_OS_PLATFORMS:
            return NETWORK_OS_PLATFORMS[str(network_os)]
        raise HostConfigError(
            name,
            "ansible_network_os",
            f"{network_os!r} has no patrol platform; set patrol_platform to one of: "
            + ", ".join(plugins.names("patrol.platforms")),
            hv.source,
        )
    if hv.get("ansible_connection") == "local":
        return "linux"
    raise HostConfigError(
        name,
        "patrol_platform",
        "missing: set patrol_platform (one of: "
        + ", ".join(plugins.names("patrol.platforms"))
        + ") in the host's or its group's vars",
        hv.source,
    )


def _platform(name: str, platform_name: str, hv: _Vars) -> Any:
    known = plugins.names("patrol.platforms")
    if platform_name not in known:
        raise HostConfigError(
            name, "patrol_platform", f"unknown platform {platform_name!r}; known: {', '.join(known)}", hv.source
        )
    try:
        return plugins.load("patrol.platforms", platform_name)
    except PatrolError as exc:
        raise HostConfigError(name, "patrol_platform", str(exc), hv.source) from None


def _device_class(name: str, hv: _Vars, platform: Any) -> DeviceClass:
    value = hv.get("patrol_device_class") or platform.default_device_class
    choices = ", ".join(c.value for c in DeviceClass)
    if value is None:
        raise HostConfigError(
            name, "patrol_device_class", f"missing for platform {platform.name!r}: set one of {choices}", hv.source
        )
    try:
        return DeviceClass(str(value))
    except ValueError:
        raise HostConfigError(name, "patrol_device_class", f"{value!r} is not one of {choices}", hv.source) from None


def _number(name: str, hv: _Vars, key: str, kind: type, default: Any) -> Any:
    value = hv.get(key)
    if value is None:
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0:
        raise HostConfigError(name, key, f"expected a positive {kind.__name__}, got {value!r}", hv.source)
    return number


def _credentials(hv: _Vars, service: bool = False) -> Credentials:
    def text(*names: str) -> str | None:
        value = hv.get(*names)
        return None if value is None else str(value)

    db = ("patrol_db_user", "patrol_db_password") if service else ()
    return Credentials(
        username=text(*db[:1], "ansible_user", "ansible_ssh_user"),
        password=text(*db[1:], "ansible_password", "ansible_ssh_pass"),
        enable_secret=text("ansible_become_password", "ansible_become_pass", "patrol_enable_secret"),
        private_key_file=text("ansible_ssh_private_key_file", "ansible_private_key_file"),
        snmp_community=text("patrol_snmp_community"),
    )


def _require_credentials(host: Host, hv: _Vars) -> None:
    cred = host.credentials
    if host.collector in ("postgresql", "mysql") and not cred.username:
        raise HostConfigError(host.name, "patrol_db_user",
                              "missing database login: set patrol_db_user (a read-only role) and patrol_db_password "
                              "(vault-encrypted)", hv.source)  # fmt: skip
    if host.collector == "netmiko":
        if not cred.username:
            raise HostConfigError(host.name, "ansible_user", "missing login for SSH: set ansible_user", hv.source)
        if not (cred.password or cred.private_key_file):
            raise HostConfigError(
                host.name,
                "ansible_password",
                "missing credential: set ansible_password (vault-encrypt it with ansible-vault encrypt_string) "
                "or ansible_ssh_private_key_file",
                hv.source,
            )
    if (
        host.collector == "snmp"
        and str(host.vars.get("patrol_snmp_version", "2c")) in ("1", "2c")
        and not cred.snmp_community
    ):
        raise HostConfigError(
            host.name,
            "patrol_snmp_community",
            "missing credential: set patrol_snmp_community (vault-encrypt it) for SNMP v1/v2c",
            hv.source,
        )
