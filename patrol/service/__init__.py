"""The service stage: scheduled inspections, the ``patrol serve`` daemon and its REST API.

Modules: :mod:`~patrol.service.schedules` (stored/declared schedules, cron + time zone, misfire
policy), :mod:`~patrol.service.lease` (expiring database leases), :mod:`~patrol.service.claims` (claiming
firings, naming their leases), :mod:`~patrol.service.scheduler` (running inspection firings through
:mod:`patrol.runner`), :mod:`~patrol.service.deliveries` (the timer delivering monthly report
schedules; a run report to its recipients), :mod:`~patrol.service.tokens` (hashed API tokens with
roles, expiry, revocation),
:mod:`~patrol.service.sessions` (dashboard sessions), :mod:`~patrol.service.roots` (what API
schedules may name on the server), :mod:`~patrol.service.limits` (bounded request bodies),
:mod:`~patrol.service.deps` (the routes' state, role checks and request bodies),
:mod:`~patrol.service.api` / :mod:`~patrol.service.routes` / :mod:`~patrol.service.writes`
(FastAPI: reads, downloads, writes through the CLI's domain functions),
:mod:`~patrol.service.dashboard` / :mod:`~patrol.service.views` (the web dashboard, drift and
charts), :mod:`~patrol.service.metrics` (Prometheus text), :mod:`~patrol.service.export`
(crontab / systemd units), :mod:`~patrol.service.server` (the process lifecycle).
Nothing is imported here so the CLI stays fast; import the submodules.
"""

__all__: list[str] = []
