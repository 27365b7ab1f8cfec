"""The drift stage: baselines, hierarchical config diff, noise rules, golden templates, time travel.

Data flows snapshot (redacted, secrets as keyed-hash markers) -> baseline (approved copy) ->
drift items -> findings. Modules: :mod:`~patrol.drift.confdiff` (parse + diff engine),
:mod:`~patrol.drift.noise` / :mod:`~patrol.drift.rules` (data in ``inspect/``),
:mod:`~patrol.drift.baselines` (store), :mod:`~patrol.drift.golden` (jinja2 templates),
:mod:`~patrol.drift.engine` (findings), :mod:`~patrol.drift.timetravel` + :mod:`~patrol.drift.render`
(``patrol diff`` as text and JSON; its HTML is :mod:`patrol.report.diff`), :mod:`~patrol.drift.processor`
(the run hook). Nothing here imports the report stage.
"""

from patrol.drift.baselines import Baseline, approve_snapshot, approve_template, effective, history
from patrol.drift.confdiff import ConfigTree, DiffItem, diff_configs, diff_trees, parse_config
from patrol.drift.engine import DriftData, HostDrift, drift_results, host_drift
from patrol.drift.errors import DriftDataError, GoldenTemplateError

__all__ = [
    "Baseline",
    "ConfigTree",
    "DiffItem",
    "DriftData",
    "DriftDataError",
    "GoldenTemplateError",
    "HostDrift",
    "approve_snapshot",
    "approve_template",
    "diff_configs",
    "diff_trees",
    "drift_results",
    "effective",
    "history",
    "host_drift",
    "parse_config",
]
