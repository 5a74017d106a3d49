"""Sensors of the exchange: send when due, claim each answer file by its content."""

import dagster as dg

from ferzl.answer_ingest import (
    ingest_answer_file,
    known_file_name,
    pending_answer_files,
    set_aside,
)
from ferzl.sender import sending_due
from ferzl.transport import sha256_of
from orchestration.defs.exchange.jobs import ingest_ferzl_answers_job, send_to_ferzl_job
from register.db import make_engine, make_session_factory
from register.settings import load_settings

FILE_SHA_TAG = "rserz/file_sha256"
MAX_ATTEMPTS = 5  # runs per answer file before the sensor leaves it to a person

_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    job=send_to_ferzl_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Queued requests go out when a batch is full, the oldest waited "
    "RSERZ_SEND_DELAY seconds, or a ТФОМС operator forced one.",
)
def ferzl_outbound_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    active = context.instance.get_runs(
        dg.RunsFilter(job_name=send_to_ferzl_job.name, statuses=_ACTIVE), limit=1
    )
    if active:
        return dg.SensorResult(skip_reason="Отправка уже идёт")
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        state = sending_due(make_session_factory(engine), settings)
    finally:
        engine.dispose()
    if state is None:
        return dg.SensorResult(skip_reason="Отправлять нечего")
    # No run key: the guard above keeps one sending run at a time.
    return dg.SensorResult(run_requests=[dg.RunRequest(tags={"queued": str(state.queued)})])


@dg.sensor(
    job=ingest_ferzl_answers_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Each .uprak1/.uprak2 in the inbound folder, one run per file content "
    "(run key = sha256; a failed run is retried under a new key, up to 5 times).",
)
def ferzl_answers_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = load_settings()
    requests = []
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        for path in pending_answer_files(settings):
            sha = sha256_of(path.read_bytes())
            runs = context.instance.get_runs(dg.RunsFilter(tags={FILE_SHA_TAG: sha}))
            if any(run.status in _ACTIVE for run in runs):
                continue  # its run is reading it now
            known_as = known_file_name(factory, sha)
            if known_as == path.name:
                set_aside(settings, path)  # read already; its run stopped before moving it
            elif known_as is not None:
                # The same content under another name: journalled as a repeat, moved aside.
                context.log.info(ingest_answer_file(factory, settings, path).text())
            elif len(runs) >= MAX_ATTEMPTS:
                context.log.warning(
                    f"{path.name}: {len(runs)} запусков завершились ошибкой; "
                    "повторите запуск вручную в Dagster UI"
                )
            else:
                # A failed run spends its run key: the next attempt gets a key of its own.
                key = sha if not runs else f"{sha}:{len(runs)}"
                requests.append(
                    dg.RunRequest(
                        run_key=key,
                        run_config={"ops": {"apply_answer_file": {"config": {"path": str(path)}}}},
                        tags={"file": path.name, FILE_SHA_TAG: sha},
                    )
                )
    finally:
        engine.dispose()
    return dg.SensorResult(run_requests=requests)
