"""Reading every file a user could open as text: raw bytes, zip members (xlsx, docx), Parquet
tables, SQLite dumps and gzip streams, so a canary hidden in a container is still found."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pyarrow.parquet as pq

__all__ = ["leaks", "texts_of_bytes", "texts_of_file", "texts_under"]


def _zip_members(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            yield from _texts(f"{name}!{member}", archive.read(member))


def _parquet(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    table = pq.read_table(io.BytesIO(data))
    yield f"{name} (parquet rows)", json.dumps(table.to_pylist(), default=str, ensure_ascii=False)
    metadata = {
        k.decode(errors="replace"): v.decode(errors="replace") for k, v in (table.schema.metadata or {}).items()
    }
    yield f"{name} (parquet schema)", f"{table.schema}\n{json.dumps(metadata)}"


def _sqlite(name: str, path: Path) -> Iterator[tuple[str, str]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield f"{name} (sqlite dump)", "\n".join(con.iterdump())
    finally:
        con.close()


def _texts(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    yield name, data.decode("latin-1")  # canaries are ASCII: every byte sequence is searchable
    if data[:2] == b"PK" and zipfile.is_zipfile(io.BytesIO(data)):
        yield from _zip_members(name, data)
    elif data[:4] == b"PAR1":
        yield from _parquet(name, data)
    elif data[:2] == b"\x1f\x8b":
        yield from _texts(f"{name} (gunzip)", gzip.decompress(data))
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        yield f"{name} (utf-16)", data.decode("utf-16", errors="replace")


def texts_of_bytes(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for a downloaded body and everything inside it."""
    yield from _texts(name, data)


def texts_of_file(path: Path) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for ``path`` and everything inside it."""
    data = path.read_bytes()
    yield from _texts(str(path), data)
    if data[:16] == b"SQLite format 3\x00":
        yield from _sqlite(str(path), path)


def texts_under(folder: Path) -> Iterator[tuple[str, str]]:
    """Every regular file under ``folder`` (hidden ones included), opened as above."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield from texts_of_file(path)


def leaks(texts: Iterable[tuple[str, str]], canaries: Mapping[str, str]) -> list[str]:
    """``"<canary name> in <where>"`` for every canary value found in a text."""
    return [f"{name} in {where}" for where, text in texts for name, value in canaries.items() if value in text]
