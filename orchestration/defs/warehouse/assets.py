"""The unpartitioned dbt models of the warehouse: staging views and the SCD2 history."""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.lib.dbt_project import (
    WarehouseDbtTranslator,
    dbt_project,
    prepare_manifest,
    run_dbt,
)

#: Models with a partition scheme of their own; each has its own @dbt_assets.
PARTITIONED_MODELS = "snapshot_month"


@dbt_assets(
    manifest=prepare_manifest(),
    project=dbt_project,
    exclude=PARTITIONED_MODELS,
    dagster_dbt_translator=WarehouseDbtTranslator(),
    pool="duckdb",
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    yield from run_dbt(dbt, ["build"], context)
