"""Reading the paging and sorting arguments of list screens (bad values fall back to defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request

MAX_PAGE = 100_000


def page_arg() -> int:
    """``?page=`` as a number from 1; anything else is page 1."""
    value = request.args.get("page", "")
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        return 1
    return min(int(value), MAX_PAGE)


def sort_args(sorts: Mapping[str, Any], default: str) -> tuple[str, bool]:
    """``?sort=`` (one of ``sorts``, else ``default``) and ``?desc=1``."""
    sort = request.args.get("sort", "")
    return (sort if sort in sorts else default), request.args.get("desc") == "1"
