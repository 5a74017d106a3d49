"""Sensors of the exchange: send when due, claim each answer file by its content."""

import dagster as dg

from ferzl.answer_ingest import answer_file_known, ingest_answer_file, pending_answer_files
from ferzl.sender import sending_due
from ferzl.transport import sha256_of
from orchestration.defs.exchange.jobs import ingest_ferzl_answers_job, send_to_ferzl_job
from register.db import make_engine, make_session_factory
from register.settings import load_settings

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
    # The run key only dedupes one evaluation; the guard above prevents a pile-up.
    return dg.SensorResult(run_requests=[dg.RunRequest(tags={"queued": str(state.queued)})])


@dg.sensor(
    job=ingest_ferzl_answers_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Each .uprak1/.uprak2 in the inbound folder, one run per file content "
    "(run key = sha256).",
)
def ferzl_answers_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = load_settings()
    requests = []
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        for path in pending_answer_files(settings):
            sha = sha256_of(path.read_bytes())
            if answer_file_known(factory, sha):
                # The same content under another name: its run key is spent, so the repeat
                # is journalled and moved aside here (no buffer change, nothing to load).
                context.log.info(ingest_answer_file(factory, settings, path).text())
                continue
            requests.append(
                dg.RunRequest(
                    run_key=sha,
                    run_config={"ops": {"apply_answer_file": {"config": {"path": str(path)}}}},
                    tags={"file": path.name},
                )
            )
    finally:
        engine.dispose()
    return dg.SensorResult(run_requests=requests)
