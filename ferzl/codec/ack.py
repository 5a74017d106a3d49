"""The head every answer of the central segment starts with: ``MSH``, ``MSA``, ``ERR``….

Shared by the transport answer, the change answers (``answers.py``) and the query
answers (``responses.py``); the field table is in ``answers.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ferzl.codec.hl7xml import (
    RECEIVER,
    RECEIVER_FACILITY,
    child,
    children,
    coded,
    composite,
    normalize_guid,
    req,
    structure_error,
    sub,
    text,
)

TRANSPORT_CODES = frozenset({"CA", "CE", "CR"})
APPLICATION_CODES = frozenset({"AA", "AE", "AR"})
SEVERITIES = frozenset({"E", "W"})

_POSITION_RE = re.compile(r"([A-Z][A-Z0-9]{2})(?:\.(\d+)(?:\.(\d+))?)?")


@dataclass(frozen=True)
class ErrorDetail:
    position: str | None  # e.g. "PID.3"; None for the transport answer
    hl7_code: str | None
    severity: str  # E / W
    app_code: str | None  # ERR.5: application code (.uprak2) or transport code (.uprak1)
    text: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"серьёзность {self.severity!r} не E/W")
        if self.position is not None and not _POSITION_RE.fullmatch(self.position):
            raise ValueError(f"позиция {self.position!r} не вида SEG[.n[.m]]")


def build_head(
    parent: Any,
    *,
    message_type: tuple[str, str | None, str],
    answer_id: str,
    code: str,
    ref: str,
    errors: Sequence[ErrorDetail],
) -> None:
    """Append MSH, MSA and one ERR per error to the answer element ``parent``."""
    msh = sub(parent, "MSH")
    sub(msh, "MSH.1", "|")
    sub(msh, "MSH.2", "^~\\&")
    composite(msh, "MSH.3", HD_1=RECEIVER)
    composite(msh, "MSH.4", HD_1=RECEIVER_FACILITY)
    msg_code, event, structure = message_type
    composite(msh, "MSH.9", MSG_1=msg_code, MSG_2=event, MSG_3=structure)
    sub(msh, "MSH.10", answer_id)
    composite(msh, "MSH.12", VID_1="2.6")
    msa = sub(parent, "MSA")
    sub(msa, "MSA.1", code)
    sub(msa, "MSA.2", ref)
    for e in errors:
        err = sub(parent, "ERR")
        if e.position is not None:
            match = _POSITION_RE.fullmatch(e.position)
            assert match is not None  # checked in ErrorDetail
            seg, field, component = match.groups()
            composite(err, "ERR.2", ERL_1=seg, ERL_2="1", ERL_3=field, ERL_5=component)
        if e.hl7_code is not None:
            composite(err, "ERR.3", CWE_1=e.hl7_code)
        sub(err, "ERR.4", e.severity)
        if e.app_code is not None:
            composite(err, "ERR.5", CWE_1=e.app_code)
        sub(err, "ERR.6", e.text)


def _position(err: Any) -> str | None:
    node = child(err, "ERR.2")
    if node is None:
        return None
    position = req(node, "ERL.1")
    field = text(node, "ERL.3")
    component = text(node, "ERL.5")
    if field:
        position += f".{field}"
        if component:
            position += f".{component}"
    return position


def parse_error(err: Any) -> ErrorDetail:
    try:
        return ErrorDetail(
            position=_position(err),
            hl7_code=coded(err, "ERR.3"),
            severity=req(err, "ERR.4"),
            app_code=coded(err, "ERR.5"),
            text=text(err, "ERR.6") or "",
        )
    except ValueError as exc:
        raise structure_error(f"ERR: {exc}") from exc


@dataclass(frozen=True)
class Head:
    """What the head of an answer says: MSH.10, MSA.1, MSA.2, the errors, the rest."""

    answer_id: str
    code: str
    ref: str
    errors: tuple[ErrorDetail, ...]
    rest: list[tuple[str, Any]]  # the segments after the ERRs, in order


def parse_head(el: Any, message_type: tuple[str, str | None, str], codes: frozenset[str]) -> Head:
    """Read MSH, MSA, ERR… of an answer element and check MSH.9 and MSA.1.

    MSA.2 comes back in lower case when it is a GUID; MSH.10 as written (it is hashed).
    """
    segments = children(el)
    names = [name for name, _ in segments]
    if names[:2] != ["MSH", "MSA"]:
        raise structure_error(f"{message_type[2]}: ожидались MSH, MSA, найдены {', '.join(names)}")
    msh, msa = segments[0][1], segments[1][1]
    msg_code, event, structure = message_type
    if coded(msh, "MSH.9", "MSG.1") != msg_code:
        raise structure_error(f"MSH.9 не {msg_code}")
    msh9 = child(msh, "MSH.9")
    if len(msh9):  # components; plain text was checked above
        for path, expected in (("MSG.2", event), ("MSG.3", structure)):
            found = text(msh9, path)
            if expected is not None and found is not None and found != expected:
                raise structure_error(f"MSH.9/{path} = {found!r}, ожидалось {expected!r}")
    code = req(msa, "MSA.1")
    if code not in codes:
        raise structure_error(f"MSA.1 = {code!r}, ожидалось одно из {', '.join(sorted(codes))}")
    errors: list[ErrorDetail] = []
    position = 2
    while position < len(segments) and segments[position][0] == "ERR":
        errors.append(parse_error(segments[position][1]))
        position += 1
    return Head(
        answer_id=text(msh, "MSH.10") or "",
        code=code,
        ref=normalize_guid(req(msa, "MSA.2")),
        errors=tuple(errors),
        rest=segments[position:],
    )
