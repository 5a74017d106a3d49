"""Run the warehouse pipeline in this process: what the platform's run command calls.

The runs go to the given Dagster instance (the one of ``DAGSTER_HOME`` shows
them in the Dagster UI) and take the same ``duckdb`` pool slot as the runs the
daemon launches, so they wait for each other instead of fighting over the file.
"""

import datetime as dt

import dagster as dg

from orchestration.defs.register.assets import register_person_versions
from orchestration.defs.resources import make_resources
from orchestration.defs.snapshots.assets import published_snapshot_month, snapshot_month_dbt_models
from orchestration.defs.warehouse.assets import warehouse_dbt_models
from orchestration.lib.partitions import current_snapshot_date, partition_key_of

ASSETS = [
    register_person_versions,
    warehouse_dbt_models,
    snapshot_month_dbt_models,
    published_snapshot_month,
]
UNPARTITIONED = dg.AssetSelection.assets(register_person_versions, warehouse_dbt_models)
MONTH = dg.AssetSelection.assets(snapshot_month_dbt_models, published_snapshot_month)


def materialize_pipeline(
    snapshot_date: dt.date | None = None, instance: dg.DagsterInstance | None = None
) -> bool:
    """Extract, history, then the month's snapshot and its publication; True on success.

    ``snapshot_date`` is the 1st of a month (default: the current month); the
    unpartitioned assets run first, then the month's partition, each as a run of
    ``instance`` (default: an ephemeral one). Raises ValueError (in Russian) for
    a date that is not a month partition.
    """
    partition_key = partition_key_of(snapshot_date or current_snapshot_date())
    resources = make_resources()
    for selection, key in ((UNPARTITIONED, None), (MONTH, partition_key)):
        result = dg.materialize(
            ASSETS,
            selection=selection,
            partition_key=key,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        if not result.success:
            return False
    return True
