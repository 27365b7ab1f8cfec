"""Shipped data of an installed patrol (a wheel): profiles, playbooks, modules, templates, lab.

The build (``setup.py``) copies the repository's top-level folders in here, keeping their
layout: ``inspect/``, ``playbooks/``, ``library/``, ``reports/templates/``, ``lab/`` and the
example ``inventory/lab/``. In a source checkout (``make install``: editable) this package is
empty and :mod:`patrol.paths` uses the top-level folders themselves. Never a module named
``inspect`` at the top level: it would shadow the standard library's.
"""
