"""The Dagster code location: every definition under ``orchestration/defs``.

Run from the repository root:
``DAGSTER_HOME=data/dagster dagster dev -m orchestration.definitions``.
"""

from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
