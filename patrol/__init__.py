"""patrol: inventory-driven inspection, drift, tickets and remediation for O&M teams.

The pipeline, one stage per module or package, data flowing one way::

    inventory -> collect -> store (snapshots) -> checks (findings) -> report
"""

from patrol.errors import PatrolError

__all__ = ["PatrolError", "__version__"]
__version__ = "0.1.0"
