#!/usr/bin/env bash
# Passes the tests: installs what is missing (with the test extras), lints, runs pytest.
# Extra arguments go to pytest, e.g. ./test.sh tests/unit -x
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh test
bash scripts/ensure-chromium.sh
.venv/bin/ruff check .
.venv/bin/mypy
mkdir -p test-output
exec .venv/bin/pytest "$@"
