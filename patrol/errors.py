"""The one exception hierarchy of patrol.

Every error patrol raises on purpose derives from :class:`PatrolError` and carries the
object it is about, so the CLI can print a message that names the file, host or key and
says how to fix it::

    PatrolError
    ├── ConfigError            settings (env, file, argument) that cannot be used
    │   ├── ProjectFileError   `patrol init` would overwrite differing files  [patrol.scaffold]
    │   ├── ServiceFileError   inspect/service.yml (contract, SLA clocks)   [patrol.tickets.errors]
    │   ├── ScheduleError      a bad cron, time zone, schedule name or schedules.yml entry [patrol.service.errors]
    │   └── TokenError         an API token name or role that cannot be used  [patrol.service.errors]
    ├── InventoryError         inventory that does not parse or a host that cannot be resolved
    │   └── HostConfigError    one host: missing/unknown platform, missing credential (.host)
    │       └── VaultSecretError   a vault-encrypted variable without (or not opened by) the vault password
    ├── ProfileError           inspection profile YAML that is malformed (.path, .check_id, .key)
    │   └── DriftDataError     noise / drift rules (.line, .rule)          [patrol.drift.errors]
    │       └── GoldenTemplateError  a golden config template that does not render
    ├── PluginError            an entry-point plugin that cannot be loaded (.group, .name)
    ├── StoreError             the snapshot store (bad URL, schema newer than this code)
    │   └── NotFoundError      a run, host or object that does not exist (.what, .key)
    ├── CollectError           raised inside collectors, turned into a host result, never escapes a run
    │   ├── UnreachableError   connection refused / no route / DNS
    │   ├── AuthError          credentials rejected
    │   ├── CollectTimeout     connect or read timeout, session hung mid-output
    │   ├── ParseError         output that does not parse
    │   ├── HostKeyChanged     the SSH host key differs from the known one (.address, .known, .presented)
    │   └── HostKeyUnknown     no known host key and the policy is strict (.address, .presented)
    ├── LabError               the emulated lab could not start or stop
    ├── ReportError            a report that cannot be rendered
    ├── TicketError            a refused ticket operation             [patrol.tickets.errors]
    │   ├── TransitionError    not allowed in the ticket's class/state (.allowed)
    │   ├── RecordMissing      closing a defect without its written fault record
    │   └── WaiverError        a waiver without approver/reason or expiring in the past
    ├── ServiceError           the scheduler / API service               [patrol.service.errors]
    │   └── LeaseHeld          the schedule is already running elsewhere
    └── RemediationError       a refused remediation                 [patrol.remediate.errors]
        ├── PlanError          playbook, finding, host or variables that cannot make a plan
        ├── ApprovalError      apply without a matching preview, missing second approver
        └── RollbackError      a change that cannot be rolled back

Stage-specific errors live beside their stage (marked above) and derive from these roots.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "CollectError",
    "CollectTimeout",
    "ConfigError",
    "HostConfigError",
    "HostKeyChanged",
    "HostKeyUnknown",
    "InventoryError",
    "LabError",
    "NotFoundError",
    "ParseError",
    "PatrolError",
    "PluginError",
    "ProfileError",
    "ReportError",
    "StoreError",
    "UnreachableError",
]


class PatrolError(Exception):
    """Root of every error patrol raises on purpose."""


class ConfigError(PatrolError):
    """A setting that cannot be used; ``key`` names it."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class InventoryError(PatrolError):
    """An inventory that cannot be read; ``source`` names the file or directory."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class HostConfigError(InventoryError):
    """One host's inventory entry cannot be used; ``host`` and ``key`` name it."""

    def __init__(self, host: str, key: str, message: str, source: str | None = None) -> None:
        super().__init__(f"host {host!r}: {key}: {message}", source)
        self.host = host
        self.key = key


class VaultSecretError(HostConfigError):
    """A host's vault-encrypted variable ``key`` (defined at ``where``) cannot be decrypted: no vault
    password was given (``password_file`` None) or the one given does not open it."""

    def __init__(self, host: str, key: str, where: str | None, password_file: str | None,
                 source: str | None = None) -> None:  # fmt: skip
        self.where, self.password_file = where, password_file
        super().__init__(host, key, self.reason(key, where, password_file), source)

    @staticmethod
    def reason(key: str, where: str | None, password_file: str | None, *, several: bool = False) -> str:
        at = f" ({where})" if where else ""
        if password_file is None:
            return (f"{key} {'are' if several else 'is'} vault-encrypted{at} and no vault password was given: "
                    f"pass --vault-password-file PATH or set PATROL_VAULT_PASSWORD_FILE")  # fmt: skip
        return (f"{key}{at} cannot be decrypted with the vault password in {password_file}: check that file "
                f"(--vault-password-file / PATROL_VAULT_PASSWORD_FILE) and the vault id the value was encrypted with")


class ProfileError(PatrolError):
    """A malformed inspection profile; names file, check id and key."""

    def __init__(self, path: str, message: str, check_id: str | None = None, key: str | None = None) -> None:
        where = path + (f": check {check_id!r}" if check_id else "") + (f": key {key!r}" if key else "")
        super().__init__(f"{where}: {message}")
        self.path = path
        self.check_id = check_id
        self.key = key


class PluginError(PatrolError):
    """An entry-point plugin that cannot be found or loaded."""

    def __init__(self, group: str, name: str, message: str) -> None:
        super().__init__(f"plugin {group}:{name}: {message}")
        self.group = group
        self.name = name


class StoreError(PatrolError):
    """The snapshot store cannot be used."""


class NotFoundError(StoreError):
    """A run, host or object that is not in the store."""

    def __init__(self, what: str, key: str, hint: str = "") -> None:
        super().__init__(f"no {what} {key!r}" + (f": {hint}" if hint else ""))
        self.what = what
        self.key = key


class CollectError(PatrolError):
    """A per-host collection failure. Collectors raise it; the run records it as data."""

    kind = "error"

    def __init__(self, host: str, message: str) -> None:
        super().__init__(message)
        self.host = host


class UnreachableError(CollectError):
    kind = "unreachable"


class AuthError(CollectError):
    kind = "auth_failed"


class CollectTimeout(CollectError):
    kind = "timeout"


class ParseError(CollectError):
    kind = "parse_error"


class HostKeyChanged(CollectError):
    """The host presented another SSH host key than the known one; nothing was sent to it.

    ``known`` are the fingerprints on record, ``presented`` the one the host offered now.
    """

    kind = "host_key_changed"

    def __init__(self, host: str, message: str, address: str, known: tuple[str, ...], presented: str) -> None:
        super().__init__(host, message)
        self.address = address
        self.known = known
        self.presented = presented


class HostKeyUnknown(CollectError):
    """No host key is known for the host and its policy (``strict``) forbids learning one."""

    kind = "host_key_unknown"

    def __init__(self, host: str, message: str, address: str, presented: str) -> None:
        super().__init__(host, message)
        self.address = address
        self.presented = presented


class LabError(PatrolError):
    """The emulated lab could not be started, stopped or queried."""


class ReportError(PatrolError):
    """A report that cannot be rendered (bad format, missing template)."""
