"""What patrol keeps of an ansible-runner private data directory once a run is over.

ansible-runner leaves behind, per run, files that hold secrets in clear text: ``command`` (the
ansible-playbook command line with its extra vars, and the whole process environment),
``job_events/*.json`` (every module result: diff ``before`` content, backups, collected file
settings), ``fact_cache/``, and, when a caller passes them, ``env/`` (extravars, passwords, ssh
key, cmdline) and ``inventory/``. patrol reads what it needs from the events while the run
streams, so afterwards it keeps only a redacted account of the run::

    <private>/artifacts/<ident>/stdout    ansible's output, secrets masked (diffs included)
    <private>/artifacts/<ident>/stderr    likewise, when present
    <private>/artifacts/<ident>/status    "successful" / "failed" ...
    <private>/artifacts/<ident>/rc        the exit code

Everything else under the private directory is deleted. The event handlers also return False,
so ansible-runner never writes the event files at all; the deletion covers the rest. Rewrites
are atomic (temp file + rename, mode 0600).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from patrol.sanitize import scrub_text

__all__ = ["KEPT_FILES", "keep_redacted"]

#: The only files of an artifact folder that survive the run (the first two scrubbed).
KEPT_FILES = ("stdout", "stderr", "status", "rc")
_SCRUBBED = {"stdout", "stderr"}


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _rewrite_scrubbed(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    scrubbed = scrub_text(text)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(scrubbed)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _keep_artifact(folder: Path) -> None:
    for entry in folder.iterdir():
        if entry.name not in KEPT_FILES or not entry.is_file():
            _remove(entry)
        elif entry.name in _SCRUBBED:
            _rewrite_scrubbed(entry)


def keep_redacted(private_dir: Path) -> None:
    """Reduce ``private_dir`` to the redacted files of :data:`KEPT_FILES` (see the module docstring).

    Never raises for a missing folder; an unreadable file is deleted rather than kept unscrubbed.
    """
    if not private_dir.is_dir():
        return
    os.chmod(private_dir, 0o700)
    for entry in private_dir.iterdir():
        if entry.name != "artifacts" or not entry.is_dir():
            _remove(entry)
            continue
        for artifact in entry.iterdir():
            if not artifact.is_dir():
                _remove(artifact)
                continue
            try:
                _keep_artifact(artifact)
            except OSError:
                _remove(artifact)
