"""A published mart on disk: immutable versioned folders and an atomic pointer.

::

    marts/<mart>/
        CURRENT                       the name of the version readers use
        v20240501T010203123456Z-1a2b3c4d/
            manifest.json             what the version holds (written last)
            <data files>.parquet

A version folder is complete before any pointer names it and is never changed
afterwards, so a reader that has read the pointer sees one consistent set of
files. Publishing builds a new folder under a hidden temporary name, renames it
into place, then replaces the pointer with ``os.replace`` (atomic on POSIX and
Windows). Old versions are removed only when they are beyond the newest
``keep`` and no pointer names them, which gives readers that have just read an
older pointer time to finish.

Writers are serialised by the caller (publishing holds the warehouse lock);
readers never take a lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

POINTER = "CURRENT"
MANIFEST = "manifest.json"
_VERSION_PREFIX = "v"
_PARTIAL_PREFIX = ".partial-"


def new_version_name(now: dt.datetime | None = None) -> str:
    """``v<UTC timestamp>-<short uuid>``: sorts by creation time, unique across hosts."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{_VERSION_PREFIX}{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"


def read_pointer(mart_dir: Path, pointer: str = POINTER) -> Path | None:
    """The version folder the pointer names, or None before the first publish."""
    try:
        name = (mart_dir / pointer).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return mart_dir / name if name else None


def read_manifest(version_dir: Path) -> dict[str, Any]:
    return json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))


def _fsync_dir(path: Path) -> None:
    # Directory fsync makes renames durable; not every platform allows it.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _write_durably(path: Path, text: str) -> None:
    """Write ``text`` to a temporary sibling, fsync it, and move it over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def link_or_copy(source: Path, target: Path) -> None:
    """Carry an immutable file into a new version: a hard link where possible."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@contextlib.contextmanager
def building_version(mart_dir: Path) -> Iterator[tuple[str, Path]]:
    """A fresh, hidden folder to build the next version in.

    On success the folder is fsynced and renamed to its version name (still not
    referenced by any pointer); on error it is removed.
    """
    mart_dir.mkdir(parents=True, exist_ok=True)
    for stale in mart_dir.glob(f"{_PARTIAL_PREFIX}*"):
        # Left by a publish that crashed; publishers are serialised, so none is running.
        shutil.rmtree(stale, ignore_errors=True)
    name = new_version_name()
    partial = mart_dir / f"{_PARTIAL_PREFIX}{name}"
    partial.mkdir()
    try:
        yield name, partial
        for f in partial.iterdir():
            _fsync_file(f)
        _fsync_dir(partial)
        os.rename(partial, mart_dir / name)
        _fsync_dir(mart_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_manifest(version_dir: Path, manifest: dict[str, Any]) -> None:
    _write_durably(version_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))


def switch_pointer(mart_dir: Path, version: str, pointer: str = POINTER) -> None:
    """Make readers use ``version`` from now on (atomic replace of the pointer file)."""
    if not (mart_dir / version / MANIFEST).is_file():
        raise FileNotFoundError(f"version {version} of {mart_dir} is incomplete")
    _write_durably(mart_dir / pointer, version + "\n")


def _referenced_versions(mart_dir: Path) -> set[str]:
    """Versions named by any pointer: a pointer is any regular file in the mart folder."""
    names = set()
    for entry in mart_dir.iterdir():
        if entry.is_file() and not entry.name.startswith("."):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                names.add(entry.read_text(encoding="utf-8").strip())
    return names


def prune_versions(mart_dir: Path, keep: int = 3) -> list[str]:
    """Remove versions older than the newest ``keep`` that no pointer names; return them."""
    versions = sorted(
        (d.name for d in mart_dir.iterdir() if d.is_dir() and d.name.startswith(_VERSION_PREFIX)),
        reverse=True,
    )
    referenced = _referenced_versions(mart_dir)
    removed = [name for name in versions[keep:] if name not in referenced]
    for name in removed:
        shutil.rmtree(mart_dir / name, ignore_errors=True)
    return removed
