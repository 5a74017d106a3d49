"""The exchange with the central segment: sending batches and ingesting answers.

Thin wrappers: the work is ``ferzl.sender`` and ``ferzl.answer_ingest``; the
warehouse copy of the raw answers is ``warehouse.exchange_answers``.
"""

from pathlib import Path

import dagster as dg

from ferzl.answer_ingest import IngestResult, ingest_answer_file
from ferzl.sender import send_queued
from orchestration.defs.resources import WarehouseResource
from register.db import make_engine, make_session_factory
from register.settings import load_settings
from warehouse.exchange_answers import load_answers

FERZL_ANSWERS_ASSET = dg.AssetKey("ferzl_answers")


def _factory(warehouse: WarehouseResource):  # type: ignore[no-untyped-def]
    return make_session_factory(make_engine(warehouse.database_url))


@dg.op(description="Queued buffer requests packed into .uprmes batches in the outbound folder.")
def send_buffer_requests(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    report = send_queued(_factory(warehouse), load_settings())
    context.log.info(report.text())
    for name in report.batches:
        context.log.info(f"Пакет {name}")


@dg.job(
    description="Отправка запросов буфера в ФЕРЗЛ (пакеты .uprmes)",
    executor_def=dg.in_process_executor,
)
def send_to_ferzl_job() -> None:
    send_buffer_requests()


class AnswerFileConfig(dg.Config):
    path: str


@dg.op(
    description="One .uprak1/.uprak2 answer file applied to the buffer (register services).",
    # A busy database is worth a second try; the file's transaction is all or nothing.
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
)
def apply_answer_file(
    context: dg.OpExecutionContext, config: AnswerFileConfig, warehouse: WarehouseResource
) -> IngestResult:
    settings = load_settings()
    path = Path(config.path)
    if not path.exists():
        # Read by an earlier attempt of this run: the buffer has it, the file is in done/.
        path = settings.exchange_inbound / "done" / path.name
        if not path.exists():
            raise dg.Failure(
                f"Файл {Path(config.path).name} не найден ни во входящей папке, ни в done/"
            )
    result = ingest_answer_file(_factory(warehouse), settings, path)
    context.log.info(result.text())
    return result


@dg.op(
    description="The file's answers as they came, into raw.ferzl_answer (DuckDB).",
    pool="duckdb",
)
def load_raw_answers(
    context: dg.OpExecutionContext, result: IngestResult, warehouse: WarehouseResource
) -> None:
    if not result.raw:
        return
    rows = load_answers(Path(warehouse.warehouse_path), result.sha256, result.file_name, result.raw)
    context.log_event(
        dg.AssetMaterialization(
            FERZL_ANSWERS_ASSET,
            description="Ответы ФЕРЗЛ (raw.ferzl_answer)",
            metadata={"file": result.file_name, "rows": rows},
        )
    )


@dg.job(
    description="Приём квитанций и ответов ФЕРЗЛ (.uprak1/.uprak2): буфер и хранилище",
    executor_def=dg.in_process_executor,
)
def ingest_ferzl_answers_job() -> None:
    load_raw_answers(apply_answer_file())
