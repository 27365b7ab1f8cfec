"""Declarative checks (stage 4 of the pipeline): profiles -> check results -> findings.

``load_profiles(["inspect"])`` validates every profile before a device is contacted;
``evaluate(profiles, host, snapshot, status)`` gives the host's check results;
``findings_for(run_id, host, results, profiles, host_result)`` the findings to act on.
Check kinds are plugins (entry-point group ``patrol.checks``), see :mod:`patrol.checks.kinds`.
"""

from patrol.checks.engine import evaluate, findings_for
from patrol.checks.fields import CheckContext, VarRef, Verdict
from patrol.checks.kinds import CheckKind
from patrol.checks.profile import COVERAGE_CHECK, Check, Profile, ProfileSet, load_profiles

__all__ = [
    "COVERAGE_CHECK",
    "Check",
    "CheckContext",
    "CheckKind",
    "Profile",
    "ProfileSet",
    "VarRef",
    "Verdict",
    "evaluate",
    "findings_for",
    "load_profiles",
]
