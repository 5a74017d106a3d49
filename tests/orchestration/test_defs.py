"""The whole code location loads, and its definitions keep the warehouse rules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.lib.partitions import (
    SNAPSHOT_TIMEZONE,
    current_snapshot_date,
    monthly_snapshot_partitions,
    partition_key_of,
)

PIPELINE_ASSETS = {
    "register_person_versions",
    "register_smo",
    "register_mo",
    "stg_register__person_versions",
    "stg_register__smo",
    "stg_register__mo",
    "int_person_history",
    "snapshot_month",
    "published_snapshot_month",
}


def test_code_location_loads() -> None:
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert keys >= PIPELINE_ASSETS


def test_every_duckdb_asset_is_in_the_duckdb_pool() -> None:
    graph = defs.resolve_asset_graph()
    specs = defs.resolve_all_asset_specs()
    duckdb_assets = {spec.key.to_user_string() for spec in specs if "duckdb" in spec.kinds}
    assert duckdb_assets >= PIPELINE_ASSETS
    for key in duckdb_assets:
        node = graph.get(dg.AssetKey.from_user_string(key)).assets_def.node_def
        assert node.pool == "duckdb", key


def test_dbt_tests_are_asset_checks() -> None:
    checks = {
        (key.asset_key.to_user_string(), key.name)
        for key in defs.resolve_asset_graph().asset_check_keys
    }
    assert ("snapshot_month", "assert_snapshot_month_one_row_per_person") in checks
    assert ("int_person_history", "assert_person_history_intervals_disjoint") in checks


def test_snapshot_assets_are_monthly_and_backfill_in_one_run() -> None:
    graph = defs.resolve_asset_graph()
    for key in ("snapshot_month", "published_snapshot_month"):
        node = graph.get(dg.AssetKey(key))
        assert node.partitions_def == monthly_snapshot_partitions
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
    # end_offset=1: the current month's snapshot date is a partition from its 1st day on.
    assert monthly_snapshot_partitions.get_last_partition_key() == (
        current_snapshot_date().isoformat()
    )
    assert monthly_snapshot_partitions.get_first_partition_key() == "2024-01-01"


def test_monthly_job_runs_in_process() -> None:
    job = defs.resolve_job_def("monthly_snapshot_job")
    assert job.executor_def is dg.in_process_executor
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert {"register_person_versions", "snapshot_month", "published_snapshot_month"} <= selected


def test_schedule_asks_for_the_month_starting_that_day() -> None:
    schedule = defs.resolve_schedule_def("monthly_snapshot_schedule")
    assert schedule.cron_schedule == "0 1 1 * *"
    assert schedule.execution_timezone == SNAPSHOT_TIMEZONE
    tick = dt.datetime(2024, 5, 1, 1, 0, tzinfo=ZoneInfo(SNAPSHOT_TIMEZONE))
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            repository_def=defs.get_repository_def(),
        )
        result = schedule.evaluate_tick(context)
    (request,) = result.run_requests or []
    assert request.partition_key == "2024-05-01"
    assert request.tags["dagster/partition"] == "2024-05-01"


def test_partition_keys_are_the_first_of_a_month() -> None:
    assert partition_key_of(dt.date(2024, 5, 1)) == "2024-05-01"
    with pytest.raises(ValueError, match="1-е число"):
        partition_key_of(dt.date(2024, 5, 15))
    with pytest.raises(ValueError, match="построить нельзя"):
        partition_key_of(dt.date(2023, 12, 1))
