"""The restore of a file that holds a secret, kept as line edits that hold none.

A whole-file backup (the ``before`` content of a lineinfile/copy/template change) cannot be kept
when the file holds a secret (``enable secret …`` in a comment, a password line): patrol never
stores one. Most remediations change a few lines that hold no secret, though, so the restore is
kept as the inverse of the change instead: each line the change wrote, and what stood there
before (or nothing, for an added line)::

    file_edits("PermitRootLogin yes\\npassword x\\n", "PermitRootLogin no\\npassword x\\n")
    -> [{"line": "PermitRootLogin no", "restore": "PermitRootLogin yes"}]

``playbooks/remediate/_restore.yml`` applies them (kind ``file_edits``) with ``replace`` and
``lineinfile state=absent``. A change that cannot be inverted line by line (lines deleted, a
written line that is not unique in the new file) or whose changed lines hold a secret gives
``None``: that backup stays not restorable (restore by hand).
"""

from __future__ import annotations

import difflib
from typing import Any

from patrol.sanitize import scrub_text

__all__ = ["file_edits", "restorable_as_edits"]


def _unique(lines: list[str], line: str) -> bool:
    return lines.count(line) == 1 and bool(line.strip())


def file_edits(before: str, after: str) -> list[dict[str, str | None]] | None:
    """The change from ``before`` to ``after`` as invertible line edits, or None (see the module docstring)."""
    old, new = before.splitlines(), after.splitlines()
    edits: list[dict[str, str | None]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            edits += [{"line": n, "restore": o} for o, n in zip(old[i1:i2], new[j1:j2], strict=True)]
        elif tag == "insert":
            edits += [{"line": n, "restore": None} for n in new[j1:j2]]
        else:
            return None
    if not edits or not all(_unique(new, str(e["line"])) for e in edits):
        return None
    texts = [str(v) for e in edits for v in e.values() if v is not None]
    return None if any(scrub_text(t) != t for t in texts) else edits


def restorable_as_edits(item: dict[str, Any], before: str, after: Any) -> dict[str, Any]:
    """``item`` (a file backup stored redacted) made restorable by line edits when the change allows."""
    edits = file_edits(before, after) if isinstance(after, str) else None
    if edits is None:
        return item
    note = "held a secret: stored redacted; restorable: the changed lines are kept, they hold none"
    return {**item, "kind": "file_edits", "edits": edits, "restorable": True, "note": note}
