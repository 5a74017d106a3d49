"""Register data copied from the operational database into the warehouse."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from warehouse.extract import extract_register_changes


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "register_person_versions",
            description="Every confirmed version of a person record "
            "(raw.register_person_version), extracted incrementally by change_seq.",
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            "register_smo", description="Insurance companies, СМО (raw.smo).", kinds={"duckdb"}
        ),
        dg.AssetSpec(
            "register_mo", description="Medical organisations, МО (raw.mo).", kinds={"duckdb"}
        ),
    ],
    group_name="register",
    pool="duckdb",
)
def register_person_versions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Incremental extract of person versions and the reference books (warehouse.extract)."""
    result = extract_register_changes(warehouse.database_url, Path(warehouse.warehouse_path))
    context.log.info(
        f"{result.versions_added} person versions added, "
        f"change_seq {result.high_water_mark_before} -> {result.high_water_mark_after}"
    )
    yield dg.MaterializeResult(
        asset_key="register_person_versions",
        metadata={
            "versions_added": result.versions_added,
            "high_water_mark": result.high_water_mark_after,
        },
    )
    yield dg.MaterializeResult(
        asset_key="register_smo", metadata={"rows": result.reference_rows["raw.smo"]}
    )
    yield dg.MaterializeResult(
        asset_key="register_mo", metadata={"rows": result.reference_rows["raw.mo"]}
    )
