"""Inspection profiles: YAML files of declarative checks, validated before any device is contacted.

A profile file::

    profile: network-baseline                  # required, the profile's name
    description: What an O&M team checks on every switch and router.
    applies_to: {device_class: [network]}      # optional: device_class / platform / group lists
    checks:
      - id: net.ntp.servers                    # dotted, unique across every loaded profile
        title: {en: NTP servers as agreed, zh: NTP 伺服器符合約定}   # the state wanted
        problem: {en: "NTP servers differ from the agreed ones; they must be the agreed ones",
                  zh: NTP 伺服器與約定不一致；必須與約定一致}          # what a finding says
        severity: urgent                       # critical | urgent | normal | other
        kind: membership                       # an entry point of group patrol.checks
        applies_to: {platform: [cisco_ios]}    # optional, narrows the profile's
        field: security.ntp_servers            # \\ the kind's own keys
        op: equals                             # |
        values: {var: patrol_expected_ntp_servers}  # / ({var: NAME} = host inventory variable)
        remediation: {playbook: playbooks/remediate/ntp.yml, vars: {}}   # optional
        runbook: ntp-drift                     # optional: emergency plan, inspect/runbooks/ntp-drift.yml
        description: Clocks must agree for logs to be usable.             # optional

``title`` names the state the check wants (a passing check reads well); ``problem`` is the title
of a finding: what is wrong and what is expected, in human words. It may name the figures of the
failing result as ``{placeholders}`` (format specs allowed: ``{actual:g}``): ``object`` (the
interface, filesystem, certificate … or empty) and the figures of the kind's evidence (each kind's
``figures``, e.g. threshold: ``actual``, ``limit``; lists read as ``a, b``). A check without
``problem`` gets "Not met: <title>" / "未符合：<title>".

``applies_to`` matches a host when every list given contains the host's value (groups: any of
the host's groups). :func:`load_profiles` takes files and folders. A folder contributes every
``*.yml``/``*.yaml`` below it, except in folders whose name starts with ``.`` or ``_``; a YAML
file found in a folder that has neither a ``profile`` nor a ``checks`` key is not a profile
and is skipped (logged). A file named explicitly is always read as a profile.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from patrol import plugins
from patrol.checks.kinds import CheckKind
from patrol.errors import ProfileError
from patrol.models import DeviceClass, Host, Severity

__all__ = ["COVERAGE_CHECK", "AppliesTo", "Check", "Profile", "ProfileSet", "Remediation", "load_profiles"]

log = logging.getLogger(__name__)

KIND_GROUP = "patrol.checks"
CHECK_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliesTo(_Strict):
    device_class: tuple[DeviceClass, ...] = ()
    platform: tuple[str, ...] = ()
    group: tuple[str, ...] = ()

    def matches(self, host: Host) -> bool:
        return (
            (not self.device_class or host.device_class in self.device_class)
            and (not self.platform or host.platform in self.platform)
            and (not self.group or bool(set(self.group) & set(host.groups)))
        )


class Title(_Strict):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Remediation(_Strict):
    playbook: str = Field(min_length=1)
    vars: dict[str, Any] = Field(default_factory=dict)


class _CheckHeader(_Strict):
    id: str = Field(pattern=CHECK_ID_PATTERN)
    title: Title
    problem: Title | None = None
    severity: Severity
    kind: str
    applies_to: AppliesTo = AppliesTo()
    remediation: Remediation | None = None
    description: str = ""
    #: id of the emergency plan (inspect/runbooks/<id>.yml) for a finding of this check
    runbook: str | None = None


_HEADER_KEYS = set(_CheckHeader.model_fields)


class _ProfileHeader(_Strict):
    profile: str = Field(min_length=1)
    description: str = ""
    applies_to: AppliesTo = AppliesTo()
    checks: list[Any] = Field(min_length=1)


@dataclass(frozen=True)
class Check:
    """One validated check: its header and the kind's instance that evaluates it."""

    id: str
    title_en: str
    title_zh: str
    severity: Severity
    kind_name: str
    kind: CheckKind | None
    applies_to: tuple[AppliesTo, ...] = ()
    remediation: Remediation | None = None
    description: str = ""
    source: str = ""
    #: finding title templates (see the module docstring); empty: derived from the title
    problem_en: str = ""
    problem_zh: str = ""
    #: id of the emergency plan (``inspect/runbooks/``) linked to this check's findings
    runbook: str | None = None

    def applies(self, host: Host) -> bool:
        return all(a.matches(host) for a in self.applies_to)

    def title(self, lang: str = "en") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def problem(self, lang: str = "en", evidence: Mapping[str, Any] | None = None, obj: str = "") -> str:
        """The title of a finding of this check: what is wrong, what is expected, with its figures."""
        template = self.problem_zh if lang == "zh" else self.problem_en
        derived = f"未符合：{self.title_zh}" if lang == "zh" else f"Not met: {self.title_en}"
        if not template:
            return derived
        figures = {k: ", ".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in (evidence or {}).items()}
        try:
            return template.format_map(figures | {"object": obj})
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):  # a figure this result lacks
            log.debug("check %s: problem %r cannot be filled from %s", self.id, template, evidence)
            return derived


#: The built-in check behind coverage-gap findings: a host that could not be inspected.
COVERAGE_CHECK = Check(
    id="coverage.not_inspected",
    title_en="Host could not be inspected",
    title_zh="設備未能巡檢",
    problem_en="Host could not be inspected",  # the title already says what is wrong
    problem_zh="設備未能巡檢",
    severity=Severity.URGENT,
    kind_name="coverage",
    kind=None,
    description="Collection failed (unreachable, authentication, timeout ...): nothing on it was checked.",
    source="<built-in>",
)


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    description: str
    checks: tuple[Check, ...]


@dataclass
class ProfileSet:
    """Every loaded profile; ``get`` also knows the built-in coverage check."""

    profiles: list[Profile] = field(default_factory=list)

    @property
    def checks(self) -> list[Check]:
        return [c for p in self.profiles for c in p.checks]

    def get(self, check_id: str) -> Check | None:
        if check_id == COVERAGE_CHECK.id:
            return COVERAGE_CHECK
        return next((c for c in self.checks if c.id == check_id), None)

    def for_host(self, host: Host) -> list[Check]:
        return [c for c in self.checks if c.applies(host)]


# -- loading ------------------------------------------------------------------------------


_VAR_HINT = "a variable reference is {var: NAME} or {var: NAME, default: VALUE}"


def _explain(err: Any, loc: list[str], key: str | None, allowed: Iterable[str]) -> str:
    """What is wrong and how to fix it, from one pydantic error."""
    if err["type"] == "missing":
        return "required key is missing"
    if err["type"] != "extra_forbidden":
        return f"{err['msg']} (got {err['input']!r})"
    if "VarRef" in loc:
        return f"unknown key {loc[-1]!r}: {_VAR_HINT}"
    if key is not None and loc[-1] != key.rsplit(".", 1)[-1]:
        return f"unknown key {loc[-1]!r}"
    return f"unknown key; allowed keys: {', '.join(sorted(allowed))}"


def _from_validation(path: str, exc: ValidationError, check_id: str | None, allowed: Iterable[str]) -> ProfileError:
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])  # a typo explains the rest
    loc = [str(p) for p in err["loc"]]
    nested = len(loc) > 1 and loc[0] in ("title", "problem", "applies_to", "remediation")
    key = ".".join(loc[:2]) if nested else (loc[0] if loc else None)
    return ProfileError(path, _explain(err, loc, key, allowed), check_id, key)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ProfileError(
            str(path), f"{where}YAML syntax error: {exc.problem}; fix the indentation or quoting there"
        ) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(str(path), f"cannot be read: {exc}") from exc


def _kind_class(path: str, check_id: str, kind: str) -> Any:
    known = plugins.names(KIND_GROUP)
    if kind not in known:
        raise ProfileError(path, f"unknown kind {kind!r}; known kinds: {', '.join(known)}", check_id, "kind")
    return plugins.load(KIND_GROUP, kind)


def _load_check(path: str, raw: Any, index: int, profile_applies: AppliesTo) -> Check:
    if not isinstance(raw, dict):
        raise ProfileError(path, f"check #{index + 1} must be a mapping of keys, got {raw!r}", key="checks")
    check_id = str(raw.get("id")) if raw.get("id") is not None else None
    header_raw = {k: v for k, v in raw.items() if k in _HEADER_KEYS}
    try:
        header = _CheckHeader.model_validate(header_raw)
    except ValidationError as exc:
        if check_id is None:
            raise ProfileError(
                path, f"check #{index + 1} has no 'id' (a dotted name like net.ntp.servers)", key="id"
            ) from exc
        raise _from_validation(path, exc, check_id, _HEADER_KEYS) from exc
    kind_cls = _kind_class(path, header.id, header.kind)
    _check_placeholders(path, header, getattr(kind_cls, "figures", None))
    params = {k: v for k, v in raw.items() if k not in _HEADER_KEYS}
    try:
        kind = kind_cls.model_validate(params)
    except ValidationError as exc:
        allowed = _HEADER_KEYS | set(getattr(kind_cls, "model_fields", {}))
        raise _from_validation(path, exc, header.id, allowed) from exc
    return Check(
        id=header.id,
        title_en=header.title.en,
        title_zh=header.title.zh,
        severity=header.severity,
        kind_name=header.kind,
        kind=kind,
        applies_to=(profile_applies, header.applies_to),
        remediation=header.remediation,
        description=header.description,
        source=path,
        problem_en=header.problem.en if header.problem else "",
        problem_zh=header.problem.zh if header.problem else "",
        runbook=header.runbook,
    )


def _check_placeholders(path: str, header: _CheckHeader, figures: Iterable[str] | None) -> None:
    """Every ``{placeholder}`` of ``problem`` is a figure the kind gives (when the kind lists them)."""
    if header.problem is None or figures is None:
        return
    known = {"object", *figures}
    for lang in ("en", "zh"):
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(getattr(header.problem, lang)) if f is not None]
        except ValueError as exc:
            raise ProfileError(path, f"{exc}; write braces as {{{{ and }}}}", header.id, f"problem.{lang}") from exc
        unknown = sorted({n.split(".")[0].split("[")[0] for n in names} - known)
        if unknown:
            raise ProfileError(
                path,
                f"unknown placeholder {{{unknown[0]}}}; kind {header.kind!r} offers: {', '.join(sorted(known))}",
                header.id,
                f"problem.{lang}",
            )


def _load_profile(path: Path) -> Profile:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ProfileError(str(path), "a profile must be a mapping with keys 'profile' and 'checks'")
    try:
        header = _ProfileHeader.model_validate(data)
    except ValidationError as exc:
        raise _from_validation(str(path), exc, None, _ProfileHeader.model_fields) from exc
    checks = tuple(_load_check(str(path), raw, i, header.applies_to) for i, raw in enumerate(header.checks))
    return Profile(name=header.profile, path=str(path), description=header.description, checks=checks)


def _looks_like_profile(path: Path) -> bool:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return True  # let _load_profile report the problem with its line
    return isinstance(data, dict) and bool({"profile", "checks"} & set(data))


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise ProfileError(str(path), "does not exist; give a profile file or a folder of them (default: inspect/)")
    if path.is_file():
        return [path]
    found = []
    for file in sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file()):
        if any(part.startswith((".", "_")) for part in file.relative_to(path).parts[:-1]):
            continue
        if _looks_like_profile(file):
            found.append(file)
        else:
            log.info("skipping %s: not a profile (no 'profile' or 'checks' key)", file)
    return found


def _check_unique(profiles: Sequence[Profile]) -> None:
    seen: dict[str, str] = {COVERAGE_CHECK.id: COVERAGE_CHECK.source}
    for profile in profiles:
        for check in profile.checks:
            if check.id in seen:
                raise ProfileError(
                    profile.path,
                    f"check id {check.id!r} is also defined in {seen[check.id]}; ids must be unique across "
                    "all loaded profiles: rename one of them",
                    check.id,
                    "id",
                )
            seen[check.id] = profile.path


def load_profiles(paths: Sequence[str | Path]) -> ProfileSet:
    """Read and validate every profile under ``paths``; :class:`ProfileError` names file, check and key."""
    files = [file for p in paths for file in _files(Path(p))]
    if not files:
        shown = ", ".join(str(p) for p in paths) or "(none given)"
        raise ProfileError(shown, "no inspection profiles found; give *.yml files with 'profile:' and 'checks:'")
    profiles = [_load_profile(f) for f in dict.fromkeys(files)]
    _check_unique(profiles)
    log.debug("loaded %d profiles, %d checks", len(profiles), sum(len(p.checks) for p in profiles))
    return ProfileSet(profiles)
