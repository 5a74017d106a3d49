"""The monthly snapshot run: extract, history, the month's snapshot, publication."""

import dagster as dg

from orchestration.lib.partitions import SNAPSHOT_TIMEZONE, monthly_snapshot_partitions

monthly_snapshot_job = dg.define_asset_job(
    "monthly_snapshot_job",
    # The published month and everything it is built from: the extract of the
    # register, the dbt history models and the month's snapshot_month partition.
    selection=dg.AssetSelection.assets("published_snapshot_month")
    .upstream()
    .required_multi_asset_neighbors(),
    partitions_def=monthly_snapshot_partitions,
    executor_def=dg.in_process_executor,
    description="Monthly snapshot (срез): register extract, history, the month's snapshot, "
    "publication for the web app.",
)


@dg.schedule(
    job=monthly_snapshot_job,
    cron_schedule="0 1 1 * *",
    execution_timezone=SNAPSHOT_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def monthly_snapshot_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """At 01:00 on the 1st: the snapshot as of 00:00 that day (the month's partition)."""
    scheduled = context.scheduled_execution_time
    partition_key = scheduled.date().replace(day=1).isoformat()
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key)
