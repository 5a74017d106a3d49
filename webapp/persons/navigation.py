"""The state of the register screen in its address: which arguments it keeps, and coming back.

The forms carry the screen's query string in a hidden ``back`` field so that «Отмена»
and «Сохранить» return to the same filter, page and sort. Only the screen's own
arguments are taken from it: the redirect always goes to the register screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import url_for

from webapp.persons.forms import FILTER_FIELDS

#: The arguments that make the screen what it is (the selection and the count come on top).
SCREEN_ARGS: tuple[str, ...] = (*FILTER_FIELDS, "sort", "desc", "page")
MAX_BACK = 1000  # longer than any real filter; a tampered value is cut, not trusted
MAX_VALUE = 100

#: A placeholder for a person's id in URL templates the script fills in.
ID_SLOT = 2_147_483_647


def screen_args(args: Mapping[str, Any]) -> dict[str, str]:
    """The screen's own non-empty arguments out of ``args`` (a request's, or a parsed ``back``)."""
    found: dict[str, str] = {}
    for key in SCREEN_ARGS:
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            found[key] = value.strip()[:MAX_VALUE]
    return found


def back_query(args: Mapping[str, Any]) -> str:
    """The screen's state as a query string for a ``back`` field."""
    return urlencode(screen_args(args))


def args_from_back(back: str | None) -> dict[str, str]:
    return screen_args(dict(parse_qsl((back or "")[:MAX_BACK])))


def screen_url(back: str | None = None, **extra: Any) -> str:
    """The register screen in the state ``back`` describes, plus ``extra`` (``selected=…``)."""
    return url_for("persons.search", **args_from_back(back), **extra)


def url_template(endpoint: str, **values: Any) -> str:
    """``url_for`` with ``{id}`` in place of the person's id (for data attributes)."""
    return url_for(endpoint, **values).replace(str(ID_SLOT), "{id}")
