"""Monthly snapshots (срезы): the dbt mart, one partition per month, and its publication."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.resources import WarehouseResource
from orchestration.lib.dbt_project import (
    WarehouseDbtTranslator,
    dbt_project,
    prepare_manifest,
    run_dbt,
)
from orchestration.lib.partitions import monthly_snapshot_partitions, snapshot_date_of
from warehouse.publish import publish_snapshot


@dbt_assets(
    manifest=prepare_manifest(),
    project=dbt_project,
    select="snapshot_month",
    partitions_def=monthly_snapshot_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=WarehouseDbtTranslator(),
    pool="duckdb",
)
def snapshot_month_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource
) -> Iterator[Any]:
    # A backfill is one run over a range of months: one dbt build for all of them.
    dates = sorted(context.partition_keys)
    snapshot_date = dates[0] if len(dates) == 1 else dates
    args = ["build", "--vars", json.dumps({"snapshot_date": snapshot_date})]
    yield from run_dbt(dbt, args, context)


@dg.asset(
    deps=["snapshot_month"],
    partitions_def=monthly_snapshot_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="warehouse",
    kinds={"duckdb", "parquet"},
    pool="duckdb",
)
def published_snapshot_month(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The snapshot as Parquet under marts/snapshot_month, for the web app (warehouse.publish)."""
    files = [
        publish_snapshot(
            Path(warehouse.warehouse_path),
            Path(warehouse.marts_dir),
            snapshot_date_of(key),
            source_run_id=context.run.run_id,
        )
        for key in sorted(context.partition_keys)
    ]
    return dg.MaterializeResult(
        metadata={"files": [str(f) for f in files], "version": files[-1].parent.name}
    )
