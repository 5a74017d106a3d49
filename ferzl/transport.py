"""The exchange folders: atomic writes, file identity."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

TMP_SUFFIX = ".tmp"


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name``: a reader sees the whole file or none of it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / (name + TMP_SUFFIX)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)
    return target


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def move_into(path: Path, folder: Path) -> Path:
    """Move a finished file aside (replacing a same-named earlier one)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    os.replace(path, target)
    return target
