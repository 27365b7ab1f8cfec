"""The remediation stage: plan -> preview (ansible check + diff) -> approval -> backup -> apply ->
verify by re-inspection -> change log, and rollback. See :mod:`patrol.remediate.engine`."""

from patrol.remediate.changelog import get_change, list_changes
from patrol.remediate.engine import Policy, RemediationHook, approve, preview, rollback
from patrol.remediate.errors import ApprovalError, PlanError, RemediationError, RollbackError
from patrol.remediate.model import Change, ChangeHost, ChangeStatus, HostStatus, Plan
from patrol.remediate.plan import find_finding, plan_for_finding, plan_for_playbook

__all__ = [
    "ApprovalError",
    "Change",
    "ChangeHost",
    "ChangeStatus",
    "HostStatus",
    "Plan",
    "PlanError",
    "Policy",
    "RemediationError",
    "RemediationHook",
    "RollbackError",
    "approve",
    "find_finding",
    "get_change",
    "list_changes",
    "plan_for_finding",
    "plan_for_playbook",
    "preview",
    "rollback",
]
