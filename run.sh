#!/usr/bin/env bash
# Runs the platform on its embedded defaults: installs what is missing, prepares the
# database and a synthetic demo region, builds one snapshot, then starts the web app,
# the Dagster UI and the FERZL emulator. Ctrl-C stops them all.
#   ./run.sh                      # about 50 000 persons
#   ./run.sh --persons 1000000    # size of the demo region
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
exec .venv/bin/rserz demo "$@"
