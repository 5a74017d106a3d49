#!/usr/bin/env bash
# Creates .venv and installs the platform with pinned versions (constraints.txt).
# Sourced by run.sh and test.sh; a second run reinstalls only when the pins changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS="${1:-}"
PY="${PYTHON:-python3}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "Нужен Python 3.11 или новее (${PY})." >&2
  exit 1
fi

if [ ! -x "$ROOT/.venv/bin/python" ]; then
  if ! "$PY" -m venv "$ROOT/.venv" 2>/dev/null; then
    # Debian's Python ships venv separately.
    rm -rf "$ROOT/.venv"
    ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    as_root apt-get update -qq
    as_root apt-get install -y -qq "python${ver}-venv" || as_root apt-get install -y -qq python3-venv
    "$PY" -m venv "$ROOT/.venv"
  fi
fi

stamp="$ROOT/.venv/.installed-$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -c1-16)${EXTRAS:+-$EXTRAS}"
if [ ! -f "$stamp" ]; then
  "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip
  spec="$ROOT"
  [ -n "$EXTRAS" ] && spec="$ROOT[$EXTRAS]"
  "$ROOT/.venv/bin/python" -m pip install -q -c "$ROOT/constraints.txt" -e "$spec"
  touch "$stamp"
fi
